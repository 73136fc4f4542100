/**
 * Attributes one purchase: matches the buyer, stores their journey, writes credits for every
 * model, then does the same for the refunds and renewals that follow it. Runs inside the
 * caller's transaction.
 */
import type { Sql } from "../db/connect.ts";
import { NotFound } from "../lib/errors.ts";
import { type Attribution, writeCredits } from "./credits.ts";
import { linkIdentity, loadJourney } from "./evidence.ts";
import { matchBuyer } from "./matching.ts";
import { findChildren, findPurchase, type Purchase, saveMatch } from "./purchases.ts";

/** What attribution needs to know about a site. */
export interface SiteMoney {
  id: number;
  currency: string;
  attribution_window_days: number;
}

/** The site's currency and attribution window. */
export async function loadSiteMoney(sql: Sql, siteId: number): Promise<SiteMoney> {
  const [site] = await sql<SiteMoney[]>`
    select id, currency::text as currency, attribution_window_days from sites where id = ${siteId}`;
  if (!site) throw new NotFound("We couldn't find that site.");
  return { ...site, currency: site.currency.trim().toUpperCase() };
}

/** Re-attributes `p` (and everything credited through it); returns the updated purchase. */
export async function attribute(
  sql: Sql,
  site: SiteMoney,
  p: Purchase,
  depth = 0,
): Promise<Purchase> {
  const parent = p.parent_purchase_id
    ? await findPurchase(sql, site.id, p.parent_purchase_id)
    : null;
  let updated: Purchase;
  let attribution: Attribution;
  if (parent) {
    // Refunds and renewals are credited like the sale they belong to, computed from its journey.
    updated = await saveMatch(sql, p, {
      visitorId: parent.visitor_id,
      method: parent.match_method,
      confidence: parent.match_confidence,
      customerKey: parent.customer_key,
      journey: parent.journey,
    });
    attribution = {
      matched: parent.match_method !== "none",
      visitorId: parent.visitor_id,
      journey: parent.journey,
      anchorTs: parent.ts,
    };
  } else {
    const m = await matchBuyer(sql, p);
    const journey = m.visitorId
      ? await loadJourney(sql, site.id, m.visitors, p.ts, site.attribution_window_days)
      : [];
    updated = await saveMatch(sql, p, { ...m, journey });
    attribution = { matched: m.method !== "none", visitorId: m.visitorId, journey, anchorTs: p.ts };
    // A checkout that carried both a visitor id and an email links them for later purchases.
    // Gift recipients are never linked: the purchaser is who visited.
    if (m.visitorId && p.customer_email && (m.method === "checkout_id" || m.method === "tracker")) {
      await linkIdentity(sql, site.id, m.visitorId, p.customer_email, p.ts);
    }
  }
  await writeCredits(sql, updated, attribution);
  if (depth < 3) {
    for (const child of await findChildren(sql, site.id, updated.id)) {
      await attribute(sql, site, child, depth + 1);
    }
  }
  return updated;
}
