/** Purchases: the SQL behind recording, finding and updating normalized purchases. */
import type { Sql } from "../db/connect.ts";
import { markRollups } from "../db/rollups.ts";

export type PurchaseKind = "one_time" | "subscription_start" | "renewal" | "refund";
export const PURCHASE_KINDS: PurchaseKind[] = [
  "one_time",
  "subscription_start",
  "renewal",
  "refund",
];

/** checkout_id | tracker | email | fingerprint | none */
export type MatchMethod = "checkout_id" | "tracker" | "email" | "fingerprint" | "none";

/** The session attributes a credit copies, so any breakdown can sum revenue directly. */
export const SESSION_ATTRIBUTES = [
  "source",
  "medium",
  "campaign",
  "content",
  "term",
  "channel",
  "referrer_host",
  "entry_page",
  "country",
  "region",
  "city",
  "device",
  "browser",
  "os",
] as const;
export type SessionAttributes = Record<typeof SESSION_ATTRIBUTES[number], string>;

/** Every attribute empty. */
export function blankAttributes(): SessionAttributes {
  return Object.fromEntries(SESSION_ATTRIBUTES.map((k) => [k, ""])) as SessionAttributes;
}

/** One session of a buyer's journey (column names as in `sessions`). */
export interface JourneyTouch extends SessionAttributes {
  session_id: string;
  /** ISO time. */
  started_at: string;
  visitor_id: string;
}

export interface Purchase {
  id: string;
  ts: Date;
  site_id: number;
  provider: string;
  provider_event_id: string;
  order_id: string;
  kind: PurchaseKind;
  amount_minor: number;
  currency: string;
  amount_site_minor: number;
  converted: boolean;
  customer_email: string;
  product: string;
  visitor_id: string | null;
  match_method: MatchMethod;
  match_confidence: number;
  customer_key: string;
  gift_recipient_email: string;
  checkout_visitor_id: string | null;
  country: string;
  subscription_id: string;
  payment_ref: string;
  parent_purchase_id: string | null;
  journey: JourneyTouch[];
  matched_at: Date | null;
  origin: string;
  created_at: Date;
}

const COLUMNS = [
  "id",
  "ts",
  "site_id",
  "provider",
  "provider_event_id",
  "order_id",
  "kind",
  "amount_minor",
  "currency",
  "amount_site_minor",
  "converted",
  "customer_email",
  "product",
  "visitor_id",
  "match_method",
  "match_confidence",
  "customer_key",
  "gift_recipient_email",
  "checkout_visitor_id",
  "country",
  "subscription_id",
  "payment_ref",
  "parent_purchase_id",
  "journey",
  "matched_at",
  "origin",
  "created_at",
];

/** The purchase a platform key identifies, whatever its time. */
export async function findPurchaseByKey(
  sql: Sql,
  siteId: number,
  provider: string,
  key: string,
): Promise<Purchase | null> {
  const [row] = await sql<Purchase[]>`
    select ${sql(COLUMNS)} from purchases
    where site_id = ${siteId} and provider = ${provider} and provider_event_id = ${key}
    limit 1`;
  return row ?? null;
}

/** A purchase by id within a site. */
export async function findPurchase(sql: Sql, siteId: number, id: string): Promise<Purchase | null> {
  const [row] = await sql<Purchase[]>`
    select ${sql(COLUMNS)} from purchases where site_id = ${siteId} and id = ${id} limit 1`;
  return row ?? null;
}

/** The sale (not a refund) a platform payment reference or order id points at. */
export async function findSaleByRef(
  sql: Sql,
  siteId: number,
  provider: string,
  ref: { paymentRef?: string; key?: string; orderId?: string },
): Promise<Purchase | null> {
  if (ref.key) {
    const byKey = await findPurchaseByKey(sql, siteId, provider, ref.key);
    if (byKey && byKey.kind !== "refund") return byKey;
  }
  if (ref.paymentRef) {
    const [row] = await sql<Purchase[]>`
      select ${sql(COLUMNS)} from purchases
      where site_id = ${siteId} and provider = ${provider} and payment_ref = ${ref.paymentRef}
        and kind <> 'refund'
      order by ts limit 1`;
    if (row) return row;
  }
  if (ref.orderId) {
    const [row] = await sql<Purchase[]>`
      select ${sql(COLUMNS)} from purchases
      where site_id = ${siteId} and provider = ${provider} and order_id = ${ref.orderId}
        and kind <> 'refund'
      order by ts limit 1`;
    if (row) return row;
  }
  return null;
}

/** The first paid purchase of a subscription: renewals are credited like it. */
export async function findSubscriptionStart(
  sql: Sql,
  siteId: number,
  provider: string,
  subscriptionId: string,
): Promise<Purchase | null> {
  const [row] = await sql<Purchase[]>`
    select ${sql(COLUMNS)} from purchases
    where site_id = ${siteId} and provider = ${provider} and subscription_id = ${subscriptionId}
      and kind in ('subscription_start', 'one_time') and parent_purchase_id is null
    order by ts limit 1`;
  return row ?? null;
}

