/**
 * Teachable transactions → Sextant purchases. Every charge is a transaction (a one-time sale,
 * a subscription's first charge or a renewal, a payment plan's instalment), keyed
 * `transaction:<id>`; its refund is `refund:<id>`. A subscription is its sale (`sale:<id>`).
 * Prices are already minor units.
 */
import type { PlatformPurchase, PlatformSubscription } from "../types.ts";
import type { TeachablePlan, TeachableTransaction } from "./objects.ts";

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
 * The refund of a charge: `refunded_amount` when Teachable gives it (a partial refund), else
 * the whole price.
 */
export function refundOf(
  t: TeachableTransaction,
  ctx: TransactionContext,
): PlatformPurchase | null {
  if (!t.refunded_at) return null;
  const amount = t.refunded_amount ?? t.final_price;
  if (amount <= 0) return null;
  return {
    provider: "teachable",
    key: `refund:${t.id}`,
    ts: new Date(t.refunded_at),
    kind: "refund",
    amountMinor: -Math.abs(amount),
    currency: t.currency,
    orderId: t.sale_id ? `sale:${t.sale_id}` : `transaction:${t.id}`,
    email: ctx.email ?? t.user?.email ?? undefined,
    product: ctx.course ?? ctx.plan?.name ?? "",
    paymentRef: t.id,
    refundOf: { key: `transaction:${t.id}`, paymentRef: t.id },
  };
}

const MONTHS: Record<string, number> = { day: 12 / 365, week: 12 / 52, month: 1, year: 12 };

/** A subscription plan's price per month in minor units; 0 for other plans. */
export function monthlyAmount(plan: TeachablePlan): number {
  if (plan.frequency?.type !== "subscription" || plan.price == null) return 0;
  const interval = plan.frequency.billing_interval ?? "month";
  const months = (MONTHS[interval] ?? 1) * (plan.frequency.billing_interval_count ?? 1);
  return Math.round(plan.price / months);
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
