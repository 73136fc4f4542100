/**
 * Shopify behind the Platform interface: the OAuth authorization-code flow of a Sextant app
 * (SHOPIFY_CLIENT_ID/SECRET) gives an offline token sent as X-Shopify-Access-Token; webhook
 * subscriptions are created through the Admin GraphQL API; deliveries are signed with
 * X-Shopify-Hmac-Sha256, the base64 HMAC of the raw body under the app secret, with no signed
 * timestamp, so X-Shopify-Webhook-Id dedupes them; backfills follow the Link header's page_info.
 *
 * Keys: an order is `order:<id>`, a refund `refund:<id>`. Amounts are decimal strings.
 */
import { z } from "zod";
import { ApiClient } from "../http.ts";
import {
  type CredentialFields,
  type Platform,
  type PlatformChange,
  PlatformError,
  type PlatformPurchase,
  SignatureError,
  type VerifiedEvent,
} from "../types.ts";
import { parseWebhookBody } from "../payload.ts";
import {
  backfillResult,
  decimalToMinor,
  isoDate,
  pageCounter,
  parseWith,
  visitorFrom,
} from "../common.ts";
import { hmacSha256, timingSafeEqual, toHex } from "../../lib/crypto.ts";
import { encodeBase64 } from "../../lib/encoding.ts";
import { SHOPIFY_DESCRIPTION, SHOPIFY_TOPICS } from "./describe.ts";

const NAME = "Shopify";
const API_VERSION = "2024-10";
const KEYS_PAGE = "your Shopify admin (Settings → Apps and sales channels)";

/** The app Sextant connects as, and where shops are reached (`{shop}` is the shop's domain). */
export interface ShopifyApp {
  clientId: string;
  clientSecret: string;
  shopUrl: string;
}

const money = z.union([z.string(), z.number()]).transform(String);

const refund = z.object({
  id: z.coerce.string(),
  order_id: z.coerce.string(),
  created_at: isoDate,
  transactions: z.array(z.object({
    kind: z.string(),
    status: z.string(),
    amount: money,
    currency: z.string().length(3).nullish(),
  })).nullish(),
});

