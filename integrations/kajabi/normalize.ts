/**
 * Kajabi transactions and hook items → Sextant purchases. A charge is `transaction:<id>`, so a
 * hook and a backfill of the same payment land on one purchase; a refund is its own transaction
 * and points at the purchase (the offer bought) it refunds. Amounts are already cents.
 */
import type { PlatformPurchase } from "../types.ts";
import type { KajabiHookItem } from "./objects.ts";

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
