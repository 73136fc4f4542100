/**
 * Failed payments, one stored row each (migration 0202): the customer timeline shows every one
 * and the "payment failed" automation fires once per row. Platforms that report each failed
 * attempt (Stripe's `invoice.payment_failed`) record them as they come; for the others a
 * subscription falling past due is the failure (see `applySubscriptionState`).
 */
import type { Sql } from "../db/connect.ts";

/** One failed payment as a platform reports it. */
export interface PaymentFailure {
  siteId: number;
  provider: string;
  /** Unique per platform for this failure (an invoice and its attempt number). */
  key: string;
  ts: Date;
  subscriptionId?: string;
  email?: string;
  /** What was due, in minor units of `currency`. */
  amountMinor: number;
  currency: string;
  reason?: string;
}

/** Stores a failure once; a repeated report of the same one stores nothing. True when new. */
export async function recordPaymentFailure(sql: Sql, f: PaymentFailure): Promise<boolean> {
  const rows = await sql`
    insert into payment_failures (site_id, provider, failure_key, ts, subscription_id,
      customer_email, amount_minor, currency, reason)
    values (${f.siteId}, ${f.provider}, ${f.key.slice(0, 300)}, ${f.ts},
      ${f.subscriptionId ?? ""}, ${(f.email ?? "").trim().toLowerCase().slice(0, 320)},
      ${Math.max(0, Math.round(f.amountMinor))}, ${f.currency.toUpperCase().slice(0, 3)},
      ${(f.reason ?? "").slice(0, 500)})
    on conflict (site_id, provider, failure_key) do nothing
    returning id`;
  return rows.length > 0;
}

/** Whether a status means a payment is owed and failed. */
export function isPastDue(status: string | undefined): boolean {
  return status === "past_due" || status === "unpaid";
}
