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
import type { StatsQuery } from "./query.ts";
import { queryPeriod, sessionConds, type StatsSite } from "./stats.ts";
import { addDays, startOfDay } from "./period.ts";

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
  /** The element's area in screenshot coordinates: see `outline`. */
  box: { x: number; y: number; width: number; height: number };
  /** "element": its real box, measured on the screenshot; "clicks": the area its clicks hit. */
  outline: "element" | "clicks";
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
 * Where a question's rows come from. Unfiltered, in the zone the site's rollups are kept in:
 * the rollups by local day (migration 0180), which cover a period exactly (periods are whole
 * local days, ending no earlier than now). Filtered (visits are chosen one by one), in another
 * zone, or asked for raw: the raw rows, through the (site, page, kind, layout, ts) index.
 */
interface Sources {
  /** Local days read from the rollups, inclusive, or null for the raw rows. */
  days: { first: string; last: string } | null;
  /** Raw rows: `h.…` conditions (site, time range, visits). */
  raw: Fragment;
  timezone: string;
}

async function sources(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  opts: { now?: Date; raw?: boolean },
): Promise<Sources> {
  const now = opts.now ?? new Date();
  const r = queryPeriod(site, q, now);
  const end = startOfDay(addDays(r.lastDay, 1), r.timezone);
  const filters = q.filters;
  if (!opts.raw && filters.length === 0 && (r.to >= end || r.to >= now)) {
    const [zone] = await sql<{ timezone: string }[]>`
      select timezone from heatmap_rollup_zones where site_id = ${site.id}`;
    if (zone?.timezone === r.timezone) {
      return {
        days: { first: r.firstDay, last: r.lastDay },
        raw: sql`false`,
        timezone: r.timezone,
      };
    }
  }
  const visits = filters.length === 0 ? sql`` : sql`and h.session_id in (
    select s.session_id from sessions s
    where s.site_id = ${site.id} and s.started_at >= ${new Date(r.from.getTime() - DAY_MS)}
      and s.started_at < ${r.to} ${sessionConds(sql, site.id, r, filters)})`;
  return {
    days: null,
    raw: sql`h.site_id = ${site.id} and h.ts >= ${r.from} and h.ts < ${r.to} ${visits}`,
    timezone: r.timezone,
  };
}

const DAY_MS = 86_400_000;

/** The pages that have heatmap data in the query's period (filters apply), up to `limit`. */
export async function heatmapPages(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  opts: { now?: Date; search?: string; limit?: number; raw?: boolean } = {},
): Promise<HeatmapPage[]> {
  const src = await sources(sql, site, q, opts);
  const pattern = "%" + (opts.search?.trim() ?? "").replace(/[\\%_]/g, "\\$&") + "%";
  const days = src.days;
  const rows = await sql<{ page: string; clicks: number; records: number }[]>`
    select p.pathname as page, coalesce(sum(p.count) filter (where p.kind = 'click'), 0)::int8
             as clicks, sum(p.count)::int8 as records
    from (${
    days
      ? sql`select t.pathname, t.kind, t.count from heatmap_totals t
        where t.site_id = ${site.id} and t.day between ${days.first} and ${days.last}
          and t.pathname ilike ${pattern}`
      : sql`select h.pathname, h.kind, 1 as count from heatmap_clicks h
        where ${src.raw} and h.pathname ilike ${pattern}`
  }) p
    group by p.pathname order by clicks desc, records desc, page limit ${opts.limit ?? 50}`;
  return rows.map((x) => ({ page: x.page, clicks: Number(x.clicks), records: Number(x.records) }));
}

/** Adds count vectors (grid rows, attention bands) into `into`, by position. */
function addVector(into: number[], counts: number[]): void {
  for (let i = 0; i < counts.length; i++) into[i] = (into[i] ?? 0) + counts[i];
}

/** The heatmap of one page, layout and mode over the query's period and filters. */
export async function heatmapReport(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  params: HeatmapParams,
  opts: { now?: Date; elements?: number; raw?: boolean } = {},
): Promise<HeatmapReport> {
  const src = await sources(sql, site, q, opts);
  const width = LAYOUT_WIDTHS[params.layout];
  const cell = width / GRID_COLUMNS;
  const flagOf = (alias: string) =>
    params.mode === "rage"
      ? sql`and ${sql(alias)}.flags & ${FLAG_RAGE} <> 0`
      : params.mode === "dead"
      ? sql`and ${sql(alias)}.flags & ${FLAG_DEAD} <> 0`
      : sql``;
  const gridKind = params.mode === "moves" ? "move" : "click";
  const wantGrid = params.mode !== "attention" && params.mode !== "scroll";
  const answer = src.days
    ? await fromRollups(sql, site.id, params, src.days, { gridKind, wantGrid, flagOf, ...opts })
    : await fromRaw(sql, params, src, { gridKind, wantGrid, flagOf, ...opts });
  const { totals: t, scroll, elements } = answer;
  const grid: GridCell[] = [];
  for (const [row, counts] of answer.grid) {
    counts.forEach((value, col) => value && grid.push({ col, row, value }));
  }
  grid.sort((a, b) => a.row - b.row || a.col - b.col);
  const bands = Array.from({ length: ATTENTION_BANDS }, (_, i) => answer.attention[i] ?? 0);
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
    grid,
    max: params.mode === "attention"
      ? Math.max(0, ...bands)
      : grid.reduce((m, c) => Math.max(m, c.value), 0),
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
      outline: "clicks" as const,
    })),
  };
}