/** Refunds and renewals credited through `parentId`. */
export function findChildren(sql: Sql, siteId: number, parentId: string): Promise<Purchase[]> {
  return sql<Purchase[]>`
    select ${sql(COLUMNS)} from purchases
    where site_id = ${siteId} and parent_purchase_id = ${parentId} order by ts`;
}

/** Refunds and renewals that arrived before the sale they belong to. */
export function findOrphans(
  sql: Sql,
  siteId: number,
  provider: string,
  sale: { payment_ref: string; subscription_id: string; id: string; ts: Date },
): Promise<Purchase[]> {
  return sql<Purchase[]>`
    select ${sql(COLUMNS)} from purchases
    where site_id = ${siteId} and provider = ${provider} and parent_purchase_id is null
      and id <> ${sale.id}
      and ((kind = 'refund' and payment_ref <> '' and payment_ref = ${sale.payment_ref})
        or (kind = 'renewal' and subscription_id <> '' and subscription_id = ${sale.subscription_id}
            and ts >= ${sale.ts}))`;
}

/** Fields a new purchase is inserted with. */
export interface NewPurchase {
  ts: Date;
  siteId: number;
  provider: string;
  key: string;
  orderId: string;
  kind: PurchaseKind;
  amountMinor: number;
  currency: string;
  amountSiteMinor: number;
  converted: boolean;
  email: string;
  product: string;
  giftRecipientEmail: string;
  checkoutVisitorId: string | null;
  country: string;
  subscriptionId: string;
  paymentRef: string;
  parentId: string | null;
  origin: string;
}

/** Inserts a purchase (the caller holds the key's lock and checked it is new). */
export async function insertPurchase(sql: Sql, p: NewPurchase): Promise<Purchase> {
  const [row] = await sql<Purchase[]>`
    insert into purchases (ts, site_id, provider, provider_event_id, order_id, kind, amount_minor,
      currency, amount_site_minor, converted, customer_email, product, gift_recipient_email,
      checkout_visitor_id, country, subscription_id, payment_ref, parent_purchase_id, origin)
    values (${p.ts}, ${p.siteId}, ${p.provider}, ${p.key}, ${p.orderId}, ${p.kind},
      ${p.amountMinor}, ${p.currency}, ${p.amountSiteMinor}, ${p.converted}, ${p.email},
      ${p.product}, ${p.giftRecipientEmail}, ${p.checkoutVisitorId}, ${p.country},
      ${p.subscriptionId}, ${p.paymentRef}, ${p.parentId}, ${p.origin})
    returning ${sql(COLUMNS)}`;
  await markRollups(sql, "purchases", [{ siteId: row.site_id, at: row.ts }]);
  return row;
}

/** Adds evidence that arrived later (a visitor id, an email, a gift recipient, a country). */
export async function updateEvidence(
  sql: Sql,
  p: Purchase,
  changes: {
    checkoutVisitorId?: string | null;
    email?: string;
    giftRecipientEmail?: string;
    country?: string;
    product?: string;
    paymentRef?: string;
    subscriptionId?: string;
    parentId?: string | null;
    amountSiteMinor?: number;
    converted?: boolean;
  },
): Promise<Purchase> {
  const [row] = await sql<Purchase[]>`
    update purchases set
      checkout_visitor_id = ${changes.checkoutVisitorId ?? p.checkout_visitor_id},
      customer_email = ${changes.email ?? p.customer_email},
      gift_recipient_email = ${changes.giftRecipientEmail ?? p.gift_recipient_email},
      country = ${changes.country ?? p.country},
      product = ${changes.product ?? p.product},
      payment_ref = ${changes.paymentRef ?? p.payment_ref},
      subscription_id = ${changes.subscriptionId ?? p.subscription_id},
      parent_purchase_id = ${
    changes.parentId === undefined ? p.parent_purchase_id : changes.parentId
  },
      amount_site_minor = ${changes.amountSiteMinor ?? p.amount_site_minor},
      converted = ${changes.converted ?? p.converted}
    where site_id = ${p.site_id} and id = ${p.id} and ts = ${p.ts}
    returning ${sql(COLUMNS)}`;
  await markRollups(sql, "purchases", [{ siteId: p.site_id, at: p.ts }]);
  return row;
}

