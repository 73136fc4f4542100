/** What every detector takes and answers, so the evaluator can run them all alike. */
import type { HourlySeries } from "../series.ts";

/** A rule's tunable settings, as a detector reads them. */
export interface RuleSettings {
  kind: string;
  metric: string;
  sensitivity: number;
  /** 0: the detector's own minimum. */
  minVolume: number;
}

/** A detector's verdict on the latest interval it could judge. */
export interface Judgement {
  /** unknown: too little history or volume to say (never opens, never closes an incident). */
  state: "anomalous" | "normal" | "unknown";
  periodStart: number;
  periodEnd: number;
  actual: number;
  expected: number;
  lower: number;
  upper: number;
  /** One sentence for people, numbers formatted. */
  summary: string;
}

/** Everything a detector may look at. */
export interface DetectorInput {
  series: HourlySeries;
  /** Evaluation time, ms. */
  now: number;
  rule: RuleSettings;
  currency: string;
}

/** A detector judges from the hourly rollups alone. */
export type Detector = (input: DetectorInput) => Judgement;

/** A verdict with nothing to say. */
export function unknown(periodStart: number, periodEnd: number): Judgement {
  return {
    state: "unknown",
    periodStart,
    periodEnd,
    actual: 0,
    expected: 0,
    lower: 0,
    upper: 0,
    summary: "",
  };
}

/** A verdict on [from, to) from the actual count, its band and the sentence to tell. */
export function verdict(
  anomalous: boolean,
  period: { from: number; to: number },
  actual: number,
  band: { expected: number; lower: number; upper: number },
  summary: string,
): Judgement {
  return {
    state: anomalous ? "anomalous" : "normal",
    periodStart: period.from,
    periodEnd: period.to,
    actual,
    expected: band.expected,
    lower: band.lower,
    upper: band.upper,
    summary,
  };
}
