/**
 * Reporting periods in a site's time zone: "30d" means the last 30 calendar days there,
 * today included. Ranges are half-open [from, to) instants; the comparison range is the same
 * span just before. Local midnights are found with Intl, so any IANA zone works.
 */
import { Invalid } from "../lib/errors.ts";

export const PERIODS = ["today", "yesterday", "7d", "30d", "90d", "12mo", "all", "custom"] as const;
export type PeriodName = (typeof PERIODS)[number];

/** Older or alternative spellings still accepted in URLs; links always use the canonical one. */
const PERIOD_ALIASES: Record<string, PeriodName> = { "12m": "12mo" };

/** The canonical name of a period parameter ("12m" → "12mo"); other values pass unchanged. */
export function canonicalPeriod(value: string): string {
  return PERIOD_ALIASES[value] ?? value;
}

export const GRANULARITIES = ["hour", "day", "week", "month"] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** A calendar day as "YYYY-MM-DD". */
export type Day = string;

export interface ResolvedPeriod {
  name: PeriodName;
  timezone: string;
  /** First instant of the period. */
  from: Date;
  /** End of the period (exclusive), never later than the end of the current hour. */
  to: Date;
  /** First and last calendar day shown (inclusive), in the time zone. */
  firstDay: Day;
  lastDay: Day;
  /** The span just before, for "change vs previous period"; null for all time. */
  previous: { from: Date; to: Date } | null;
  /** The granularity a chart of this period uses unless told otherwise. */
  granularity: Granularity;
  /** Human label: "Last 30 days", "12 Mar – 3 Apr 2026". */
  label: string;
}

const HOUR = 3_600_000;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const partsCache = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsCache.set(tz, f);
  }
  return f;
}

/** The wall-clock fields of an instant in a zone. */
function wall(instant: Date, tz: string) {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(instant)) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  return { y: p.year, m: p.month, d: p.day, h: p.hour, min: p.minute, s: p.second };
}

