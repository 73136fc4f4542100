/**
 * The one entry point every purchase source calls (platform webhooks, backfills, the tracker's
 * `revenue` events). Stores idempotently by the platform's key, converts to the site's currency,
 * attributes, and announces new purchases on the site's live channel.
 */
import type { Sql } from "../db/connect.ts";
import type { Bus } from "../bus/mod.ts";
import type { Logger } from "../lib/log.ts";
import { Invalid } from "../lib/errors.ts";
import { formatMoney, isCurrencyCode, MAX_AMOUNT_MINOR, scaleMinor } from "./currency.ts";
import { attribute, loadSiteMoney, type SiteMoney } from "./attribute.ts";
import { toSiteCurrency } from "./rates.ts";
import {
  deletePurchase,
  findAliasedPurchase,
  findOrphans,
  findPlatformPurchaseByRef,
  findPurchaseByKey,
  findSaleByRef,
  findSubscriptionStart,
  findTrackerReport,
  findTwin,
  insertAlias,
  insertPurchase,
  type Purchase,
  PURCHASE_KINDS,
  type PurchaseKind,
  updateEvidence,
} from "./purchases.ts";
import { publishPurchase } from "./live.ts";

/** What a source knows about one purchase, normalized. */
export interface PurchaseInput {
  siteId: number;
  /** stripe | tracker | … */
  provider: string;
  /** The platform's stable id for this money movement: a replay finds it and stores nothing. */
  key: string;
  ts: Date;
  kind: PurchaseKind;
  /** Minor units; refunds may be given positive or negative, they are stored negative. */
  amountMinor: number;
  currency: string;
  orderId?: string;
  email?: string;
  product?: string;
  /** The visitor id the checkout carried. */
  visitorId?: string;
  giftRecipientEmail?: string;
  /** ISO country of the buyer when the platform knows it. */
  country?: string;
  subscriptionId?: string;
  /** The platform's payment reference (Stripe PaymentIntent), shared by a sale and its refunds. */
  paymentRef?: string;
  /** For refunds: what identifies the sale refunded. */
  refundOf?: { key?: string; paymentRef?: string; orderId?: string };
  /** browser: reported through collect, unverified; api: the server-side events API. */
  origin: "webhook" | "backfill" | "browser" | "api";
}

export interface RecordOutcome {
  purchase: Purchase;
  /** True when this call stored a new purchase. */
  created: boolean;
  /** True when an existing purchase gained evidence and was re-attributed. */
  changed: boolean;
}

/** What recording needs from the running instance. */
export interface RevenueDeps {
  db: { sql: Sql };
  bus?: Bus;
  log?: Logger;
}

const clean = (s: string | undefined, max = 300) => (s ?? "").trim().slice(0, max);
const cleanEmail = (s: string | undefined) => {
  const e = clean(s, 320).toLowerCase();
  return e.includes("@") ? e : "";
};

/** The sentence for an amount past MAX_AMOUNT_MINOR. */
function tooLarge(what: string, minor: number, currency: string): string {
  return `${what} ${formatMoney(minor, currency)} is larger than any purchase Sextant records ` +
    `(at most ${formatMoney(MAX_AMOUNT_MINOR, currency)}); it was not stored.`;
}

/** Checks and tidies an input; throws Invalid with a sentence when it cannot be stored. */
export function normalizeInput(input: PurchaseInput): PurchaseInput {
  if (!input.key) throw new Invalid("key", "A purchase needs the platform's id.");
  if (!PURCHASE_KINDS.includes(input.kind)) {
    throw new Invalid("kind", `"${input.kind}" is not a kind of purchase Sextant knows.`);
  }
  if (!Number.isSafeInteger(input.amountMinor)) {
    throw new Invalid("amount", "The amount must be a whole number of cents (minor units).");
  }
  if (!isCurrencyCode(input.currency)) {
    throw new Invalid("currency", `"${input.currency}" is not a currency code like USD or EUR.`);
  }
  if (Math.abs(input.amountMinor) > MAX_AMOUNT_MINOR) {
    throw new Invalid("amount", tooLarge("The amount", input.amountMinor, input.currency));
  }
  if (!(input.ts instanceof Date) || Number.isNaN(input.ts.getTime())) {
    throw new Invalid("ts", "The purchase time is missing or not a date.");
  }
  const amount = input.kind === "refund" ? -Math.abs(input.amountMinor) : input.amountMinor;
  return {
    ...input,
    key: clean(input.key, 200),
    amountMinor: amount,
    currency: input.currency.toUpperCase(),
    orderId: clean(input.orderId, 200),
    email: cleanEmail(input.email),
    product: clean(input.product),
    visitorId: clean(input.visitorId, 200) || undefined,
    giftRecipientEmail: cleanEmail(input.giftRecipientEmail),
    country: clean(input.country, 2).toUpperCase(),
    subscriptionId: clean(input.subscriptionId, 200),
    paymentRef: clean(input.paymentRef, 200),
  };
}

