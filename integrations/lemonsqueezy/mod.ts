/**
 * Lemon Squeezy behind the Platform interface: its JSON:API with a Bearer key, webhooks signed
 * with an X-Signature hex HMAC of the raw body (no timestamp, so deliveries are deduplicated on
 * the event and object they describe), and backfills paged with page[number] newest first.
 *
 * Keys: an order is `order:<id>`, a renewal `subinv:<subscription invoice id>`; refunds are
 * reported as running totals on those (`refunded_amount`) and recorded as the difference.
 */
import { z } from "zod";
import { ApiClient } from "../http.ts";
import {
  type BackfillProgress,
  ChoiceNeeded,
  type CredentialFields,
  type Credentials,
  type Platform,
  type PlatformChange,
  PlatformError,
  type PlatformPurchase,
  SignatureError,
  type VerifiedEvent,
} from "../types.ts";
import { parseWebhookBody } from "../payload.ts";
import {
  isoDate,
  monthlyMinor,
  pageCounter,
  parseWith,
  productLabel,
  visitorFrom,
} from "../common.ts";
import { hmacSha256, randomToken, sha256Hex, timingSafeEqual, toHex } from "../../lib/crypto.ts";
import { LEMONSQUEEZY_DESCRIPTION, LEMONSQUEEZY_EVENTS } from "./describe.ts";

const NAME = "Lemon Squeezy";
const KEYS_PAGE = "Lemon Squeezy → Settings → API";
const PAGE_SIZE = 100;

const resource = <T extends z.ZodTypeAny>(attributes: T) =>
  z.object({ type: z.string(), id: z.coerce.string(), attributes });

const date = isoDate;
const minor = z.number().int();

/** The parts of an order Sextant reads. */
export const order = resource(z.object({
  store_id: z.number().nullish(),
  order_number: z.number().nullish(),
  identifier: z.string().nullish(),
  user_email: z.string().nullish(),
  currency: z.string().length(3),
  total: minor,
  status: z.string(),
  refunded_amount: minor.nullish(),
  refunded_at: date.nullish(),
  first_order_item: z.object({
    product_name: z.string().nullish(),
    variant_name: z.string().nullish(),
  }).nullish(),
  created_at: date,
  updated_at: date.nullish(),
}));

/** A subscription's invoice: its first payment or a renewal. */
export const subscriptionInvoice = resource(z.object({
  subscription_id: z.number(),
  user_email: z.string().nullish(),
  billing_reason: z.string(),
  currency: z.string().length(3),
  total: minor,
  status: z.string(),
  refunded_amount: minor.nullish(),
  refunded_at: date.nullish(),
  created_at: date,
  updated_at: date.nullish(),
}));

/** A subscription (its price is looked up separately). */
export const subscription = resource(z.object({
  order_id: z.number().nullish(),
  product_name: z.string().nullish(),
  variant_name: z.string().nullish(),
  user_email: z.string().nullish(),
  status: z.string(),
  first_subscription_item: z.object({
    price_id: z.number(),
    quantity: z.number().nullish(),
  }).nullish(),
  ends_at: date.nullish(),
  created_at: date,
  updated_at: date,
}));

const price = resource(z.object({
  unit_price: minor.nullish(),
  renewal_interval_unit: z.string().nullish(),
  renewal_interval_quantity: z.number().nullish(),
}));

const store = resource(z.object({ name: z.string(), currency: z.string().length(3) }));

const webhookEvent = z.object({
  meta: z.object({
    event_name: z.string(),
    custom_data: z.record(z.string(), z.unknown()).nullish(),
  }),
  data: z.object({
    type: z.string(),
    id: z.coerce.string(),
    attributes: z.record(z.string(), z.unknown()),
  }),
});

const list = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    data: z.array(item),
    meta: z.object({
      page: z.object({ currentPage: z.number(), lastPage: z.number() }).partial().nullish(),
    }).nullish(),
    links: z.object({ next: z.string().nullish() }).nullish(),
  });

type Order = z.infer<typeof order>;
type SubscriptionInvoice = z.infer<typeof subscriptionInvoice>;
type Subscription = z.infer<typeof subscription>;

/** Orders that moved money (pending and failed ones did not). */
const PAID = new Set(["paid", "refunded", "partial_refund"]);

