/** Report periods: named ranges ("30d") or dates, as UTC instants of the site's local days. */
import { z } from "zod";

export const PERIODS = ["today", "7d", "30d", "90d", "12m", "all", "custom"] as const;
export type PeriodName = typeof PERIODS[number];

export const PERIOD_LABELS: Record<PeriodName, string> = {
  today: "Today",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  "90d": "Last 90 days",
  "12m": "Last 12 months",
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

/** Minutes the zone is ahead of UTC at `at`. */
function offsetMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(at);
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const local = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return Math.round((local - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** The local calendar date of `at` in the zone. */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  })
    .format(at);
}

/** The UTC instant at which local date `ymd` begins in the zone. */
export function startOfLocalDay(ymd: string, timeZone: string): Date {
  const [y, m, d] = ymd.split("-").map(Number);
  const guess = Date.UTC(y, m - 1, d);
  const first = guess - offsetMinutes(new Date(guess), timeZone) * 60_000;
  // Once more, in case the offset changes between the guess and local midnight (DST).
  return new Date(guess - offsetMinutes(new Date(first), timeZone) * 60_000);
}

function addDays(ymd: string, days: number): string {
  const [y, m, d] = ymd.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Parses `period`, `from`, `to` query values; unknown values fall back to the last 30 days. */
export function parsePeriod(
  q: { period?: string; from?: string; to?: string },
  timeZone: string,
  now = new Date(),
): Period {
  const today = localDate(now, timeZone);
  let name = (PERIODS as readonly string[]).includes(q.period ?? "")
    ? q.period as PeriodName
    : "30d";
  let fromDate: string;
  let toDate = today;
  if (name === "custom") {
    const f = date.safeParse(q.from);
    const t = date.safeParse(q.to);
    if (f.success && t.success && f.data <= t.data) {
      fromDate = f.data;
      toDate = t.data;
    } else {
      name = "30d";
      fromDate = addDays(today, -29);
    }
  } else if (name === "all") {
    fromDate = "2000-01-01";
  } else if (name === "12m") {
    fromDate = addDays(today, -364);
  } else {
    const days = name === "today" ? 1 : Number(name.replace("d", ""));
    fromDate = addDays(today, -(days - 1));
  }
  return {
    name,
    fromDate,
    toDate,
    from: startOfLocalDay(fromDate, timeZone),
    to: startOfLocalDay(addDays(toDate, 1), timeZone),
  };
}
