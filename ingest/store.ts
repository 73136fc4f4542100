/**
 * The ingest write path's SQL. Rows travel as one JSON parameter expanded by
 * json_populate_recordset: one round trip and one short statement per batch, whatever its size.
 */
import type { Sql } from "../db/connect.ts";
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
}

const json = (rows: unknown[]) => JSON.stringify(rows);

/** What insertEvents stored: how many rows, and which (null when it stored every row). */
export interface InsertedEvents {
  count: number;
  ids: Set<string> | null;
}

/** Inserts events, skipping ones already stored. */
export async function insertEvents(sql: Sql, rows: QueuedEvent[]): Promise<InsertedEvents> {
  if (rows.length === 0) return { count: 0, ids: null };
  // Nearly every batch is stored whole; the ids come back only when some were replays, so the
  // usual answer is one short row rather than one row per event.
  const [r] = await sql<{ count: number; ids: string[] | null }[]>`
    with inserted as (
      insert into events (
        ts, event_id, site_id, visitor_id, session_id, type, name, hostname, pathname, title,
        referrer, referrer_host, source, medium, campaign, content, term, channel,
        click_id_type, country, region, city, lat, lon, browser, browser_version, os,
        os_version, device, screen, language, timezone, scroll_depth, engaged_ms, props)
      select
        ts, event_id, site_id, visitor_id, session_id, type, name, hostname, pathname, title,
        referrer, referrer_host, source, medium, campaign, content, term, channel,
        click_id_type, country, region, city, lat, lon, browser, browser_version, os,
        os_version, device, screen, language, timezone, scroll_depth, engaged_ms, props
      from json_populate_recordset(null::events, ${json(rows)}::text::json)
      on conflict (event_id, ts) do nothing
      returning event_id)
    select count(*)::int as count,
      case when count(*) < ${rows.length} then array_agg(event_id::text) end as ids
    from inserted`;
  return { count: r.count, ids: r.count === rows.length ? null : new Set(r.ids ?? []) };
}

/** Adds batch deltas to their sessions (creating them on first sight). */
export async function upsertSessions(sql: Sql, rows: SessionDelta[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into sessions as s (
      started_at, session_id, site_id, visitor_id, ended_at, entry_page, entry_at, exit_page,
      exit_at, pageviews, events, engaged_ms, referrer_host, source, medium, campaign, content,
      term, channel, click_id_type, country, region, city, device, browser, os)
    select
      started_at, session_id, site_id, visitor_id, ended_at, entry_page, entry_at, exit_page,
      exit_at, pageviews, events, engaged_ms, referrer_host, source, medium, campaign, content,
      term, channel, click_id_type, country, region, city, device, browser, os
    from json_populate_recordset(null::sessions, ${json(rows)}::text::json)
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
      engaged_ms = s.engaged_ms + excluded.engaged_ms`;
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

/** Stores heatmap clicks, skipping ones already stored. */
export async function insertClicks(sql: Sql, rows: ClickRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into heatmap_clicks (
      ts, event_id, site_id, hostname, pathname, x, y, page_width, page_height, selector, device)
    select ts, event_id, site_id, hostname, pathname, x, y, page_width, page_height, selector,
           device
    from json_populate_recordset(null::heatmap_clicks, ${json(rows)}::text::json)
    on conflict (event_id, ts) do nothing`;
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
