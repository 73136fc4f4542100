/** Alert rules per site: the built-in detectors every site has, and their settings. */
import type { Sql } from "../db/connect.ts";
import { customTitle } from "./custom.ts";

/** A stored rule. */
export interface AlertRule {
  id: number;
  site_id: number;
  kind: string;
  /** A custom rule's name ("" for built-in rules and unnamed custom ones). */
  name: string;
  metric: string;
  enabled: boolean;
  sensitivity: number;
  min_volume: number;
  cooldown_minutes: number;
  snoozed_until: Date | null;
  condition: string | null;
  threshold: number | null;
  time_window: string | null;
  filter: string;
  created_at: Date;
}

/** The detectors on by default for every site, with the metric each watches. */
export const BUILTIN_RULES: ReadonlyArray<{ kind: string; metric: string; title: string }> = [
  { kind: "traffic_spike", metric: "visitors", title: "Traffic spike" },
  { kind: "traffic_drop", metric: "visitors", title: "Traffic drop" },
  { kind: "tracker_silent", metric: "events", title: "Tracker went silent" },
  { kind: "purchases_stopped", metric: "purchases", title: "Purchases stopped" },
  { kind: "revenue_drop", metric: "revenue", title: "Revenue drop" },
  { kind: "conversion_drop", metric: "conversion_rate", title: "Conversion rate drop" },
  { kind: "integration", metric: "", title: "Integration trouble" },
];

/** A rule's name for people; a custom rule's from its name or definition. */
export function ruleTitle(
  rule: Pick<AlertRule, "kind" | "metric"> & Partial<AlertRule>,
  currency = "USD",
  goalName?: string,
): string {
  if (rule.kind === "custom" && (rule.name || rule.condition)) {
    return customTitle(
      {
        name: rule.name ?? "",
        metric: rule.metric,
        condition: rule.condition ?? null,
        threshold: rule.threshold ?? null,
        time_window: rule.time_window ?? null,
        filter: rule.filter ?? "",
      },
      currency,
      goalName,
    );
  }
  const builtin = BUILTIN_RULES.find((r) => r.kind === rule.kind);
  const base = builtin?.title ?? "Custom rule";
  return rule.kind.startsWith("traffic_") && rule.metric === "pageviews"
    ? `${base} (pageviews)`
    : base;
}

/** Creates the built-in rules and the email channel a site lacks (idempotent). */
export async function ensureDefaults(sql: Sql, siteId: number): Promise<void> {
  const kinds = BUILTIN_RULES.map((r) => r.kind);
  const metrics = BUILTIN_RULES.map((r) => r.metric);
  await sql`
    insert into alert_rules (site_id, kind, metric)
    select ${siteId}, k, m from unnest(${kinds}::text[], ${metrics}::text[]) as t(k, m)
    where not exists (select 1 from alert_rules r where r.site_id = ${siteId} and r.kind = t.k)
    on conflict do nothing`;
  await sql`
    insert into alert_channels (site_id, kind, name)
    select ${siteId}, 'email', 'Email'
    where not exists (select 1 from alert_channels where site_id = ${siteId} and kind = 'email')
    on conflict do nothing`;
}

/** A site's rules, built-in first. */
export function listRules(sql: Sql, siteId: number): Promise<AlertRule[]> {
  return sql<AlertRule[]>`
    select * from alert_rules where site_id = ${siteId}
    order by kind = 'custom', id`;
}

/** One rule of the site, or null. */
export async function findRule(
  sql: Sql,
  siteId: number,
  ruleId: number,
): Promise<AlertRule | null> {
  const [row] = await sql<AlertRule[]>`
    select * from alert_rules where site_id = ${siteId} and id = ${ruleId}`;
  return row ?? null;
}

/** Silences a rule until `until` (null lifts the snooze). */
export async function snoozeRule(
  sql: Sql,
  siteId: number,
  ruleId: number,
  until: Date | null,
): Promise<boolean> {
  const rows = await sql`
    update alert_rules set snoozed_until = ${until}
    where site_id = ${siteId} and id = ${ruleId} returning id`;
  return rows.length > 0;
}

/** Changes a rule's tunable settings. */
export async function updateRule(
  sql: Sql,
  siteId: number,
  ruleId: number,
  v: { enabled: boolean; sensitivity: number; minVolume: number; cooldownMinutes: number },
): Promise<boolean> {
  const rows = await sql`
    update alert_rules set enabled = ${v.enabled}, sensitivity = ${v.sensitivity},
      min_volume = ${v.minVolume}, cooldown_minutes = ${v.cooldownMinutes}
    where site_id = ${siteId} and id = ${ruleId} returning id`;
  return rows.length > 0;
}