/** The parts of an order Sextant reads. */
export const order = z.object({
  id: z.coerce.string(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  created_at: isoDate,
  processed_at: isoDate.nullish(),
  currency: z.string().length(3),
  total_price: money,
  financial_status: z.string().nullish(),
  line_items: z.array(z.object({ title: z.string().nullish() })).nullish(),
  note_attributes: z.array(z.object({ name: z.string(), value: z.unknown() })).nullish(),
  customer: z.object({ email: z.string().nullish() }).nullish(),
  refunds: z.array(refund).nullish(),
});

type Order = z.infer<typeof order>;
type Refund = z.infer<typeof refund>;

const MOVED_MONEY = new Set(["paid", "partially_refunded", "refunded", "partially_paid"]);

/** A paid order as a purchase. */
export function fromOrder(o: Order): PlatformPurchase | null {
  if (!MOVED_MONEY.has(o.financial_status ?? "")) return null;
  const amount = decimalToMinor(o.total_price, o.currency);
  if (amount === null || amount <= 0) return null;
  const attrs = Object.fromEntries((o.note_attributes ?? []).map((a) => [a.name, a.value]));
  const titles = (o.line_items ?? []).map((l) => l.title ?? "").filter(Boolean);
  return {
    provider: "shopify",
    key: `order:${o.id}`,
    ts: o.processed_at ?? o.created_at,
    kind: "one_time",
    amountMinor: amount,
    currency: o.currency,
    orderId: o.name ?? o.id,
    email: o.email ?? o.customer?.email ?? undefined,
    product: titles.length > 1 ? `${titles[0]} + ${titles.length - 1} more` : titles[0],
    visitorId: visitorFrom(attrs),
  };
}

/** The money a refund returned (its successful refund transactions). */
export function fromRefund(r: Refund, orderCurrency?: string): PlatformPurchase | null {
  let total = 0;
  let currency = orderCurrency ?? "";
  for (const t of r.transactions ?? []) {
    if (t.kind !== "refund" || t.status !== "success") continue;
    currency = t.currency ?? currency;
    total += decimalToMinor(t.amount, currency) ?? 0;
  }
  if (total <= 0 || !currency) return null;
  return {
    provider: "shopify",
    key: `refund:${r.id}`,
    ts: r.created_at,
    kind: "refund",
    amountMinor: -total,
    currency,
    orderId: r.order_id,
    refundOf: { key: `order:${r.order_id}` },
  };
}

/** "your-store.myshopify.com" from what an owner typed (a name, a domain or an admin URL). */
export function shopDomain(raw: string): string {
  let s = raw.trim().toLowerCase().replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (/^[a-z0-9][a-z0-9-]*$/.test(s)) s = `${s}.myshopify.com`;
  if (!/^[a-z0-9][a-z0-9-]{0,60}\.myshopify\.com$/.test(s)) {
    throw new PlatformError(
      "Enter your store's myshopify.com address, like your-store.myshopify.com (Shopify shows it " +
        "under Settings → Domains).",
    );
  }
  return s;
}

/** Checks the hmac Shopify puts on its OAuth redirect: hex HMAC of the other parameters, sorted. */
async function callbackSigned(params: URLSearchParams, secret: string): Promise<boolean> {
  const hmac = params.get("hmac") ?? "";
  const message = [...params.entries()]
    .filter(([k]) => k !== "hmac" && k !== "signature")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  return hmac.length > 0 &&
    timingSafeEqual(hmac.toLowerCase(), toHex(await hmacSha256(secret, message)));
}

/** The Shopify platform for `app`. */
export function createShopifyPlatform(app: ShopifyApp): Platform {
  // The domain is checked against *.myshopify.com before it is used, so no owner can aim
  // these requests anywhere else.
  const base = (shop: string) => app.shopUrl.replace("{shop}", shopDomain(shop));
  const client = (fields: CredentialFields) =>
    new ApiClient({
      platform: NAME,
      baseUrl: `${base(fields.shop ?? "")}/admin/api/${API_VERSION}`,
      keysPage: KEYS_PAGE,
      headers: { "x-shopify-access-token": fields.accessToken ?? "" },
    });
  const configured = () => {
    if (!app.clientId || !app.clientSecret) {
      throw new PlatformError(
        "This Sextant has no Shopify app yet: its administrator sets SHOPIFY_CLIENT_ID and " +
          "SHOPIFY_CLIENT_SECRET from a Shopify app with the read_orders scope.",
      );
    }
  };

  async function graphql<T>(
    fields: CredentialFields,
    doing: string,
    query: string,
    variables: unknown,
  ) {
    const res = await client(fields).post<{ data?: T; errors?: unknown }>(doing, "graphql.json", {
      query,
      variables,
    });
    if (res.body?.errors || !res.body?.data) {
      throw new PlatformError(`Shopify refused to ${doing}.`);
    }
    return res.body.data;
  }

  return {
    ...SHOPIFY_DESCRIPTION,

    connect() {
      return Promise.reject(
        new PlatformError("Shopify connects through its approval screen, not a key."),
      );
    },

    oauth: {
      approvalSource() {
        // Every shop has its own host; a fixed address (a proxy, or a test) is one origin.
        if (app.shopUrl.includes("{shop}")) {
          return `${
            new URL(app.shopUrl.replace("{shop}", "shop.invalid")).protocol
          }//*.myshopify.com`;
        }
        return new URL(app.shopUrl).origin;
      },

      authorizeUrl(fields, state, redirectUri) {
        configured();
        const url = new URL(`${base(fields.shop ?? "")}/admin/oauth/authorize`);
        url.searchParams.set("client_id", app.clientId);
        url.searchParams.set("scope", "read_orders");
        url.searchParams.set("redirect_uri", redirectUri);
        url.searchParams.set("state", state);
        return Promise.resolve(url.toString());
      },

      async exchange(fields, callback) {
        configured();
        const shop = shopDomain(fields.shop ?? "");
        if (callback.get("shop") !== shop) {
          throw new PlatformError("Shopify sent back a different store than the one you entered.");
        }
        if (!await callbackSigned(callback, app.clientSecret)) {
          throw new PlatformError("Shopify's answer wasn't signed by Sextant's app; start again.");
        }
        const token = await new ApiClient({
          platform: NAME,
          baseUrl: base(shop),
          keysPage: KEYS_PAGE,
          headers: {},
        }).post<{ access_token?: string; scope?: string }>(
          "finish the approval",
          "admin/oauth/access_token",
          { client_id: app.clientId, client_secret: app.clientSecret, code: callback.get("code") },
        );
        const accessToken = token.body?.access_token;
        if (!accessToken) {
          throw new PlatformError("Shopify approved Sextant but sent no access token.");
        }
        if (!(token.body?.scope ?? "").split(",").includes("read_orders")) {
          throw new PlatformError(
            "Shopify didn't grant read access to orders; approve it when asked.",
          );
        }
        const result = { shop, accessToken };
        const info = await client(result).get<{ shop?: { name?: string } }>(
          "read the store",
          "shop.json",
        );
        return {
          keyHint: shop,
          livemode: true,
          accountName: info.body?.shop?.name ?? shop,
          fields: result,
        };
      },
    },

    async registerWebhook(creds, url) {
      const ids: string[] = [];
      for (const topic of SHOPIFY_TOPICS) {
        const data = await graphql<{
          webhookSubscriptionCreate?: {
            webhookSubscription?: { id?: string } | null;
            userErrors?: { message: string }[];
          };
        }>(
          creds.fields,
          "subscribe to webhooks",
          `mutation webhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id }
    userErrors { field message }
  }
}`,
          { topic, webhookSubscription: { callbackUrl: url, format: "JSON" } },
        );
        const r = data.webhookSubscriptionCreate;
        const id = r?.webhookSubscription?.id;
        if (!id) {
          throw new PlatformError(
            `Shopify refused the webhook subscription (${
              r?.userErrors?.map((e) => e.message).join("; ") || topic
            }).`,
          );
        }
        ids.push(id);
      }
      // Shopify signs deliveries with the app's secret, not a per-endpoint one.
      return { mode: "auto", endpointId: ids.join(" "), secret: app.clientSecret };
    },

    async unregisterWebhook(creds, endpointId) {
      for (const id of endpointId.split(" ").filter(Boolean)) {
        await graphql(
          creds.fields,
          "remove a webhook subscription",
          `mutation webhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}`,
          { id },
        ).catch(() => {});
      }
    },

    async revokeAccess(creds) {
      // Shopify's documented way to give the token back: the store uninstalls the app. A 401
      // means the token no longer works, which is what revoking wants.
      await client(creds.fields).request({
        doing: "revoke Sextant's access to the store",
        method: "DELETE",
        path: `${base(creds.fields.shop ?? "")}/admin/api_permissions/current.json`,
        accept: [401],
      });
    },

    async verifyWebhook(rawBody, headers, secret): Promise<VerifiedEvent> {
      const signature = headers.get("x-shopify-hmac-sha256");
      if (!signature) throw new SignatureError("The X-Shopify-Hmac-Sha256 header is missing.");
      const expected = encodeBase64(await hmacSha256(secret, rawBody));
      if (!timingSafeEqual(signature.trim(), expected)) {
        throw new SignatureError("The signature doesn't match Sextant's Shopify app secret.");
      }
      const topic = headers.get("x-shopify-topic") ?? "";
      const webhookId = headers.get("x-shopify-webhook-id") ?? "";
      const body = parseWebhookBody(
        rawBody,
        z.object({ id: z.coerce.string() }).passthrough(),
        "Shopify webhook",
      );
      return {
        id: `${topic}:${body.id}`,
        type: topic,
        payload: body,
        // No signed timestamp: Shopify's delivery id is what a replay repeats.
        dedupeKey: webhookId || `${topic}:${body.id}`,
      };
    },

    normalize(_creds, ev): Promise<PlatformChange[]> {
      const wrap = (p: PlatformPurchase | null): PlatformChange[] =>
        p ? [{ type: "purchase", purchase: p }] : [];
      if (ev.type === "orders/create" || ev.type === "orders/paid") {
        return Promise.resolve(wrap(fromOrder(parseWith(order, ev.payload, NAME, "an order"))));
      }
      if (ev.type === "refunds/create") {
        return Promise.resolve(wrap(fromRefund(parseWith(refund, ev.payload, NAME, "a refund"))));
      }
      return Promise.resolve([]);
    },

    async backfill(creds, days, progress): Promise<PlatformChange[]> {
      const api = client(creds.fields);
      const counted = pageCounter(progress);
      const since = new Date(Date.now() - days * 86_400_000);
      const orders: Order[] = [];
      let res = await api.get<unknown>("read orders", "orders.json", {
        status: "any",
        created_at_min: since.toISOString(),
        limit: 250,
      });
      for (;;) {
        const page = parseWith(z.object({ orders: z.array(order) }), res.body, NAME, "orders");
        orders.push(...page.orders);
        await counted(page.orders.length);
        // The next page's URL carries only page_info (and limit): filters must not be resent.
        const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
        if (!next) break;
        res = await api.get("read orders", next);
      }
      return await backfillResult(
        progress,
        orders.flatMap((o) => [
          fromOrder(o),
          ...(o.refunds ?? []).map((r) => fromRefund(r, o.currency)),
        ]),
        [],
      );
    },
  };
}
