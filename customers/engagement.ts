/**
 * The engagement score, 0–100, from recency and frequency of visits and payments. SQL computes
 * it for lists and segments (`sextant_engagement`, migration 0130); this is the same formula for
 * reading and for tests, documented in docs/customers.md.
 */

/** What the score is made of. */
export interface EngagementInputs {
  lastVisitAt: Date | null;
  /** Visits in the last 30 days. */
  visits30d: number;
  lastPaymentAt: Date | null;
  /** Payments in the last 365 days. */
  payments365d: number;
}

/** Weights and horizons: a part is full on the day (or at the count) and empty at the horizon. */
export const ENGAGEMENT_PARTS = {
  visitRecency: { weight: 35, days: 60 },
  visitFrequency: { weight: 25, count: 10 },
  paymentRecency: { weight: 25, days: 365 },
  paymentFrequency: { weight: 15, count: 12 },
} as const;

const clamp = (x: number) => Math.min(1, Math.max(0, x));
const daysSince = (d: Date | null, at: Date) =>
  d === null ? Infinity : (at.getTime() - d.getTime()) / 86_400_000;

/** The score at `at`. */
export function engagementScore(i: EngagementInputs, at: Date): number {
  const p = ENGAGEMENT_PARTS;
  const score =
    p.visitRecency.weight * clamp(1 - daysSince(i.lastVisitAt, at) / p.visitRecency.days) +
    p.visitFrequency.weight * clamp(i.visits30d / p.visitFrequency.count) +
    p.paymentRecency.weight * clamp(1 - daysSince(i.lastPaymentAt, at) / p.paymentRecency.days) +
    p.paymentFrequency.weight * clamp(i.payments365d / p.paymentFrequency.count);
  return Math.round(score);
}
