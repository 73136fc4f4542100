/** The customers CSV: one row per customer, money in the site's currency (major units). */
import { toCsv } from "../analytics/csv.ts";
import { minorToDecimal } from "../attribution/currency.ts";
import { type Customer, STATUS_LABELS } from "./store.ts";

const iso = (d: Date | null) => (d ? d.toISOString() : "");

/** Customers (with their tag names) as CSV text. */
export function customersCsv(
  rows: Array<Customer & { tags?: string[] }>,
  currency: string,
): string {
  return toCsv([
    [
      "email",
      "name",
      "status",
      "joined",
      `lifetime_revenue_${currency.toLowerCase()}`,
      "payments",
      "refunds",
      `mrr_${currency.toLowerCase()}`,
      "plan",
      "last_payment",
      "last_active",
      "visits",
      "engagement",
      "first_source",
      "first_channel",
      "first_campaign",
      "country",
      "device",
      "tags",
    ],
    ...rows.map((c) => [
      c.email,
      c.name,
      STATUS_LABELS[c.status],
      iso(c.joined_at),
      minorToDecimal(c.revenue, currency),
      c.payments,
      c.refunds,
      minorToDecimal(c.mrr, currency),
      c.plan,
      iso(c.last_payment_at),
      iso(c.last_active_at),
      c.visits,
      c.engagement,
      c.first_source,
      c.first_channel,
      c.first_campaign,
      c.country,
      c.device,
      (c.tags ?? []).join("; "),
    ]),
  ]);
}
