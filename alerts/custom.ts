/**
 * Custom rules: a metric (visitors, pageviews, revenue, bounce rate, conversion rate or a goal's
 * conversions) above or below a number, or changed by some percent against the previous period,
 * over the last completed hour, day or week, optionally for a dashboard filter. They are judged
 * with the dashboard's own totals query, so an alert says what the dashboard would show for that
 * range, and go through the same incidents as the detectors.
 */
import type { Sql } from "../db/connect.ts";
import { filterSchema } from "../analytics/query.ts";
import { DIMENSION_INFO, type Filter, FILTER_OPS } from "../analytics/dimensions.ts";
import { type StatsSite, totalsFor } from "../analytics/stats.ts";
import { filterToParam, splitFilterParam } from "../analytics/url.ts";
import { formatCount, formatMoney, formatPercent } from "../analytics/format.ts";
import { minorDigits } from "../components/format.ts";
import { Invalid } from "../lib/errors.ts";
import { HOUR_MS, hourOf } from "./series.ts";
import { type Judgement, unknown, verdict } from "./detectors/types.ts";
import type { AlertRule } from "./rules.ts";

export const CUSTOM_METRICS = [
  "visitors",
  "pageviews",
  "revenue",
  "bounce_rate",
  "conversion_rate",
] as const;
export const CUSTOM_METRIC_LABELS: Record<(typeof CUSTOM_METRICS)[number], string> = {
  visitors: "Visitors",
  pageviews: "Pageviews",
  revenue: "Revenue",
  bounce_rate: "Bounce rate",
  conversion_rate: "Conversion rate",
};
export const CONDITIONS = ["above", "below", "change_pct"] as const;
export type Condition = (typeof CONDITIONS)[number];
export const WINDOWS = { hour: 1, day: 24, week: 168 } as const;
export type RuleWindow = keyof typeof WINDOWS;

/** Visitors a rate or a change must rest on before it is judged, unless the rule sets its own. */
export const CUSTOM_MIN_VOLUME = 20;

/** What an admin sets on a custom rule, checked. */
export interface CustomRuleInput {
  name: string;
  /** One of CUSTOM_METRICS, or "goal:<id>". */
  metric: string;
  condition: Condition;
  /** In the metric's stored unit: minor units for revenue, percent for rates and changes. */
  threshold: number;
  window: RuleWindow;
  /** "" or one dashboard filter as "dimension:op:value". */
  filter: string;
  enabled: boolean;
  minVolume: number;
  cooldownMinutes: number;
}

/** The goal a metric names, or null. */
export function goalIdOf(metric: string): number | null {
  const m = /^goal:(\d+)$/.exec(metric);
  return m ? Number(m[1]) : null;
}

/** The filter a rule stores, or null. */
export function ruleFilter(raw: string): Filter | null {
  if (!raw) return null;
  const parts = splitFilterParam(raw);
  const parsed = parts && filterSchema.safeParse(parts);
  return parsed && parsed.success ? parsed.data : null;
}

/** "source is YouTube". */
export function describeFilter(f: Filter): string {
  const op = f.op === "is_not" ? "is not" : f.op;
  return `${DIMENSION_INFO[f.dimension].label.toLowerCase()} ${op} ${f.value || "empty"}`;
}

/** The metric's name for people; a goal's by its name. */
export function metricLabel(metric: string, goalName?: string): string {
  if (goalIdOf(metric) !== null) return `Conversions of “${goalName ?? "a deleted goal"}”`;
  return CUSTOM_METRIC_LABELS[metric as keyof typeof CUSTOM_METRIC_LABELS] ?? metric;
}

/** Formats a value of the metric the way the dashboard does. */
export function formatRuleValue(metric: string, v: number, currency: string): string {
  if (metric === "revenue") return formatMoney(Math.round(v), currency);
  if (metric === "bounce_rate" || metric === "conversion_rate") return formatPercent(v);
  return formatCount(Math.round(v));
}

const WINDOW_WORDS: Record<RuleWindow, string> = { hour: "hour", day: "day", week: "week" };

