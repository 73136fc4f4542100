/** SQL behind the live view: who is active, their sessions, recent purchases, one journey. */
import type { Sql, TransactionSql } from "../db/connect.ts";
import type { VisitorTraits } from "./live_state.ts";
import type { LivePurchase } from "./messages.ts";

type Q = Sql | TransactionSql;

export interface ActiveVisitorRow extends VisitorTraits {
  visitor_id: string;
  session_id: string;
  ts: Date;
  hostname: string;
  pathname: string;
  title: string;
  total: number;
}

/**
 * Visitors with an event in the last `windowMs`, most recent first, each with their latest
 * event's attributes; `total` on every row is the exact number of them.
 */
export function activeVisitors(
  sql: Q,
  siteId: number,
  windowMs: number,
  limit: number,
): Promise<ActiveVisitorRow[]> {
  return sql<ActiveVisitorRow[]>`
    with latest as (
      select distinct on (visitor_id)
             visitor_id, session_id::text as session_id, ts, hostname, pathname, title, source,
             channel, country, region, city, lat, lon, device, browser, os
      from events
      where site_id = ${siteId} and ts > now() - make_interval(secs => ${windowMs / 1000})
      order by visitor_id, ts desc
    )
    select *, count(*) over ()::int as total from latest order by ts desc limit ${limit}`;
}

export interface SessionStatsRow {
  session_id: string;
  started_at: Date;
  pages: number;
  page: string | null;
  title: string | null;
  hostname: string | null;
  goals: string[];
}

/** Start, pageviews, current page and goals of these sessions (looking back one day). */
export function sessionStats(sql: Q, siteId: number, sessionIds: string[]) {
  if (sessionIds.length === 0) return Promise.resolve([] as SessionStatsRow[]);
  return sql<SessionStatsRow[]>`
    select session_id::text as session_id, min(ts) as started_at,
           (count(*) filter (where type = 'pageview'))::int as pages,
           (array_agg(pathname order by ts desc) filter (where type = 'pageview'))[1] as page,
           (array_agg(title order by ts desc) filter (where type = 'pageview'))[1] as title,
           (array_agg(hostname order by ts desc) filter (where type = 'pageview'))[1] as hostname,
           coalesce(array_agg(distinct name) filter (where type = 'event' and name <> ''),
                    '{}') as goals
    from events
    where site_id = ${siteId} and session_id = any(${sessionIds}::uuid[])
      and ts > now() - interval '1 day'
    group by session_id`;
}

/** Which of these visitors have bought something (refunds aside). */
export async function visitorsWithPurchases(
  sql: Q,
  siteId: number,
  visitorIds: string[],
): Promise<Set<string>> {
  if (visitorIds.length === 0) return new Set();
  const rows = await sql<{ visitor_id: string }[]>`
    select distinct visitor_id from purchases
    where site_id = ${siteId} and visitor_id = any(${visitorIds}::text[]) and kind <> 'refund'`;
  return new Set(rows.map((r) => r.visitor_id));
}

/** Which of these event ids are stored (the window bounds the scan). */
export async function storedEventIds(
  sql: Q,
  siteId: number,
  eventIds: string[],
  since: Date,
): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const rows = await sql<{ event_id: string }[]>`
    select event_id::text as event_id from events
    where site_id = ${siteId} and event_id = any(${eventIds}::uuid[]) and ts >= ${since}`;
  return new Set(rows.map((r) => r.event_id));
}

/** Where the buyer came from, as the feed shows it. */
type BuyerTraits = Pick<LivePurchase, "source" | "channel" | "country" | "city" | "lat" | "lon">;

export interface PurchaseRow extends BuyerTraits {
  id: string;
  ts: Date;
  kind: string;
  amount_minor: number;
  currency: string;
  amount_site_minor: number;
  product: string;
  visitor_id: string | null;
}

/**
 * The newest purchases with the source that gets the credit (last touch), or, before the
 * credits are computed, the buyer's latest known session.
 */
export function recentPurchases(sql: Q, siteId: number, limit: number): Promise<PurchaseRow[]> {
  return sql<PurchaseRow[]>`
    select p.id::text as id, p.ts, p.kind, p.amount_minor, trim(p.currency) as currency,
           p.amount_site_minor, p.product, p.visitor_id,
           coalesce(c.source, e.source, '') as source,
           coalesce(c.channel, e.channel, '') as channel,
           coalesce(nullif(c.country, ''), e.country, '') as country,
           coalesce(nullif(c.city, ''), e.city, '') as city,
           e.lat, e.lon
    from (select * from purchases where site_id = ${siteId} order by ts desc limit ${limit}) p
    left join lateral (
      select source, channel, country, city from attribution_credits ac
      where ac.purchase_id = p.id and ac.site_id = ${siteId} and ac.model = 'last_touch'
      order by abs(ac.amount_site_minor) desc, touch desc limit 1
    ) c on true
    left join lateral (
      select source, channel, country, city, lat, lon from events ev
      where p.visitor_id is not null and ev.site_id = ${siteId}
        and ev.visitor_id = p.visitor_id and ev.ts <= p.ts + interval '1 hour'
      order by ev.ts desc limit 1
    ) e on true
    order by p.ts desc`;
}

export interface JourneyEventRow {
  ts: Date;
  event_id: string;
  type: string;
  name: string;
  hostname: string;
  pathname: string;
  title: string;
}

/** The visitor's latest session id, if they have any event. */
export async function latestSessionOf(
  sql: Q,
  siteId: number,
  visitorId: string,
): Promise<string | null> {
  const [row] = await sql<{ session_id: string }[]>`
    select session_id::text as session_id from events
    where site_id = ${siteId} and visitor_id = ${visitorId}
    order by ts desc limit 1`;
  return row?.session_id ?? null;
}

/** A session's events in order (the last two days, at most `limit`). */
export function sessionEvents(
  sql: Q,
  siteId: number,
  visitorId: string,
  sessionId: string,
  limit: number,
): Promise<JourneyEventRow[]> {
  return sql<JourneyEventRow[]>`
    select * from (
      select ts, event_id::text as event_id, type, name, hostname, pathname, title from events
      where site_id = ${siteId} and visitor_id = ${visitorId} and session_id = ${sessionId}::uuid
        and ts > now() - interval '2 days'
      order by ts desc limit ${limit}
    ) e order by ts`;
}

export interface VisitorHistoryRow {
  first_seen: Date | null;
  sessions: number;
}

/** When the visitor was first seen and how many sessions they had. */
export async function visitorHistory(
  sql: Q,
  siteId: number,
  visitorId: string,
): Promise<VisitorHistoryRow> {
  const [row] = await sql<VisitorHistoryRow[]>`
    select min(ts) as first_seen, count(distinct session_id)::int as sessions from events
    where site_id = ${siteId} and visitor_id = ${visitorId}`;
  return row ?? { first_seen: null, sessions: 0 };
}

/** A visitor's purchases, newest first. */
export function purchasesOfVisitor(
  sql: Q,
  siteId: number,
  visitorId: string,
  limit: number,
): Promise<Omit<PurchaseRow, keyof BuyerTraits>[]> {
  return sql`
    select id::text as id, ts, kind, amount_minor, trim(currency) as currency, amount_site_minor,
           product, visitor_id
    from purchases where site_id = ${siteId} and visitor_id = ${visitorId}
    order by ts desc limit ${limit}`;
}
