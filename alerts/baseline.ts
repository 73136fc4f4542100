/**
 * The expected band of a count from the site's own history: the same hour of the week over the
 * last weeks, summarized by median and MAD so one past outlier (a launch, an outage) does not
 * move it, with a Poisson floor on the spread so small counts are not judged too tightly.
 */

/** A count's expected value and the band outside which it is anomalous. */
export interface Band {
  expected: number;
  lower: number;
  upper: number;
  /** How many past weeks the band rests on. */
  weeks: number;
}

/** The median of some numbers (0 for none). */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Weeks of history needed before a band is trusted. */
export const MIN_WEEKS = 3;

/**
 * The band for a count from the same interval in past weeks, `sensitivity` robust deviations
 * wide each side; `scale` (0–1] shrinks it to a partial interval honestly: expected and spread
 * are scaled, and the Poisson floor is taken on the scaled expectation. Null without enough weeks.
 */
export function bandOf(
  history: number[],
  sensitivity: number,
  scale = 1,
  relativeSpread?: number,
): Band | null {
  if (history.length < MIN_WEEKS) return null;
  const m = median(history);
  const mad = median(history.map((v) => Math.abs(v - m)));
  const expected = m * scale;
  // A handful of weeks gives a shaky MAD; a spread pooled over neighbouring hours is steadier.
  const robust = relativeSpread === undefined ? 1.4826 * mad * scale : relativeSpread * expected;
  const spread = Math.max(robust, Math.sqrt(Math.max(expected, 1)));
  return {
    expected,
    lower: Math.max(0, expected - sensitivity * spread),
    upper: expected + sensitivity * spread,
    weeks: history.length,
  };
}

/**
 * The typical relative deviation from normal (as a fraction) over several intervals' histories
 * pooled together. Each past value is divided by the median of its interval's *other* weeks:
 * that is how far a new week lands from a baseline of a few weeks, the baseline's own error
 * included (a value's distance to a median it helped make understates it). Null without enough.
 */
export function pooledRelativeSpread(histories: number[][]): number | null {
  const rel: number[] = [];
  for (const h of histories) {
    if (h.length < MIN_WEEKS) continue;
    for (let i = 0; i < h.length; i++) {
      const m = median(h.filter((_, j) => j !== i));
      if (m > 0) rel.push(h[i] / m - 1);
    }
  }
  if (rel.length < 3 * MIN_WEEKS) return null;
  const mid = median(rel);
  return 1.4826 * median(rel.map((r) => Math.abs(r - mid)));
}