interface Answer {
  /** Grid rows: row → counts by column. */
  grid: Map<number, number[]>;
  totals: {
    clicks: number;
    rage: number;
    dead: number;
    errors: number;
    moves: number;
    height: number | null;
  };
  scroll: { depth: number; page_views: number }[];
  attention: number[];
  elements: {
    selector: string;
    clicks: number;
    rage: number;
    dead: number;
    errors: number;
    x0: number;
    y0: number;
    x1: number;
    y1: number;
  }[];
}

interface Shape {
  gridKind: "click" | "move";
  wantGrid: boolean;
  flagOf: (alias: string) => Fragment;
  elements?: number;
}

/** Totals by kind and click flags (rows `t.kind`, `t.flags`, `t.n`, `t.height`). */
const totalsOf = (sql: Sql, rows: Fragment) =>
  sql<Answer["totals"][]>`
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
    from (${rows}) t`;

/** The share of page views reaching each step, from page views' depths (rows `v.depth`). */
const reachOf = (sql: Sql, views: Fragment) =>
  sql<Answer["scroll"]>`
    with views as (${views}),
    reached as (select v.depth, count(*) as n from views v group by v.depth)
    select t.depth, coalesce(sum(r.n), 0)::int8 as page_views
    from unnest(${SCROLL_STEPS}::int[]) as t(depth)
    left join reached r on r.depth >= t.depth
    group by t.depth order by t.depth`;

/** Elements with their clicks, flags and box (rows `e.selector`, `e.flags`, `e.n`, box). */
const elementsOf = (sql: Sql, rows: Fragment, limit: number) =>
  sql<Answer["elements"]>`
    select e.selector, sum(e.n)::int8 as clicks,
           coalesce(sum(e.n) filter (where e.flags & ${FLAG_RAGE} <> 0), 0)::int8 as rage,
           coalesce(sum(e.n) filter (where e.flags & ${FLAG_DEAD} <> 0), 0)::int8 as dead,
           coalesce(sum(e.n) filter (where e.flags & ${FLAG_ERROR} <> 0), 0)::int8 as errors,
           min(e.x0)::int as x0, min(e.y0)::int as y0, max(e.x1)::int as x1,
           max(e.y1)::int as y1
    from (${rows}) e
    group by e.selector order by clicks desc, e.selector limit ${limit}`;

async function fromRollups(
  sql: Sql,
  siteId: number,
  params: HeatmapParams,
  days: { first: string; last: string },
  shape: Shape,
): Promise<Answer> {
  const of = (alias: string) =>
    sql`${sql(alias)}.site_id = ${siteId} and ${sql(alias)}.pathname = ${params.page}
      and ${sql(alias)}.layout = ${params.layout}
      and ${sql(alias)}.day between ${days.first} and ${days.last}`;
  // Summed by position in SQL: a month of a busy page is thousands of 64-count rows, slower to
  // send and parse than to add up where they are.
  const sums = Array.from(
    { length: GRID_COLUMNS },
    (_, i) => sql`coalesce(sum(g.counts[${i + 1}]), 0)`,
  ).reduce((a, b) => sql`${a}, ${b}`);
  const vectors = (kind: string, flags: Fragment) =>
    sql<{ row: number; counts: number[] }[]>`
      select g.row, array[${sums}]::float8[] as counts from heatmap_grid g
      where ${of("g")} and g.kind = ${kind} ${flags} group by g.row`;
  const [grid, totals, scroll, attention, elements] = await Promise.all([
    shape.wantGrid ? vectors(shape.gridKind, shape.flagOf("g")) : Promise.resolve([]),
    totalsOf(
      sql,
      sql`select t.kind, t.flags, t.count as n, t.max_height as height
        from heatmap_totals t where ${of("t")}`,
    ),
    reachOf(sql, sql`select v.depth from heatmap_views v where ${of("v")}`),
    vectors("attention", sql``),
    elementsOf(
      sql,
      sql`select el.selector, el.flags, el.clicks as n, el.x0, el.y0, el.x1, el.y1
        from heatmap_elements el where ${of("el")} ${shape.flagOf("el")}`,
      shape.elements ?? 50,
    ),
  ]);
  const rows = new Map<number, number[]>();
  for (const g of grid) {
    let into = rows.get(g.row);
    if (!into) rows.set(g.row, into = []);
    addVector(into, g.counts);
  }
  const bands: number[] = [];
  for (const a of attention) addVector(bands, a.counts);
  return { grid: rows, totals: totals[0], scroll, attention: bands, elements };
}

