/** The SQL that gathers matching evidence: visitors, identities, journeys, nearby sessions. */
import type { Sql } from "../db/connect.ts";
import { type JourneyTouch, SESSION_ATTRIBUTES, type SessionAttributes } from "./purchases.ts";

/** Whether Sextant has seen this visitor on the site (a session, or an identify call). */
export async function visitorExists(sql: Sql, siteId: number, visitorId: string): Promise<boolean> {
  const [row] = await sql`
    select exists (select 1 from sessions where site_id = ${siteId} and visitor_id = ${visitorId})
        or exists (select 1 from identities where site_id = ${siteId} and visitor_id = ${visitorId})
      as seen`;
  return Boolean(row?.seen);
}

/** Emails a visitor has been identified with, most recently seen first. */
export async function emailsOfVisitor(
  sql: Sql,
  siteId: number,
  visitorId: string,
): Promise<string[]> {
  const rows = await sql<{ email: string }[]>`
    select email from identities
    where site_id = ${siteId} and visitor_id = ${visitorId} and email is not null and email <> ''
    group by email order by max(last_seen_at) desc limit 10`;
  return rows.map((r) => r.email);
}

/**
 * Visitors identified with one of `emails`, the one with the latest session before `before`
 * first (several devices of one customer).
 */
export async function visitorsOfEmails(
  sql: Sql,
  siteId: number,
  emails: string[],
  before: Date,
): Promise<string[]> {
  if (emails.length === 0) return [];
  const rows = await sql<{ visitor_id: string }[]>`
    select i.visitor_id,
      (select max(s.started_at) from sessions s
        where s.site_id = ${siteId} and s.visitor_id = i.visitor_id and s.started_at <= ${before})
        as last_session,
      max(i.last_seen_at) as seen
    from identities i
    where i.site_id = ${siteId} and i.email in ${sql(emails)}
    group by i.visitor_id
    order by last_session desc nulls last, seen desc
    limit 50`;
  return rows.map((r) => r.visitor_id);
}

/** At most this many sessions are kept per journey: the first, and the most recent others. */
export const JOURNEY_LIMIT = 200;

/** The sessions of `visitors` that started within `windowDays` before `ts`, oldest first. */
export async function loadJourney(
  sql: Sql,
  siteId: number,
  visitors: string[],
  ts: Date,
  windowDays: number,
): Promise<JourneyTouch[]> {
  if (visitors.length === 0) return [];
  const from = new Date(ts.getTime() - windowDays * 86_400_000);
  const rows = await sql<
    (SessionAttributes & { session_id: string; started_at: Date; visitor_id: string })[]
  >`
    select session_id, started_at, visitor_id, ${sql(SESSION_ATTRIBUTES as unknown as string[])}
    from sessions
    where site_id = ${siteId} and visitor_id in ${sql(visitors)}
      and started_at > ${from} and started_at <= ${ts}
    order by started_at, session_id`;
  const picked = rows.length > JOURNEY_LIMIT
    ? [rows[0], ...rows.slice(rows.length - JOURNEY_LIMIT + 1)]
    : rows;
  return picked.map((r) => ({ ...r, started_at: r.started_at.toISOString() }));
}

/** How far around a purchase we look for the buyer's device when nothing else links them. */
export const PROXIMITY_BEFORE_MS = 30 * 60_000;
export const PROXIMITY_AFTER_MS = 5 * 60_000;
const CHECKOUT_PATH = "(checkout|thank|success|order|purchase|confirm|paid|receipt)";

/**
 * Visitors active on the site just before and around `ts` (in `country` when known), and
 * whether each reached a checkout-like page.
 */
export async function nearbyVisitors(
  sql: Sql,
  siteId: number,
  ts: Date,
  country: string,
): Promise<{ visitorId: string; checkout: boolean }[]> {
  const from = new Date(ts.getTime() - PROXIMITY_BEFORE_MS);
  const to = new Date(ts.getTime() + PROXIMITY_AFTER_MS);
  const rows = await sql<{ visitor_id: string; checkout: boolean }[]>`
    select visitor_id, bool_or(pathname ~* ${CHECKOUT_PATH}) as checkout
    from events
    where site_id = ${siteId} and ts >= ${from} and ts <= ${to}
      and (${country} = '' or country = ${country})
    group by visitor_id
    limit 50`;
  return rows.map((r) => ({ visitorId: r.visitor_id, checkout: r.checkout }));
}

/** Links a visitor to an email (a buyer's checkout does what an identify() call does). */
export async function linkIdentity(
  sql: Sql,
  siteId: number,
  visitorId: string,
  email: string,
  at: Date,
  origin: "purchase" | "identify" = "purchase",
): Promise<void> {
  await sql`
    insert into identities (site_id, visitor_id, identifier, email, origin, first_seen_at,
      last_seen_at)
    values (${siteId}, ${visitorId}, ${email}, ${email}, ${origin}, ${at}, ${at})
    on conflict (site_id, visitor_id, identifier) do update
      set last_seen_at = greatest(identities.last_seen_at, excluded.last_seen_at),
          email = coalesce(identities.email, excluded.email)`;
}

/** Where a visitor was last seen, for the live purchase feed. */
export async function lastPosition(
  sql: Sql,
  siteId: number,
  visitorId: string,
  before: Date,
): Promise<{ lat: number | null; lon: number | null; country: string; city: string } | null> {
  const since = new Date(before.getTime() - 90 * 86_400_000);
  const [row] = await sql<
    { lat: number | null; lon: number | null; country: string; city: string }[]
  >`
    select lat, lon, country, city from events
    where site_id = ${siteId} and visitor_id = ${visitorId} and ts > ${since}
      and ts <= ${new Date(before.getTime() + PROXIMITY_AFTER_MS)}
    order by ts desc limit 1`;
  return row ?? null;
}
