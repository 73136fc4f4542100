/**
 * The ingest write path's SQL: one short statement per batch, whatever its size. The hot pair
 * (events and sessions) reads its rows from a staging table filled by COPY on a PostgreSQL
 * server and from one JSON parameter on embedded PGlite; the rest always use JSON.
 */
import { cellOf, GRID_COLUMNS, type Layout, LAYOUT_WIDTHS, screenX } from "../lib/layout.ts";
import type { Sql } from "../db/connect.ts";
import { copyRows } from "../db/copy.ts";
import type { QueuedEvent } from "./types.ts";

/** The session attributes copied from its first event. */
type SessionAttributes = Pick<
  QueuedEvent,
  | "session_id"
  | "site_id"
  | "visitor_id"
  | "referrer_host"
  | "source"
  | "medium"
  | "campaign"
  | "content"
  | "term"
  | "channel"
  | "click_id_type"
  | "country"
  | "region"
  | "city"
  | "device"
  | "browser"
  | "os"
>;

/** A session's share of one batch, merged into `sessions` by upsertSessions. */
export interface SessionDelta extends SessionAttributes {
  started_at: string;
  ended_at: string;
  entry_page: string;
  /** When the batch's first page view happened (null: no page view in this batch). */
  entry_at: string | null;
  exit_page: string;
  exit_at: string | null;
  pageviews: number;
  events: number;
  engaged_ms: number;
}

export interface IdentityRow {
  site_id: number;
  visitor_id: string;
  identifier: string;
  email: string | null;
  traits: Record<string, unknown> | null;
  seen_at: string;
}

export interface ClickRow {
  ts: string;
  event_id: string;
  site_id: number;
  hostname: string;
  pathname: string;
  x: number;
  y: number;
  page_width: number;
  page_height: number;
  selector: string;
  device: string;
  kind: "click" | "move" | "scroll";
  layout: string;
  session_id: string;
  page_view: string;
  elem_x: number | null;
  elem_y: number | null;
  flags: number;
  depth: number | null;
  attention: number[] | null;
  origin: string;
}

const json = (rows: unknown[]) => JSON.stringify(rows);

/** Where a visit came from and where its visitor was: on every event, copied onto its session. */
const VISIT_COLUMNS = [
  "referrer_host",
  "source",
  "medium",
  "campaign",
  "content",
  "term",
  "channel",
  "click_id_type",
  "country",
  "region",
  "city",
] as const;

const EVENT_COLUMNS = [
  ...["ts", "event_id", "site_id", "visitor_id", "session_id", "type", "name"] as const,
  ...["hostname", "pathname", "title", "referrer"] as const,
  ...VISIT_COLUMNS,
  ...["lat", "lon", "browser", "browser_version", "os", "os_version", "device"] as const,
  ...["screen", "language", "timezone", "scroll_depth", "engaged_ms", "props"] as const,
] as const satisfies readonly (keyof QueuedEvent)[];

const SESSION_COLUMNS = [
  ...["started_at", "session_id", "site_id", "visitor_id", "ended_at"] as const,
  ...[
    "entry_page",
    "entry_at",
    "exit_page",
    "exit_at",
    "pageviews",
    "events",
    "engaged_ms",
  ] as const,
  ...VISIT_COLUMNS,
  ...["device", "browser", "os"] as const,
] as const satisfies readonly (keyof SessionDelta)[];

/** Our own constant column names as SQL (sql(names) would mean rows right after an insert). */
const columnList = (sql: Sql, columns: readonly string[]) => sql.unsafe(columns.join(", "));

const STAGES = { events: EVENT_COLUMNS, sessions: SESSION_COLUMNS } as const;
const stageOf = (table: keyof typeof STAGES) => `ingest_${table}_stage`;
const CREATE_STAGES = Object.entries(STAGES).map(([table, columns]) =>
  `create temp table if not exists ${stageOf(table as keyof typeof STAGES)}
     on commit delete rows as select ${columns.join(", ")} from ${table} with no data`
).join(";\n");

/**
 * Makes sure this connection has the staging tables insertEvents and upsertSessions COPY into
 * (created on first use, emptied at commit), in one round trip; call it once in the
 * transaction before them when they copy.
 */
export async function prepareStaging(sql: Sql): Promise<void> {
  await sql.unsafe(CREATE_STAGES);
}

/**
 * The FROM item a batch statement reads `rows` from (wrapped: a query fragment is thenable, and
 * returning it from an async function would run it). With `copy`, they are copied into this
 * connection's staging table for `table` (see prepareStaging): PostgreSQL parses COPY text
 * several times faster than JSON. Otherwise one JSON parameter.
 */