async function fromRaw(
  sql: Sql,
  params: HeatmapParams,
  src: Sources,
  shape: Shape,
): Promise<Answer> {
  const width = LAYOUT_WIDTHS[params.layout];
  const cell = width / GRID_COLUMNS;
  const base = sql`${src.raw} and h.pathname = ${params.page} and h.layout = ${params.layout}`;
  // Horizontal position in screenshot pixels: the viewport-relative x times the layout width
  // (lib/layout.ts screenX and the rollups do the same, in the same order: equal doubles).
  const sx = sql`least(${
    width - 1
  }::float8, h.x::float8 * ${width}::float8 / greatest(h.page_width, 1))`;
  const [grid, totals, scroll, attention, elements] = await Promise.all([
    shape.wantGrid
      ? sql<{ col: number; row: number; value: number }[]>`
        select g.col, g.row, count(*)::int8 as value from (
          select greatest(0, floor(${sx} / ${cell}::float8))::int as col,
                 greatest(0, floor(h.y / ${cell}::float8))::int as row
          from heatmap_clicks h
          where ${base} and h.kind = ${shape.gridKind} ${shape.flagOf("h")}
        ) g
        group by g.col, g.row`
      : Promise.resolve([]),
    totalsOf(
      sql,
      sql`select h.kind, case when h.kind = 'click' then h.flags else 0 end as flags,
               count(*) as n,
               max(h.page_height::float8 * ${width}::float8 / greatest(h.page_width, 1))
                 as height
        from heatmap_clicks h
        where ${base} and h.kind in ('click', 'move', 'scroll') group by 1, 2`,
    ),
    // A page view counts once per local day it sent scroll records in (as the rollups keep it).
    reachOf(
      sql,
      sql`select max(coalesce(h.depth, 0)) as depth from heatmap_clicks h
        where ${base} and h.kind = 'scroll'
        group by h.page_view, h.session_id, (h.ts at time zone ${src.timezone})::date`,
    ),
    sql<{ band: number; seconds: number }[]>`
      select a.band::int as band, sum(a.seconds)::int8 as seconds
      from heatmap_clicks h, unnest(h.attention) with ordinality as a(seconds, band)
      where ${base} and h.kind = 'scroll'
      group by a.band`,
    elementsOf(
      sql,
      sql`select h.selector, h.flags, 1 as n, ${sx} - coalesce(h.elem_x, 0) as x0,
               (h.y - coalesce(h.elem_y, 0))::float8 as y0, ${sx} as x1, h.y::float8 as y1
        from heatmap_clicks h
        where ${base} and h.kind = 'click' ${shape.flagOf("h")}`,
      shape.elements ?? 50,
    ),
  ]);
  const rows = new Map<number, number[]>();
  for (const g of grid) {
    let into = rows.get(g.row);
    if (!into) rows.set(g.row, into = Array.from({ length: GRID_COLUMNS }, () => 0));
    into[g.col] += Number(g.value);
  }
  const bands: number[] = [];
  for (const a of attention) bands[a.band - 1] = Number(a.seconds);
  return {
    grid: rows,
    totals: totals[0],
    scroll,
    attention: Array.from(bands, (b) => b ?? 0),
    elements,
  };
}

/**
 * Outlines each element with its real box where the layout's screenshot measured one
 * (selector → [x, y, width, height]); the others keep the area their clicks fell in.
 */
export function outlineElements(
  report: HeatmapReport,
  rects: Record<string, [number, number, number, number]> | null | undefined,
): HeatmapReport {
  if (!rects) return report;
  return {
    ...report,
    elements: report.elements.map((e) => {
      const r = Object.hasOwn(rects, e.selector) ? rects[e.selector] : null;
      return r
        ? { ...e, box: { x: r[0], y: r[1], width: r[2], height: r[3] }, outline: "element" }
        : e;
    }),
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

/**
 * Rebuilds the heatmap rollups of sites whose time zone changed since they were built (until
 * then their reports read raw rows); returns how many sites it rebuilt.
 */
export async function rebuildHeatmapZones(sql: Sql): Promise<number> {
  const sites = await sql<{ id: number }[]>`
    select s.id from sites s join heatmap_rollup_zones z on z.site_id = s.id
    where z.timezone <> s.timezone order by s.id`;
  for (const s of sites) await sql`select heatmap_rollup_build(${s.id}, null)`;
  return sites.length;
}
