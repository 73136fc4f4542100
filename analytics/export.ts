/**
 * CSV exports of what the dashboard shows, with the view's filters applied: one breakdown, or
 * everything (cards, chart series, every breakdown, annotations) as a zip.
 */
import type { Sql } from "../db/connect.ts";
import {
  type Dimension,
  DIMENSION_INFO,
  DIMENSIONS,
  type Metric,
  METRIC_INFO,
  metricsFor,
} from "./dimensions.ts";
import { moneyPlain } from "./format.ts";
import { checkQuery, type StatsQuery } from "./query.ts";
import { aggregate, breakdown, queryPeriod, type StatsSite, timeseries } from "./stats.ts";
import { toCsv } from "./csv.ts";
import { strToU8, zipSync } from "fflate";
import { listAnnotations } from "./annotations.ts";
import { plainValueLabel } from "./view.ts";

/** Most rows one breakdown export holds. */
export const EXPORT_MAX_ROWS = 100_000;

function header(m: Metric, currency: string): string {
  const info = METRIC_INFO[m];
  if (info.unit === "money") return `${info.label} (${currency})`;
  if (info.unit === "percent") return `${info.label} (%)`;
  if (info.unit === "seconds") return `${info.label} (s)`;
  return info.label;
}

function value(m: Metric, v: number | null | undefined, currency: string): string | number | null {
  if (v === null || v === undefined) return null;
  return METRIC_INFO[m].unit === "money" ? moneyPlain(v, currency) : v;
}

/** One breakdown as CSV: every row (not just a page), every metric it supports. */
export async function breakdownCsv(
  sql: Sql,
  site: StatsSite,
  base: StatsQuery,
  dimension: Dimension,
  opts: { now?: Date } = {},
): Promise<string> {
  const metrics = metricsFor(dimension);
  const q = checkQuery({ ...base, dimension, metrics, page: 1, limit: 1000 });
  const result = await breakdown(sql, site, { ...q, limit: EXPORT_MAX_ROWS }, { now: opts.now });
  const rows: Array<Array<string | number | null>> = [
    [DIMENSION_INFO[dimension].label, ...metrics.map((m) => header(m, site.currency))],
  ];
  for (const r of result.rows) {
    rows.push([
      plainValueLabel(dimension, r.value),
      ...metrics.map((m) => value(m, r.values[m], site.currency)),
    ]);
  }
  return toCsv(rows);
}

/** A file-name-safe slug of the period and filters ("2026-03-01_2026-03-30-source-google"). */
export function exportName(site: StatsSite & { domain: string }, q: StatsQuery, what: string) {
  const p = queryPeriod(site, q);
  const parts = [site.domain, what, `${p.firstDay}_${p.lastDay}`];
  for (const f of q.filters) parts.push(`${f.dimension}-${f.op}-${f.value}`);
  return parts.join("-").toLowerCase().replace(/[^a-z0-9._-]+/g, "_").slice(0, 150);
}

/** Every export in one zip. */
export async function exportAll(
  sql: Sql,
  site: StatsSite,
  base: StatsQuery,
  opts: { now?: Date } = {},
): Promise<Uint8Array> {
  const cur = site.currency;
  const all = metricsFor();
  const [agg, series] = await Promise.all([
    aggregate(sql, site, { ...base, metrics: all }, opts),
    timeseries(sql, site, { ...base, dimension: "time", metrics: all }, opts),
  ]);
  const summary = toCsv([
    ["Metric", "Value", "Previous period"],
    ...all.map((
      m,
    ) => [header(m, cur), value(m, agg.totals[m], cur), value(m, agg.previous?.[m], cur)]),
  ]);
  const chart = toCsv([
    ["Period start", ...all.map((m) => header(m, cur))],
    ...series.points.map((p) => [p.bucket, ...all.map((m) => value(m, p.values[m], cur))]),
  ]);
  const notes = await listAnnotations(sql, site.id, agg.period.firstDay, agg.period.lastDay);
  const files = [
    { name: "summary.csv", text: summary },
    { name: `timeseries-${series.granularity}.csv`, text: chart },
    {
      name: "annotations.csv",
      text: toCsv([["Date", "Category", "Note"], ...notes.map((n) => [n.day, n.category, n.body])]),
    },
    {
      name: "filters.csv",
      text: toCsv([
        ["Period", "From", "To", "Time zone"],
        [agg.period.label, agg.period.firstDay, agg.period.lastDay, agg.period.timezone],
        [],
        ["Filter dimension", "Operator", "Value"],
        ...base.filters.map((f) => [f.dimension, f.op, f.value]),
      ]),
    },
  ];
  // One at a time: a zip export should not take every database connection at once.
  for (const d of DIMENSIONS) {
    files.push({ name: `${d}.csv`, text: await breakdownCsv(sql, site, base, d, opts) });
  }
  return zipSync(Object.fromEntries(files.map((f) => [f.name, strToU8(f.text)])));
}
