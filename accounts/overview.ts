/** The "all sites" overview: visitors, pageviews and revenue per site of an org, from rollups. */
import type { Sql } from "../db/connect.ts";
import type { Site } from "./sites.ts";

export type OverviewPeriod = "24h" | "7d" | "30d";

export const OVERVIEW_PERIODS: Record<OverviewPeriod, { label: string; hours: number }> = {
  "24h": { label: "Last 24 hours", hours: 24 },
  "7d": { label: "Last 7 days", hours: 24 * 7 },
  "30d": { label: "Last 30 days", hours: 24 * 30 },
};

export interface SiteSummary {
  site: Site;
  visitors: number;
  pageviews: number;
  /** Net revenue in the site's currency, minor units (refunds subtract). */
  revenueMinor: number;
  purchases: number;
  /** Unique visitors per slot (hours for 24h, days otherwise), oldest first. */
  series: number[];
}

export interface OverviewTotals {
  visitors: number;
  pageviews: number;
  /** Revenue per currency, largest first: sites in different currencies are not added up. */
  revenue: Array<{ currency: string; minor: number }>;
}

/** Summaries of the given sites over the period, plus totals. */
export async function sitesOverview(
  sql: Sql,
  sites: Site[],
  period: OverviewPeriod,
  now = new Date(),
): Promise<{ summaries: SiteSummary[]; totals: OverviewTotals }> {
  const { hours } = OVERVIEW_PERIODS[period];
  const slotHours = period === "24h" ? 1 : 24;
  const slots = hours / slotHours;
  // Slots end at the current hour so the latest (partial) hour is included.
  const end = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000 + 3_600_000);
  const since = new Date(end.getTime() - hours * 3_600_000);
  const ids = sites.map((s) => s.id);
  if (ids.length === 0) {
    return { summaries: [], totals: { visitors: 0, pageviews: 0, revenue: [] } };
  }
  const [traffic, series, revenue] = await Promise.all([
    sql<{ site_id: number; visitors: number; pageviews: number }[]>`
      select site_id, count(distinct visitor_key)::int as visitors,
             coalesce(sum(pageviews), 0)::bigint as pageviews
      from visitors_hourly
      where site_id = any(${ids}::bigint[]) and bucket >= ${since} and bucket < ${end}
      group by site_id`,
    sql<{ site_id: number; slot: number; visitors: number }[]>`
      select site_id,
             floor(extract(epoch from (bucket - ${since}::timestamptz)) / ${slotHours * 3600})::int
               as slot,
             count(distinct visitor_key)::int as visitors
      from visitors_hourly
      where site_id = any(${ids}::bigint[]) and bucket >= ${since} and bucket < ${end}
      group by 1, 2`,
    sql<{ site_id: number; minor: number; purchases: number }[]>`
      select site_id, coalesce(sum(amount_site_minor), 0)::bigint as minor,
             coalesce(sum(purchases) filter (where kind <> 'refund'), 0)::bigint as purchases
      from revenue_hourly
      where site_id = any(${ids}::bigint[]) and bucket >= ${since} and bucket < ${end}
      group by site_id`,
  ]);
  const summaries = sites.map((site) => {
    const t = traffic.find((r) => r.site_id === site.id);
    const r = revenue.find((x) => x.site_id === site.id);
    const s = new Array<number>(slots).fill(0);
    for (const row of series) {
      if (row.site_id === site.id && row.slot >= 0 && row.slot < slots) s[row.slot] = row.visitors;
    }
    return {
      site,
      visitors: t?.visitors ?? 0,
      pageviews: t?.pageviews ?? 0,
      revenueMinor: r?.minor ?? 0,
      purchases: r?.purchases ?? 0,
      series: s,
    };
  });
  const byCurrency = new Map<string, number>();
  for (const s of summaries) {
    if (s.revenueMinor !== 0) {
      byCurrency.set(s.site.currency, (byCurrency.get(s.site.currency) ?? 0) + s.revenueMinor);
    }
  }
  return {
    summaries,
    totals: {
      visitors: summaries.reduce((a, s) => a + s.visitors, 0),
      pageviews: summaries.reduce((a, s) => a + s.pageviews, 0),
      revenue: [...byCurrency].map(([currency, minor]) => ({ currency, minor }))
        .sort((a, b) => b.minor - a.minor),
    },
  };
}
