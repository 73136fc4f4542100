/**
 * The one stats query: site, period, time zone, filters, dimension, metrics, sort and page.
 * The dashboard, its JSON endpoints, CSV exports and the public API all parse their parameters
 * here and hand the result to stats.ts, so they cannot disagree.
 */
import { z } from "zod";
import { Invalid } from "../lib/errors.ts";
import {
  defaultMetricsFor,
  type Dimension,
  DIMENSIONS,
  FILTER_OPS,
  type Metric,
  METRICS,
  metricsFor,
} from "./dimensions.ts";
import { canonicalPeriod, GRANULARITIES, isTimeZone, PERIODS } from "./period.ts";
import { splitFilterParam } from "./url.ts";

export const TIME_DIMENSIONS = [
  "time",
  "time:hour",
  "time:day",
  "time:week",
  "time:month",
] as const;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Dates look like 2026-03-31.");

export const filterSchema = z.object({
  dimension: z.enum(DIMENSIONS).describe("What to filter on."),
  op: z.enum(FILTER_OPS).describe("is, is_not or contains (case-insensitive)."),
  value: z.string().max(500).describe("The value; empty matches visits without one."),
});

export const statsQuerySchema = z.object({
  period: z.enum(PERIODS).default("30d").describe(
    "Reporting period in the site's time zone; custom needs from and to.",
  ),
  from: day.optional().describe("First day of a custom period (YYYY-MM-DD)."),
  to: day.optional().describe("Last day of a custom period, inclusive (YYYY-MM-DD)."),
  timezone: z.string().refine(isTimeZone, "That is not a time zone we know, like Europe/Berlin.")
    .optional().describe("IANA time zone; defaults to the site's."),
  filters: z.array(filterSchema).max(12, "Use at most 12 filters.").default([]),
  dimension: z.enum([...DIMENSIONS, ...TIME_DIMENSIONS]).optional().describe(
    "Break results down by this; time:day etc. gives a time series.",
  ),
  metrics: z.array(z.enum(METRICS)).min(1).max(METRICS.length).optional().describe(
    "Metrics to return; defaults to every metric the dimension supports but scroll_depth and engaged_time (pages), which come only when named.",
  ),
  sort: z.object({ metric: z.enum(METRICS), direction: z.enum(["asc", "desc"]) }).optional(),
  page: z.number().int().min(1).max(100_000).default(1),
  limit: z.number().int().min(1).max(1000).default(50),
  funnel: z.number().int().min(1).max(2 ** 53 - 1).optional().describe(
    "With dropped_at: only the visitors who left this funnel after that step in the period.",
  ),
  dropped_at: z.number().int().min(1).max(7).optional().describe(
    "The funnel step (1-based) the visitors reached without going on to the next.",
  ),
});

export type StatsQuery = z.infer<typeof statsQuerySchema>;

/** The breakdown dimension of a query, if it has one (not a time dimension). */
export function breakdownDimension(q: StatsQuery): Dimension | undefined {
  return q.dimension && !q.dimension.startsWith("time") ? q.dimension as Dimension : undefined;
}

/** The time granularity of a time-series query, "auto" for plain `time`, else undefined. */
export function timeGranularity(
  q: StatsQuery,
): (typeof GRANULARITIES)[number] | "auto" | undefined {
  if (!q.dimension?.startsWith("time")) return undefined;
  const g = q.dimension.split(":")[1];
  return g ? g as (typeof GRANULARITIES)[number] : "auto";
}

/** The metrics a query reports: what it asked for, or all its dimension supports. */
export function queryMetrics(q: StatsQuery): Metric[] {
  return q.metrics ?? defaultMetricsFor(breakdownDimension(q));
}

const PARAM_NAMES: Record<string, string> = {
  period: "period",
  from: "from",
  to: "to",
  timezone: "timezone",
  filters: "filter",
  dimension: "dimension",
  metrics: "metrics",
  sort: "sort",
  page: "page",
  limit: "limit",
  funnel: "funnel",
  dropped_at: "dropped_at",
};

