/**
 * Traffic spikes and drops (visitors or pageviews) against the same hour of the week. The current
 * hour is judged once a quarter of it has passed, against a band scaled to the part elapsed;
 * before that, the last completed hour is.
 */
import { bandOf, pooledRelativeSpread } from "../baseline.ts";
import { HOUR_MS, type HourlyMetric, hourOf } from "../series.ts";
import { formatCount } from "../../analytics/format.ts";
import { type DetectorInput, type Judgement, unknown, verdict } from "./types.ts";

/** Visitors (or pageviews) an hour must differ by before anyone is paged. */
export const TRAFFIC_MIN_VOLUME = 10;
/** Part of the current hour that must have passed before it is judged on its own. */
export const PARTIAL_FROM = 0.25;

function judgeTraffic(input: DetectorInput, direction: "spike" | "drop"): Judgement {
  const metric = (input.rule.metric || "visitors") as HourlyMetric;
  const min = input.rule.minVolume || TRAFFIC_MIN_VOLUME;
  const current = hourOf(input.now);
  const fraction = (input.now - current) / HOUR_MS;
  const judge = (from: number, to: number, scale: number): Judgement => {
    const neighbours = [-2, -1, 0, 1, 2].map((d) =>
      input.series.pastWeeks(from + d * HOUR_MS, from + (d + 1) * HOUR_MS, metric)
    );
    const band = bandOf(
      neighbours[2],
      input.rule.sensitivity,
      scale,
      pooledRelativeSpread(neighbours) ?? undefined,
    );
    if (!band) return unknown(from, to);
    const actual = input.series.sum(from, from + HOUR_MS, metric);
    const anomalous = direction === "spike"
      ? actual > band.upper && actual - band.expected >= min * scale
      : band.expected >= min * scale && actual < band.lower;
    // A drop can only be judged where the usual volume is worth paging for.
    if (direction === "drop" && band.expected < min * scale) return unknown(from, to);
    const name = metric === "pageviews" ? "Pageviews" : "Visitors";
    const span = scale < 1 ? "so far this hour" : "in the last hour";
    const ratio = band.expected > 0 ? actual / band.expected : Infinity;
    const summary = anomalous
      ? `${name} ${direction === "spike" ? "spiked" : "dropped"}: ${formatCount(actual)} ${span}` +
        ` against ${formatCount(Math.round(band.expected))} expected` +
        (Number.isFinite(ratio) ? ` (${ratio.toFixed(1)}×)` : "") + "."
      : `${name} are back to normal: ${formatCount(actual)} ${span}, ${
        formatCount(Math.round(band.expected))
      } expected.`;
    return verdict(anomalous, { from, to }, actual, band, summary);
  };
  if (fraction >= PARTIAL_FROM) {
    const partial = judge(current, input.now, fraction);
    if (partial.state !== "unknown") return partial;
  }
  return judge(current - HOUR_MS, current, 1);
}

/** Visitors or pageviews well above the usual for this hour of the week. */
export function trafficSpike(input: DetectorInput): Judgement {
  return judgeTraffic(input, "spike");
}

/** Visitors or pageviews well below the usual for this hour of the week. */
export function trafficDrop(input: DetectorInput): Judgement {
  return judgeTraffic(input, "drop");
}
