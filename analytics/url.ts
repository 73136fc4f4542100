/**
 * The dashboard's state as URL parameters: shared by server-rendered links and the browser, so
 * a filtered view is a plain link that works with or without script and survives the back
 * button. No zod here: this module ships to the browser.
 */
import type { Dimension, Filter, FilterOp } from "./dimensions.ts";

export interface ViewState {
  period: string;
  from?: string;
  to?: string;
  filters: Filter[];
  /** Chart granularity when not the period's default. */
  interval?: string;
  /** The metric the chart shows. */
  metric?: string;
  /** Only the visitors who left this funnel (id) after step `droppedAt`. */
  funnel?: number;
  droppedAt?: number;
}

/** "source:is:Google" (the value may itself contain colons). */
export function filterToParam(f: Filter): string {
  return `${f.dimension}:${f.op}:${f.value}`;
}

/** Splits "dim:op:value"; null when it has no two colons. Validation happens in query.ts. */
export function splitFilterParam(
  raw: string,
): { dimension: string; op: string; value: string } | null {
  const a = raw.indexOf(":");
  const b = a < 0 ? -1 : raw.indexOf(":", a + 1);
  if (a < 0 || b < 0) return null;
  return { dimension: raw.slice(0, a), op: raw.slice(a + 1, b), value: raw.slice(b + 1) };
}

/** URL parameters for a view, in a stable order. */
export function viewParams(s: ViewState): URLSearchParams {
  const p = new URLSearchParams();
  if (s.period && s.period !== "30d") p.set("period", s.period);
  if (s.period === "custom") {
    if (s.from) p.set("from", s.from);
    if (s.to) p.set("to", s.to);
  }
  for (const f of s.filters) p.append("f", filterToParam(f));
  if (s.funnel && s.droppedAt) {
    p.set("funnel", String(s.funnel));
    p.set("dropped_at", String(s.droppedAt));
  }
  if (s.interval) p.set("interval", s.interval);
  if (s.metric && s.metric !== "visitors") p.set("metric", s.metric);
  return p;
}

/** "?…" for a view, or "" when it is the default view. */
export function viewSearch(s: ViewState, extra?: Record<string, string | undefined>): string {
  const p = viewParams(s);
  for (const [k, v] of Object.entries(extra ?? {})) if (v !== undefined && v !== "") p.set(k, v);
  const q = p.toString();
  return q ? `?${q}` : "";
}

/** The view with a filter set (replacing any other filter on the same dimension). */
export function withFilter(s: ViewState, dimension: Dimension, value: string, op: FilterOp = "is") {
  return {
    ...s,
    filters: [...s.filters.filter((f) => f.dimension !== dimension), { dimension, op, value }],
  };
}

/** The view without the filter on `dimension`. */
export function withoutFilter(s: ViewState, dimension: Dimension): ViewState {
  return { ...s, filters: s.filters.filter((f) => f.dimension !== dimension) };
}
