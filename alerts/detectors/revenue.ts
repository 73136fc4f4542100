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
  const band = bandOf(input.series.pastWeeks(from, to, "revenue"), input.rule.sensitivity);
  const usualPurchases = median(input.series.pastWeeks(from, to, "purchases"));
  const min = input.rule.minVolume || REVENUE_MIN_PURCHASES;
  if (!band || usualPurchases < min || band.expected <= 0) return unknown(from, to);
  const actual = input.series.sum(from, to, "revenue");
  // Revenue's spread is not Poisson in cents: also require it to be at most half the usual.
  const anomalous = actual < band.lower && actual < band.expected / 2;
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
