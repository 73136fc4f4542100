/**
 * The hourly counts detectors judge, read from the rollups (never raw events): visitors,
 * pageviews and all events from `visitors_hourly`, purchases and revenue from `revenue_hourly`.
 */
import type { Sql } from "../db/connect.ts";

/** Metrics a built-in detector watches, per UTC hour. */
export type HourlyMetric = "visitors" | "pageviews" | "events" | "purchases" | "revenue";

export const HOUR_MS = 3_600_000;
export const WEEK_MS = 7 * 24 * HOUR_MS;
/** Weeks of history the baseline looks back over. */
export const BASELINE_WEEKS = 8;

/** One site's hourly counts over the baseline span; hours without rows are zero. */
export class HourlySeries {
  /** The first hour with any data: weeks before it are unknown, not zero. */
  readonly first: number;

  constructor(private readonly rows: Map<number, Record<HourlyMetric, number>>) {
    this.first = rows.size ? Math.min(...rows.keys()) : Infinity;
  }

  /** The metric in the hour starting at `hour` (ms, on the hour). */
  at(hour: number, metric: HourlyMetric): number {
    return this.rows.get(hour)?.[metric] ?? 0;
  }

  /** The metric summed over [from, to) (hour starts). */
  sum(from: number, to: number, metric: HourlyMetric): number {
    let total = 0;
    for (let h = from; h < to; h += HOUR_MS) total += this.at(h, metric);
    return total;
  }

  /** The same span `k` weeks earlier, for k = 1…BASELINE_WEEKS, while within the history. */
  pastWeeks(from: number, to: number, metric: HourlyMetric): number[] {
    const out: number[] = [];
    for (let k = 1; k <= BASELINE_WEEKS; k++) {
      const f = from - k * WEEK_MS;
      if (f < this.first) break;
      out.push(this.sum(f, to - k * WEEK_MS, metric));
    }
    return out;
  }
}

/** The start of the hour holding `t`. */
export function hourOf(t: number): number {
  return Math.floor(t / HOUR_MS) * HOUR_MS;
}

/** Loads a site's hourly counts from BASELINE_WEEKS before `now` up to now. */
export async function loadSeries(sql: Sql, siteId: number, now: Date): Promise<HourlySeries> {
  const from = new Date(hourOf(now.getTime()) - BASELINE_WEEKS * WEEK_MS);
  const traffic = await sql<
    { bucket: Date; visitors: number; pageviews: number; events: number }[]
  >`
    select bucket, count(*)::int as visitors, sum(pageviews)::int as pageviews,
           sum(events)::int as events
    from visitors_hourly
    where site_id = ${siteId} and bucket >= ${from} and bucket <= ${now}
    group by bucket`;
  const revenue = await sql<{ bucket: Date; purchases: number; revenue: number }[]>`
    select bucket,
           coalesce(sum(purchases) filter (where kind <> 'refund'), 0)::int as purchases,
           coalesce(sum(amount_site_minor), 0)::float8 as revenue
    from revenue_hourly
    where site_id = ${siteId} and bucket >= ${from} and bucket <= ${now}
    group by bucket`;
  const rows = new Map<number, Record<HourlyMetric, number>>();
  const row = (t: Date) => {
    const key = t.getTime();
    let r = rows.get(key);
    if (!r) rows.set(key, r = { visitors: 0, pageviews: 0, events: 0, purchases: 0, revenue: 0 });
    return r;
  };
  for (const t of traffic) {
    Object.assign(row(t.bucket), {
      visitors: t.visitors,
      pageviews: t.pageviews,
      events: t.events,
    });
  }
  for (const r of revenue) {
    Object.assign(row(r.bucket), { purchases: r.purchases, revenue: r.revenue });
  }
  return new HourlySeries(rows);
}
