/**
 * Stripe behind the Platform interface. Every call goes through the official SDK pointed at
 * STRIPE_API_URL (tests run a local fake), with timeouts and retries from the SDK.
 */
import Stripe from "stripe";
import type {
  ConnectInfo,
  Credentials,
  Platform,
  PlatformChange,
  VerifiedEvent,
  WebhookSetup,
} from "../types.ts";
import { PlatformError, SignatureError } from "../types.ts";
import { parseWebhookBody } from "../payload.ts";
import {
  charge,
  checkoutSession,
  event as eventSchema,
  invoice,
  invoicePayment,
  parseObject,
  paymentIntent,
  refund,
  subscription,
} from "./objects.ts";
import {
  fromCheckoutSession,
  fromFailedInvoice,
  fromInvoice,
  fromPaymentIntent,
  fromRefund,
  fromSubscription,
  productName,
} from "./normalize.ts";
import type { PlatformPurchase } from "../types.ts";
import { STRIPE_DESCRIPTION, STRIPE_EVENTS } from "./describe.ts";

export { STRIPE_EVENTS } from "./describe.ts";

/** Webhook timestamps further than this from now, either way, are refused (replay protection). */
export const SIGNATURE_TOLERANCE_S = 300;

/** The read access a restricted key needs, with the names Stripe's key editor uses. */
const READS: { label: string; probe: (s: Stripe) => Promise<unknown> }[] = [
  { label: "Checkout Sessions", probe: (s) => s.checkout.sessions.list({ limit: 1 }) },
  { label: "Invoices", probe: (s) => s.invoices.list({ limit: 1 }) },
  { label: "Subscriptions", probe: (s) => s.subscriptions.list({ limit: 1 }) },
  { label: "Refunds", probe: (s) => s.refunds.list({ limit: 1 }) },
];

const KEYS_PAGE = "Stripe Dashboard → Developers → API keys";

/** Creates the SDK client for `apiKey` against `apiUrl`. */
export function stripeClient(apiUrl: string, apiKey: string): Stripe {
  const u = new URL(apiUrl);
  const https = u.protocol === "https:";
  return new Stripe(apiKey, {
    host: u.hostname,
    port: u.port ? Number(u.port) : https ? 443 : 80,
    protocol: https ? "https" : "http",
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: "Sextant" },
  });
}

/** Shows which key is in use without revealing it: "rk_live_…a1b2". */
export function keyHint(key: string): string {
  const prefix = /^(?:rk|sk)_(?:live|test)_/.exec(key)?.[0] ?? key.slice(0, 3);
  return `${prefix}…${key.slice(-4)}`;
}

/** Rejects things that are not a secret or restricted key, with what to paste instead. */
export function checkKeyFormat(raw: string): string {
  const key = raw.trim();
  if (!key) throw new PlatformError("Paste your Stripe restricted key (it starts with rk_).");
  if (key.startsWith("pk_")) {
    throw new PlatformError(
      "That's a publishable key (pk_…), which can't read payments. Create a restricted key " +
        `(rk_…) in ${KEYS_PAGE} and paste that instead.`,
    );
  }
  if (key.startsWith("whsec_")) {
    throw new PlatformError(
      "That's a webhook signing secret (whsec_…). Paste your restricted API key (rk_…) here; " +
        "the signing secret goes in the webhook box once connected.",
    );
  }
  if (!/^(rk|sk)_(live|test)_[A-Za-z0-9]+$/.test(key)) {
    throw new PlatformError(
      "That doesn't look like a Stripe key. Restricted keys start with rk_live_ or rk_test_; " +
        `copy it again from ${KEYS_PAGE}.`,
    );
  }
  return key;
}

const joinLabels = (labels: string[]) =>
  labels.length <= 1
    ? labels.join("")
    : `${labels.slice(0, -1).join(", ")} and ${labels[labels.length - 1]}`;

