/**
 * Links a purchase to a visitor, strongest evidence first: the visitor id the checkout carried →
 * an email seen by identify() or an earlier purchase → a lone visitor active around the purchase
 * time (in the buyer's country when known; low confidence) → unmatched.
 */
import type { Sql } from "../db/connect.ts";
import type { MatchMethod, Purchase } from "./purchases.ts";
import { emailsOfVisitor, nearbyVisitors, visitorExists, visitorsOfEmails } from "./evidence.ts";

export interface MatchResult {
  visitorId: string | null;
  method: MatchMethod;
  confidence: number;
  /** Every visitor id of this customer (devices merged by email). */
  visitors: string[];
  customerKey: string;
}

export const CONFIDENCE: Record<MatchMethod, number> = {
  checkout_id: 1,
  tracker: 1,
  email: 0.9,
  fingerprint: 0.3,
  none: 0,
};

const unique = (xs: string[]) => [...new Set(xs.filter(Boolean))];

/** Decides who bought; reads evidence, writes nothing. */
export async function matchBuyer(sql: Sql, p: Purchase): Promise<MatchResult> {
  const email = p.customer_email;
  const v = p.checkout_visitor_id;
  if (v && await visitorExists(sql, p.site_id, v)) {
    const emails = unique([email, ...await emailsOfVisitor(sql, p.site_id, v)]);
    const others = await visitorsOfEmails(sql, p.site_id, emails, p.ts);
    const method: MatchMethod = p.provider === "tracker" ? "tracker" : "checkout_id";
    return result(p, v, method, unique([v, ...others]), emails[0] ?? "");
  }
  if (email) {
    const visitors = await visitorsOfEmails(sql, p.site_id, [email], p.ts);
    if (visitors.length > 0) return result(p, visitors[0], "email", visitors, email);
  }
  if (p.provider !== "tracker") {
    const nearby = await nearbyVisitors(sql, p.site_id, p.ts, p.country);
    const atCheckout = nearby.filter((n) => n.checkout);
    const lone = nearby.length === 1 ? nearby[0] : atCheckout.length === 1 ? atCheckout[0] : null;
    if (lone) {
      const known = email || (await emailsOfVisitor(sql, p.site_id, lone.visitorId))[0] || "";
      return result(p, lone.visitorId, "fingerprint", [lone.visitorId], known);
    }
  }
  return result(p, null, "none", [], email);
}

function result(
  p: Purchase,
  visitorId: string | null,
  method: MatchMethod,
  visitors: string[],
  email: string,
): MatchResult {
  return {
    visitorId,
    method,
    confidence: CONFIDENCE[method],
    visitors,
    customerKey: customerKey(p, email, visitorId),
  };
}

/** One customer per email; without one, per visitor; without either, per order. */
export function customerKey(p: Purchase, email: string, visitorId: string | null): string {
  if (email) return email;
  if (visitorId) return `visitor:${visitorId}`;
  return `order:${p.provider}:${p.order_id || p.provider_event_id}`;
}
