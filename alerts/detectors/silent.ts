/**
 * The tracker went silent: not one event over the last completed hour and the current one, when
 * this site usually has enough then that silence by chance is out of the question.
 */
import { bandOf } from "../baseline.ts";
import { HOUR_MS, hourOf } from "../series.ts";
import { formatCount } from "../../analytics/format.ts";
import { type DetectorInput, type Judgement, unknown } from "./types.ts";

/** Events usually seen in the window before silence counts: P(0) by chance is e^-10. */
export const SILENT_MIN_EXPECTED = 10;

/** No events at all while the site normally has them. */
export function trackerSilent(input: DetectorInput): Judgement {
  const from = hourOf(input.now) - HOUR_MS;
  const scale = (input.now - from) / HOUR_MS / 2;
  // The band over the two hours, shrunk to the part of them that has passed.
  const band = bandOf(
    input.series.pastWeeks(from, from + 2 * HOUR_MS, "events"),
    input.rule.sensitivity,
    scale,
  );
  const min = input.rule.minVolume || SILENT_MIN_EXPECTED;
  if (!band || band.expected < min) return unknown(from, input.now);
  const actual = input.series.sum(from, from + 2 * HOUR_MS, "events");
  const minutes = Math.round((input.now - from) / 60_000);
  return {
    state: actual === 0 ? "anomalous" : "normal",
    periodStart: from,
    periodEnd: input.now,
    actual,
    ...band,
    summary: actual === 0
      ? `The tracker went silent: no events in the last ${minutes} minutes, when about ${
        formatCount(Math.round(band.expected))
      } are usual. Check that the tracking script is still on your pages.`
      : `The tracker is sending again: ${
        formatCount(actual)
      } events in the last ${minutes} minutes.`,
  };
}