/** "above $100 in an hour", "at least 30% lower than the day before". */
export function describeCondition(
  rule: Pick<AlertRule, "metric" | "condition" | "threshold" | "time_window">,
  currency: string,
): string {
  const w = WINDOW_WORDS[(rule.time_window ?? "hour") as RuleWindow] ?? "hour";
  const t = rule.threshold ?? 0;
  if (rule.condition === "change_pct") {
    return `${formatCount(Math.abs(t))}% or more ${
      t < 0 ? "lower" : "higher"
    } than the ${w} before`;
  }
  const word = rule.condition === "below" ? "below" : "above";
  return `${word} ${formatRuleValue(rule.metric, t, currency)} in a ${w}`;
}

/** A custom rule's title: its name, else what it watches. */
export function customTitle(
  rule: Pick<AlertRule, "name" | "metric" | "condition" | "threshold" | "time_window" | "filter">,
  currency: string,
  goalName?: string,
): string {
  if (rule.name) return rule.name;
  const f = ruleFilter(rule.filter);
  return `${metricLabel(rule.metric, goalName)}${f ? ` (${describeFilter(f)})` : ""} ${
    describeCondition(rule, currency)
  }`;
}

function num(raw: string | undefined, field: string, sentence: string): number {
  const s = (raw ?? "").trim().replace(/,/g, "");
  const n = Number(s);
  if (s === "" || !Number.isFinite(n)) throw new Invalid(field, sentence);
  return n;
}

/**
 * Checks a custom rule's form. Revenue thresholds are typed in the site's currency (major units)
 * and stored in minor units, like every amount.
 */
export function parseCustomRule(
  form: Record<string, string>,
  ctx: { currency: string; goalIds: number[] },
): CustomRuleInput {
  const name = (form.name ?? "").trim();
  if (name.length > 80) throw new Invalid("name", "Keep the name under 80 characters.");
  const metric = form.metric ?? "";
  const goalId = goalIdOf(metric);
  if (goalId !== null ? !ctx.goalIds.includes(goalId) : !CUSTOM_METRICS.includes(metric as never)) {
    throw new Invalid("metric", "Choose what to watch from the list.");
  }
  const condition = form.condition as Condition;
  if (!CONDITIONS.includes(condition)) {
    throw new Invalid("condition", "Choose above, below or a change against the period before.");
  }
  const window = form.window as RuleWindow;
  if (!(window in WINDOWS)) throw new Invalid("window", "Choose an hour, a day or a week.");
  let threshold = num(form.threshold, "threshold", "The threshold must be a number, like 500.");
  if (condition === "change_pct") {
    if (threshold === 0 || Math.abs(threshold) > 10_000) {
      throw new Invalid(
        "threshold",
        "The change must be a percent other than 0: negative for a fall (−30), positive for a rise (50).",
      );
    }
  } else {
    if (threshold < 0) throw new Invalid("threshold", "The threshold can't be negative.");
    if ((metric === "bounce_rate" || metric === "conversion_rate") && threshold > 100) {
      throw new Invalid("threshold", "A rate is a percent from 0 to 100.");
    }
    if (metric === "revenue") threshold = Math.round(threshold * 10 ** minorDigits(ctx.currency));
    if (threshold > 1e12) throw new Invalid("threshold", "That threshold is too large.");
  }
  let filter = "";
  const dimension = (form.filter_dimension ?? "").trim();
  if (dimension) {
    const parsed = filterSchema.safeParse({
      dimension,
      op: form.filter_op || "is",
      value: (form.filter_value ?? "").trim(),
    });
    if (!parsed.success) {
      throw new Invalid(
        "filter_value",
        `Choose the filter from the lists (${FILTER_OPS.join(", ")}) and keep its value short.`,
      );
    }
    filter = filterToParam(parsed.data);
  }
  const minVolume = num(form.min_volume || "0", "min_volume", "Minimum volume must be a number.");
  if (minVolume < 0 || minVolume > 1_000_000) {
    throw new Invalid("min_volume", "Minimum volume must be a number from 0 to 1000000.");
  }
  const cooldown = num(
    form.cooldown_minutes || "60",
    "cooldown_minutes",
    "The cooldown must be a number.",
  );
  if (cooldown < 0 || cooldown > 10080) {
    throw new Invalid("cooldown_minutes", "The cooldown must be a number from 0 to 10080.");
  }
  return {
    name,
    metric,
    condition,
    threshold,
    window,
    filter,
    enabled: form.enabled === "on" || form.enabled === "true",
    minVolume: Math.round(minVolume),
    cooldownMinutes: Math.round(cooldown),
  };
}

