/**
 * Conversion-rate drop: purchases per visitor over the last 24 completed hours against the rate
 * of the same hours in past weeks. The rate is judged as a count: the purchases the usual rate
 * would give this day's visitors, with a Poisson spread, so a day of 3 purchases is not paged
 * for a drop to 1. Only judged when those hours usually hold enough purchases.
 */
import { median } from "../baseline.ts";
import { MIN_WEEKS } from "../baseline.ts";
import { HOUR_MS, hourOf } from "../series.ts";
import { formatCount, formatPercent } from "../../analytics/format.ts";
import { type DetectorInput, type Judgement, unknown, verdict } from "./types.ts";

/** Purchases the day usually holds before its conversion rate is judged. */
export const CONVERSION_MIN_PURCHASES = 10;
/** A drop must also leave at most this share of the usual purchases: wiggles are not paged. */
const AT_MOST = 0.6;

/** Purchases per visitor over the last day well below the usual for those hours of the week. */
export function conversionDrop(input: DetectorInput): Judgement {
  const to = hourOf(input.now);
  const from = to - 24 * HOUR_MS;
  const s = input.series;
  const pastVisitors = s.pastWeeks(from, to, "visitors");
  const pastPurchases = s.pastWeeks(from, to, "purchases");
  const rates = pastVisitors.flatMap((v, k) => v > 0 ? [pastPurchases[k] / v] : []);
  const min = input.rule.minVolume || CONVERSION_MIN_PURCHASES;
  if (rates.length < MIN_WEEKS || median(pastPurchases) < min) return unknown(from, to);
  const visitors = s.sum(from, to, "visitors");
  const purchases = s.sum(from, to, "purchases");
  const rate = median(rates);
  const expected = rate * visitors;
  // Too few visitors today to expect enough purchases: a traffic question, not a conversion one.
  if (expected < min) return unknown(from, to);
  const rateSpread = 1.4826 * median(rates.map((r) => Math.abs(r - rate))) * visitors;
  const spread = Math.max(rateSpread, Math.sqrt(expected));
  const lower = Math.max(0, expected - input.rule.sensitivity * spread);
  const anomalous = purchases < lower && purchases < expected * AT_MOST;
  const pct = (n: number) => (100 * n) / visitors;
  const band = {
    expected: pct(expected),
    lower: pct(lower),
    upper: pct(expected + input.rule.sensitivity * spread),
  };
  const actual = pct(purchases);
  return verdict(
    anomalous,
    { from, to },
    actual,
    band,
    anomalous
      ? `Conversion rate dropped: ${formatPercent(actual)} in the last 24 hours against ${
        formatPercent(band.expected)
      } usual for these hours (${formatCount(purchases)} purchases where ${
        formatCount(Math.round(expected))
      } were expected).`
      : `Conversion rate is back to normal: ${formatPercent(actual)} in the last 24 hours, ${
        formatPercent(band.expected)
      } usual.`,
  );
}
