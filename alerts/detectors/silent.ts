/**
 * The tracker went silent: not one event since the start of the last completed hour (or longer,
 * on a quiet site), when this site usually has enough visitors then that silence by chance is
 * out of the question. The gate counts visitors, not events: events come in bunches per visitor,
 * so ten usual events can be two visitors, and two absent visitors are no news.
 */
import { median } from "../baseline.ts";
import { HOUR_MS, hourOf } from "../series.ts";
import { formatCount } from "../../analytics/format.ts";
import { type DetectorInput, type Judgement, unknown } from "./types.ts";

/** Visitors usually seen in the window before silence counts: P(0) by chance is e^-10. */
export const SILENT_MIN_EXPECTED = 10;
/** The window grows back from the last completed hour up to this, until enough is usual. */
const MAX_WINDOW_HOURS = 4;

/** No events at all while the site normally has visitors. */
export function trackerSilent(input: DetectorInput): Judgement {
  const current = hourOf(input.now);
  const partial = (input.now - current) / HOUR_MS;
  let weeks = 0;
  const usual = (h: number) => {
    const past = input.series.pastWeeks(h, h + HOUR_MS, "visitors");
    weeks = Math.max(weeks, past.length);
    return past.length >= 3 ? median(past) : 0;
  };
  const min = input.rule.minVolume || SILENT_MIN_EXPECTED;
  let from = current - HOUR_MS;
  let expected = usual(current) * partial + usual(from);
  while (expected < min && current - from < MAX_WINDOW_HOURS * HOUR_MS) {
    from -= HOUR_MS;
    expected += usual(from);
  }
  if (weeks < 3 || expected < min) return unknown(from, input.now);
  const actual = input.series.sum(from, current + HOUR_MS, "events");
  const minutes = Math.round((input.now - from) / 60_000);
  return {
    state: actual === 0 ? "anomalous" : "normal",
    periodStart: from,
    periodEnd: input.now,
    actual,
    expected,
    lower: 0,
    upper: expected,
    summary: actual === 0
      ? `The tracker went silent: no events in the last ${minutes} minutes, when about ${
        formatCount(Math.round(expected))
      } visitors are usual. Check that the tracking script is still on your pages.`
      : `The tracker is sending again: ${
        formatCount(actual)
      } events in the last ${minutes} minutes.`,
  };
}
