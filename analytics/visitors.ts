/**
 * One visitor's journey for the visitor page: their visits, newest first, and one visit's
 * pages and events in order (the drop-off list links to the visit they entered a funnel in).
 */
import type { Sql } from "../db/connect.ts";
import { Invalid } from "../lib/errors.ts";

export interface VisitSummary {
  session_id: string;
  started_at: Date;
  ended_at: Date;
  source: string;
  channel: string;
  device: string;
  country: string;
  pageviews: number;
}

export interface JourneyHit {
  ts: Date;
  type: string;
  name: string;
  pathname: string;
}

export interface VisitorPage {
  visitor_id: string;
  visits: VisitSummary[];
  /** The visit shown step by step (the one asked for, else the latest), or null. */
  shown: VisitSummary | null;
  hits: JourneyHit[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Printable text only: ids come from the tracker, and a NUL cannot reach PostgreSQL. */
function printable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return s.isWellFormed();
}

/** A visitor id from a URL, or a 400 saying what is wrong with it. */
export function checkVisitorId(raw: string): string {
  if (raw.length === 0 || raw.length > 200 || !printable(raw)) {
    throw new Invalid("visitorId", "That visitor id is not valid.");
  }
  return raw;
}

/** The visitor's latest visits (at most `limit`) and one visit's hits. */
export async function visitorPage(
  sql: Sql,
  siteId: number,
  visitorId: string,
  opts: { session?: string; limit?: number } = {},
): Promise<VisitorPage> {
  if (opts.session !== undefined && !UUID.test(opts.session)) {
    throw new Invalid("session", "That visit id is not valid.");
  }
  const visits = await sql<VisitSummary[]>`
    select session_id::text as session_id, started_at, ended_at, source, channel, device,
           country, pageviews
    from sessions where site_id = ${siteId} and visitor_id = ${visitorId}
    order by started_at desc limit ${opts.limit ?? 50}`;
  let shown = opts.session ? visits.find((v) => v.session_id === opts.session) ?? null : null;
  if (opts.session && !shown) {
    // Older than the visits listed: still the visitor's, or nothing.
    [shown] = await sql<VisitSummary[]>`
      select session_id::text as session_id, started_at, ended_at, source, channel, device,
             country, pageviews
      from sessions where site_id = ${siteId} and visitor_id = ${visitorId}
        and session_id = ${opts.session}::uuid`;
    shown ??= null;
  }
  shown ??= visits[0] ?? null;
  const hits = shown
    ? await sql<JourneyHit[]>`
      select ts, type, name, pathname from events
      where site_id = ${siteId} and visitor_id = ${visitorId}
        and session_id = ${shown.session_id}::uuid
        and ts >= ${shown.started_at} and ts < ${shown.started_at}::timestamptz + interval '1 day'
        and type in ('pageview', 'event', 'outbound', 'download', 'revenue')
      order by ts limit 300`
    : [];
  return { visitor_id: visitorId, visits, shown, hits };
}