/** Stores the outcome of matching. */
export async function saveMatch(
  sql: Sql,
  p: Purchase,
  m: {
    visitorId: string | null;
    method: MatchMethod;
    confidence: number;
    customerKey: string;
    journey: JourneyTouch[];
  },
): Promise<Purchase> {
  const [row] = await sql<Purchase[]>`
    update purchases set visitor_id = ${m.visitorId}, match_method = ${m.method},
      match_confidence = ${m.confidence}, customer_key = ${m.customerKey},
      journey = ${sql.json(m.journey as never)}, matched_at = now()
    where site_id = ${p.site_id} and id = ${p.id} and ts = ${p.ts}
    returning ${sql(COLUMNS)}`;
  await markRollups(sql, "purchases", [{ siteId: p.site_id, at: p.ts }]);
  return row;
}

/** Removes a purchase and its credits (a tracker report absorbed by the platform's record). */
export async function deletePurchase(sql: Sql, p: Purchase): Promise<void> {
  await sql`delete from attribution_credits where purchase_id = ${p.id}`;
  await sql`delete from purchases where site_id = ${p.site_id} and id = ${p.id} and ts = ${p.ts}`;
  await markRollups(sql, "purchases", [{ siteId: p.site_id, at: p.ts }]);
}

/** The tracker's report of a purchase whose transaction id is one of `refs`. */
export async function findTrackerReport(
  sql: Sql,
  siteId: number,
  refs: string[],
): Promise<Purchase | null> {
  const wanted = refs.filter(Boolean);
  if (wanted.length === 0) return null;
  const [row] = await sql<Purchase[]>`
    select ${sql(COLUMNS)} from purchases
    where site_id = ${siteId} and provider = 'tracker' and provider_event_id in ${sql(wanted)}
    limit 1`;
  return row ?? null;
}

/** A platform's purchase the tracker's transaction id names (order id or payment reference). */
export async function findPlatformPurchaseByRef(
  sql: Sql,
  siteId: number,
  ref: string,
): Promise<Purchase | null> {
  const [row] = await sql<Purchase[]>`
    select ${sql(COLUMNS)} from purchases
    where site_id = ${siteId} and provider <> 'tracker' and kind <> 'refund'
      and (order_id = ${ref} or payment_ref = ${ref})
    limit 1`;
  return row ?? null;
}

/** Reports of the same sale by two platforms are at most this far apart. */
export const TWIN_WINDOW_MS = 15 * 60_000;

/** The purchase another platform's report (`provider`, `key`) was folded into, if any. */
export async function findAliasedPurchase(
  sql: Sql,
  siteId: number,
  provider: string,
  key: string,
): Promise<Purchase | null> {
  const [alias] = await sql<{ purchase_id: string }[]>`
    select purchase_id from purchase_aliases
    where site_id = ${siteId} and provider = ${provider} and provider_event_id = ${key}`;
  return alias ? await findPurchase(sql, siteId, alias.purchase_id) : null;
}

/**
 * The same money already stored from another platform: for a sale, the same buyer email, amount
 * and currency within TWIN_WINDOW_MS; for a refund, a refund of the same purchase for the same
 * amount. A purchase already twinned with `provider` is not taken twice.
 */
export async function findTwin(
  sql: Sql,
  siteId: number,
  p: {
    provider: string;
    kind: PurchaseKind;
    email: string;
    amountMinor: number;
    currency: string;
    ts: Date;
    parentId: string | null;
  },
): Promise<Purchase | null> {
  const untwinned = sql`not exists (select 1 from purchase_aliases a
    where a.site_id = ${siteId} and a.purchase_id = purchases.id and a.provider = ${p.provider})`;
  if (p.kind === "refund") {
    if (!p.parentId) return null;
    const [row] = await sql<Purchase[]>`
      select ${sql(COLUMNS)} from purchases
      where site_id = ${siteId} and provider not in (${p.provider}, 'tracker') and kind = 'refund'
        and parent_purchase_id = ${p.parentId} and amount_minor = ${p.amountMinor}
        and currency = ${p.currency} and ${untwinned}
      order by ts limit 1`;
    return row ?? null;
  }
  if (!p.email) return null;
  const [row] = await sql<Purchase[]>`
    select ${sql(COLUMNS)} from purchases
    where site_id = ${siteId} and provider not in (${p.provider}, 'tracker') and kind <> 'refund'
      and customer_email = ${p.email} and amount_minor = ${p.amountMinor}
      and currency = ${p.currency}
      and ts between ${new Date(p.ts.getTime() - TWIN_WINDOW_MS)}
        and ${new Date(p.ts.getTime() + TWIN_WINDOW_MS)}
      and ${untwinned}
    order by abs(extract(epoch from ts - ${p.ts}::timestamptz)) limit 1`;
  return row ?? null;
}

/** Records that a platform's report (`provider`, `key`) is the stored purchase `purchaseId`. */
export async function insertAlias(
  sql: Sql,
  siteId: number,
  provider: string,
  key: string,
  purchaseId: string,
): Promise<void> {
  await sql`
    insert into purchase_aliases (site_id, provider, provider_event_id, purchase_id)
    values (${siteId}, ${provider}, ${key}, ${purchaseId})
    on conflict do nothing`;
}
