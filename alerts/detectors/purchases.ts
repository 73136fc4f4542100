/**
 * Purchases stopped: none over a window long enough that, at this site's usual rate for those
 * hours of the week, zero would be very unlikely (a checkout broke). The window grows back from
 * now, hour by hour, up to two days, until the usual count is enough.
 */
import { median } from "../baseline.ts";
import { HOUR_MS, hourOf } from "../series.ts";
import { formatCount } from "../../analytics/format.ts";
import { type DetectorInput, type Judgement, unknown } from "./types.ts";

/** Purchases usually seen in the window before zero counts: P(0) by chance is e^-8. */
export const PURCHASES_MIN_EXPECTED = 8;
const MAX_WINDOW_HOURS = 48;

/** No purchases over a window where several are usual. */
export function purchasesStopped(input: DetectorInput): Judgement {
  const min = input.rule.minVolume || PURCHASES_MIN_EXPECTED;
  const current = hourOf(input.now);
  const partial = (input.now - current) / HOUR_MS;
  let expected = 0;
  let from = current;
  let weeks = 0;
  // The current partial hour counts for the part of it that has passed.
  const usual = (h: number) => {
    const past = input.series.pastWeeks(h, h + HOUR_MS, "purchases");
    weeks = Math.max(weeks, past.length);
    return past.length >= 3 ? median(past) : 0;
  };
  expected += usual(current) * partial;
  while (expected < min && current - from < MAX_WINDOW_HOURS * HOUR_MS) {
    from -= HOUR_MS;
    expected += usual(from);
  }
  if (weeks < 3 || expected < min) return unknown(from, input.now);
  const actual = input.series.sum(from, current + HOUR_MS, "purchases");
  const hours = Math.round((input.now - from) / HOUR_MS);
  return {
    state: actual === 0 ? "anomalous" : "normal",
    periodStart: from,
    periodEnd: input.now,
    actual,
    expected,
    lower: 0,
    upper: expected,
    summary: actual === 0
      ? `Purchases stopped: none in the last ${hours} hours, when about ${
        formatCount(Math.round(expected))
      } are usual. Check that checkout works.`
      : `Purchases are coming in again: ${formatCount(actual)} in the last ${hours} hours.`,
  };
}