/** Records a purchase (or adds late evidence to one already stored) and attributes it. */
export async function recordPurchase(
  deps: RevenueDeps,
  raw: PurchaseInput,
): Promise<RecordOutcome> {
  const input = normalizeInput(raw);
  const outcome = await deps.db.sql.begin((tx) => storePurchase(tx as unknown as Sql, input));
  await announcePurchase(deps, input, outcome);
  return outcome;
}

/**
 * recordPurchase's work inside a transaction the caller holds, for callers that must decide
 * what to record under their own lock; `input` comes from normalizeInput.
 */
export async function storePurchase(tx: Sql, input: PurchaseInput): Promise<RecordOutcome> {
  const lockKey = `${input.siteId}|${input.provider}|${input.key}`;
  await tx`select pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`;
  const site = await loadSiteMoney(tx, input.siteId);
  const existing = await findPurchaseByKey(tx, site.id, input.provider, input.key) ??
    await findAliasedPurchase(tx, site.id, input.provider, input.key);
  if (existing) return await addEvidence(tx, site, existing, input);

  // The tracker reported a purchase a platform already recorded: its visitor id is evidence.
  if (input.provider === "tracker" && input.orderId) {
    const platform = await findPlatformPurchaseByRef(tx, site.id, input.orderId);
    if (platform) return await addEvidence(tx, site, platform, { ...input, email: "" });
  }
  let visitorId = input.visitorId ?? null;
  if (input.provider !== "tracker") {
    // …or it reported it first: the platform's record replaces it and keeps the visitor id.
    const report = await findTrackerReport(tx, site.id, [
      input.orderId ?? "",
      input.paymentRef ?? "",
      input.key,
    ]);
    if (report) {
      visitorId ??= report.checkout_visitor_id;
      await deletePurchase(tx, report);
    }
  }

  const parent = await findParent(tx, site, input);
  if (input.provider !== "tracker") {
    // Two platforms may report one payment (a course platform charging through the creator's
    // Stripe): the later report is folded into the purchase already stored.
    if (input.kind !== "refund" && input.email) {
      const twinKey = `twin|${site.id}|${input.email}|${input.currency}|${input.amountMinor}`;
      await tx`select pg_advisory_xact_lock(hashtextextended(${twinKey}, 0))`;
    }
    const twin = await findTwin(tx, site.id, {
      provider: input.provider,
      kind: input.kind,
      email: input.email ?? "",
      amountMinor: input.amountMinor,
      currency: input.currency,
      ts: input.ts,
      parentId: parent?.id ?? null,
    });
    if (twin) {
      await insertAlias(tx, site.id, input.provider, input.key, twin.id);
      return await addEvidence(tx, site, twin, { ...input, visitorId: visitorId ?? undefined });
    }
  }
  const money = await siteAmount(tx, site, input, parent);
  if (Math.abs(money.amount) > MAX_AMOUNT_MINOR) {
    const what = "The amount in the site's currency";
    throw new Invalid("amount", tooLarge(what, money.amount, site.currency));
  }
  const inserted = await insertPurchase(tx, {
    ts: input.ts,
    siteId: site.id,
    provider: input.provider,
    key: input.key,
    orderId: input.orderId ?? "",
    kind: input.kind,
    amountMinor: input.amountMinor,
    currency: input.currency,
    amountSiteMinor: money.amount,
    converted: money.converted,
    email: input.email ?? "",
    product: input.product ?? "",
    giftRecipientEmail: input.giftRecipientEmail ?? "",
    checkoutVisitorId: visitorId,
    country: input.country ?? "",
    subscriptionId: input.subscriptionId ?? "",
    paymentRef: input.paymentRef ?? "",
    parentId: parent?.id ?? null,
    origin: input.origin,
  });
  if (input.kind !== "refund") await adoptOrphans(tx, site, inserted);
  const purchase = await attribute(tx, site, inserted);
  return { purchase, created: true, changed: true };
}

