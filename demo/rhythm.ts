/**
 * How the demo site's traffic rises and falls over a day and over its history. The seeded history
 * and the live simulation both follow it, so "right now" and "today" agree with the past weeks
 * instead of a live stream ten times busier than the site's own history.
 */

/** Relative visits per UTC hour: a daytime peak (mid-morning in New York) and a quiet night. */
const HOUR_WEIGHTS = Array.from(
  { length: 24 },
  (_, h) => 0.12 + Math.exp(-((h - 15) ** 2) / (2 * 3.5 ** 2)),
);
const WEIGHT_TOTAL = HOUR_WEIGHTS.reduce((s, w) => s + w, 0);

/** The share of a day's visits that start in UTC hour `hour` (0–23); the 24 shares sum to 1. */
export function hourShare(hour: number): number {
  return HOUR_WEIGHTS[hour] / WEIGHT_TOTAL;
}

/** The UTC hour a visit starts in, drawn by each hour's share from a uniform `u` in [0, 1). */
export function hourFor(u: number): number {
  let left = u * WEIGHT_TOTAL;
  for (let h = 0; h < 24; h++) if ((left -= HOUR_WEIGHTS[h]) < 0) return h;
  return 23;
}

/** Expected new visitors on day `d` of the 60-day history (59 = today): growth and weekends. */
export function typicalVisitors(d: number, date: Date): number {
  const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6 ? 0.72 : 1;
  return 95 * (1 + d / 60) * weekend;
}

/** Visits starting per minute at `at` on a typical day like today. */
export function arrivalsPerMinute(at: number): number {
  const date = new Date(at);
  return typicalVisitors(59, date) * hourShare(date.getUTCHours()) / 60;
}

/**
 * How many visitors the live view shows at `at`: visits starting per minute times the minutes
 * each one stays counted (its length plus the active window after its last event).
 */
export function expectedLiveVisitors(at: number, minutesCounted: number): number {
  return arrivalsPerMinute(at) * minutesCounted;
}

/** The wait before the next simulated visit starts: a Poisson stream at the hour's rate. */
export function nextVisitGapMs(at: number, u: number): number {
  return -Math.log(1 - u) * 60_000 / arrivalsPerMinute(at);
}
