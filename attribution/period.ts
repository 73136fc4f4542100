/**
 * Report periods for the revenue pages. The days a period covers come from analytics/period.ts,
 * so "Last 7 days" here is the same seven local days as on the dashboard and the sites list.
 */
import { z } from "zod";
import {
  addDays,
  canonicalPeriod,
  type PeriodName as StatsPeriodName,
  resolvePeriod,
  startOfDay,
} from "../analytics/period.ts";

export const PERIODS = ["today", "7d", "30d", "90d", "12mo", "all", "custom"] as const;
export type PeriodName = typeof PERIODS[number] & StatsPeriodName;

export const PERIOD_LABELS: Record<PeriodName, string> = {
  today: "Today",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  "90d": "Last 90 days",
  "12mo": "Last 12 months",
  all: "All time",
  custom: "Custom range",
};

export interface Period {
  name: PeriodName;
  from: Date;
  to: Date;
  /** Local dates (YYYY-MM-DD) shown to people; `to` is inclusive. */
  fromDate: string;
  toDate: string;
}

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/**
 * Parses `period`, `from`, `to` query values ("12m" is read as "12mo"); unknown values and
 * unusable custom ranges fall back to the last 30 days.
 */
export function parsePeriod(
  q: { period?: string; from?: string; to?: string },
  timeZone: string,
  now = new Date(),
): Period {
  const asked = canonicalPeriod(q.period ?? "");
  let name = (PERIODS as readonly string[]).includes(asked) ? asked as PeriodName : "30d";
  if (name === "custom") {
    const f = date.safeParse(q.from);
    const t = date.safeParse(q.to);
    if (!f.success || !t.success || f.data > t.data || Number.isNaN(Date.parse(f.data))) {
      name = "30d";
    }
  }
  // Revenue reports reach back to the start of records for "all time".
  const p = resolvePeriod({ period: name, from: q.from, to: q.to }, timeZone, now, new Date(0));
  return {
    name,
    fromDate: p.firstDay,
    toDate: p.lastDay,
    from: p.from,
    to: startOfDay(addDays(p.lastDay, 1), timeZone),
  };
}
