/**
 * Purchases reported by the tracker: `sextant('revenue', {amount, currency, product,
 * transaction_id})` is stored by ingest as an event of type `revenue` whose props carry the
 * amount already in integer minor units (ingest converts 49.99 USD to 4999) and `via`: browser
 * (collect, which anyone with the site's public id can call) or api (a secret key). This hands
 * each event to recordPurchase once, unless the site no longer takes browser revenue.
 */
import type { Sql } from "../db/connect.ts";
import { Invalid } from "../lib/errors.ts";
import { isCurrencyCode } from "./currency.ts";
import { browserRevenueOn } from "../accounts/site_settings.ts";
import type { BrowserRevenue } from "../accounts/sites.ts";
import { type PurchaseInput, recordPurchase, type RevenueDeps } from "./record.ts";

export interface RevenueEvent {
  ts: Date;
  event_id: string;
  site_id: number;
  visitor_id: string;
  country: string;
  props: Record<string, unknown> | null;
}

const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "");

/** The purchase a revenue event describes, or a sentence saying why it can't be one. */
export function purchaseFromEvent(
  e: RevenueEvent,
  siteCurrency: string,
): PurchaseInput | { skip: string } {
  const p = e.props ?? {};
  const currency = (text(p.currency) || siteCurrency).toUpperCase();
  if (!isCurrencyCode(currency)) return { skip: `"${currency}" is not a currency code` };
  const amount = typeof p.amount === "number" && Number.isSafeInteger(p.amount) ? p.amount : null;
  if (amount === null) return { skip: "the amount is missing or not whole minor units" };
  // Events stored before `via` existed came through collect as far as anyone can tell.
  const origin = p.via === "api" ? "api" : "browser";
  if (origin === "browser" && amount <= 0) return { skip: "the browser cannot report refunds" };
  const transaction = text(p.transaction_id).trim();
  return {
    siteId: e.site_id,
    provider: "tracker",
    key: transaction || e.event_id,
    ts: e.ts,
    kind: amount < 0 ? "refund" : "one_time",
    amountMinor: amount,
    currency,
    orderId: transaction,
    product: text(p.product),
    visitorId: e.visitor_id,
    country: e.country,
    origin,
  };
}

/** Revenue events of the last two days not handed to attribution yet, oldest first. */
function pendingEvents(sql: Sql, limit: number) {
  return sql<
    (RevenueEvent & {
      currency: string;
      browser_revenue: BrowserRevenue;
      platform_connected: boolean;
    })[]
  >`
    select e.ts, e.event_id, e.site_id, e.visitor_id, e.country, e.props,
      s.currency::text as currency, s.browser_revenue,
      sextant_platform_connected(s.id) as platform_connected
    from events e join sites s on s.id = e.site_id
    where e.type = 'revenue' and e.ts > now() - interval '2 days'
      and not exists (select 1 from revenue_events_seen r where r.event_id = e.event_id)
    order by e.ts limit ${limit}`;
}

/** Records pending tracker revenue; returns how many events it handled. */
export async function recordTrackerRevenue(deps: RevenueDeps, limit = 200): Promise<number> {
  const sql = deps.db.sql;
  const events = await pendingEvents(sql, limit);
  for (const e of events) {
    let input = purchaseFromEvent(e, e.currency.trim());
    // Collect drops them once the site stops taking them; this catches what its cache let by.
    if (!("skip" in input) && input.origin === "browser" && !browserRevenueOn(e)) {
      input = { skip: "the site does not take revenue reported by the browser" };
    }
    if ("skip" in input) {
      deps.log?.info("tracker revenue ignored", { event: e.event_id, reason: input.skip });
    } else {
      try {
        await recordPurchase(deps, input);
      } catch (error) {
        // Bad input will never record; anything else is tried again on the next pass.
        if (!(error instanceof Invalid)) throw error;
        deps.log?.info("tracker revenue ignored", { event: e.event_id, reason: error.message });
      }
    }
    await sql`
      insert into revenue_events_seen (event_id, site_id) values (${e.event_id}, ${e.site_id})
      on conflict do nothing`;
  }
  if (events.length === 0 && Math.random() < 0.01) {
    await sql`delete from revenue_events_seen where seen_at < now() - interval '4 days'`;
  }
  return events.length;
}
