/**
 * Incidents: one open per rule while its detector says anomalous, closed when it says normal.
 * The partial unique index on open incidents makes opening a lock: of several instances
 * evaluating at once, one opens it and only that one sends.
 */
import type { Sql } from "../db/connect.ts";
import type { Judgement } from "./detectors/types.ts";

/** One point of an incident's chart. */
export interface ChartPoint {
  t: number;
  actual: number;
  expected: number;
  lower: number;
  upper: number;
}

/** A stored incident. */
export interface Incident {
  id: number;
  site_id: number;
  rule_id: number;
  opened_at: Date;
  closed_at: Date | null;
  period_start: Date;
  period_end: Date;
  actual: number;
  expected: number;
  lower: number;
  upper: number;
  summary: string;
  resolution: string;
  series: ChartPoint[];
}

/** The rule's open incident, or null. */
export async function openIncidentOf(sql: Sql, ruleId: number): Promise<Incident | null> {
  const [row] = await sql<Incident[]>`
    select * from alert_incidents where rule_id = ${ruleId} and closed_at is null`;
  return row ?? null;
}

/**
 * Opens an incident for the rule unless one is open or the last one closed within the cooldown;
 * returns it only when this call opened it.
 */
export async function openIncident(
  sql: Sql,
  rule: { id: number; site_id: number; cooldown_minutes: number },
  j: Judgement,
  series: ChartPoint[],
  now: Date,
): Promise<Incident | null> {
  const [row] = await sql<Incident[]>`
    insert into alert_incidents (site_id, rule_id, opened_at, period_start, period_end, actual,
      expected, lower, upper, summary, series)
    select ${rule.site_id}, ${rule.id}, ${now}, ${new Date(j.periodStart)},
      ${new Date(j.periodEnd)}, ${j.actual}, ${j.expected}, ${j.lower}, ${j.upper}, ${j.summary},
      ${sql.json(series as never)}
    where not exists (
      select 1 from alert_incidents where rule_id = ${rule.id} and closed_at is not null
        and closed_at > ${now}::timestamptz - make_interval(mins => ${rule.cooldown_minutes}))
    on conflict (rule_id) where closed_at is null do nothing
    returning *`;
  return row ?? null;
}

/** Closes the rule's open incident; returns it only when this call closed it. */
export async function closeIncident(
  sql: Sql,
  ruleId: number,
  j: Judgement,
  now: Date,
): Promise<Incident | null> {
  const [row] = await sql<Incident[]>`
    update alert_incidents set closed_at = ${now}, resolution = ${j.summary}
    where rule_id = ${ruleId} and closed_at is null
    returning *`;
  return row ?? null;
}

/** A site's incidents, newest first. */
export function listIncidents(sql: Sql, siteId: number, limit = 50): Promise<Incident[]> {
  return sql<Incident[]>`
    select * from alert_incidents where site_id = ${siteId}
    order by opened_at desc, id desc limit ${limit}`;
}
