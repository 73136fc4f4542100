/**
 * A local stand-in for Polar's API, for tests: the endpoints Sextant calls (organizations,
 * orders, refunds, subscriptions, webhook endpoints) with Bearer tokens and scopes, page/limit
 * paging with `pagination.max_page`, `sorting=-created_at`, Polar-shaped errors, and webhook
 * deliveries signed as Polar signs them: Standard Webhooks with the endpoint secret's own bytes
 * as the key. Never the real Polar.
 */
import { hmacSha256 } from "../lib/crypto.ts";
import { encodeBase64 } from "../lib/encoding.ts";

type Obj = Record<string, unknown> & { id: string; created_at: string };

export interface FakePolarEndpoint {
  id: string;
  url: string;
  secret: string;
  events: string[];
  organization_id: string;
}

export class FakePolar {
  /** Token → its scopes ("all" for every one). */
  readonly keys = new Map<string, { scopes: "all" | string[] }>();
  readonly organizations: { id: string; name: string; slug: string }[] = [];
  readonly orders: Obj[] = [];
  readonly refunds: Obj[] = [];
  readonly subscriptions: Obj[] = [];
  readonly endpoints: FakePolarEndpoint[] = [];
  readonly requests: string[] = [];
  /** Extra delay per list page (ms). */
  pageDelayMs = 0;
  private server!: Deno.HttpServer<Deno.NetAddr>;

  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}`;
  }

  /** Starts listening on a free port, with one organization. */
  static async start(): Promise<FakePolar> {
    const fake = new FakePolar();
    fake.server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      (req) => fake.handle(req),
    );
    fake.organization("Indie Org");
    await Promise.resolve();
    return fake;
  }

  async close(): Promise<void> {
    await this.server.shutdown();
  }

  /** Adds a token. */
  addKey(key: string, scopes: "all" | string[] = "all"): string {
    this.keys.set(key, { scopes });
    return key;
  }

  /** Adds an organization. */
  organization(name: string) {
    const o = { id: crypto.randomUUID(), name, slug: name.toLowerCase().replace(/\W+/g, "-") };
    this.organizations.push(o);
    return o;
  }

  /** A paid order. */
  order(o: {
    amount: number;
    email?: string;
    created?: Date;
    product?: string;
    billingReason?: "purchase" | "subscription_create" | "subscription_cycle";
    subscriptionId?: string;
    metadata?: Record<string, string>;
    currency?: string;
  }): Obj {
    const created = (o.created ?? new Date()).toISOString();
    const r: Obj = {
      id: crypto.randomUUID(),
      created_at: created,
      modified_at: created,
      status: "paid",
      paid: true,
      subtotal_amount: o.amount,
      discount_amount: 0,
      net_amount: o.amount,
      tax_amount: 0,
      total_amount: o.amount,
      refunded_amount: 0,
      currency: o.currency ?? "usd",
      billing_reason: o.billingReason ?? "purchase",
      organization_id: this.organizations[0].id,
      subscription_id: o.subscriptionId ?? null,
      metadata: o.metadata ?? {},
      customer: { id: crypto.randomUUID(), email: o.email ?? "buyer@example.com", name: "Buyer" },
      product: { id: crypto.randomUUID(), name: o.product ?? "Course" },
    };
    this.orders.push(r);
    return r;
  }

  /** A succeeded refund of part of an order. */
  refund(order: Obj, amount: number, at = new Date()): Obj {
    const r: Obj = {
      id: crypto.randomUUID(),
      created_at: at.toISOString(),
      modified_at: null as unknown as string,
      status: "succeeded",
      reason: "customer_request",
      amount,
      tax_amount: 0,
      currency: order.currency,
      organization_id: order.organization_id,
      order_id: order.id,
      subscription_id: order.subscription_id,
    };
    (order as Record<string, unknown>).refunded_amount = (order.refunded_amount as number) + amount;
    order.status = order.refunded_amount === order.total_amount ? "refunded" : "partially_refunded";
    this.refunds.push(r);
    return r;
  }

  /** A subscription at `amount` per `interval`. */
  subscription(s: {
    amount: number;
    interval?: "day" | "week" | "month" | "year";
    status?: string;
    created?: Date;
    email?: string;
  }): Obj {
    const created = (s.created ?? new Date()).toISOString();
    const r: Obj = {
      id: crypto.randomUUID(),
      created_at: created,
      modified_at: created,
      started_at: created,
      amount: s.amount,
      currency: "usd",
      recurring_interval: s.interval ?? "month",
      recurring_interval_count: 1,
      status: s.status ?? "active",
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      organization_id: this.organizations[0].id,
      metadata: {},
      customer: { id: crypto.randomUUID(), email: s.email ?? "subscriber@example.com" },
    };
    this.subscriptions.push(r);
    return r;
  }

  /** The three Standard Webhooks headers for `body`, as Polar signs it. */
  async sign(body: string, secret: string, id: string = crypto.randomUUID(), at = new Date()) {
    const ts = Math.floor(at.getTime() / 1000);
    const mac = await hmacSha256(new TextEncoder().encode(secret), `${id}.${ts}.${body}`);
    return {
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": `v1,${encodeBase64(mac)}`,
    };
  }

  /** A delivery's body. */
  payload(type: string, data: unknown): string {
    return JSON.stringify({ type, timestamp: new Date().toISOString(), data });
  }

  /** Delivers an event to every endpoint subscribed to it; answers the HTTP statuses. */
  async emit(type: string, data: unknown): Promise<number[]> {
    const statuses: number[] = [];
    for (const ep of this.endpoints) {
      if (!ep.events.includes(type)) continue;
      const body = this.payload(type, data);
      const res = await fetch(ep.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...await this.sign(body, ep.secret) },
        body,
      });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    return statuses;
  }

  private async list(url: URL, items: Obj[]): Promise<Response> {
    const page = Number(url.searchParams.get("page") ?? 1);
    const limit = Number(url.searchParams.get("limit") ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return Response.json({
        detail: [{
          loc: ["query", "limit"],
          msg: "Input should be less than or equal to 100",
          type: "less_than_equal",
        }],
      }, { status: 422 });
    }
    const org = url.searchParams.get("organization_id");
    let all = items.filter((i) => !org || i.organization_id === org || i.id === org);
    const sorting = url.searchParams.get("sorting");
    all = all.toSorted((a, b) =>
      sorting === "-created_at"
        ? b.created_at.localeCompare(a.created_at)
        : a.created_at.localeCompare(b.created_at)
    );
    if (this.pageDelayMs) await new Promise((r) => setTimeout(r, this.pageDelayMs));
    return Response.json({
      items: all.slice((page - 1) * limit, page * limit),
      pagination: { total_count: all.length, max_page: Math.max(1, Math.ceil(all.length / limit)) },
    });
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}${url.search}`);
    const key = (req.headers.get("authorization") ?? "").replace(/^Bearer\s+/i, "");
    const k = this.keys.get(key);
    if (!k) {
      return Response.json({
        error: "invalid_token",
        error_description:
          "The access token provided is expired, revoked, malformed, or invalid for other reasons.",
      }, { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } });
    }
    const need = (scope: string) =>
      k.scopes === "all" || k.scopes.includes(scope) ? null : Response.json({
        error: "insufficient_scope",
        error_description:
          "The request requires higher privileges than provided by the access token.",
      }, { status: 403 });
    let m: RegExpExecArray | null;
    if (req.method === "GET" && path === "/v1/organizations/") {
      return await this.list(url, this.organizations.map((o) => ({ ...o, created_at: "" })));
    }
    if (req.method === "GET" && path === "/v1/orders/") {
      return need("orders:read") ?? await this.list(url, this.orders);
    }
    if (req.method === "GET" && path === "/v1/refunds/") {
      return need("refunds:read") ?? await this.list(url, this.refunds);
    }
    if (req.method === "GET" && path === "/v1/subscriptions/") {
      return need("subscriptions:read") ?? await this.list(url, this.subscriptions);
    }
    if (req.method === "POST" && path === "/v1/webhooks/endpoints") {
      const denied = need("webhooks:write");
      if (denied) return denied;
      const b = await req.json().catch(() => ({}));
      if (typeof b.url !== "string" || !/^https?:\/\//.test(b.url)) {
        return Response.json({
          detail: [{
            loc: ["body", "url"],
            msg: "Input should be a valid URL",
            type: "url_parsing",
          }],
        }, { status: 422 });
      }
      if (b.format !== "raw" && b.format !== "discord" && b.format !== "slack") {
        return Response.json({
          detail: [{ loc: ["body", "format"], msg: "Field required", type: "missing" }],
        }, { status: 422 });
      }
      const ep: FakePolarEndpoint = {
        id: crypto.randomUUID(),
        url: b.url,
        secret: `polar_whs_${crypto.randomUUID().replaceAll("-", "")}`,
        events: b.events ?? [],
        organization_id: b.organization_id,
      };
      this.endpoints.push(ep);
      return Response.json({ ...ep, format: b.format, created_at: new Date().toISOString() }, {
        status: 201,
      });
    }
    if (req.method === "DELETE" && (m = /^\/v1\/webhooks\/endpoints\/([\w-]+)$/.exec(path))) {
      const i = this.endpoints.findIndex((e) => e.id === m![1]);
      if (i < 0) {
        return Response.json({ error: "ResourceNotFound", detail: "Not found" }, { status: 404 });
      }
      this.endpoints.splice(i, 1);
      return new Response(null, { status: 204 });
    }
    return Response.json({ detail: "Not Found" }, { status: 404 });
  }
}
