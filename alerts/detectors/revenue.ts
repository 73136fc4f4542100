/**
 * Revenue drop: the last 24 completed hours against the same 24 hours in past weeks, judged only
 * when those hours usually hold enough purchases for a drop to mean something.
 */
import { bandOf, median } from "../baseline.ts";
import { HOUR_MS, hourOf } from "../series.ts";
import { formatMoney } from "../../analytics/format.ts";
import { type DetectorInput, type Judgement, unknown, verdict } from "./types.ts";

/** Purchases the day usually holds before its revenue is judged. */
export const REVENUE_MIN_PURCHASES = 5;

/** Revenue over the last day well below the usual for those hours of the week. */
export function revenueDrop(input: DetectorInput): Judgement {
  const to = hourOf(input.now);
  const from = to - 24 * HOUR_MS;
  const usualPurchases = median(input.series.pastWeeks(from, to, "purchases"));
  const band = bandOf(input.series.pastWeeks(from, to, "revenue"), input.rule.sensitivity);
  const min = input.rule.minVolume || REVENUE_MIN_PURCHASES;
  if (!band || usualPurchases < min || band.expected <= 0) return unknown(from, to);
  const actual = input.series.sum(from, to, "revenue");
  // Revenue is a count of purchases times their amounts, so its chance spread is at least the
  // purchase count's, which a MAD over a few weeks of day sums may well understate (a day of 12
  // purchases wanders by ±30%). The day's revenue as a purchase count is judged on the square
  // root scale, where a Poisson count's spread is 1/2 whatever its size.
  const asPurchases = (actual / band.expected) * usualPurchases;
  const poissonZ = 2 * (Math.sqrt(usualPurchases) - Math.sqrt(Math.max(0, asPurchases)));
  const anomalous = actual < band.lower && poissonZ > input.rule.sensitivity &&
    actual < band.expected / 2;
  const money = (v: number) => formatMoney(Math.round(v), input.currency);
  return verdict(
    anomalous,
    { from, to },
    actual,
    band,
    anomalous
      ? `Revenue dropped: ${money(actual)} in the last 24 hours against ${
        money(band.expected)
      } usual for these hours.`
      : `Revenue is back to normal: ${money(actual)} in the last 24 hours, ${
        money(band.expected)
      } usual.`,
  );
}