/** What has been refunded of a sale so far, as a running total (nothing when nothing was). */
function refundsSoFar(
  saleKey: string,
  id: string,
  a: Pick<
    Order["attributes"],
    "refunded_amount" | "refunded_at" | "updated_at" | "created_at" | "currency" | "user_email"
  >,
): PlatformChange[] {
  if (!a.refunded_amount || a.refunded_amount <= 0) return [];
  return [{
    type: "refund_total",
    refund: {
      saleKey,
      totalMinor: a.refunded_amount,
      currency: a.currency,
      ts: a.refunded_at ?? a.updated_at ?? a.created_at,
      email: a.user_email ?? undefined,
      orderId: id,
    },
  }];
}

/** An order as a purchase; `visitorId` from the checkout's custom data when known. */
export function fromOrder(
  o: Order,
  opts: { visitorId?: string; subscriptionId?: string } = {},
): PlatformChange[] {
  const a = o.attributes;
  if (!PAID.has(a.status)) return [];
  const key = `order:${o.id}`;
  const out: PlatformChange[] = [{
    type: "purchase",
    purchase: {
      provider: "lemonsqueezy",
      key,
      ts: a.created_at,
      kind: opts.subscriptionId ? "subscription_start" : "one_time",
      amountMinor: a.total,
      currency: a.currency,
      orderId: a.order_number != null ? String(a.order_number) : o.id,
      email: a.user_email ?? undefined,
      product: productLabel(a.first_order_item?.product_name, a.first_order_item?.variant_name),
      visitorId: opts.visitorId,
      subscriptionId: opts.subscriptionId,
    },
  }];
  return [...out, ...refundsSoFar(key, o.id, a)];
}

/** A renewal invoice as a purchase (first invoices are their order), with its refunds. */
export function fromSubscriptionInvoice(inv: SubscriptionInvoice): PlatformChange[] {
  const a = inv.attributes;
  if (a.billing_reason === "initial" || !PAID.has(a.status) || a.total <= 0) return [];
  const key = `subinv:${inv.id}`;
  const out: PlatformChange[] = [{
    type: "purchase",
    purchase: {
      provider: "lemonsqueezy",
      key,
      ts: a.created_at,
      kind: "renewal",
      amountMinor: a.total,
      currency: a.currency,
      orderId: inv.id,
      email: a.user_email ?? undefined,
      subscriptionId: String(a.subscription_id),
    } satisfies PlatformPurchase,
  }];
  return [...out, ...refundsSoFar(key, inv.id, a)];
}

/** Lemon Squeezy's statuses in the words MRR uses; a cancelled one runs to its period's end. */
const STATUS: Record<string, string> = {
  on_trial: "trialing",
  active: "active",
  cancelled: "active",
  past_due: "past_due",
  unpaid: "unpaid",
  paused: "paused",
  expired: "canceled",
};

/** Shows which key is in use without revealing it. */
export function keyHint(key: string): string {
  return `…${key.slice(-4)}`;
}