/** Shows a purchase just stored on live dashboards (a backfill's old ones are not news). */
export async function announcePurchase(
  deps: RevenueDeps,
  input: PurchaseInput,
  outcome: RecordOutcome,
): Promise<void> {
  if (outcome.created && input.origin !== "backfill" && deps.bus) {
    await publishPurchase(deps.db.sql, deps.bus, outcome.purchase).catch((error) =>
      deps.log?.warn("live purchase not published", { error })
    );
  }
}

/** The sale a refund belongs to, or the subscription start a renewal continues. */
async function findParent(
  sql: Sql,
  site: SiteMoney,
  input: PurchaseInput,
): Promise<Purchase | null> {
  if (input.kind === "refund" && input.refundOf) {
    const sale = await findSaleByRef(sql, site.id, input.provider, input.refundOf);
    if (sale || !input.refundOf.key) return sale;
    // The sale was folded into another platform's report of it.
    return await findAliasedPurchase(sql, site.id, input.provider, input.refundOf.key);
  }
  if (input.kind === "renewal" && input.subscriptionId) {
    const start = await findSubscriptionStart(sql, site.id, input.provider, input.subscriptionId);
    if (start && start.ts <= input.ts) return start;
  }
  return null;
}

/**
 * The amount in the site's currency. A refund in its sale's currency is the same fraction of the
 * sale's converted amount, so a full refund cancels its sale to the cent whatever the rates do.
 */
async function siteAmount(
  sql: Sql,
  site: SiteMoney,
  input: { kind: PurchaseKind; amountMinor: number; currency: string },
  parent: Purchase | null,
): Promise<{ amount: number; converted: boolean }> {
  if (
    input.kind === "refund" && parent && parent.currency === input.currency &&
    parent.amount_minor !== 0
  ) {
    return {
      amount: scaleMinor(parent.amount_site_minor, input.amountMinor, parent.amount_minor),
      converted: parent.converted,
    };
  }
  const c = await toSiteCurrency(sql, site.id, site.currency, input.amountMinor, input.currency);
  return { amount: c.amount ?? 0, converted: c.converted };
}

/** Refunds and renewals that arrived before this sale now follow it. */
async function adoptOrphans(sql: Sql, site: SiteMoney, sale: Purchase): Promise<void> {
  for (const orphan of await findOrphans(sql, site.id, sale.provider, sale)) {
    const money = await siteAmount(sql, site, {
      kind: orphan.kind,
      amountMinor: orphan.amount_minor,
      currency: orphan.currency,
    }, sale);
    await updateEvidence(sql, orphan, {
      parentId: sale.id,
      amountSiteMinor: money.amount,
      converted: money.converted,
    });
  }
}

/** Fills what an earlier record lacked; re-attributes only when something changed. */
async function addEvidence(
  sql: Sql,
  site: SiteMoney,
  existing: Purchase,
  input: PurchaseInput,
): Promise<RecordOutcome> {
  const changes: Parameters<typeof updateEvidence>[2] = {};
  if (input.visitorId && !existing.checkout_visitor_id) changes.checkoutVisitorId = input.visitorId;
  if (input.email && !existing.customer_email) changes.email = input.email;
  if (input.giftRecipientEmail && !existing.gift_recipient_email) {
    changes.giftRecipientEmail = input.giftRecipientEmail;
  }
  if (input.country && !existing.country) changes.country = input.country;
  if (input.product && !existing.product) changes.product = input.product;
  if (input.paymentRef && !existing.payment_ref) changes.paymentRef = input.paymentRef;
  if (input.subscriptionId && !existing.subscription_id) {
    changes.subscriptionId = input.subscriptionId;
  }
  if (Object.keys(changes).length === 0) {
    return { purchase: existing, created: false, changed: false };
  }
  const updated = await updateEvidence(sql, existing, changes);
  if (updated.kind !== "refund") await adoptOrphans(sql, site, updated);
  const purchase = await attribute(sql, site, updated);
  return { purchase, created: false, changed: true };
}
