/**
 * A local stand-in for Polar's API, for tests: the endpoints Sextant calls (organizations,
 * orders, refunds, subscriptions, webhook endpoints) with Bearer tokens and scopes, page/limit
 * paging with `pagination.max_page`, `sorting=-created_at`, Polar-shaped errors, and webhook
 * deliveries signed as Polar signs them: Standard Webhooks with the endpoint secret's own bytes
 * as the key. Its OAuth 2.0 app: the authorize screen (approving at once, for the first
 * organization), the token endpoint trading a code (10 minutes, once) or a refresh token for an
 * hour-long access token and a rotated refresh token, with `{"error":"invalid_grant"}` and 400
 * for a bad one. Never the real Polar.
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
  readonly clientId = "polar_ci_sextant";
  readonly clientSecret = "polar_cs_sextant";
  /** Authorization codes handed out → what they grant. */
  readonly codes = new Map<string, { redirectUri: string; scopes: string[]; until: number }>();
  /** Live refresh tokens → the scopes they renew. */
  readonly refreshTokens = new Map<string, string[]>();
  /** Every token grant answered, by grant_type. */
  readonly grants: string[] = [];
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

  /** Issues an access token (an hour) and a refresh token for `scopes`. */
  private issue(scopes: string[]): Response {
    const access = this.addKey(`polar_at_${crypto.randomUUID().replaceAll("-", "")}`, scopes);
    const refresh = `polar_rt_${crypto.randomUUID().replaceAll("-", "")}`;
    this.refreshTokens.set(refresh, scopes);
    return Response.json({
      access_token: access,
      token_type: "Bearer",
      expires_in: 3600,
      refresh_token: refresh,
      scope: scopes.join(" "),
      id_token: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
    });
  }

  /** Every OAuth access token stops working, as after its hour. */
  expireAccessTokens(): void {
    for (const k of [...this.keys.keys()]) if (k.startsWith("polar_at_")) this.keys.delete(k);
  }

  /** The owner revokes Sextant in Polar: its tokens stop working. */
  revokeApp(): void {
    this.expireAccessTokens();
    this.refreshTokens.clear();
  }

  private async oauth(req: Request, url: URL): Promise<Response | null> {
    const path = url.pathname;
    if (req.method === "GET" && path === "/oauth2/authorize") {
      const q = url.searchParams;
      const redirect = q.get("redirect_uri") ?? "";
      if (
        q.get("client_id") !== this.clientId || q.get("response_type") !== "code" || !redirect
      ) {
        return Response.json({ error: "invalid_request" }, { status: 400 });
      }
      // The owner approves at once; sub_type=organization grants the first organization.
      const code = `polar_ac_${crypto.randomUUID().replaceAll("-", "")}`;
      this.codes.set(code, {
        redirectUri: redirect,
        scopes: (q.get("scope") ?? "").split(" ").filter(Boolean),
        until: Date.now() + 10 * 60_000,
      });
      const back = new URL(redirect);
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state") ?? "");
      return new Response(null, { status: 302, headers: { location: back.toString() } });
    }
    if (req.method !== "POST" || path !== "/v1/oauth2/token") return null;
    const form = new URLSearchParams(await req.text());
    const grant = form.get("grant_type") ?? "";
    this.grants.push(grant);
    if (
      form.get("client_id") !== this.clientId || form.get("client_secret") !== this.clientSecret
    ) {
      return Response.json({ error: "invalid_client" }, { status: 401 });
    }
    const invalid = () => Response.json({ error: "invalid_grant" }, { status: 400 });
    if (grant === "authorization_code") {
      const c = this.codes.get(form.get("code") ?? "");
      this.codes.delete(form.get("code") ?? "");
      if (!c || c.until < Date.now() || c.redirectUri !== form.get("redirect_uri")) {
        return invalid();
      }
      return this.issue(c.scopes);
    }
    if (grant === "refresh_token") {
      const scopes = this.refreshTokens.get(form.get("refresh_token") ?? "");
      if (!scopes) return invalid();
      this.refreshTokens.delete(form.get("refresh_token")!);
      return this.issue(scopes);
    }
    return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}${url.search}`);
    const oauth = await this.oauth(req, url);
    if (oauth) return oauth;
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
