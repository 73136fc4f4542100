/**
 * The shape of a dashboard view and the panel layout, shared by the server and the Dashboard
 * island (no database or zod imports: this ships to the browser).
 */
import { type Dimension, DIMENSION_INFO, type Metric } from "./dimensions.ts";
import type { Granularity } from "./period.ts";
import { viewSearch, type ViewState } from "./url.ts";
import { countryLabel } from "../realtime/live_format.ts";

export interface Annotation {
  id: number;
  day: string;
  category: string;
  body: string;
}

/** The panels of the overview, each with its tabs (the first is the default). */
export const PANELS = {
  acq: {
    title: "Acquisition",
    tabs: ["channel", "source", "campaign", "medium", "content", "term"],
  },
  pages: { title: "Pages", tabs: ["page", "entry_page", "exit_page"] },
  loc: { title: "Locations", tabs: ["country", "region", "city"] },
  tech: { title: "Devices", tabs: ["device", "browser", "os"] },
  goals: { title: "Custom events", tabs: ["goal"] },
} as const satisfies Record<string, { title: string; tabs: readonly Dimension[] }>;
export type PanelId = keyof typeof PANELS;
export const PANEL_IDS = Object.keys(PANELS) as PanelId[];

/** Clicking a row filters by it and moves the panel one level down. */
export const DRILL_DOWN: Partial<Record<Dimension, Dimension>> = {
  channel: "source",
  source: "campaign",
  country: "region",
  region: "city",
};

export const CARD_METRICS: Metric[] = [
  "visitors",
  "pageviews",
  "sessions",
  "bounce_rate",
  "visit_duration",
  "revenue",
  "revenue_per_visitor",
  "conversion_rate",
  "customers",
];

export interface Card {
  metric: Metric;
  value: number | null;
  previous: number | null;
  /** Relative change in percent (percentage points for rates); null when not comparable. */
  change: number | null;
}

export interface PanelRow {
  /** Dimension value; null for the Unmatched revenue row. */
  value: string | null;
  values: Partial<Record<Metric, number | null>>;
}

export interface PanelData {
  dimension: Dimension;
  metrics: Metric[];
  sort: { metric: Metric; direction: "asc" | "desc" };
  rows: PanelRow[];
  totalRows: number;
  page: number;
  limit: number;
}

/** One defined goal's numbers for the period (analytics/goals.ts computes them). */
export interface GoalStat {
  id: number;
  name: string;
  kind: "page" | "event" | "duration" | "pages" | "purchase";
  /** The definition in words: "Visits /blog/**". */
  description: string;
  /** Distinct visitors who completed it. */
  visitors: number;
  /** Completions (a page goal counts each matching pageview). */
  completions: number;
  /** Converting visitors ÷ all visitors (with the same filters), in percent. */
  conversion_rate: number | null;
  /** Purchases in the period by the converting visitors, net of refunds, site minor units. */
  revenue: number;
  /** Median seconds from a converting visitor's first visit to their first completion. */
  median_seconds: number | null;
}

export interface DashboardData {
  site: DashboardSite;
  view: ViewState & { tabs: Record<PanelId, Dimension> };
  period: { label: string; firstDay: string; lastDay: string; comparable: boolean };
  granularity: Granularity;
  cards: Card[];
  /** `partial`: the last bucket is still under way (today, this month), so it reads low. */
  series: {
    buckets: string[];
    values: Partial<Record<Metric, Array<number | null>>>;
    partial: boolean;
  };
  panels: Record<PanelId, PanelData>;
  /** The site's defined goals with their numbers (empty when it has none). */
  goals: GoalStat[];
  /** The funnel drop-off the view is narrowed to (`funnel` + `dropped_at`), if any. */
  dropoff: { funnel: number; name: string; step: number } | null;
  annotations: Annotation[];
  /** Whether the site has ever received an event / a purchase. */
  hasData: boolean;
  hasRevenue: boolean;
  /** Visits are stored that the numbers do not count yet (the rollups refresh every ~10 s). */
  updating: boolean;
}

export interface DashboardSite {
  id: number;
  name: string;
  domain: string;
  currency: string;
  timezone: string;
}

/** How a dimension value reads on screen ("" → "Direct / none", null → "Unmatched", "DE" → "🇩🇪 Germany"). */
export function valueLabel(dimension: Dimension, value: string | null): string {
  if (dimension === "country" && value) return countryLabel(value);
  return plainValueLabel(dimension, value);
}

/** A row's value as stored, for exports: country codes stay codes ("DE"). */
export function plainValueLabel(dimension: Dimension, value: string | null): string {
  if (value === null) return "Unmatched";
  return value === "" ? DIMENSION_INFO[dimension].empty : value;
}

/** URL of a view on a dashboard page (`base` is "/sites/12" or "/share/<token>"). */
export function viewHref(
  base: string,
  view: DashboardData["view"],
  extra?: Record<string, string>,
) {
  const tabs: Record<string, string | undefined> = {};
  for (const id of PANEL_IDS) {
    if (view.tabs[id] !== PANELS[id].tabs[0]) tabs[id] = view.tabs[id];
  }
  return base + viewSearch(view, { ...tabs, ...extra });
}

/** The view after clicking a row: filtered by it, the panel moved one level down. */
export function drillDown(
  view: DashboardData["view"],
  panel: PanelId,
  dimension: Dimension,
  value: string,
): DashboardData["view"] {
  const filters = [
    ...view.filters.filter((f) => f.dimension !== dimension),
    { dimension, op: "is" as const, value },
  ];
  const next = DRILL_DOWN[dimension];
  return { ...view, filters, tabs: next ? { ...view.tabs, [panel]: next } : view.tabs };
}
