/**
 * The "all sites" overview: visitors, pageviews and revenue per site of an org. Each number comes
 * from the stats query the dashboard and the API use, over the same period in each site's time
 * zone, so a site card never disagrees with that site's dashboard.
 */
import type { Sql } from "../db/connect.ts";
import type { Site } from "./sites.ts";
import { checkQuery } from "../analytics/query.ts";
import { canonicalPeriod, type PeriodName, resolvePeriod } from "../analytics/period.ts";
import { queryPeriod, timeseries, totalsFor } from "../analytics/stats.ts";

/** The periods the sites list offers, in the order shown. */
export const OVERVIEW_PERIODS = ["today", "7d", "30d", "90d"] as const satisfies PeriodName[];
export type OverviewPeriod = (typeof OVERVIEW_PERIODS)[number];

/** The overview period a `period` parameter names; anything else means the last 7 days. */
export function overviewPeriod(value: string | undefined): OverviewPeriod {
  const name = canonicalPeriod(value ?? "");
  return (OVERVIEW_PERIODS as readonly string[]).includes(name) ? name as OverviewPeriod : "7d";
}

/** "Last 7 days": the label the dashboard gives the same period. */
export function overviewLabel(period: OverviewPeriod): string {
  return resolvePeriod({ period }, "UTC").label;
}

export interface SiteSummary {
  site: Site;
  visitors: number;
  pageviews: number;
  /** Net revenue in the site's currency, minor units (refunds subtract). */
  revenueMinor: number;
  purchases: number;
  /** Unique visitors per chart bucket (hours for today, days otherwise), oldest first. */
  series: number[];
}

export interface OverviewTotals {
  visitors: number;
  pageviews: number;
  /** Revenue per currency, largest first: sites in different currencies are not added up. */
  revenue: Array<{ currency: string; minor: number }>;
}

async function summarize(
  sql: Sql,
  site: Site,
  period: OverviewPeriod,
  now: Date,
): Promise<SiteSummary> {
  const q = checkQuery({ period });
  const range = queryPeriod(site, q, now);
  const [totals, series] = await Promise.all([
    totalsFor(sql, site, range.timezone, range, [], { now }),
    timeseries(sql, site, { ...q, dimension: "time", metrics: ["visitors"] }, { now }),
  ]);
  return {
    site,
    visitors: totals.visitors ?? 0,
    pageviews: totals.pageviews ?? 0,
    revenueMinor: totals.revenue ?? 0,
    purchases: totals.orders ?? 0,
    series: series.points.map((p) => p.values.visitors ?? 0),
  };
}

/** Summaries of the given sites over the period, plus totals. */
export async function sitesOverview(
  sql: Sql,
  sites: Site[],
  period: OverviewPeriod,
  now = new Date(),
): Promise<{ summaries: SiteSummary[]; totals: OverviewTotals }> {
  const summaries: SiteSummary[] = [];
  // One site at a time: an org with many sites must not take every pooled connection at once.
  for (const site of sites) summaries.push(await summarize(sql, site, period, now));
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
