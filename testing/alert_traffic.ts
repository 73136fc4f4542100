/**
 * Hourly traffic and purchases for alert tests, written as raw events and purchases (the way
 * ingest and the payment platforms store them) and then rolled up, so detectors read the rollups
 * exactly as they do live.
 */
import type { Sql } from "../db/connect.ts";
import { markRollups, refreshRollups } from "../db/rollups.ts";

/** What one hour holds; each visitor views one page. */
export interface HourSpec {
  /** Start of the hour, ms. */
  at: number;
  visitors?: number;
  /** Minutes into the hour the visitors and purchases are spread over (default 60). */
  minutes?: number;
  purchases?: number;
  /** Each purchase's amount in minor units. */
  amount?: number;
  /** Where the hour's visitors came from (default: direct). */
  source?: string;
}

/** Writes the hours' visits (a session and a pageview each) and purchases, then the rollups. */
export async function writeHours(sql: Sql, siteId: number, hours: HourSpec[]): Promise<void> {
  const at = hours.map((h) => new Date(h.at).toISOString());
  const first = new Date(Math.min(...hours.map((h) => h.at)));
  const spread = hours.map((h) => (h.minutes ?? 60) * 60);
  const sources = hours.map((h) => h.source ?? "");
  await sql`
    with v as (
      select t.at + make_interval(secs => (i - 1) * t.spread / t.n) as ts,
        'v-' || t.source || extract(epoch from t.at)::bigint || '-' || i as visitor_id,
        gen_random_uuid() as session_id, t.source,
        case when t.source = '' then 'Direct' else 'Referral' end as channel
      from unnest(${at}::timestamptz[], ${hours.map((h) => h.visitors ?? 0)}::int[],
        ${spread}::int[], ${sources}::text[]) as t(at, n, spread, source),
        generate_series(1, t.n) as i),
    e as (
      insert into events (ts, event_id, site_id, visitor_id, session_id, type, pathname, source,
        channel)
      select ts, gen_random_uuid(), ${siteId}, visitor_id, session_id, 'pageview', '/', source,
        channel
      from v)
    insert into sessions (started_at, session_id, site_id, visitor_id, ended_at, entry_page,
      exit_page, pageviews, events, source, channel)
    select ts, session_id, ${siteId}, visitor_id, ts, '/', '/', 1, 1, source, channel from v`;
  await sql`
    insert into purchases (ts, site_id, provider, provider_event_id, kind, amount_minor, currency,
      amount_site_minor)
    select t.at + make_interval(secs => (i - 1) * t.spread / t.n), ${siteId}, 'test',
      gen_random_uuid()::text, 'one_time', t.amount, 'USD', t.amount
    from unnest(${at}::timestamptz[], ${hours.map((h) => h.purchases ?? 0)}::int[],
      ${
    hours.map((h) => h.amount ?? 1000)
  }::bigint[], ${spread}::int[]) as t(at, n, amount, spread),
      generate_series(1, t.n) as i`;
  await sql`
    update sites set first_event_at = least(coalesce(first_event_at, ${first}), ${first})
    where id = ${siteId}`;
  // Written around the ingest writer and the purchase recorder, so marked here as they would.
  const changed = hours.map((h) => ({ siteId, at: new Date(h.at) }));
  await markRollups(sql, "events", changed);
  await markRollups(sql, "sessions", changed);
  await markRollups(sql, "purchases", changed);
  await refreshRollups(sql);
}