/** Stores a new custom rule. */
export async function createCustomRule(
  sql: Sql,
  siteId: number,
  v: CustomRuleInput,
): Promise<AlertRule> {
  const [row] = await sql<AlertRule[]>`
    insert into alert_rules (site_id, kind, name, metric, condition, threshold, time_window,
      filter, enabled, min_volume, cooldown_minutes)
    values (${siteId}, 'custom', ${v.name}, ${v.metric}, ${v.condition}, ${v.threshold},
      ${v.window}, ${v.filter}, ${v.enabled}, ${v.minVolume}, ${v.cooldownMinutes})
    returning *`;
  return row;
}

/**
 * Changes a custom rule. A changed definition closes its open incident quietly: that incident
 * was about a question no longer asked.
 */
export async function updateCustomRule(
  sql: Sql,
  siteId: number,
  ruleId: number,
  v: CustomRuleInput,
): Promise<boolean> {
  const rows = await sql`
    update alert_rules set name = ${v.name}, metric = ${v.metric}, condition = ${v.condition},
      threshold = ${v.threshold}, time_window = ${v.window}, filter = ${v.filter},
      enabled = ${v.enabled}, min_volume = ${v.minVolume}, cooldown_minutes = ${v.cooldownMinutes}
    where site_id = ${siteId} and id = ${ruleId} and kind = 'custom' returning id`;
  if (rows.length === 0) return false;
  await sql`
    update alert_incidents set closed_at = now(), resolution = 'The rule was changed.'
    where site_id = ${siteId} and rule_id = ${ruleId} and closed_at is null`;
  return true;
}

/** Deletes a custom rule with its incidents; built-in rules can only be turned off. */
export async function deleteCustomRule(sql: Sql, siteId: number, ruleId: number): Promise<boolean> {
  const rows = await sql`
    delete from alert_rules where site_id = ${siteId} and id = ${ruleId} and kind = 'custom'
    returning id`;
  return rows.length > 0;
}

/** A site as the custom rules judge it. */
export type CustomSite = StatsSite;

/** The metric over [from, to) with the rule's filter, from the dashboard's totals query. */
async function valueOver(
  sql: Sql,
  site: CustomSite,
  rule: AlertRule,
  filters: Filter[],
  from: number,
  to: number,
): Promise<{ value: number | null; visitors: number }> {
  const totals = await totalsFor(sql, site, site.timezone, {
    from: new Date(from),
    to: new Date(to),
  }, filters);
  const visitors = Number(totals.visitors ?? 0);
  const key = goalIdOf(rule.metric) !== null ? "visitors" : rule.metric as keyof typeof totals;
  const v = totals[key];
  return { value: v === null || v === undefined ? null : Number(v), visitors };
}

/**
 * Judges a custom rule over the last completed window (and the one before it, for a change).
 * Unknown while the site has no history for the window, a goal is gone, or a rate or change
 * rests on fewer visitors than the minimum volume.
 */