/** Turns a zod failure into one sentence naming the parameter. */
function sentence(error: z.ZodError): Invalid {
  const issue = error.issues[0];
  const key = String(issue.path[0] ?? "query");
  const param = PARAM_NAMES[key] ?? key;
  let message = issue.message;
  if (issue.code === "invalid_value" && "values" in issue) {
    const got = issue.path.length > 1 ? "" : "";
    message = `${param} must be one of: ${(issue.values as unknown[]).join(", ")}${got}.`;
  } else if (!/[.!?]$/.test(message)) message = `${param}: ${message}.`;
  return new Invalid(param, message);
}

/**
 * Parses URL parameters (dashboard links, JSON endpoints, the public API) into a query.
 * Filters come as repeated `filter` (or `f`) values "dimension:op:value"; metrics comma-separated;
 * sort as "metric" or "metric:asc".
 */
export function parseStatsParams(params: URLSearchParams): StatsQuery {
  const filters = [...params.getAll("filter"), ...params.getAll("f")].map((raw) => {
    const parts = splitFilterParam(raw);
    if (!parts) {
      throw new Invalid("filter", `Write filters as dimension:op:value, like source:is:Google.`);
    }
    return parts;
  });
  const dim = params.get("dimension") ?? params.get("dimensions") ?? undefined;
  const interval = params.get("interval");
  const metrics = params.get("metrics");
  const sort = params.get("sort");
  const num = (name: string) => {
    const v = params.get(name);
    if (v === null || v === "") return undefined;
    if (!/^\d+$/.test(v)) throw new Invalid(name, `${name} must be a whole number.`);
    return Number(v);
  };
  const raw = {
    period: params.get("period") || undefined,
    from: params.get("from") || undefined,
    to: params.get("to") || undefined,
    timezone: params.get("timezone") || undefined,
    filters,
    dimension: dim ? dim : interval ? `time:${interval}` : undefined,
    metrics: metrics ? metrics.split(",").map((m) => m.trim()).filter(Boolean) : undefined,
    sort: sort
      ? { metric: sort.split(":")[0], direction: sort.split(":")[1] ?? "desc" }
      : undefined,
    page: num("page"),
    limit: num("limit"),
    funnel: num("funnel"),
    dropped_at: num("dropped_at"),
  };
  return checkQuery(raw);
}

/** Validates a query object (from JSON or parameters) and its combinations. */
export function checkQuery(raw: unknown): StatsQuery {
  const input = raw && typeof raw === "object" && "period" in raw &&
      typeof raw.period === "string"
    ? { ...raw, period: canonicalPeriod(raw.period) }
    : raw;
  const parsed = statsQuerySchema.safeParse(input);
  if (!parsed.success) throw sentence(parsed.error);
  const q = parsed.data;
  if (q.period === "custom" && !q.from) {
    throw new Invalid("from", "A custom period needs from (and to) dates, like 2026-03-01.");
  }
  const allowed = metricsFor(breakdownDimension(q));
  for (const m of q.metrics ?? []) {
    if (!allowed.includes(m)) {
      const d = breakdownDimension(q);
      throw new Invalid(
        "metrics",
        `${m} is not available${d ? ` by ${d}` : ""}; choose from ${allowed.join(", ")}.`,
      );
    }
  }
  if (q.sort && !allowed.includes(q.sort.metric)) {
    throw new Invalid("sort", `Sort by one of: ${allowed.join(", ")}.`);
  }
  if ((q.funnel === undefined) !== (q.dropped_at === undefined)) {
    throw new Invalid(
      q.funnel === undefined ? "funnel" : "dropped_at",
      "A drop-off filter needs both funnel and dropped_at, like funnel=3&dropped_at=2.",
    );
  }
  const dims = new Set<string>();
  for (const f of q.filters) {
    const key = `${f.dimension}:${f.op}`;
    if (dims.has(key)) {
      throw new Invalid(
        "filter",
        `Use one ${f.dimension} ${f.op.replace("_", " ")} filter at a time.`,
      );
    }
    dims.add(key);
  }
  return q;
}