async function batchRows<T>(
  sql: Sql,
  copy: boolean,
  table: keyof typeof STAGES,
  columns: readonly (keyof T & string)[],
  rows: readonly T[],
) {
  if (!copy) {
    return {
      from: sql`json_populate_recordset(null::${sql(table)}, ${json([...rows])}::text::json)`,
    };
  }
  await copyRows(sql, stageOf(table), columns, rows);
  return { from: sql(stageOf(table)) };
}

/** What insertEvents stored: how many rows, and which (null when it stored every row). */
export interface InsertedEvents {
  count: number;
  ids: Set<string> | null;
}

/**
 * Inserts events, skipping ones already stored, and marks their hours for the rollups; `copy`
 * as for batchRows.
 */
export async function insertEvents(
  sql: Sql,
  rows: QueuedEvent[],
  copy = false,
): Promise<InsertedEvents> {
  if (rows.length === 0) return { count: 0, ids: null };
  const { from } = await batchRows(sql, copy, "events", EVENT_COLUMNS, rows);
  // Nearly every batch is stored whole; the ids come back only when some were replays, so the
  // usual answer is one short row rather than one row per event. The rows stored mark their
  // hours for the rollups in the same statement.
  const [r] = await sql<{ count: number; ids: string[] | null }[]>`
    with inserted as (
      insert into events (${columnList(sql, EVENT_COLUMNS)})
      select ${columnList(sql, EVENT_COLUMNS)} from ${from}
      on conflict (event_id, ts) do nothing
      returning event_id, site_id, ts)
    select count(*)::int as count,
      case when count(*) < ${rows.length} then array_agg(event_id::text) end as ids,
      rollup_mark('events', array_agg(site_id), array_agg(ts)) as marked
    from inserted`;
  return { count: r.count, ids: r.count === rows.length ? null : new Set(r.ids ?? []) };
}

/**
 * Adds batch deltas to their sessions (creating them on first sight), marking their hours for
 * the rollups; `copy` as for batchRows.
 */
export async function upsertSessions(sql: Sql, rows: SessionDelta[], copy = false): Promise<void> {
  if (rows.length === 0) return;
  const { from } = await batchRows(sql, copy, "sessions", SESSION_COLUMNS, rows);
  await sql`
    with changed as (
    insert into sessions as s (${columnList(sql, SESSION_COLUMNS)})
    select ${columnList(sql, SESSION_COLUMNS)} from ${from}
    on conflict (session_id, started_at) do update set
      ended_at = greatest(s.ended_at, excluded.ended_at),
      entry_page = case when excluded.entry_at < s.entry_at or s.entry_at is null
                        then coalesce(nullif(excluded.entry_page, ''), s.entry_page)
                        else s.entry_page end,
      entry_at = least(s.entry_at, excluded.entry_at),
      exit_page = case when excluded.exit_at >= s.exit_at or s.exit_at is null
                       then coalesce(nullif(excluded.exit_page, ''), s.exit_page)
                       else s.exit_page end,
      exit_at = greatest(s.exit_at, excluded.exit_at),
      pageviews = s.pageviews + excluded.pageviews,
      events = s.events + excluded.events,
      engaged_ms = s.engaged_ms + excluded.engaged_ms
    returning s.site_id, s.started_at)
    select rollup_mark('sessions', array_agg(site_id), array_agg(started_at)) from changed`;
}

