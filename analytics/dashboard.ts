/**
 * Everything one dashboard view shows — cards with their change, the chart's series, the first
 * rows of each panel, annotations — loaded in parallel from stats.ts. The page renders it on the
 * server and the Dashboard island fetches the same shape when the view changes.
 */
import type { Sql } from "../db/connect.ts";
import { Invalid } from "../lib/errors.ts";
import type { Dimension, Filter, Metric } from "./dimensions.ts";
import { metricsFor } from "./dimensions.ts";
import { GRANULARITIES, type Granularity } from "./period.ts";
import { checkQuery, parseStatsParams, type StatsQuery } from "./query.ts";
import { aggregate, breakdown, queryPeriod, type StatsSite, timeseries } from "./stats.ts";
import { listAnnotations } from "./annotations.ts";
import { goalStats } from "./goals.ts";
import { getFunnel } from "./funnels.ts";
import { rollupsBehind } from "../db/rollups.ts";
import {
  CARD_METRICS,
  type DashboardData,
  PANEL_IDS,
  type PanelData,
  type PanelId,
  PANELS,
} from "./view.ts";

export interface DashboardSiteRow extends StatsSite {
  name: string;
  domain: string;
}

/** Panel tabs chosen in the URL (`acq=source`), defaults otherwise. */
export function readTabs(params: URLSearchParams): Record<PanelId, Dimension> {
  const out = {} as Record<PanelId, Dimension>;
  for (const id of PANEL_IDS) {
    const tabs = PANELS[id].tabs as readonly string[];
    const asked = params.get(id);
    out[id] = (asked && tabs.includes(asked) ? asked : tabs[0]) as Dimension;
  }
  return out;
}

/** The view state of a URL, validated (bad filters or periods throw Invalid). */
export function readView(
  params: URLSearchParams,
): { query: StatsQuery; view: DashboardData["view"] } {
  const query = parseStatsParams(params);
  const interval = params.get("interval") ?? undefined;
  if (interval && !(GRANULARITIES as readonly string[]).includes(interval)) {
    throw new Invalid("interval", "interval must be hour, day, week or month.");
  }
  const metric = params.get("metric") ?? "visitors";
  if (!CARD_METRICS.includes(metric as Metric)) {
    throw new Invalid("metric", `The chart can show: ${CARD_METRICS.join(", ")}.`);
  }
  const view = {
    period: query.period,
    from: query.from,
    to: query.to,
    filters: query.filters as Filter[],
    funnel: query.funnel,
    droppedAt: query.dropped_at,
    interval,
    metric,
    tabs: readTabs(params),
  };
  return { query: { ...query, dimension: undefined, sort: undefined }, view };
}

/** One panel's rows (`limit` per page, sorted as asked). */
export async function loadPanel(
  sql: Sql,
  site: StatsSite,
  base: StatsQuery,
  dimension: Dimension,
  opts: { sort?: StatsQuery["sort"]; page?: number; limit?: number; now?: Date } = {},
): Promise<PanelData> {
  // Every metric, the pages' scroll and engaged time included: whole unfiltered days read them
  // from the daily rollup; under filters they are read raw for the rows shown, as other panels.
  const metrics = metricsFor(dimension);
  const q = checkQuery({
    ...base,
    dimension,
    metrics,
    sort: opts.sort,
    page: opts.page ?? 1,
    limit: opts.limit ?? 10,
  });
  const result = await breakdown(sql, site, q, { now: opts.now });
  return {
    dimension,
    metrics,
    sort: q.sort ?? { metric: metrics[0], direction: "desc" },
    rows: result.rows,
    totalRows: result.totalRows,
    page: result.page,
    limit: result.limit,
  };
}

function change(metric: Metric, cur: number | null, prev: number | null): number | null {
  if (cur === null || prev === null) return null;
  if (metric === "bounce_rate" || metric === "conversion_rate") {
    return Math.round((cur - prev) * 10) / 10;
  }
  if (prev === 0) return null;
  return Math.round(((cur - prev) / prev) * 1000) / 10;
}

/** Loads the whole overview for one view of one site. */
export async function loadDashboard(
  sql: Sql,
  site: DashboardSiteRow,
  params: URLSearchParams,
  opts: { now?: Date } = {},
): Promise<DashboardData> {
  const { query, view } = readView(params);
  const now = opts.now;
  const interval = view.interval as Granularity | undefined;
  const period = queryPeriod(site, query, now);
  // Asked first: a refresh landing while the cards load can then only make them newer than
  // the note says, never leave a stale count without it.
  const updating = await rollupsBehind(sql, site.id);
  const [agg, series, flags, list, goals, funnel, ...panels] = await Promise.all([
    aggregate(sql, site, { ...query, metrics: CARD_METRICS }, { now }),
    timeseries(
      sql,
      site,
      { ...query, dimension: interval ? `time:${interval}` : "time", metrics: CARD_METRICS },
      { now },
    ),
    sql<{ has_data: boolean; has_revenue: boolean }[]>`
      select exists (select 1 from events where site_id = ${site.id}) as has_data,
             exists (select 1 from purchases where site_id = ${site.id}) as has_revenue`,
    listAnnotations(sql, site.id, period.firstDay, period.lastDay),
    goalStats(sql, site, query, { now }),
    query.funnel ? getFunnel(sql, site.id, query.funnel) : Promise.resolve(null),
    ...PANEL_IDS.map((id) => loadPanel(sql, site, query, view.tabs[id], { now })),
  ]);
  const cards = CARD_METRICS.map((m) => {
    const value = agg.totals[m] ?? null;
    const previous = agg.previous?.[m] ?? null;
    return { metric: m, value, previous, change: change(m, value, previous) };
  });
  const values: DashboardData["series"]["values"] = {};
  for (const m of CARD_METRICS) values[m] = series.points.map((p) => p.values[m] ?? null);
  return {
    site: {
      id: site.id,
      name: site.name,
      domain: site.domain,
      currency: site.currency,
      timezone: agg.period.timezone,
    },
    view,
    period: {
      label: agg.period.label,
      firstDay: agg.period.firstDay,
      lastDay: agg.period.lastDay,
      comparable: agg.previous !== null,
    },
    granularity: series.granularity,
    cards,
    series: { buckets: series.points.map((p) => p.bucket), values, partial: series.partial },
    panels: Object.fromEntries(PANEL_IDS.map((id, i) => [id, panels[i]])) as Record<
      PanelId,
      PanelData
    >,
    goals,
    dropoff: funnel && query.dropped_at
      ? { funnel: funnel.id, name: funnel.name, step: query.dropped_at }
      : null,
    annotations: list,
    hasData: flags[0].has_data,
    hasRevenue: flags[0].has_revenue,
    updating,
  };
}
