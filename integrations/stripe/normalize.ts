/**
 * Stripe objects → Sextant purchases and subscription states. Keys are chosen so that the same
 * money seen twice — through a webhook and a backfill, or a Checkout Session and its
 * PaymentIntent — lands on one purchase: one-time payments are `pi:<PaymentIntent>`, subscription
 * invoices `invoice:<Invoice>`, refunds `refund:<Refund>`.
 */
import type { PlatformPaymentFailure, PlatformPurchase, PlatformSubscription } from "../types.ts";
import type { CheckoutSession, Invoice, PaymentIntent, Refund, Subscription } from "./objects.ts";

const at = (unix: number) => new Date(unix * 1000);

/** Metadata keys that carry the Sextant visitor id (client_reference_id is checked first). */
export const VISITOR_KEYS = ["sextant_visitor_id", "sextant_vid", "visitor_id"];
const GIFT_KEYS = ["gift_recipient_email", "recipient_email", "gift_email", "gift_to"];

function visitorFrom(metadata: Record<string, string>, clientReference?: string | null) {
  if (clientReference) return clientReference;
  for (const k of VISITOR_KEYS) if (metadata[k]) return metadata[k];
  return undefined;
}

function giftFrom(
  metadata: Record<string, string>,
  fields: CheckoutSession["custom_fields"] = [],
): string | undefined {
  for (const k of GIFT_KEYS) if (metadata[k]?.includes("@")) return metadata[k];
  for (const f of fields ?? []) {
    const v = f.text?.value ?? "";
    if (/gift|recipient/i.test(f.key) && v.includes("@")) return v;
  }
  return undefined;
}

/** "Course", or "Course + 2 more" for several line items. */
export function productName(items: { description?: string | null }[] | undefined): string {
  const names = (items ?? []).map((i) => i.description ?? "").filter(Boolean);
  if (names.length === 0) return "";
  return names.length === 1 ? names[0] : `${names[0]} + ${names.length - 1} more`;
}

/** A completed Checkout Session (Checkout or a Payment Link) that has been paid. */
export function fromCheckoutSession(
  s: CheckoutSession,
  opts: { completedAt?: number; product?: string } = {},
): PlatformPurchase | null {
  if (s.mode === "setup") return null;
  if (s.payment_status !== "paid" && s.payment_status !== "no_payment_required") return null;
  if (s.amount_total == null || !s.currency) return null;
  const subscription = s.mode === "subscription";
  const key = subscription
    ? (s.invoice ? `invoice:${s.invoice}` : `cs:${s.id}`)
    : (s.payment_intent ? `pi:${s.payment_intent}` : `cs:${s.id}`);
  return {
    provider: "stripe",
    key,
    ts: at(opts.completedAt ?? s.created),
    kind: subscription ? "subscription_start" : "one_time",
    amountMinor: s.amount_total,
    currency: s.currency,
    orderId: s.id,
    email: s.customer_details?.email ?? s.customer_email ?? undefined,
    product: opts.product ?? productName(s.line_items?.data),
    visitorId: visitorFrom(s.metadata, s.client_reference_id),
    giftRecipientEmail: giftFrom(s.metadata, s.custom_fields),
    country: s.customer_details?.address?.country ?? undefined,
    subscriptionId: s.subscription ?? undefined,
    paymentRef: s.payment_intent ?? undefined,
  };
}

/** A paid invoice: a subscription's first payment, a renewal, or a one-off invoice. */
export function fromInvoice(inv: Invoice): PlatformPurchase | null {
  if (inv.status && inv.status !== "paid") return null;
  const reason = inv.billing_reason ?? "";
  const details = inv.parent?.subscription_details;
  const kind = reason === "subscription_create"
    ? "subscription_start"
    : reason.startsWith("subscription")
    ? "renewal"
    : "one_time";
  // A renewal of nothing (a free period) moves no money; a free first period still starts the
  // subscription, so its renewals can follow its journey.
  if (inv.amount_paid === 0 && kind !== "subscription_start") return null;
  const metadata = { ...details?.metadata, ...inv.metadata };
  return {
    provider: "stripe",
    key: `invoice:${inv.id}`,
    ts: at(inv.status_transitions?.paid_at ?? inv.created),
    kind,
    amountMinor: inv.amount_paid,
    currency: inv.currency,
    orderId: inv.number ?? inv.id,
    email: inv.customer_email ?? undefined,
    product: productName(inv.lines?.data),
    visitorId: visitorFrom(metadata),
    giftRecipientEmail: giftFrom(metadata),
    country: inv.customer_address?.country ?? undefined,
    subscriptionId: details?.subscription ?? undefined,
    paymentRef: inv.payments?.data.find((p) => p.payment?.payment_intent)?.payment
      ?.payment_intent ?? undefined,
  };
}

