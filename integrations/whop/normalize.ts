/**
 * Whop objects → Sextant purchases and subscription states. Whop amounts are decimal major
 * units; they become integer minor units of the payment's currency here (19.99 USD → 1999,
 * 1500 JPY → 1500). Keys: a payment is `payment:<id>`, a refund `refund:<id>`, so a webhook and
 * a backfill of the same money land on one purchase. A membership is the subscription.
 */
import type { PlatformPurchase, PlatformSubscription } from "../types.ts";
import { decimalToMinor } from "../../attribution/currency.ts";
import { visitorFrom } from "../common.ts";
import type { WhopMembership, WhopPayment, WhopPlan, WhopRefund } from "./objects.ts";

/** Decimal major units → minor units; throws with a sentence when it isn't an amount. */
export function whopMinor(amount: number | string, currency: string): number {
  const minor = decimalToMinor(typeof amount === "number" ? String(amount) : amount, currency);
  if (minor === null) throw new Error(`Whop sent an amount Sextant could not read (${amount}).`);
  return minor;
}

const date = (iso: string) => new Date(iso);

/** A paid payment: a one-time purchase, a membership's first payment or a renewal. */
export function fromPayment(p: WhopPayment): PlatformPurchase | null {
  if (p.status && p.status !== "paid") return null;
  if (p.total == null || !p.currency) return null;
  const reason = p.billing_reason ?? "";
  const kind = reason === "subscription_create"
    ? "subscription_start"
    : reason === "subscription_cycle" || reason === "subscription_update"
    ? "renewal"
    : "one_time";
  const amountMinor = whopMinor(p.total, p.currency);
  if (amountMinor === 0 && kind !== "subscription_start") return null;
  return {
    provider: "whop",
    key: `payment:${p.id}`,
    ts: date(p.paid_at ?? p.created_at),
    kind,
    amountMinor,
    currency: p.currency,
    orderId: p.id,
    email: p.user?.email ?? undefined,
    product: p.product?.title ?? "",
    visitorId: visitorFrom(p.metadata),
    country: p.billing_address?.country ?? undefined,
    subscriptionId: p.membership?.id ?? undefined,
    paymentRef: p.id,
  };
}

/** A refund that went through, full or partial; `payment` fills in who was refunded. */
export function fromRefund(r: WhopRefund, payment?: WhopPayment | null): PlatformPurchase | null {
  if (r.status !== "succeeded") return null;
  const paymentId = r.payment?.id ?? payment?.id;
  return {
    provider: "whop",
    key: `refund:${r.id}`,
    ts: date(r.created_at),
    kind: "refund",
    amountMinor: -Math.abs(whopMinor(r.amount, r.currency)),
    currency: r.currency,
    orderId: paymentId ?? r.id,
    email: payment?.user?.email ?? undefined,
    product: payment?.product?.title ?? "",
    paymentRef: paymentId,
    refundOf: paymentId ? { key: `payment:${paymentId}`, paymentRef: paymentId } : undefined,
  };
}

const DAYS_PER_MONTH = 365.25 / 12;

/** A plan's renewal price per month, in minor units; 0 for one-time plans. */
export function monthlyAmount(plan: WhopPlan): number {
  if (plan.plan_type && plan.plan_type !== "renewal") return 0;
  if (plan.renewal_price == null || !plan.currency || !plan.billing_period) return 0;
  const price = whopMinor(plan.renewal_price, plan.currency);
  const raw = plan.billing_period / DAYS_PER_MONTH;
  // 30 or 31 days bill monthly, 365 yearly: round to quarter months from a month up.
  const months = raw >= 0.9 ? Math.round(raw * 4) / 4 : raw;
  return Math.round(price / months);
}

const ENDED = new Set(["canceled", "expired", "completed"]);

/** A membership's state as of `stateAt`; null for memberships of one-time plans. */
export function fromMembership(
  m: WhopMembership,
  plan: WhopPlan,
  stateAt: Date,
): PlatformSubscription | null {
  if (plan.plan_type && plan.plan_type !== "renewal") return null;
  if (!plan.currency) return null;
  const ended = ENDED.has(m.status);
  return {
    subscriptionId: m.id,
    status: m.status,
    mrrMinor: monthlyAmount(plan),
    currency: plan.currency,
    email: m.user?.email ?? undefined,
    startedAt: date(m.created_at),
    canceledAt: ended ? date(m.canceled_at ?? m.updated_at ?? stateAt.toISOString()) : null,
    stateAt,
  };
}