/** Links visitors to the emails / user ids they identified as; traits are merged. */
export async function upsertIdentities(sql: Sql, rows: IdentityRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into identities as i (
      site_id, visitor_id, identifier, email, origin, traits, first_seen_at, last_seen_at)
    select r.site_id, r.visitor_id, r.identifier, r.email, 'identify', r.traits, r.seen_at,
           r.seen_at
    from json_to_recordset(${json(rows)}::text::json) as r(
      site_id bigint, visitor_id text, identifier text, email text, traits jsonb,
      seen_at timestamptz)
    on conflict (site_id, visitor_id, identifier) do update set
      email = coalesce(excluded.email, i.email),
      traits = case when excluded.traits is null then i.traits
                    else coalesce(i.traits, '{}'::jsonb) || excluded.traits end,
      first_seen_at = least(i.first_seen_at, excluded.first_seen_at),
      last_seen_at = greatest(i.last_seen_at, excluded.last_seen_at)`;
}

/**
 * Stores heatmap rows; returns those actually inserted (a replay returns none), each with its
 * local day in the zone its site's rollups are kept in. The zone rows are held FOR SHARE until
 * the transaction ends, so a rebuild in another zone waits for this write and sees its rows.
 */
export async function insertClicks(sql: Sql, rows: ClickRow[]): Promise<InsertedClick[]> {
  if (rows.length === 0) return [];
  const sites = [...new Set(rows.map((r) => r.site_id))].sort((a, b) => a - b);
  await sql`
    select site_id from heatmap_rollup_zones where site_id = any(${sites}::int8[])
    order by site_id for share`;
  return await sql<InsertedClick[]>`
    insert into heatmap_clicks (
      ts, event_id, site_id, hostname, pathname, x, y, page_width, page_height, selector, device,
      kind, layout, session_id, page_view, elem_x, elem_y, flags, depth, attention, origin)
    select ts, event_id, site_id, hostname, pathname, x, y, page_width, page_height, selector,
           device, kind, layout, session_id, page_view, elem_x, elem_y, flags, depth, attention,
           origin
    from json_populate_recordset(null::heatmap_clicks, ${json(rows)}::text::json)
    on conflict (event_id, ts) do nothing
    returning site_id, pathname, layout, kind, x, y, page_width, page_height, flags, selector,
      elem_x, elem_y, depth, attention, page_view,
      coalesce(session_id, '00000000-0000-0000-0000-000000000000') as session_id,
      (ts at time zone (select z.timezone from heatmap_rollup_zones z
        where z.site_id = heatmap_clicks.site_id))::date::text as day`;
}

/** A heatmap row the writer has just stored, as the rollups need it. */
export interface InsertedClick {
  site_id: number;
  pathname: string;
  layout: Layout;
  kind: "click" | "move" | "scroll";
  x: number;
  y: number;
  page_width: number;
  page_height: number;
  flags: number;
  selector: string;
  elem_x: number | null;
  elem_y: number | null;
  depth: number | null;
  attention: number[] | null;
  page_view: string;
  session_id: string;
  /** Local day in the site's rollup zone; null when the site has no zone row (gone). */
  day: string | null;
}

/** Groups rows by key, folding each into its accumulator (created by `make` on first sight). */
class Fold<T> {
  readonly rows = new Map<string, T>();
  add(key: unknown[], make: () => T, fold: (acc: T) => void): void {
    const k = key.join("\u0000");
    let acc = this.rows.get(k);
    if (!acc) this.rows.set(k, acc = make());
    fold(acc);
  }
  /** Sorted by key: two writers upserting the same rows lock them in one order (no deadlock). */
  sorted(): T[] {
    return [...this.rows.entries()].sort((a, b) => a[0] < b[0] ? -1 : 1).map(([, v]) => v);
  }
}

/**
 * Folds freshly stored rows into the heatmap rollups (migration 0180): grid rows, totals, page
 * view depths, attention and elements. heatmap_rollup_build does the same from raw rows.
 */
export async function addHeatmapRollups(sql: Sql, rows: InsertedClick[]): Promise<void> {
  type Key = { site_id: number; pathname: string; layout: Layout; day: string };
  const grid = new Fold<Key & { kind: string; flags: number; row: number; counts: number[] }>();
  const totals = new Fold<
    Key & { kind: string; flags: number; count: number; max_height: number }
  >();
  const views = new Fold<Key & { session_id: string; page_view: string; depth: number }>();
  const elements = new Fold<
    Key & {
      selector: string;
      flags: number;
      clicks: number;
      x0: number;
      y0: number;
      x1: number;
      y1: number;
    }
  >();
  const zeros = () => Array.from({ length: GRID_COLUMNS }, () => 0);
  for (const r of rows) {
    if (r.day === null) continue;
    const key: Key = { site_id: r.site_id, pathname: r.pathname, layout: r.layout, day: r.day };
    const base = [r.site_id, r.pathname, r.layout, r.day];
    // Scroll records only say how tall the page was, how deep and what was in view.
    const flags = r.kind === "click" ? r.flags : 0;
    const height = r.page_height * LAYOUT_WIDTHS[r.layout] / Math.max(r.page_width, 1);
    totals.add(
      [...base, r.kind, flags],
      () => ({ ...key, kind: r.kind, flags, count: 0, max_height: 0 }),
      (t) => {
        t.count++;
        t.max_height = Math.max(t.max_height, height);
      },
    );
    if (r.kind === "scroll") {
      views.add(
        [...base, r.session_id, r.page_view],
        () => ({ ...key, session_id: r.session_id, page_view: r.page_view, depth: 0 }),
        (v) => {
          v.depth = Math.max(v.depth, r.depth ?? 0);
        },
      );
      const seconds = (r.attention ?? []).slice(0, GRID_COLUMNS);
      if (seconds.length === 0) continue;
      grid.add(
        [...base, "attention", 0, 0],
        () => ({ ...key, kind: "attention", flags: 0, row: 0, counts: zeros() }),
        (g) => {
          seconds.forEach((s, i) => g.counts[i] += s ?? 0);
        },
      );
      continue;
    }
    const { col, row } = cellOf(r.x, r.y, r.page_width, r.layout);
    grid.add(
      [...base, r.kind, flags, row],
      () => ({ ...key, kind: r.kind, flags, row, counts: zeros() }),
      (g) => {
        g.counts[col]++;
      },
    );
    if (r.kind !== "click") continue;
    const sx = screenX(r.x, r.page_width, r.layout);
    const box = { x0: sx - (r.elem_x ?? 0), y0: r.y - (r.elem_y ?? 0), x1: sx, y1: r.y };
    elements.add(
      [...base, r.selector, flags],
      () => ({ ...key, selector: r.selector, flags, clicks: 0, ...box }),
      (e) => {
        e.clicks++;
        e.x0 = Math.min(e.x0, box.x0);
        e.y0 = Math.min(e.y0, box.y0);
        e.x1 = Math.max(e.x1, box.x1);
        e.y1 = Math.max(e.y1, box.y1);
      },
    );
  }
  if (grid.rows.size) {
    await sql`
      insert into heatmap_grid as g
      select * from json_populate_recordset(null::heatmap_grid, ${json(grid.sorted())}::text::json)
      on conflict (site_id, pathname, layout, kind, day, flags, row) do update set
        counts = heatmap_vec_add(g.counts, excluded.counts)`;
  }
  if (totals.rows.size) {
    await sql`
      insert into heatmap_totals as t
      select * from json_populate_recordset(null::heatmap_totals, ${
      json(totals.sorted())
    }::text::json)
      on conflict (site_id, pathname, layout, day, kind, flags) do update set
        count = t.count + excluded.count, max_height = greatest(t.max_height, excluded.max_height)`;
  }
  if (views.rows.size) {
    await sql`
      insert into heatmap_views as v
      select * from json_populate_recordset(null::heatmap_views, ${
      json(views.sorted())
    }::text::json)
      on conflict (site_id, pathname, layout, day, session_id, page_view) do update set
        depth = greatest(v.depth, excluded.depth)`;
  }
  if (elements.rows.size) {
    await sql`
      insert into heatmap_elements as e
      select * from json_populate_recordset(
        null::heatmap_elements, ${json(elements.sorted())}::text::json)
      on conflict (site_id, pathname, layout, day, selector, flags) do update set
        clicks = e.clicks + excluded.clicks, x0 = least(e.x0, excluded.x0),
        y0 = least(e.y0, excluded.y0), x1 = greatest(e.x1, excluded.x1),
        y1 = greatest(e.y1, excluded.y1)`;
  }
}

/** Adds to the per-site, per-day counts of dropped events. */
export async function addDrops(
  sql: Sql,
  rows: Array<{ site_id: number; day: string; reason: string; count: number }>,
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into ingest_drops as d (site_id, day, reason, count)
    select site_id, day, reason, count
    from json_populate_recordset(null::ingest_drops, ${json(rows)}::text::json)
    on conflict (site_id, day, reason) do update set count = d.count + excluded.count`;
}

/** Records a site's first accepted event (the install page waits for it). */
export async function markFirstEvent(sql: Sql, siteId: number, at: Date): Promise<void> {
  await sql`update sites set first_event_at = ${at} where id = ${siteId} and first_event_at is null`;
}

/** Dropped-event counts of a site since a day, by reason. */
export function dropCounts(
  sql: Sql,
  siteId: number,
  sinceDay: string,
): Promise<Array<{ reason: string; count: number }>> {
  return sql<{ reason: string; count: number }[]>`
    select reason, sum(count)::int8 as count from ingest_drops
    where site_id = ${siteId} and day >= ${sinceDay}
    group by reason order by reason`;
}

/** Keeps a batch the database refused, as raw JSON bytes, with the reason. */
export async function insertReject(sql: Sql, error: string, payload: unknown): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  await sql`insert into ingest_rejects (error, payload) values (${error.slice(0, 1000)}, ${bytes})`;
}