export async function judgeCustom(
  sql: Sql,
  site: CustomSite,
  rule: AlertRule,
  now: number,
): Promise<Judgement> {
  const hours = WINDOWS[(rule.time_window ?? "hour") as RuleWindow] ?? 1;
  const to = hourOf(now);
  const from = to - hours * HOUR_MS;
  const none = unknown(from, to);
  const filters: Filter[] = [];
  const f = ruleFilter(rule.filter);
  if (f) filters.push(f);
  const goalId = goalIdOf(rule.metric);
  let goalName: string | undefined;
  if (goalId !== null) {
    const [g] = await sql<{ name: string }[]>`
      select name from goals where site_id = ${site.id} and id = ${goalId}`;
    if (!g) return none;
    goalName = g.name;
    filters.push({ dimension: "goal", op: "is", value: g.name });
  }
  const change = rule.condition === "change_pct";
  // Before the site's first data (or the window before it, for a change) nothing is known.
  const since = change ? from - hours * HOUR_MS : from;
  if (!site.first_event_at || site.first_event_at.getTime() > since) return none;
  const isRate = rule.metric === "bounce_rate" || rule.metric === "conversion_rate";
  const min = rule.min_volume || CUSTOM_MIN_VOLUME;
  const cur = await valueOver(sql, site, rule, filters, from, to);
  if (cur.value === null) return none;
  if (isRate && cur.visitors < min) return none;
  const fmt = (v: number) => formatRuleValue(rule.metric, v, site.currency);
  const label = metricLabel(rule.metric, goalName) + (f ? ` (${describeFilter(f)})` : "");
  const span = `in the ${hours === 1 ? "hour" : hours === 24 ? "day" : "week"} to ${
    new Intl.DateTimeFormat("en-GB", {
      timeZone: site.timezone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
    }).format(to)
  }`;
  const threshold = rule.threshold ?? 0;
  if (!change) {
    const above = rule.condition !== "below";
    const anomalous = above ? cur.value > threshold : cur.value < threshold;
    const band = above
      ? { expected: threshold, lower: 0, upper: threshold }
      : { expected: threshold, lower: threshold, upper: threshold };
    const summary = anomalous
      ? `${label} ${above ? "went above" : "fell below"} ${fmt(threshold)}: ${
        fmt(cur.value)
      } ${span}.`
      : `${label} back on the right side of ${fmt(threshold)}: ${fmt(cur.value)} ${span}.`;
    return verdict(anomalous, { from, to }, cur.value, band, summary);
  }
  const prev = await valueOver(sql, site, rule, filters, from - hours * HOUR_MS, from);
  if (prev.value === null || prev.value <= 0) return none;
  // A change in a handful of visitors is noise: judged only above the minimum volume.
  if (Math.max(prev.visitors, cur.visitors) < min) return none;
  const pct = (cur.value / prev.value - 1) * 100;
  const anomalous = threshold < 0 ? pct <= threshold : pct >= threshold;
  const limit = prev.value * (1 + threshold / 100);
  const band = {
    expected: prev.value,
    lower: threshold < 0 ? limit : 0,
    upper: threshold < 0 ? prev.value : limit,
  };
  const moved = `${pct < 0 ? "fell" : "rose"} ${formatCount(Math.round(Math.abs(pct)))}%`;
  const summary = anomalous
    ? `${label} ${moved}: ${fmt(cur.value)} ${span} against ${fmt(prev.value)} the ${
      hours === 1 ? "hour" : hours === 24 ? "day" : "week"
    } before.`
    : `${label} back within ${formatCount(Math.abs(threshold))}% of the period before: ${
      fmt(cur.value)
    } ${span} against ${fmt(prev.value)}.`;
  return verdict(anomalous, { from, to }, cur.value, band, summary);
}

/** A stored custom rule as its form's values (revenue back in major units). */
export function customFormValues(rule: AlertRule, currency: string): Record<string, string> {
  const f = ruleFilter(rule.filter);
  const t = rule.threshold ?? 0;
  return {
    name: rule.name,
    metric: rule.metric,
    condition: rule.condition ?? "above",
    threshold: String(
      rule.metric === "revenue" && rule.condition !== "change_pct"
        ? t / 10 ** minorDigits(currency)
        : t,
    ),
    window: rule.time_window ?? "hour",
    filter_dimension: f?.dimension ?? "",
    filter_op: f?.op ?? "is",
    filter_value: f?.value ?? "",
    enabled: rule.enabled ? "on" : "",
    min_volume: String(rule.min_volume),
    cooldown_minutes: String(rule.cooldown_minutes),
  };
}