/** The Lemon Squeezy platform, talking to `apiUrl`. */
export function createLemonSqueezyPlatform(apiUrl: string): Platform {
  const client = (fields: CredentialFields) => {
    const key = fields.apiKey ?? "";
    return new ApiClient({
      platform: NAME,
      baseUrl: `${apiUrl.replace(/\/$/, "")}/v1`,
      keysPage: KEYS_PAGE,
      headers: {
        authorization: `Bearer ${key}`,
        accept: "application/vnd.api+json",
        "content-type": "application/vnd.api+json",
      },
    });
  };
  const storeOf = (creds: Credentials) => {
    const id = creds.fields.storeId;
    if (!id) throw new PlatformError("No Lemon Squeezy store is chosen; connect again.");
    return id;
  };

  async function fetchOne<T>(api: ApiClient, schema: z.ZodType<T>, path: string, what: string) {
    const res = await api.get<{ data: unknown }>(`read ${what}`, path);
    return parseWith(schema, res.body?.data, NAME, what);
  }

  /** Every item of a list, newest first, until `stop` says an item is past the cutoff. */
  async function pages<T>(
    api: ApiClient,
    path: string,
    schema: z.ZodType<T>,
    what: string,
    filter: Record<string, string>,
    stop: (item: T) => boolean,
    onPage: (n: number) => Promise<void>,
  ): Promise<T[]> {
    const out: T[] = [];
    for (let n = 1;; n++) {
      const res = await api.get(`read ${what}`, path, {
        ...filter,
        "page[number]": n,
        "page[size]": PAGE_SIZE,
      });
      const page = parseWith(list(schema), res.body, NAME, what);
      let past = false;
      for (const item of page.data) {
        if (stop(item)) {
          past = true;
          break;
        }
        out.push(item);
      }
      await onPage(page.data.length);
      const last = page.meta?.page?.lastPage ?? (page.links?.next ? n + 1 : n);
      if (past || page.data.length === 0 || n >= last) return out;
    }
  }

  async function subscriptionChange(
    api: ApiClient,
    sub: Subscription,
    currency: string,
    prices: Map<number, Promise<z.infer<typeof price>>>,
  ): Promise<PlatformChange> {
    const a = sub.attributes;
    let mrr = 0;
    const item = a.first_subscription_item;
    if (item) {
      let p = prices.get(item.price_id);
      if (!p) {
        p = fetchOne(api, price, `prices/${item.price_id}`, "a price");
        prices.set(item.price_id, p);
      }
      const pa = (await p).attributes;
      if (pa.unit_price != null && pa.renewal_interval_unit) {
        mrr = monthlyMinor(
          pa.unit_price * (item.quantity ?? 1),
          pa.renewal_interval_unit,
          pa.renewal_interval_quantity ?? 1,
        );
      }
    }
    const status = STATUS[a.status] ?? a.status;
    return {
      type: "subscription",
      subscription: {
        subscriptionId: sub.id,
        status,
        mrrMinor: mrr,
        currency,
        email: a.user_email ?? undefined,
        startedAt: a.created_at,
        canceledAt: status === "canceled" ? a.ends_at ?? a.updated_at : null,
        stateAt: a.updated_at,
      },
    };
  }

  const storeCurrency = async (api: ApiClient, creds: Credentials) =>
    (await fetchOne(api, store, `stores/${storeOf(creds)}`, "the store")).attributes.currency;

  return {
    ...LEMONSQUEEZY_DESCRIPTION,

    async connect(fields) {
      const key = (fields.apiKey ?? "").trim();
      if (!key) throw new PlatformError(`Paste an API key from ${KEYS_PAGE}.`);
      if (/\s/.test(key)) {
        throw new PlatformError(
          `That doesn't look like a Lemon Squeezy API key (it has spaces). Copy it again from ${KEYS_PAGE}.`,
        );
      }
      const api = client({ apiKey: key });
      const me = await api.get<{ meta?: { test_mode?: boolean } }>("read your account", "users/me");
      const stores = parseWith(
        list(store),
        (await api.get("read your stores", "stores", { "page[size]": PAGE_SIZE })).body,
        NAME,
        "its stores",
      ).data;
      if (stores.length === 0) {
        throw new PlatformError("This Lemon Squeezy account has no store yet. Create one first.");
      }
      const wanted = (fields.storeId ?? "").trim();
      const chosen = wanted
        ? stores.find((s) => s.id === wanted)
        : stores.length === 1
        ? stores[0]
        : undefined;
      if (!chosen) {
        throw new ChoiceNeeded(
          wanted
            ? "This key can't reach that store. Pick one of the stores it can reach."
            : `This key reaches ${stores.length} stores. Pick the one this site sells through.`,
          "storeId",
          stores.toSorted((a, b) => a.attributes.name.localeCompare(b.attributes.name)).map((
            s,
          ) => ({
            value: s.id,
            label: `${s.attributes.name} (${s.attributes.currency})`,
          })),
        );
      }
      return {
        keyHint: keyHint(key),
        livemode: me.body?.meta?.test_mode !== true,
        accountName: chosen.attributes.name,
        fields: { apiKey: key, storeId: chosen.id },
      };
    },

    async registerWebhook(creds, url) {
      const secret = randomToken(24);
      const res = await client(creds.fields).post<{ data?: { id?: unknown } }>(
        "create a webhook",
        "webhooks",
        {
          data: {
            type: "webhooks",
            attributes: { url, events: [...LEMONSQUEEZY_EVENTS], secret },
            relationships: { store: { data: { type: "stores", id: storeOf(creds) } } },
          },
        },
      );
      const id = res.body?.data?.id;
      if (id == null) throw new PlatformError("Lemon Squeezy created the webhook but sent no id.");
      return { mode: "auto", endpointId: String(id), secret };
    },

    async unregisterWebhook(creds, endpointId) {
      await client(creds.fields).request({
        doing: "delete its webhook",
        method: "DELETE",
        path: `webhooks/${encodeURIComponent(endpointId)}`,
        accept: [404],
      });
    },

    async verifyWebhook(rawBody, headers, secret): Promise<VerifiedEvent> {
      const signature = (headers.get("x-signature") ?? "").trim().toLowerCase();
      if (!signature) throw new SignatureError("The X-Signature header is missing.");
      const expected = toHex(await hmacSha256(secret, rawBody));
      if (!timingSafeEqual(signature, expected)) {
        throw new SignatureError("The signature doesn't match this webhook's signing secret.");
      }
      const e = parseWebhookBody(rawBody, webhookEvent, "Lemon Squeezy event");
      // No signed timestamp and no delivery id: the same signed bytes again are a replay (or
      // Lemon Squeezy retrying what we already have).
      return {
        id: `${e.data.type}:${e.data.id}`,
        type: e.meta.event_name,
        payload: e,
        dedupeKey: await sha256Hex(rawBody),
      };
    },

    async normalize(creds, ev): Promise<PlatformChange[]> {
      const e = parseWith(webhookEvent, ev.payload, NAME, "an event");
      const api = client(creds.fields);
      const visitorId = visitorFrom(e.meta.custom_data);
      switch (e.meta.event_name) {
        case "order_created":
        case "order_refunded":
          return fromOrder(parseWith(order, e.data, NAME, "an order"), { visitorId });
        case "subscription_payment_success":
        case "subscription_payment_refunded":
        case "subscription_payment_recovered":
          return fromSubscriptionInvoice(
            parseWith(subscriptionInvoice, e.data, NAME, "a subscription invoice"),
          );
        default: {
          if (!e.meta.event_name.startsWith("subscription_")) return [];
          const sub = parseWith(subscription, e.data, NAME, "a subscription");
          const out = [
            await subscriptionChange(api, sub, await storeCurrency(api, creds), new Map()),
          ];
          // The first order becomes the subscription's start, with the checkout's visitor id.
          if (e.meta.event_name === "subscription_created" && sub.attributes.order_id != null) {
            const o = await fetchOne(api, order, `orders/${sub.attributes.order_id}`, "an order");
            out.unshift(...fromOrder(o, { visitorId, subscriptionId: sub.id }));
          }
          return out;
        }
      }
    },

    async backfill(creds, days, progress: BackfillProgress): Promise<PlatformChange[]> {
      const api = client(creds.fields);
      const filter = { "filter[store_id]": storeOf(creds) };
      const since = Date.now() - days * 86_400_000;
      const counted = pageCounter(progress);
      const orders = await pages(
        api,
        "orders",
        order,
        "orders",
        filter,
        (o) => o.attributes.created_at.getTime() < since,
        counted,
      );
      const invoices = await pages(
        api,
        "subscription-invoices",
        subscriptionInvoice,
        "subscription invoices",
        filter,
        (i) => i.attributes.created_at.getTime() < since,
        counted,
      );
      const subs = await pages(
        api,
        "subscriptions",
        subscription,
        "subscriptions",
        filter,
        () => false,
        () => Promise.resolve(),
      );
      const subByOrder = new Map(subs.map((s) => [String(s.attributes.order_id), s.id]));
      const money: PlatformChange[] = [
        ...orders.flatMap((o) => fromOrder(o, { subscriptionId: subByOrder.get(o.id) })),
        ...invoices.flatMap(fromSubscriptionInvoice),
      ];
      const when = (c: PlatformChange) =>
        c.type === "purchase"
          ? c.purchase.ts
          : c.type === "refund_total"
          ? c.refund.ts
          : new Date(0);
      // Oldest first, each sale before its refunds.
      money.sort((a, b) =>
        when(a).getTime() - when(b).getTime() ||
        Number(a.type === "refund_total") - Number(b.type === "refund_total")
      );
      await progress.listed(money.length);
      const currency = subs.length ? await storeCurrency(api, creds) : "";
      const prices = new Map();
      const states: PlatformChange[] = [];
      for (const s of subs) {
        const ended = s.attributes.ends_at;
        if (s.attributes.status === "expired" && ended && ended.getTime() < since) continue;
        states.push(await subscriptionChange(api, s, currency, prices));
      }
      return [...money, ...states];
    },
  };
}
