/**
 * Heatmaps of one page: where people click and move (a density grid in the layout's screenshot
 * coordinates), how far they scroll (the share of page views reaching each depth), what holds
 * their attention (seconds per tenth of the page), and which elements they click, with rage,
 * dead and error clicks. The heatmap page, its CSV and the API all read this one module, on the
 * same parsed stats query as the dashboard, so period and filters mean the same everywhere.
 *
 * Coordinates: the tracker records document coordinates with the viewport width. Horizontal
 * positions are scaled to the layout's screenshot width (LAYOUT_WIDTHS), so clicks from a
 * 1280 px and a 1920 px window land on the same element of a fluid page; vertical positions are
 * kept in document pixels.
 */
import { z } from "zod";
import type postgres from "postgres";
import type { Sql } from "../db/connect.ts";
import { Invalid } from "../lib/errors.ts";
import { GRID_COLUMNS, type Layout, LAYOUT_WIDTHS, LAYOUTS } from "../lib/layout.ts";
import type { Filter } from "./dimensions.ts";
import type { StatsQuery } from "./query.ts";
import { queryPeriod, type Range, sessionConds, type StatsSite } from "./stats.ts";

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/** What a heatmap shows: click, move or attention density, or only rage or dead clicks. */
export const HEATMAP_MODES = ["clicks", "moves", "attention", "scroll", "rage", "dead"] as const;
export type HeatmapMode = (typeof HEATMAP_MODES)[number];

export { GRID_COLUMNS };
/** Depths (percent of the page) the scroll curve reports. */
export const SCROLL_STEPS = Array.from({ length: 21 }, (_, i) => i * 5);
/** Tenths of the page the attention map reports. */
export const ATTENTION_BANDS = 10;
const FLAG_RAGE = 1;
const FLAG_DEAD = 2;
const FLAG_ERROR = 4;

const heatmapParamsSchema = z.object({
  page: z.string().min(1, "Choose a page, like /pricing.").max(2000).refine(
    (p) => p.startsWith("/"),
    "A page is a path starting with /, like /pricing.",
  ),
  layout: z.enum(LAYOUTS, { error: "layout must be desktop, tablet or mobile." }).default(
    "desktop",
  ),
  mode: z.enum(HEATMAP_MODES, {
    error: `mode must be one of: ${HEATMAP_MODES.join(", ")}.`,
  }).default("clicks"),
});

/** The heatmap-specific part of a request: which page, layout and mode. */
export type HeatmapParams = z.infer<typeof heatmapParamsSchema>;

/** Parses `page`, `layout` and `mode` (or `kind`) parameters; throws Invalid with a sentence. */
export function parseHeatmapParams(params: URLSearchParams): HeatmapParams {
  const parsed = heatmapParamsSchema.safeParse({
    page: params.get("page") ?? undefined,
    layout: params.get("layout") || undefined,
    mode: params.get("mode") || params.get("kind") || undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue.path[0] ?? "page");
    const message = issue.code === "invalid_type" && field === "page"
      ? "Choose a page, like /pricing."
      : issue.message;
    throw new Invalid(field, message);
  }
  return parsed.data;
}

/** One cell of the density grid: its column and row and how much happened there. */
export interface GridCell {
  col: number;
  row: number;
  value: number;
}

/** The share of page views that scrolled at least `depth` percent down the page. */
export interface ScrollPoint {
  depth: number;
  pageViews: number;
  share: number;
}

/** A clicked element: its selector, its clicks and the box its clicks fell in. */
export interface HeatmapElement {
  selector: string;
  clicks: number;
  share: number;
  rage: number;
  dead: number;
  errors: number;
  /** The element's area as seen through its clicks, in screenshot coordinates. */
  box: { x: number; y: number; width: number; height: number };
}

/** Everything the heatmap page and API show for one page, layout and mode. */
export interface HeatmapReport {
  page: string;
  layout: Layout;
  mode: HeatmapMode;
  /** Width of the layout's screenshot; grid and boxes are in its pixels. */
  width: number;
  /** Size of a grid cell in pixels (attention rows are a tenth of `height`). */
  cell: number;
  /** Tallest document seen (pixels at `width`), so a page without screenshot can be drawn. */
  height: number;
  grid: GridCell[];
  /** Highest cell value, for the colour scale. */
  max: number;
  totals: { clicks: number; rage: number; dead: number; errors: number; moves: number };
  pageViews: number;
  scroll: ScrollPoint[];
  /** Seconds spent with each tenth of the page in view, top first. */
  attention: number[];
  elements: HeatmapElement[];
}

