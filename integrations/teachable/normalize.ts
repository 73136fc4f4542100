/**
 * Teachable transactions → Sextant purchases. Every charge is a transaction (a one-time sale,
 * a subscription's first charge or a renewal, a payment plan's instalment), keyed
 * `transaction:<id>`; its refunds are a running total against that key. A subscription is its sale (`sale:<id>`).
 * Prices are already minor units.
 */
import type {
  PlatformEnrollment,
  PlatformPurchase,
  PlatformSubscription,
  RefundTotal,
} from "../types.ts";
import type { TeachablePlan, TeachableTransaction } from "./objects.ts";
import { monthlyMinor } from "../common.ts";

/** What a transaction needs from lookups: the buyer, the course and the plan. */
export interface TransactionContext {
  email?: string;
  course?: string;
  plan?: TeachablePlan | null;
  /** The sale had an earlier charge: this one is a renewal or a later instalment. */
  earlierCharge?: boolean;
}

/** The plan bills again (a subscription or a payment plan). */
export function recurring(plan: TeachablePlan | null | undefined): boolean {
  const type = plan?.frequency?.type;
  return type === "subscription" || type === "payment_plan";
}

/** A charge. */
export function fromTransaction(
  t: TeachableTransaction,
  ctx: TransactionContext,
): PlatformPurchase | null {
  if (t.final_price <= 0) return null;
  const repeats = recurring(ctx.plan);
  const kind = !repeats ? "one_time" : ctx.earlierCharge ? "renewal" : "subscription_start";
  return {
    provider: "teachable",
    key: `transaction:${t.id}`,
    ts: new Date(t.created_at),
    kind,
    amountMinor: t.final_price,
    currency: t.currency,
    orderId: t.sale_id ? `sale:${t.sale_id}` : `transaction:${t.id}`,
    email: ctx.email ?? t.user?.email ?? undefined,
    product: ctx.course ?? ctx.plan?.name ?? "",
    subscriptionId: repeats && t.sale_id ? `sale:${t.sale_id}` : undefined,
    paymentRef: t.id,
  };
}

/**
 * The refunds of a charge so far: `refunded_amount` when Teachable gives it (partial refunds add
 * up), else the whole price. Recorded as a running total, so each new total adds its difference.
 */
export function refundTotalOf(
  t: TeachableTransaction,
  ctx: TransactionContext,
): RefundTotal | null {
  if (!t.refunded_at) return null;
  const total = t.refunded_amount ?? t.final_price;
  if (total <= 0) return null;
  return {
    saleKey: `transaction:${t.id}`,
    totalMinor: total,
    currency: t.currency,
    ts: new Date(t.refunded_at),
    email: ctx.email ?? t.user?.email ?? undefined,
    orderId: t.sale_id ? `sale:${t.sale_id}` : `transaction:${t.id}`,
  };
}

/** A subscription plan's price per month in minor units; 0 for other plans. */
export function monthlyAmount(plan: TeachablePlan): number {
  if (plan.frequency?.type !== "subscription" || plan.price == null) return 0;
  const f = plan.frequency;
  return monthlyMinor(plan.price, f.billing_interval ?? "month", f.billing_interval_count ?? 1);
}

/** A subscription sale's state; null for plans that are not subscriptions. */
export function saleState(
  v: {
    saleId: string;
    plan: TeachablePlan;
    currency: string;
    email?: string;
    startedAt: Date;
    canceledAt: Date | null;
    stateAt: Date;
  },
): PlatformSubscription | null {
  if (v.plan.frequency?.type !== "subscription") return null;
  return {
    subscriptionId: `sale:${v.saleId}`,
    status: v.canceledAt ? "canceled" : "active",
    mrrMinor: monthlyAmount(v.plan),
    currency: v.plan.currency ?? v.currency,
    email: v.email,
    startedAt: v.startedAt,
    canceledAt: v.canceledAt,
    stateAt: v.stateAt,
  };
}

/** An enrollment's key: Teachable names an enrollment by its course and learner. */
export function enrollmentKey(courseId: string, userId: string): string {
  return `course:${courseId}:user:${userId}`;
}

/** A date Teachable sent, or `fallback` when it sent none or not a date. */
export function dateOr(raw: string | null | undefined, fallback: Date): Date {
  const d = raw ? new Date(raw) : fallback;
  return Number.isNaN(d.getTime()) ? fallback : d;
}

/**
 * A listed enrollment (backfill). It states its start only, so an expiry already past ends it and
 * anything a webhook said later wins.
 */
export function fromEnrollmentRow(
  row: { user_id: string; enrolled_at: string; expires_at?: string | null },
  v: { courseId: string; course: string; email?: string; now: Date },
): PlatformEnrollment {
  const enrolledAt = dateOr(row.enrolled_at, v.now);
  const expires = row.expires_at ? dateOr(row.expires_at, v.now) : null;
  return {
    key: enrollmentKey(v.courseId, row.user_id),
    email: v.email,
    course: v.course,
    enrolledAt,
    endedAt: expires && expires <= v.now ? expires : null,
    stateAt: enrolledAt,
  };
}