/** Turns an SDK error into a sentence about what to do. */
export function explainStripeError(e: unknown, doing: string): PlatformError {
  const err = e as { type?: string; message?: string; statusCode?: number };
  switch (err?.type) {
    case "StripeAuthenticationError":
      return new PlatformError(
        "Stripe didn't accept this key: it may have been deleted, rolled or mistyped. " +
          `Copy it again from ${KEYS_PAGE}.`,
      );
    case "StripePermissionError":
      return new PlatformError(
        `This key isn't allowed to ${doing}. Edit its permissions in ${KEYS_PAGE}.`,
      );
    case "StripeConnectionError":
      return new PlatformError(
        "We couldn't reach Stripe. Check this server's internet connection and try again.",
        true,
      );
    case "StripeRateLimitError":
      return new PlatformError(
        "Stripe is limiting requests for this key. We'll retry shortly.",
        true,
      );
    case "StripeAPIError":
      return new PlatformError("Stripe had a problem answering. We'll retry shortly.", true);
    default:
      return new PlatformError(
        `Stripe refused to ${doing}: ${err?.message ?? String(e)}`,
        (err?.statusCode ?? 0) >= 500,
      );
  }
}

/** The Stripe platform, talking to `apiUrl`. */
export function createStripePlatform(apiUrl: string): Platform {
  const client = (creds: Credentials | string) =>
    stripeClient(apiUrl, typeof creds === "string" ? creds : creds.fields.apiKey ?? "");

  async function call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw explainStripeError(e, doing);
    }
  }

  /** The invoice a PaymentIntent paid, if any. */
  async function invoiceOfPayment(s: Stripe, pi: string): Promise<string | null> {
    const list = await call(
      "read invoice payments",
      () =>
        s.invoicePayments.list({
          payment: { type: "payment_intent", payment_intent: pi },
          limit: 1,
        }),
    );
    const first = list.data[0];
    return first ? parseObject(invoicePayment, first, "invoice payment").invoice : null;
  }

  async function paymentOfInvoice(s: Stripe, invoiceId: string): Promise<string | null> {
    const list = await call(
      "read invoice payments",
      () => s.invoicePayments.list({ invoice: invoiceId, limit: 1 }),
    );
    const first = list.data[0];
    return first
      ? parseObject(invoicePayment, first, "invoice payment").payment?.payment_intent ?? null
      : null;
  }

  async function refundChange(s: Stripe, raw: unknown, email?: string | null) {
    const r = parseObject(refund, raw, "refund");
    const invoiceId = r.payment_intent ? await invoiceOfPayment(s, r.payment_intent) : null;
    return fromRefund(r, { invoiceId, email });
  }

  const purchase = (p: PlatformPurchase | null): PlatformChange[] =>
    p ? [{ type: "purchase", purchase: p }] : [];

  return {
    ...STRIPE_DESCRIPTION,

    async connect(fields) {
      const key = checkKeyFormat(fields.apiKey ?? "");
      const s = client(key);
      const results = await Promise.allSettled(READS.map((r) => r.probe(s)));
      const missing: string[] = [];
      for (const [i, r] of results.entries()) {
        if (r.status === "fulfilled") continue;
        const type = (r.reason as { type?: string }).type;
        if (type === "StripePermissionError") missing.push(READS[i].label);
        else throw explainStripeError(r.reason, `read ${READS[i].label}`);
      }
      if (missing.length > 0) {
        throw new PlatformError(
          `This key can't read ${joinLabels(missing)} — add Read access to ${
            missing.length === 1 ? "it" : "them"
          } in the key's permissions (${KEYS_PAGE} → edit the restricted key), then paste it again.`,
        );
      }
      let accountName = "";
      try {
        const account = await s.accounts.retrieve(null);
        accountName = account.settings?.dashboard?.display_name ??
          account.business_profile?.name ?? "";
      } catch {
        // Reading the account name needs a permission Sextant does not require.
      }
      return {
        keyHint: keyHint(key),
        livemode: key.includes("_live_"),
        accountName,
      } as ConnectInfo;
    },

    async registerWebhook(creds, url): Promise<WebhookSetup> {
      try {
        const endpoint = await client(creds).webhookEndpoints.create({
          url,
          enabled_events: [...STRIPE_EVENTS],
          description: "Sextant revenue attribution",
          api_version: Stripe.API_VERSION as never,
        });
        if (!endpoint.secret) throw new Error("Stripe returned no signing secret");
        return { mode: "auto", endpointId: endpoint.id, secret: endpoint.secret };
      } catch (e) {
        const err = e as { type?: string; message?: string };
        if (err.type === "StripePermissionError") {
          return {
            mode: "manual",
            note: "This key can't create webhook endpoints, so add one in Stripe yourself.",
          };
        }
        if (/url/i.test(err.message ?? "")) {
          return {
            mode: "manual",
            note: `Stripe can't deliver to ${url} (${
              err.message ?? "invalid URL"
            }). Set PUBLIC_URL to an address Stripe can reach, or forward events with the Stripe CLI.`,
          };
        }
        throw explainStripeError(e, "create a webhook endpoint");
      }
    },

    async unregisterWebhook(creds, endpointId) {
      try {
        await client(creds).webhookEndpoints.del(endpointId);
      } catch (e) {
        // An endpoint already deleted in Stripe is what was asked for.
        if ((e as { statusCode?: number }).statusCode !== 404) {
          throw explainStripeError(e, "delete its webhook endpoint");
        }
      }
    },

    async verifyWebhook(rawBody, headers, secret): Promise<VerifiedEvent> {
      const signature = headers.get("stripe-signature");
      if (!signature) throw new SignatureError("The Stripe-Signature header is missing.");
      try {
        await Stripe.webhooks.signature!.verifyHeaderAsync(
          rawBody,
          signature,
          secret,
          SIGNATURE_TOLERANCE_S,
        );
      } catch (e) {
        const msg = (e as Error).message ?? "";
        throw new SignatureError(
          /tolerance|timestamp/i.test(msg)
            ? "The signature is too old (more than 5 minutes): a replayed or delayed delivery."
            : "The signature doesn't match this endpoint's signing secret.",
        );
      }
      // Stripe's check only looks back; a timestamp far ahead would outlive the tolerance.
      const signedAt = Number(/(?:^|,)\s*t=(\d+)/.exec(signature)?.[1]);
      if (signedAt - Date.now() / 1000 > SIGNATURE_TOLERANCE_S) {
        throw new SignatureError(
          "The signature is dated more than 5 minutes in the future: a forged delivery, or the " +
            "sender's clock is wrong.",
        );
      }
      const e = parseWebhookBody(rawBody, eventSchema, "Stripe event");
      return { id: e.id, type: e.type, payload: e };
    },

    async normalize(creds, ev): Promise<PlatformChange[]> {
      const e = parseObject(eventSchema, ev.payload, "event");
      const obj = e.data.object;
      const s = client(creds);
      switch (e.type) {
        case "checkout.session.completed":
        case "checkout.session.async_payment_succeeded": {
          const cs = parseObject(checkoutSession, obj, "Checkout Session");
          if (cs.payment_status !== "paid" && cs.payment_status !== "no_payment_required") {
            return [];
          }
          const items = cs.line_items?.data ?? (await call(
            "read Checkout Session line items",
            () => s.checkout.sessions.listLineItems(cs.id, { limit: 10 }),
          )).data;
          return purchase(
            fromCheckoutSession(cs, { completedAt: e.created, product: productName(items) }),
          );
        }
        case "invoice.paid": {
          const inv = parseObject(invoice, obj, "invoice");
          const p = fromInvoice(inv);
          if (p && !p.paymentRef) p.paymentRef = (await paymentOfInvoice(s, inv.id)) ?? undefined;
          return purchase(p);
        }
        case "invoice.payment_failed": {
          const inv = parseObject(invoice, obj, "invoice");
          return [{ type: "payment_failed", failure: fromFailedInvoice(inv, e.created) }];
        }
        case "payment_intent.succeeded": {
          const pi = parseObject(paymentIntent, obj, "PaymentIntent");
          // Invoice payments are recorded from invoice.paid.
          if (await invoiceOfPayment(s, pi.id)) return [];
          return purchase(fromPaymentIntent(pi));
        }
        case "charge.refunded": {
          const ch = parseObject(charge, obj, "charge");
          const list = await call(
            "read Refunds",
            () => s.refunds.list({ charge: ch.id, limit: 100 }),
          );
          const email = ch.billing_details?.email ?? ch.receipt_email;
          const out: PlatformChange[] = [];
          for (const r of list.data) out.push(...purchase(await refundChange(s, r, email)));
          return out;
        }
        case "refund.created":
        case "refund.updated":
          return purchase(await refundChange(s, obj));
        case "customer.subscription.created":
        case "customer.subscription.updated":
        case "customer.subscription.deleted": {
          const sub = parseObject(subscription, obj, "subscription");
          return [{ type: "subscription", subscription: fromSubscription(sub, e.created) }];
        }
        default:
          return [];
      }
    },

    async backfill(creds, days, progress): Promise<PlatformChange[]> {
      const s = client(creds);
      const since = Math.floor(Date.now() / 1000) - days * 86_400;
      const purchases: PlatformPurchase[] = [];
      const subs: PlatformChange[] = [];
      let found = 0;
      const tick = async (n = 1) => {
        found += n;
        if (found % 25 === 0 || n > 1) await progress.listed(found);
      };
      const list = <T>(what: string, pages: AsyncIterable<T>) =>
        call(`read ${what}`, async () => {
          const out: T[] = [];
          for await (const item of pages) out.push(item);
          return out;
        });

      const sources: [
        string,
        () => AsyncIterable<unknown>,
        (raw: unknown) => Promise<PlatformPurchase | null> | PlatformPurchase | null,
      ][] = [
        [
          "Checkout Sessions",
          () =>
            s.checkout.sessions.list({
              created: { gte: since },
              status: "complete",
              limit: 100,
              expand: ["data.line_items"],
            }),
          (raw) => fromCheckoutSession(parseObject(checkoutSession, raw, "Checkout Session")),
        ],
        [
          "Invoices",
          () =>
            s.invoices.list({
              created: { gte: since },
              status: "paid",
              limit: 100,
              expand: ["data.payments"],
            }),
          (raw) => fromInvoice(parseObject(invoice, raw, "invoice")),
        ],
        [
          "Refunds",
          () => s.refunds.list({ created: { gte: since }, limit: 100 }),
          (raw) => refundChange(s, raw),
        ],
      ];
      for (const [label, pages, toPurchase] of sources) {
        for (const raw of await list(label, pages())) {
          const p = await toPurchase(raw);
          if (p) {
            purchases.push(p);
            await tick();
          }
        }
      }
      const now = Math.floor(Date.now() / 1000);
      for (
        const raw of await list(
          "Subscriptions",
          s.subscriptions.list({ status: "all", limit: 100 }),
        )
      ) {
        const sub = parseObject(subscription, raw, "subscription");
        const canceledLongAgo = sub.status === "canceled" &&
          (sub.ended_at ?? sub.canceled_at ?? 0) < since;
        if (canceledLongAgo) continue;
        subs.push({ type: "subscription", subscription: fromSubscription(sub, now) });
      }
      const unique = mergeByKey(purchases);
      await progress.listed(unique.length);
      // Oldest first, sales before the refunds of the same second: refunds then find their sale.
      unique.sort((a, b) =>
        a.ts.getTime() - b.ts.getTime() || Number(a.kind === "refund") - Number(b.kind === "refund")
      );
      return [...unique.map((p) => ({ type: "purchase" as const, purchase: p })), ...subs];
    },
  };
}

/**
 * One purchase per key: a subscription's Checkout Session and its first invoice describe the
 * same payment; what one lacks (the visitor id, the product) the other fills in.
 */
export function mergeByKey(purchases: PlatformPurchase[]): PlatformPurchase[] {
  const byKey = new Map<string, PlatformPurchase>();
  for (const p of purchases) {
    const seen = byKey.get(p.key);
    if (!seen) {
      byKey.set(p.key, { ...p });
      continue;
    }
    for (const [k, v] of Object.entries(p) as [keyof PlatformPurchase, unknown][]) {
      if (v !== undefined && v !== "" && (seen[k] === undefined || seen[k] === "")) {
        (seen as Record<string, unknown>)[k] = v;
      }
    }
    if (p.ts < seen.ts) seen.ts = p.ts;
  }
  return [...byKey.values()];
}
