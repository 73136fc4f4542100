/** Announces a newly recorded purchase on the site's live channel (the purchase feed). */
import type { Sql } from "../db/connect.ts";
import type { Bus } from "../bus/mod.ts";
import { liveChannel, type LivePurchase } from "../realtime/messages.ts";
import { lastPosition } from "./evidence.ts";
import type { Purchase } from "./purchases.ts";

/** The live message for a purchase: its last non-direct source and where the buyer was. */
export async function livePurchaseMessage(sql: Sql, p: Purchase): Promise<LivePurchase> {
  const [credit] = await sql<{ source: string; channel: string; country: string; city: string }[]>`
    select source, channel, country, city from attribution_credits
    where purchase_id = ${p.id} and model = 'last_touch'
    order by abs(amount_site_minor) desc, touch desc limit 1`;
  const where = p.visitor_id ? await lastPosition(sql, p.site_id, p.visitor_id, p.ts) : null;
  return {
    kind: "purchase",
    siteId: p.site_id,
    ts: p.ts.toISOString(),
    purchaseId: p.id,
    type: p.kind,
    amountMinor: p.amount_minor,
    currency: p.currency,
    amountSiteMinor: p.amount_site_minor,
    product: p.product,
    visitorId: p.visitor_id,
    source: credit?.source ?? "",
    channel: credit?.channel ?? "",
    country: where?.country || credit?.country || p.country,
    city: where?.city || credit?.city || "",
    lat: where?.lat ?? null,
    lon: where?.lon ?? null,
  };
}

/** Publishes the purchase on liveChannel(siteId). */
export async function publishPurchase(sql: Sql, bus: Bus, p: Purchase): Promise<void> {
  await bus.publish(liveChannel(p.site_id), await livePurchaseMessage(sql, p));
}