/** Pages with heatmap data in the period, most clicked first. */
export interface HeatmapPage {
  page: string;
  clicks: number;
  records: number;
}

/**
 * Where a question's rows come from. Unfiltered: the daily rollups for the whole UTC days of
 * the period, and raw rows for the partial days at its edges. Filtered (visits must be chosen
 * one by one) or asked for raw: raw rows only.
 */
interface Sources {
  /** Whole UTC days read from the rollups, [first, end), or null. */
  days: { first: string; end: string } | null;
  /** Raw rows: `h.…` conditions (site, time ranges, visits). */
  raw: Fragment;
}

const DAY_MS = 86_400_000;
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

function sources(
  sql: Sql,
  site: StatsSite,
  r: Range,
  filters: Filter[],
  raw: boolean,
): Sources {
  const first = Math.ceil(r.from.getTime() / DAY_MS) * DAY_MS;
  const end = Math.floor(r.to.getTime() / DAY_MS) * DAY_MS;
  if (raw || filters.length > 0 || end <= first) {
    const visits = filters.length === 0 ? sql`` : sql`and h.session_id in (
      select s.session_id from sessions s
      where s.site_id = ${site.id} and s.started_at >= ${new Date(r.from.getTime() - DAY_MS)}
        and s.started_at < ${r.to} ${sessionConds(sql, site.id, r, filters)})`;
    return {
      days: null,
      raw: sql`h.site_id = ${site.id} and h.ts >= ${r.from} and h.ts < ${r.to} ${visits}`,
    };
  }
  const edges = [
    { from: r.from, to: new Date(first) },
    { from: new Date(end), to: r.to },
  ].filter((e) => e.from < e.to);
  const times = edges.length === 0
    ? sql`false`
    : edges.map((e) => sql`(h.ts >= ${e.from} and h.ts < ${e.to})`).reduce((a, b) =>
      sql`${a} or ${b}`
    );
  return {
    days: { first: isoDay(first), end: isoDay(end) },
    raw: sql`h.site_id = ${site.id} and (${times})`,
  };
}

/** The pages that have heatmap data in the query's period (filters apply), up to `limit`. */
export async function heatmapPages(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  opts: { now?: Date; search?: string; limit?: number; raw?: boolean } = {},
): Promise<HeatmapPage[]> {
  const r = queryPeriod(site, q, opts.now);
  const src = sources(sql, site, r, q.filters, opts.raw ?? false);
  const pattern = "%" + (opts.search?.trim() ?? "").replace(/[\\%_]/g, "\\$&") + "%";
  const rolled = src.days
    ? sql`select c.pathname, c.kind, c.count from heatmap_cells c
      where c.site_id = ${site.id} and c.day >= ${src.days.first} and c.day < ${src.days.end}
        and c.pathname ilike ${pattern}
      union all`
    : sql``;
  const rows = await sql<{ page: string; clicks: number; records: number }[]>`
    select p.pathname as page, coalesce(sum(p.count) filter (where p.kind = 'click'), 0)::int8
             as clicks, sum(p.count)::int8 as records
    from (
      ${rolled}
      select h.pathname, h.kind, 1 as count from heatmap_clicks h
      where ${src.raw} and h.pathname ilike ${pattern}
    ) p
    group by p.pathname order by clicks desc, records desc, page limit ${opts.limit ?? 50}`;
  return rows.map((x) => ({ page: x.page, clicks: Number(x.clicks), records: Number(x.records) }));
}

