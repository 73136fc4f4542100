/**
 * Kajabi transactions and hook items → Sextant purchases. A charge is `transaction:<id>`, so a
 * hook and a backfill of the same payment land on one purchase; a refund is its own transaction
 * and points at the purchase (the offer bought) it refunds. Amounts are already cents.
 * A subscription is its purchase (`purchase:<id>`): active until Kajabi deactivates the purchase.
 */
import type { PlatformPurchase, PlatformSubscription } from "../types.ts";
import type { KajabiHookItem, KajabiPurchase } from "./objects.ts";
import { monthlyMinor } from "../common.ts";

/** A charge's first payment is within this of its purchase; later ones are renewals. */
export const FIRST_CHARGE_WINDOW_MS = 86_400_000;

export interface KajabiCharge {
  transactionId: string;
  action: string;
  amountCents: number;
  currency: string;
  createdAt: Date;
  paymentType: string;
  email?: string;
  offer?: string;
  purchaseId?: string;
  /** When the purchase (the offer bought) was made, if known. */
  purchasedAt?: Date;
}

/** A charge or a refund. */
export function fromCharge(c: KajabiCharge): PlatformPurchase | null {
  if (c.amountCents === 0) return null;
  const order = c.purchaseId ? `purchase:${c.purchaseId}` : `transaction:${c.transactionId}`;
  if (c.action === "refund" || c.amountCents < 0) {
    return {
      provider: "kajabi",
      key: `transaction:${c.transactionId}`,
      ts: c.createdAt,
      kind: "refund",
      amountMinor: -Math.abs(c.amountCents),
      currency: c.currency,
      orderId: order,
      email: c.email,
      product: c.offer ?? "",
      refundOf: { orderId: order },
    };
  }
  const repeats = c.paymentType === "subscription" || c.paymentType === "multipay";
  const first = !c.purchasedAt ||
    c.createdAt.getTime() - c.purchasedAt.getTime() < FIRST_CHARGE_WINDOW_MS;
  return {
    provider: "kajabi",
    key: `transaction:${c.transactionId}`,
    ts: c.createdAt,
    kind: !repeats ? "one_time" : first ? "subscription_start" : "renewal",
    amountMinor: c.amountCents,
    currency: c.currency,
    orderId: order,
    email: c.email,
    product: c.offer ?? "",
    subscriptionId: repeats && c.purchaseId ? `purchase:${c.purchaseId}` : undefined,
    paymentRef: c.transactionId,
  };
}

/** A hook item as a charge; null when it carries no amount. */
export function chargeOfHookItem(item: KajabiHookItem, at: Date): KajabiCharge | null {
  if (item.amount_in_cents == null || !item.currency) return null;
  return {
    transactionId: item.transaction_id ?? item.id,
    action: "charge",
    amountCents: item.amount_in_cents,
    currency: item.currency,
    createdAt: item.created_at ? new Date(item.created_at) : at,
    paymentType: item.payment_type ?? "single",
    email: item.customer?.email ?? undefined,
    offer: item.offer?.title ?? undefined,
    purchaseId: item.purchase_id ?? undefined,
  };
}

/**
 * A subscription purchase's state, as read from the purchase: active, or cancelled when Kajabi
 * deactivated it. The monthly amount is the purchase's recurring price over its interval; without
 * them (not confirmed in Kajabi's documentation), the charge's amount each month. Null for
 * purchases that are not subscriptions (one-time and multipay).
 */
export function purchaseState(
  purchaseId: string,
  p: KajabiPurchase,
  charge: { amountCents: number; currency: string; email?: string; at: Date },
): PlatformSubscription | null {
  if ((p.payment_type ?? "") !== "subscription") return null;
  const deactivated = p.deactivated_at ? new Date(p.deactivated_at) : null;
  const ended = deactivated && !Number.isNaN(deactivated.getTime()) ? deactivated : null;
  const created = p.created_at ? new Date(p.created_at) : charge.at;
  const price = p.amount_in_cents ?? Math.abs(charge.amountCents);
  return {
    subscriptionId: `purchase:${purchaseId}`,
    status: ended ? "canceled" : "active",
    mrrMinor: monthlyMinor(price, p.subscription_interval ?? "month"),
    currency: p.currency ?? charge.currency,
    email: charge.email,
    startedAt: Number.isNaN(created.getTime()) ? charge.at : created,
    canceledAt: ended,
    // A deactivation is news from when it happened; an active purchase, from the charge seen.
    stateAt: ended ?? charge.at,
  };
}