/** Offset of the zone from UTC at an instant, in milliseconds. */
export function zoneOffsetMs(instant: Date, tz: string): number {
  const w = wall(instant, tz);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The calendar day an instant falls on in the zone. */
export function dayOf(instant: Date, tz: string): Day {
  const w = wall(instant, tz);
  return `${w.y}-${String(w.m).padStart(2, "0")}-${String(w.d).padStart(2, "0")}`;
}

/** The first instant of a calendar day in the zone (handles DST days). */
export function startOfDay(day: Day, tz: string): Date {
  const [y, m, d] = day.split("-").map(Number);
  const guess = Date.UTC(y, m - 1, d);
  let t = guess - zoneOffsetMs(new Date(guess), tz);
  t = guess - zoneOffsetMs(new Date(t), tz);
  return new Date(t);
}

/** Adds whole days to a calendar day. */
export function addDays(day: Day, n: number): Day {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** Adds whole months to a calendar day (clamped to the month's length). */
export function addMonths(day: Day, n: number): Day {
  const [y, m, d] = day.split("-").map(Number);
  const first = new Date(Date.UTC(y, m - 1 + n, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

/** Whole days from a to b. */
export function daysBetween(a: Day, b: Day): number {
  return Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);
}

/**
 * Whether every local midnight of [from, to) falls on a UTC hour, i.e. the hourly rollups can
 * answer exactly. False for zones with half-hour offsets (India, parts of Australia).
 */
export function alignsWithHours(tz: string, from: Date, to: Date): boolean {
  const step = Math.max(HOUR * 24 * 28, 1);
  for (let t = from.getTime(); t <= to.getTime() + step; t += step) {
    if (zoneOffsetMs(new Date(Math.min(t, to.getTime())), tz) % HOUR !== 0) return false;
  }
  return zoneOffsetMs(from, tz) % HOUR === 0 && zoneOffsetMs(to, tz) % HOUR === 0;
}

function parseDay(value: string | undefined, field: string): Day {
  if (!value || !DAY_RE.test(value) || Number.isNaN(Date.parse(value))) {
    throw new Invalid(field, `Give ${field} as a date like 2026-03-31.`);
  }
  return value;
}

const monthNames = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/** "3 Apr 2026" */
export function formatDay(day: Day, withYear = true): string {
  const [y, m, d] = day.split("-").map(Number);
  return `${d} ${monthNames[m - 1]}${withYear ? ` ${y}` : ""}`;
}

function rangeLabel(a: Day, b: Day): string {
  if (a === b) return formatDay(a);
  return `${formatDay(a, a.slice(0, 4) !== b.slice(0, 4))} – ${formatDay(b)}`;
}

/** Picks the granularity a chart of `days` calendar days reads best at. */
export function defaultGranularity(days: number): Granularity {
  if (days <= 2) return "hour";
  if (days <= 92) return "day";
  return "month";
}

export interface PeriodInput {
  period: PeriodName;
  from?: string;
  to?: string;
}

/**
 * Resolves a period in `tz` at time `now`. `firstSeen` bounds "all time" (the site's first
 * event or creation).
 */
export function resolvePeriod(
  input: PeriodInput,
  tz: string,
  now: Date = new Date(),
  firstSeen?: Date | null,
): ResolvedPeriod {
  const today = dayOf(now, tz);
  // The end of the current hour: later instants hold no data, and hour ends keep rollups exact.
  const nowEnd = new Date(Math.ceil((now.getTime() + 1) / HOUR) * HOUR);
  let firstDay: Day;
  let lastDay: Day;
  let label: string;
  let prevFirst: Day | null;
  switch (input.period) {
    case "today":
      firstDay = lastDay = today;
      prevFirst = addDays(today, -1);
      label = "Today";
      break;
    case "yesterday":
      firstDay = lastDay = addDays(today, -1);
      prevFirst = addDays(today, -2);
      label = "Yesterday";
      break;
    case "7d":
    case "30d":
    case "90d": {
      const n = Number(input.period.slice(0, -1));
      firstDay = addDays(today, -(n - 1));
      lastDay = today;
      prevFirst = addDays(firstDay, -n);
      label = `Last ${n} days`;
      break;
    }
    case "12mo":
      firstDay = addMonths(today.slice(0, 8) + "01", -11);
      lastDay = addDays(addMonths(today.slice(0, 8) + "01", 1), -1);
      prevFirst = addMonths(firstDay, -12);
      label = "Last 12 months";
      break;
    case "all":
      firstDay = firstSeen ? dayOf(firstSeen, tz) : today;
      if (firstDay > today) firstDay = today;
      lastDay = today;
      prevFirst = null;
      label = "All time";
      break;
    case "custom": {
      firstDay = parseDay(input.from, "from");
      lastDay = parseDay(input.to ?? input.from, "to");
      if (lastDay < firstDay) throw new Invalid("to", "The end date comes before the start date.");
      if (daysBetween(firstDay, lastDay) > 366 * 5) {
        throw new Invalid("to", "A custom range can span at most five years.");
      }
      prevFirst = addDays(firstDay, -(daysBetween(firstDay, lastDay) + 1));
      label = rangeLabel(firstDay, lastDay);
      break;
    }
  }
  const from = startOfDay(firstDay, tz);
  const end = startOfDay(addDays(lastDay, 1), tz);
  const to = end.getTime() > nowEnd.getTime() && from.getTime() < nowEnd.getTime() ? nowEnd : end;
  const span = to.getTime() - from.getTime();
  const previous = prevFirst === null ? null : (() => {
    const pFrom = startOfDay(prevFirst, tz);
    return { from: pFrom, to: new Date(pFrom.getTime() + span) };
  })();
  return {
    name: input.period,
    timezone: tz,
    from,
    to,
    firstDay,
    lastDay,
    previous,
    granularity: input.period === "12mo"
      ? "month"
      : defaultGranularity(daysBetween(firstDay, lastDay) + 1),
    label,
  };
}

/** Refuses granularities that would draw too many or too few points, with a sentence. */
export function checkGranularity(p: ResolvedPeriod, g: Granularity): void {
  const days = daysBetween(p.firstDay, p.lastDay) + 1;
  if (g === "hour" && days > 31) {
    throw new Invalid("interval", "Hourly charts cover at most 31 days; pick a shorter period.");
  }
  if (g === "day" && days > 1100) {
    throw new Invalid("interval", "Daily charts cover at most three years; try weeks or months.");
  }
}

/** Every bucket label ("YYYY-MM-DDTHH:MM", local) a chart of the period shows, in order. */
export function bucketLabels(p: ResolvedPeriod, g: Granularity): string[] {
  const out: string[] = [];
  if (g === "hour") {
    for (let d = p.firstDay; d <= p.lastDay; d = addDays(d, 1)) {
      for (let h = 0; h < 24; h++) out.push(`${d}T${String(h).padStart(2, "0")}:00`);
    }
    return out;
  }
  let d = p.firstDay;
  if (g === "week") {
    const dow = (new Date(Date.parse(d)).getUTCDay() + 6) % 7;
    d = addDays(d, -dow);
  }
  if (g === "month") d = d.slice(0, 8) + "01";
  while (d <= p.lastDay) {
    out.push(`${d}T00:00`);
    d = g === "day" ? addDays(d, 1) : g === "week" ? addDays(d, 7) : addMonths(d, 1);
  }
  return out;
}

/** The start label of the bucket that follows `label` at granularity `g`. */
export function nextBucket(label: string, g: Granularity): string {
  const [day, time] = label.split("T");
  if (g === "hour") {
    const h = Number(time.slice(0, 2)) + 1;
    return h === 24 ? `${addDays(day, 1)}T00:00` : `${day}T${String(h).padStart(2, "0")}:00`;
  }
  const next = g === "day" ? addDays(day, 1) : g === "week" ? addDays(day, 7) : addMonths(day, 1);
  return `${next}T00:00`;
}

/** An instant's wall-clock time in the zone as a bucket-style label, "YYYY-MM-DDTHH:MM". */
export function localLabel(instant: Date, tz: string): string {
  const w = wall(instant, tz);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${dayOf(instant, tz)}T${two(w.h)}:${two(w.min)}`;
}

/** The buckets a chart draws, and whether the last one is still under way. */
export interface ChartBuckets {
  buckets: string[];
  partial: boolean;
}

/**
 * The buckets of the period a chart draws: none that has not begun by `now` (the future is not
 * zero, it is unknown), and no empty ones leading up to the site's beginning day (`since`), so a
 * new site's chart starts where the site does. Data older than that (an import) is still drawn,
 * so the points always add up to the totals. The bucket holding `now` is marked partial.
 */
export function chartBuckets(
  p: ResolvedPeriod,
  g: Granularity,
  now: Date,
  since: Date | null,
  hasData: (bucket: string) => boolean = () => false,
): ChartBuckets {
  const current = localLabel(now, p.timezone);
  const start = since ? `${dayOf(since, p.timezone)}T00:00` : "";
  const all = bucketLabels(p, g).filter((b) => b <= current);
  const begin = all.findIndex((b) => nextBucket(b, g) > start || hasData(b));
  const buckets = begin < 0 ? [] : all.slice(begin);
  const last = buckets[buckets.length - 1];
  return { buckets, partial: last !== undefined && nextBucket(last, g) > current };
}
