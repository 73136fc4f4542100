/**
 * What the dashboard can break numbers down by and measure. Each dimension says where its value
 * lives: on every visit (and copied onto each event), only on the visit (entry and exit page),
 * or on events (page path, goal name). That decides which rollup answers it and how a filter on
 * it narrows the other numbers.
 */

export const DIMENSIONS = [
  "channel",
  "source",
  "medium",
  "campaign",
  "content",
  "term",
  "page",
  "entry_page",
  "exit_page",
  "country",
  "region",
  "city",
  "device",
  "browser",
  "os",
  "goal",
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * visit: column on sessions, events and attribution credits alike; visit_only: on sessions
 * (and credits for the entry page); page: the path of pageview events; goal: custom event names.
 */
export type DimensionScope = "visit" | "visit_only" | "page" | "goal";

export interface DimensionInfo {
  label: string;
  /** Column name in sessions / sessions_hourly (visit dimensions) or events. */
  column: string;
  scope: DimensionScope;
  /** Whether attribution credits carry it, so revenue can be broken down by it. */
  revenue: boolean;
  /** How an empty value reads. */
  empty: string;
}

export const DIMENSION_INFO: Record<Dimension, DimensionInfo> = {
  channel: { label: "Channel", column: "channel", scope: "visit", revenue: true, empty: "Direct" },
  source: {
    label: "Source",
    column: "source",
    scope: "visit",
    revenue: true,
    empty: "Direct / none",
  },
  medium: { label: "Medium", column: "medium", scope: "visit", revenue: true, empty: "(none)" },
  campaign: {
    label: "Campaign",
    column: "campaign",
    scope: "visit",
    revenue: true,
    empty: "(none)",
  },
  content: { label: "Content", column: "content", scope: "visit", revenue: true, empty: "(none)" },
  term: { label: "Term", column: "term", scope: "visit", revenue: true, empty: "(none)" },
  page: { label: "Page", column: "pathname", scope: "page", revenue: false, empty: "/" },
  entry_page: {
    label: "Entry page",
    column: "entry_page",
    scope: "visit_only",
    revenue: true,
    empty: "(unknown)",
  },
  exit_page: {
    label: "Exit page",
    column: "exit_page",
    scope: "visit_only",
    revenue: false,
    empty: "(unknown)",
  },
  country: { label: "Country", column: "country", scope: "visit", revenue: true, empty: "Unknown" },
  region: { label: "Region", column: "region", scope: "visit", revenue: true, empty: "Unknown" },
  city: { label: "City", column: "city", scope: "visit", revenue: true, empty: "Unknown" },
  device: { label: "Device", column: "device", scope: "visit", revenue: true, empty: "Unknown" },
  browser: { label: "Browser", column: "browser", scope: "visit", revenue: true, empty: "Unknown" },
  os: { label: "OS", column: "os", scope: "visit", revenue: true, empty: "Unknown" },
  goal: { label: "Goal", column: "name", scope: "goal", revenue: false, empty: "(unnamed)" },
};

export const METRICS = [
  "visitors",
  "sessions",
  "pageviews",
  "bounce_rate",
  "visit_duration",
  "events",
  "revenue",
  "orders",
  "customers",
  "conversion_rate",
  "average_order_value",
  "revenue_per_visitor",
  "scroll_depth",
  "engaged_time",
] as const;
export type Metric = (typeof METRICS)[number];

/** Label, unit and a short label for narrow table headers. */
export const METRIC_INFO: Record<
  Metric,
  { label: string; short: string; unit: "count" | "percent" | "seconds" | "money" }
> = {
  visitors: { short: "Visitors", label: "Visitors", unit: "count" },
  sessions: { short: "Visits", label: "Visits", unit: "count" },
  pageviews: { short: "Views", label: "Pageviews", unit: "count" },
  bounce_rate: { short: "Bounce", label: "Bounce rate", unit: "percent" },
  visit_duration: { short: "Duration", label: "Visit duration", unit: "seconds" },
  events: { short: "Total", label: "Completions", unit: "count" },
  revenue: { short: "Revenue", label: "Revenue", unit: "money" },
  orders: { short: "Orders", label: "Orders", unit: "count" },
  customers: { short: "Buyers", label: "Customers", unit: "count" },
  conversion_rate: { short: "Conv.", label: "Conversion", unit: "percent" },
  average_order_value: { short: "AOV", label: "Avg order", unit: "money" },
  revenue_per_visitor: { short: "RPV", label: "Rev / visitor", unit: "money" },
  scroll_depth: { short: "Scroll", label: "Scroll depth", unit: "percent" },
  engaged_time: { short: "Engaged", label: "Engaged time", unit: "seconds" },
};

/**
 * What the tracker's engagement events tell about a page: per visit to it, the deepest scroll
 * (averaged over visits) and the visible time (summed per visit, then averaged).
 */
export const PAGE_METRICS: Metric[] = ["scroll_depth", "engaged_time"];

/**
 * The metrics a breakdown by `d` reports when none are named: all it can but the page metrics,
 * which read raw events (the rollups keep no engagement) and so only come when asked for.
 */
export function defaultMetricsFor(d?: Dimension): Metric[] {
  return metricsFor(d).filter((m) => !PAGE_METRICS.includes(m));
}

const TRAFFIC: Metric[] = ["visitors", "sessions", "pageviews", "bounce_rate", "visit_duration"];
/** Metrics that only mean something where purchases exist. */
export const MONEY_METRICS: Metric[] = [
  "revenue",
  "customers",
  "conversion_rate",
  "average_order_value",
  "revenue_per_visitor",
  "orders",
];

/** The metrics a breakdown by `d` can report (undefined: the totals and the time series). */
export function metricsFor(d?: Dimension): Metric[] {
  if (!d) return TRAFFIC.concat(MONEY_METRICS);
  const info = DIMENSION_INFO[d];
  // Conversion by page or exit page is goal conversion: it needs a goal filter (null without).
  if (info.scope === "page") return ["visitors", "pageviews", ...PAGE_METRICS, "conversion_rate"];
  if (info.scope === "goal") return ["visitors", "events", "conversion_rate"];
  return info.revenue ? TRAFFIC.concat(MONEY_METRICS) : TRAFFIC.concat("conversion_rate");
}

export const FILTER_OPS = ["is", "is_not", "contains"] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface Filter {
  dimension: Dimension;
  op: FilterOp;
  value: string;
}