/**
 * A failed attempt to pay an invoice (`invoice.payment_failed`): Stripe sends one per attempt,
 * with the attempt number, so each retry that fails is its own failure.
 */
export function fromFailedInvoice(inv: Invoice, failedAt: number): PlatformPaymentFailure {
  const attempt = inv.attempt_count ?? 1;
  return {
    key: `invoice:${inv.id}:attempt:${attempt}`,
    ts: at(failedAt),
    subscriptionId: inv.parent?.subscription_details?.subscription ?? undefined,
    email: inv.customer_email ?? undefined,
    amountMinor: inv.amount_due ?? 0,
    currency: inv.currency,
    reason: attempt > 1 ? `Attempt ${attempt}` : "",
  };
}

/** A PaymentIntent paid outside Checkout and invoices (Elements, the API). */
export function fromPaymentIntent(pi: PaymentIntent): PlatformPurchase | null {
  if (pi.status !== "succeeded" || pi.amount_received <= 0) return null;
  return {
    provider: "stripe",
    key: `pi:${pi.id}`,
    ts: at(pi.created),
    kind: "one_time",
    amountMinor: pi.amount_received,
    currency: pi.currency,
    orderId: pi.id,
    email: pi.receipt_email ?? undefined,
    product: pi.description ?? "",
    visitorId: visitorFrom(pi.metadata),
    giftRecipientEmail: giftFrom(pi.metadata),
    paymentRef: pi.id,
  };
}

/** A succeeded refund; `invoiceId` when the refunded payment paid an invoice. */
export function fromRefund(
  r: Refund,
  opts: { invoiceId?: string | null; email?: string | null } = {},
): PlatformPurchase | null {
  if (r.status && r.status !== "succeeded" && r.status !== "pending") return null;
  const pi = r.payment_intent ?? undefined;
  return {
    provider: "stripe",
    key: `refund:${r.id}`,
    ts: at(r.created),
    kind: "refund",
    amountMinor: -Math.abs(r.amount),
    currency: r.currency,
    orderId: r.charge ?? r.id,
    email: opts.email ?? undefined,
    paymentRef: pi,
    refundOf: {
      key: opts.invoiceId ? `invoice:${opts.invoiceId}` : pi ? `pi:${pi}` : undefined,
      paymentRef: pi,
    },
  };
}

const MONTHS_PER: Record<string, number> = { day: 12 / 365, week: 12 / 52, month: 1, year: 12 };

/** Monthly recurring amount of a subscription's items, in minor units. */
export function monthlyAmount(s: Subscription): number {
  let total = 0;
  for (const item of s.items.data) {
    const rec = item.price.recurring;
    if (!rec || item.price.unit_amount == null) continue;
    const months = (MONTHS_PER[rec.interval] ?? 1) * (rec.interval_count ?? 1);
    total += (item.price.unit_amount * (item.quantity ?? 1)) / months;
  }
  return Math.round(total);
}

/** A subscription's current state, as of `stateAt` (the event's time). */
export function fromSubscription(s: Subscription, stateAt: number): PlatformSubscription {
  const ended = s.ended_at ?? s.canceled_at;
  return {
    subscriptionId: s.id,
    status: s.status,
    mrrMinor: monthlyAmount(s),
    currency: s.currency,
    startedAt: at(s.start_date ?? s.created),
    canceledAt: ended && (s.status === "canceled" || s.status === "incomplete_expired")
      ? at(ended)
      : null,
    stateAt: at(stateAt),
  };
}
