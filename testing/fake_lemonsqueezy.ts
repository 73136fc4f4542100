/**
 * A local stand-in for Lemon Squeezy's API, for tests: the JSON:API endpoints Sextant calls
 * (users/me, stores, orders, subscription invoices, subscriptions, prices, webhooks) with Bearer
 * keys, page[number]/page[size] paging newest first, JSON:API error bodies, a 429 on request,
 * and webhook deliveries signed as Lemon Squeezy signs them: X-Signature, the hex HMAC-SHA256 of
 * the raw body with the webhook's secret. Never the real Lemon Squeezy.
 */
import { hmacSha256, toHex } from "../lib/crypto.ts";

type Attrs = Record<string, unknown>;
/** A JSON:API resource as Lemon Squeezy sends it. */
export interface LsResource {
  type: string;
  id: string;
  attributes: Attrs;
}

export interface FakeLsWebhook {
  id: string;
  storeId: string;
  url: string;
  events: string[];
  secret: string;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, ".000000Z");

export class FakeLemonSqueezy {
  /** API key → whether it is a test-mode key. */
  readonly keys = new Map<string, { testMode: boolean }>();
  readonly stores: LsResource[] = [];
  readonly orders: LsResource[] = [];
  readonly invoices: LsResource[] = [];
  readonly subscriptions: LsResource[] = [];
  readonly prices: LsResource[] = [];
  readonly webhooks: FakeLsWebhook[] = [];
  /** Every request as "METHOD /path?query". */
  readonly requests: string[] = [];
  /** The next this-many API requests are answered 429 with Retry-After: 1. */
  throttleNext = 0;
  /** Refuses webhook URLs as Lemon Squeezy does for addresses it can't reach. */
  rejectWebhookUrls = false;
  /** Refuses to delete webhooks (403), as for a key that lost that permission. */
  refuseUnregister = false;
  /** Extra delay per list page (ms), so a test can watch a backfill progress. */
  pageDelayMs = 0;
  private nextId = 1;
  private server!: Deno.HttpServer<Deno.NetAddr>;

  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}`;
  }

  /** Starts listening on a free port, with one store. */
  static async start(): Promise<FakeLemonSqueezy> {
    const fake = new FakeLemonSqueezy();
    fake.server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      (req) => fake.handle(req),
    );
    fake.store("Indie Shop", "USD");
    await Promise.resolve();
    return fake;
  }

  async close(): Promise<void> {
    await this.server.shutdown();
  }

  private id(): string {
    return String(this.nextId++);
  }

  /** Adds an API key. */
  addKey(key: string, testMode = true): string {
    this.keys.set(key, { testMode });
    return key;
  }

  /** Adds a store. */
  store(name: string, currency = "USD"): LsResource {
    const s = { type: "stores", id: this.id(), attributes: { name, currency, slug: name } };
    this.stores.push(s);
    return s;
  }

  /** A paid order (status paid, or refunded/partial_refund with `refunded`). */
  order(o: {
    total: number;
    email?: string;
    created?: Date;
    product?: string;
    variant?: string;
    currency?: string;
    storeId?: string;
    status?: string;
  }): LsResource {
    const created = o.created ?? new Date();
    const id = this.id();
    const r = {
      type: "orders",
      id,
      attributes: {
        store_id: Number(o.storeId ?? this.stores[0].id),
        customer_id: 1,
        identifier: crypto.randomUUID(),
        order_number: 1000 + Number(id),
        user_name: "Buyer",
        user_email: o.email ?? "buyer@example.com",
        currency: o.currency ?? "USD",
        currency_rate: "1.0000",
        subtotal: o.total,
        discount_total: 0,
        tax: 0,
        total: o.total,
        status: o.status ?? "paid",
        status_formatted: "Paid",
        refunded: false,
        refunded_at: null,
        refunded_amount: 0,
        first_order_item: {
          id: Number(id),
          order_id: Number(id),
          product_name: o.product ?? "Ebook",
          variant_name: o.variant ?? "Default",
          price: o.total,
        },
        created_at: iso(created),
        updated_at: iso(created),
        test_mode: true,
      },
    };
    this.orders.push(r);
    return r;
  }

  /** Refunds `amount` more of an order (Lemon Squeezy keeps the running total). */
  refund(o: LsResource, amount: number, at = new Date()): LsResource {
    const a = o.attributes;
    a.refunded_amount = (a.refunded_amount as number) + amount;
    a.refunded = a.refunded_amount === a.total;
    a.status = a.refunded ? "refunded" : "partial_refund";
    a.refunded_at = iso(at);
    a.updated_at = iso(at);
    return o;
  }

  /** A subscription bought by `order`, with a price of `unitPrice` every `interval`. */
  subscription(s: {
    order: LsResource;
    unitPrice: number;
    interval?: "day" | "week" | "month" | "year";
    status?: string;
    quantity?: number;
  }): LsResource {
    const priceId = this.id();
    this.prices.push({
      type: "prices",
      id: priceId,
      attributes: {
        category: "subscription",
        scheme: "standard",
        unit_price: s.unitPrice,
        renewal_interval_unit: s.interval ?? "month",
        renewal_interval_quantity: 1,
      },
    });
    const oa = s.order.attributes;
    const id = this.id();
    const r = {
      type: "subscriptions",
      id,
      attributes: {
        store_id: oa.store_id,
        order_id: Number(s.order.id),
        product_name: (oa.first_order_item as Attrs).product_name,
        variant_name: (oa.first_order_item as Attrs).variant_name,
        user_email: oa.user_email,
        status: s.status ?? "active",
        cancelled: false,
        first_subscription_item: {
          id: Number(id),
          subscription_id: Number(id),
          price_id: Number(priceId),
          quantity: s.quantity ?? 1,
        },
        renews_at: iso(new Date(Date.now() + 30 * 86_400_000)),
        ends_at: null,
        created_at: oa.created_at,
        updated_at: oa.created_at,
        test_mode: true,
      },
    };
    this.subscriptions.push(r);
    return r;
  }

  /** A subscription invoice: "initial" for the first payment, "renewal" after. */
  invoice(i: {
    subscription: LsResource;
    total: number;
    reason?: "initial" | "renewal";
    created?: Date;
  }): LsResource {
    const sa = i.subscription.attributes;
    const created = i.created ?? new Date();
    const r = {
      type: "subscription-invoices",
      id: this.id(),
      attributes: {
        store_id: sa.store_id,
        subscription_id: Number(i.subscription.id),
        customer_id: 1,
        user_email: sa.user_email,
        billing_reason: i.reason ?? "renewal",
        currency: "USD",
        status: "paid",
        refunded: false,
        refunded_at: null,
        subtotal: i.total,
        discount_total: 0,
        tax: 0,
        total: i.total,
        refunded_amount: 0,
        created_at: iso(created),
        updated_at: iso(created),
        test_mode: true,
      },
    };
    this.invoices.push(r);
    return r;
  }

  /** Sets a subscription's status (and touches updated_at, as Lemon Squeezy does). */
  setStatus(s: LsResource, status: string, at = new Date()): LsResource {
    s.attributes.status = status;
    s.attributes.cancelled = status === "cancelled";
    if (status === "expired" || status === "cancelled") s.attributes.ends_at = iso(at);
    s.attributes.updated_at = iso(at);
    return s;
  }

  /** The body of a webhook delivery. */
  payload(eventName: string, data: LsResource, customData?: Record<string, unknown>): string {
    const meta: Attrs = { event_name: eventName, test_mode: true, webhook_id: crypto.randomUUID() };
    if (customData) meta.custom_data = customData;
    return JSON.stringify({
      meta,
      data: { ...data, links: { self: `${this.url}/v1/${data.type}/${data.id}` } },
    });
  }

  /** X-Signature for `body` under `secret`. */
  async sign(body: string, secret: string): Promise<string> {
    return toHex(await hmacSha256(secret, body));
  }

  /** Delivers an event to every webhook subscribed to it; answers the HTTP statuses. */
  async emit(
    eventName: string,
    data: LsResource,
    customData?: Record<string, unknown>,
  ): Promise<number[]> {
    const statuses: number[] = [];
    for (const w of this.webhooks) {
      if (!w.events.includes(eventName)) continue;
      const body = this.payload(eventName, data, customData);
      const res = await fetch(w.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-event-name": eventName,
          "x-signature": await this.sign(body, w.secret),
        },
        body,
      });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    return statuses;
  }

  private error(status: number, title: string, detail: string): Response {
    return Response.json(
      { jsonapi: { version: "1.0" }, errors: [{ detail, status: String(status), title }] },
      { status, headers: { "content-type": "application/vnd.api+json" } },
    );
  }

  private doc(body: unknown, status = 200): Response {
    return Response.json(body, {
      status,
      headers: { "content-type": "application/vnd.api+json" },
    });
  }

  private async list(url: URL, items: LsResource[], storeScoped = true): Promise<Response> {
    const n = Number(url.searchParams.get("page[number]") ?? 1);
    const size = Number(url.searchParams.get("page[size]") ?? 10);
    if (!Number.isInteger(size) || size < 1 || size > 100) {
      return this.error(400, "Bad Request", "The page[size] must be between 1 and 100.");
    }
    const store = url.searchParams.get("filter[store_id]");
    const all = items
      .filter((i) => !storeScoped || !store || String(i.attributes.store_id) === store)
      .toSorted((a, b) =>
        String(b.attributes.created_at ?? "").localeCompare(
          String(a.attributes.created_at ?? ""),
        ) ||
        Number(b.id) - Number(a.id)
      );
    if (this.pageDelayMs) await new Promise((r) => setTimeout(r, this.pageDelayMs));
    const last = Math.max(1, Math.ceil(all.length / size));
    const data = all.slice((n - 1) * size, n * size);
    const link = (p: number) => {
      const u = new URL(url);
      u.searchParams.set("page[number]", String(p));
      return u.toString();
    };
    return this.doc({
      meta: {
        page: {
          currentPage: n,
          from: data.length ? (n - 1) * size + 1 : null,
          lastPage: last,
          perPage: size,
          to: data.length ? (n - 1) * size + data.length : null,
          total: all.length,
        },
      },
      jsonapi: { version: "1.0" },
      links: {
        first: link(1),
        last: link(last),
        ...(n < last ? { next: link(n + 1) } : {}),
        ...(n > 1 ? { prev: link(n - 1) } : {}),
      },
      data,
    });
  }

  private one(items: LsResource[], id: string): Response {
    const found = items.find((i) => i.id === id);
    return found
      ? this.doc({ jsonapi: { version: "1.0" }, data: found })
      : this.error(404, "Not Found", "Not found.");
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}${url.search}`);
    if (this.throttleNext > 0) {
      this.throttleNext--;
      return Response.json(
        {
          jsonapi: { version: "1.0" },
          errors: [{ detail: "Too Many Attempts.", status: "429", title: "Too Many Requests" }],
        },
        {
          status: 429,
          headers: { "retry-after": "1", "x-ratelimit-limit": "300", "x-ratelimit-remaining": "0" },
        },
      );
    }
    const key = (req.headers.get("authorization") ?? "").replace(/^Bearer\s+/i, "");
    const k = this.keys.get(key);
    if (!k) return this.error(401, "Unauthorized", "Unauthenticated.");
    const meta = { test_mode: k.testMode };
    let m: RegExpExecArray | null;
    if (req.method === "GET" && path === "/v1/users/me") {
      return this.doc({
        meta,
        jsonapi: { version: "1.0" },
        data: { type: "users", id: "1", attributes: { name: "Owner", email: "owner@example.com" } },
      });
    }
    if (req.method === "GET" && path === "/v1/stores") {
      return await this.list(url, this.stores, false);
    }
    if (req.method === "GET" && (m = /^\/v1\/stores\/(\d+)$/.exec(path))) {
      return this.one(this.stores, m[1]);
    }
    if (req.method === "GET" && path === "/v1/orders") return await this.list(url, this.orders);
    if (req.method === "GET" && (m = /^\/v1\/orders\/(\d+)$/.exec(path))) {
      return this.one(this.orders, m[1]);
    }
    if (req.method === "GET" && path === "/v1/subscription-invoices") {
      return await this.list(url, this.invoices);
    }
    if (req.method === "GET" && path === "/v1/subscriptions") {
      return await this.list(url, this.subscriptions);
    }
    if (req.method === "GET" && (m = /^\/v1\/prices\/(\d+)$/.exec(path))) {
      return this.one(this.prices, m[1]);
    }
    if (req.method === "POST" && path === "/v1/webhooks") {
      const body = await req.json().catch(() => null);
      const a = body?.data?.attributes ?? {};
      const storeId = body?.data?.relationships?.store?.data?.id;
      if (body?.data?.type !== "webhooks" || !this.stores.some((s) => s.id === storeId)) {
        return this.error(422, "Unprocessable Entity", "The store relationship is required.");
      }
      if (typeof a.url !== "string" || !/^https?:\/\//.test(a.url) || this.rejectWebhookUrls) {
        return this.error(422, "Unprocessable Entity", "The url must be a valid URL.");
      }
      if (typeof a.secret !== "string" || a.secret.length < 6 || a.secret.length > 40) {
        return this.error(
          422,
          "Unprocessable Entity",
          "The secret must be between 6 and 40 characters.",
        );
      }
      const w: FakeLsWebhook = {
        id: this.id(),
        storeId,
        url: a.url,
        events: a.events ?? [],
        secret: a.secret,
      };
      this.webhooks.push(w);
      return this.doc({
        meta,
        jsonapi: { version: "1.0" },
        data: {
          type: "webhooks",
          id: w.id,
          attributes: {
            store_id: Number(storeId),
            url: w.url,
            events: w.events,
            test_mode: k.testMode,
          },
        },
      }, 201);
    }
    if (req.method === "DELETE" && (m = /^\/v1\/webhooks\/(\d+)$/.exec(path))) {
      if (this.refuseUnregister) return this.error(403, "Forbidden", "Forbidden.");
      const i = this.webhooks.findIndex((w) => w.id === m![1]);
      if (i < 0) return this.error(404, "Not Found", "Not found.");
      this.webhooks.splice(i, 1);
      return new Response(null, { status: 204 });
    }
    return this.error(404, "Not Found", `No route ${req.method} ${path}.`);
  }
}