/** The heatmap of one page, layout and mode over the query's period and filters. */
export async function heatmapReport(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  params: HeatmapParams,
  opts: { now?: Date; elements?: number; raw?: boolean } = {},
): Promise<HeatmapReport> {
  const r = queryPeriod(site, q, opts.now);
  const src = sources(sql, site, r, q.filters, opts.raw ?? false);
  const width = LAYOUT_WIDTHS[params.layout];
  const cell = width / GRID_COLUMNS;
  const base = sql`${src.raw} and h.pathname = ${params.page} and h.layout = ${params.layout}`;
  const days = src.days;
  const rolled = (alias: string) =>
    days
      ? sql`${sql(alias)}.site_id = ${site.id} and ${sql(alias)}.pathname = ${params.page}
        and ${sql(alias)}.layout = ${params.layout} and ${sql(alias)}.day >= ${days.first}
        and ${sql(alias)}.day < ${days.end}`
      : sql`false`;
  // Horizontal position in screenshot pixels: the viewport-relative x times the layout width
  // (lib/layout.ts screenX does the same for the rollups).
  const sx = sql`least(${
    width - 1
  }::float8, h.x::float8 * ${width}::float8 / greatest(h.page_width, 1))`;
  const flagOf = (alias: string) =>
    params.mode === "rage"
      ? sql`and ${sql(alias)}.flags & ${FLAG_RAGE} <> 0`
      : params.mode === "dead"
      ? sql`and ${sql(alias)}.flags & ${FLAG_DEAD} <> 0`
      : sql``;
  const gridKind = params.mode === "moves" ? "move" : "click";

  const [grid, totals, scroll, attention, elements] = await Promise.all([
    params.mode === "attention" || params.mode === "scroll" ? Promise.resolve([]) : sql<
      { col: number; row: number; value: number }[]
    >`
      select g.col, g.row, sum(g.value)::int8 as value from (
        select c.col, c.row, c.count as value from heatmap_cells c
        where ${rolled("c")} and c.kind = ${gridKind} ${flagOf("c")}
        union all
        select floor(${sx} / ${cell}::float8)::int, floor(h.y / ${cell}::float8)::int, 1
        from heatmap_clicks h
        where ${base} and h.kind = ${gridKind} ${flagOf("h")}
      ) g
      group by g.col, g.row`,
    sql<
      {
        clicks: number;
        rage: number;
        dead: number;
        errors: number;
        moves: number;
        height: number | null;
      }[]
    >`
      select
        coalesce(sum(t.n) filter (where t.kind = 'click'), 0)::int8 as clicks,
        coalesce(sum(t.n) filter (where t.kind = 'click' and t.flags & ${FLAG_RAGE} <> 0), 0)::int8
          as rage,
        coalesce(sum(t.n) filter (where t.kind = 'click' and t.flags & ${FLAG_DEAD} <> 0), 0)::int8
          as dead,
        coalesce(sum(t.n) filter (where t.kind = 'click' and t.flags & ${FLAG_ERROR} <> 0), 0)::int8
          as errors,
        coalesce(sum(t.n) filter (where t.kind = 'move'), 0)::int8 as moves,
        max(t.height)::int8 as height
      from (
        select c.kind, c.flags, sum(c.count) as n, max(c.max_height) as height
        from heatmap_cells c where ${rolled("c")} group by c.kind, c.flags
        union all
        select h.kind, h.flags, count(*),
               max(h.page_height::float8 * ${width}::float8 / greatest(h.page_width, 1))
        from heatmap_clicks h where ${base} group by h.kind, h.flags
      ) t`,
    sql<{ depth: number; page_views: number }[]>`
      with views as (
        select h.page_view, max(h.depth) as depth from heatmap_clicks h
        where ${sources(sql, site, r, q.filters, true).raw} and h.pathname = ${params.page}
          and h.layout = ${params.layout} and h.kind = 'scroll'
        group by h.page_view, h.session_id
      )
      select t.depth, count(v.page_view)::int8 as page_views
      from unnest(${SCROLL_STEPS}::int[]) as t(depth)
      left join views v on v.depth >= t.depth
      group by t.depth order by t.depth`,
    sql<{ band: number; seconds: number }[]>`
      select a.band::int as band, sum(a.seconds)::int8 as seconds
      from heatmap_clicks h, unnest(h.attention) with ordinality as a(seconds, band)
      where ${sources(sql, site, r, q.filters, true).raw} and h.pathname = ${params.page}
        and h.layout = ${params.layout} and h.kind = 'scroll'
      group by a.band`,
    sql<
      {
        selector: string;
        clicks: number;
        rage: number;
        dead: number;
        errors: number;
        x0: number;
        y0: number;
        x1: number;
        y1: number;
      }[]
    >`
      select e.selector, sum(e.n)::int8 as clicks,
             coalesce(sum(e.n) filter (where e.flags & ${FLAG_RAGE} <> 0), 0)::int8 as rage,
             coalesce(sum(e.n) filter (where e.flags & ${FLAG_DEAD} <> 0), 0)::int8 as dead,
             coalesce(sum(e.n) filter (where e.flags & ${FLAG_ERROR} <> 0), 0)::int8 as errors,
             min(e.x0)::int as x0, min(e.y0)::int as y0, max(e.x1)::int as x1,
             max(e.y1)::int as y1
      from (
        select el.selector, el.flags, el.clicks as n, el.x0, el.y0, el.x1, el.y1
        from heatmap_elements el where ${rolled("el")} ${flagOf("el")}
        union all
        select h.selector, h.flags, 1, ${sx} - coalesce(h.elem_x, 0),
               (h.y - coalesce(h.elem_y, 0))::float8, ${sx}, h.y::float8
        from heatmap_clicks h
        where ${base} and h.kind = 'click' ${flagOf("h")}
      ) e
      group by e.selector order by clicks desc, e.selector limit ${opts.elements ?? 50}`,
  ]);

  const t = totals[0];
  const cells = grid.map((g) => ({ col: g.col, row: g.row, value: Number(g.value) }));
  const bands = Array.from({ length: ATTENTION_BANDS }, () => 0);
  for (const a of attention) {
    if (a.band >= 1 && a.band <= ATTENTION_BANDS) bands[a.band - 1] = Number(a.seconds);
  }
  const views = Number(scroll[0]?.page_views ?? 0);
  const clicks = Number(t?.clicks ?? 0);
  const flaggedClicks = params.mode === "rage"
    ? Number(t.rage)
    : params.mode === "dead"
    ? Number(t.dead)
    : clicks;
  return {
    page: params.page,
    layout: params.layout,
    mode: params.mode,
    width,
    cell,
    height: Number(t?.height ?? 0),
    grid: cells,
    max: params.mode === "attention"
      ? Math.max(0, ...bands)
      : cells.reduce((m, c) => Math.max(m, c.value), 0),
    totals: {
      clicks,
      rage: Number(t?.rage ?? 0),
      dead: Number(t?.dead ?? 0),
      errors: Number(t?.errors ?? 0),
      moves: Number(t?.moves ?? 0),
    },
    pageViews: views,
    scroll: scroll.map((s) => ({
      depth: s.depth,
      pageViews: Number(s.page_views),
      share: views ? Number(s.page_views) / views : 0,
    })),
    attention: bands,
    elements: elements.map((e) => ({
      selector: e.selector,
      clicks: Number(e.clicks),
      share: flaggedClicks ? Number(e.clicks) / flaggedClicks : 0,
      rage: Number(e.rage),
      dead: Number(e.dead),
      errors: Number(e.errors),
      box: {
        x: Math.max(0, e.x0),
        y: Math.max(0, e.y0),
        width: Math.max(1, e.x1 - Math.max(0, e.x0)),
        height: Math.max(1, e.y1 - Math.max(0, e.y0)),
      },
    })),
  };
}

/** The elements table as CSV rows (header first). */
export function heatmapCsv(report: HeatmapReport): string[][] {
  return [
    ["selector", "clicks", "share_of_clicks", "rage_clicks", "dead_clicks", "error_clicks"],
    ...report.elements.map((e) => [
      e.selector,
      String(e.clicks),
      e.share.toFixed(4),
      String(e.rage),
      String(e.dead),
      String(e.errors),
    ]),
  ];
}

/** Where the page was last seen (scheme, host, port), to take its screenshot; null if never. */
export async function pageOrigin(sql: Sql, siteId: number, page: string): Promise<string | null> {
  const [row] = await sql<{ origin: string }[]>`
    select origin from heatmap_clicks
    where site_id = ${siteId} and pathname = ${page} and origin <> ''
    order by ts desc limit 1`;
  return row?.origin ?? null;
}

/** Splits a request's parameters into the stats query (period, filters) and heatmap choices. */
export function heatmapStatsParams(params: URLSearchParams): URLSearchParams {
  const stats = new URLSearchParams(params);
  // `page` is the heatmap's path here, not the breakdown page number of the stats query.
  for (const k of ["page", "layout", "mode", "kind", "search"]) stats.delete(k);
  return stats;
}
