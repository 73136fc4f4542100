/**
 * A local stand-in for one Shopify store, for tests: the OAuth authorization-code flow (the
 * approval screen answers at once, redirecting with code, shop, state, timestamp and the hex
 * hmac Shopify adds), the token exchange, shop.json, orders.json paged by the Link header's
 * page_info, the GraphQL webhookSubscriptionCreate/Delete mutations, and webhook deliveries
 * signed as Shopify signs them: X-Shopify-Hmac-Sha256, the base64 HMAC-SHA256 of the raw body
 * under the app's secret. Never the real Shopify.
 */
import { hmacSha256, toHex } from "../lib/crypto.ts";
import { encodeBase64 } from "../lib/encoding.ts";

type Obj = Record<string, unknown> & { id: number; created_at: string };

export interface FakeShopifySubscription {
  id: string;
  topic: string;
  callbackUrl: string;
}

export class FakeShopify {
  readonly shop = "indie-store.myshopify.com";
  readonly orders: Obj[] = [];
  readonly subscriptions: FakeShopifySubscription[] = [];
  readonly requests: string[] = [];
  readonly tokens = new Set<string>();
  /** Scopes the owner grants on the approval screen. */
  grantScopes = "read_orders";
  /** Answers the token revocation with an error, leaving the token valid. */
  refuseRevoke = false;
  /** Waits this long before answering each page of orders, so progress can be watched. */
  pageDelayMs = 0;
  private codes = new Map<string, string>();
  private seq = 1000;
  private server!: Deno.HttpServer<Deno.NetAddr>;

  private constructor(readonly clientId: string, readonly clientSecret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}`;
  }

  /** Starts listening on a free port, as the store of the app `clientId`. */
  static async start(
    clientId = "sextant-app",
    clientSecret = "shpss_appsecret123",
  ): Promise<FakeShopify> {
    const fake = new FakeShopify(clientId, clientSecret);
    fake.server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      (req) => fake.handle(req),
    );
    await Promise.resolve();
    return fake;
  }

  async close(): Promise<void> {
    await this.server.shutdown();
  }

  /** A paid order. */
  order(o: {
    total: string;
    currency?: string;
    email?: string;
    created?: Date;
    title?: string;
    noteAttributes?: Record<string, string>;
  }): Obj {
    const id = ++this.seq;
    const created = (o.created ?? new Date()).toISOString();
    const r: Obj = {
      id,
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${id}`,
      email: o.email ?? "buyer@example.com",
      created_at: created,
      processed_at: created,
      updated_at: created,
      currency: o.currency ?? "USD",
      total_price: o.total,
      subtotal_price: o.total,
      financial_status: "paid",
      line_items: [{ id: id * 10, title: o.title ?? "T-shirt", quantity: 1, price: o.total }],
      note_attributes: Object.entries(o.noteAttributes ?? {}).map(([name, value]) => ({
        name,
        value,
      })),
      referring_site: "",
      refunds: [],
    };
    this.orders.push(r);
    return r;
  }

  /** Refunds `amount` (a decimal string) of an order. */
  refund(order: Obj, amount: string, at = new Date()): Record<string, unknown> {
    const r = {
      id: ++this.seq,
      order_id: order.id,
      created_at: at.toISOString(),
      processed_at: at.toISOString(),
      note: "",
      refund_line_items: [],
      transactions: [{
        id: ++this.seq,
        kind: "refund",
        status: "success",
        amount,
        currency: order.currency,
        gateway: "shopify_payments",
      }],
    };
    (order.refunds as unknown[]).push(r);
    order.financial_status = "partially_refunded";
    return r;
  }

  /** X-Shopify-Hmac-Sha256 for `body`. */
  async sign(body: string, secret = this.clientSecret): Promise<string> {
    return encodeBase64(await hmacSha256(secret, body));
  }

  /** The headers of a delivery of `topic`. */
  async headers(topic: string, body: string, webhookId: string = crypto.randomUUID()) {
    return {
      "content-type": "application/json",
      "x-shopify-topic": topic,
      "x-shopify-hmac-sha256": await this.sign(body),
      "x-shopify-shop-domain": this.shop,
      "x-shopify-api-version": "2024-10",
      "x-shopify-webhook-id": webhookId,
      "x-shopify-triggered-at": new Date().toISOString(),
    };
  }

  /** Delivers `payload` to every subscription for `topic` ("orders/create"). */
  async emit(topic: string, payload: unknown): Promise<number[]> {
    const enumName = topic.toUpperCase().replace("/", "_");
    const statuses: number[] = [];
    for (const s of this.subscriptions.filter((x) => x.topic === enumName)) {
      const body = JSON.stringify(payload);
      const res = await fetch(s.callbackUrl, {
        method: "POST",
        headers: await this.headers(topic, body),
        body,
      });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    return statuses;
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}${url.search}`);
    if (req.method === "GET" && path === "/admin/oauth/authorize") {
      // The owner approves at once.
      if (url.searchParams.get("client_id") !== this.clientId) {
        return new Response("Oauth error invalid_request: The client_id is invalid", {
          status: 400,
        });
      }
      const code = crypto.randomUUID().replaceAll("-", "");
      this.codes.set(code, this.grantScopes);
      const back = new URL(url.searchParams.get("redirect_uri")!);
      const params = new URLSearchParams({
        code,
        host: btoa(`${this.shop}/admin`),
        shop: this.shop,
        state: url.searchParams.get("state") ?? "",
        timestamp: String(Math.floor(Date.now() / 1000)),
      });
      const message = [...params.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`).join("&");
      params.set("hmac", toHex(await hmacSha256(this.clientSecret, message)));
      back.search = params.toString();
      return new Response(null, { status: 302, headers: { location: back.toString() } });
    }
    if (req.method === "POST" && path === "/admin/oauth/access_token") {
      const b = await req.json().catch(() => ({}));
      const scope = this.codes.get(b.code);
      if (b.client_id !== this.clientId || b.client_secret !== this.clientSecret || !scope) {
        return Response.json({
          error: "invalid_request",
          error_description: "The authorization code was not found or was already used",
        }, { status: 400 });
      }
      this.codes.delete(b.code);
      const token = `shpat_${crypto.randomUUID().replaceAll("-", "")}`;
      this.tokens.add(token);
      return Response.json({ access_token: token, scope });
    }
    if (!this.tokens.has(req.headers.get("x-shopify-access-token") ?? "")) {
      return Response.json({
        errors: "[API] Invalid API key or access token (unrecognized login or wrong password)",
      }, { status: 401 });
    }
    if (req.method === "DELETE" && path === "/admin/api_permissions/current.json") {
      // Revokes the app's access token: the store uninstalls the app.
      if (this.refuseRevoke) {
        return Response.json({ errors: "Internal Server Error" }, { status: 503 });
      }
      this.tokens.delete(req.headers.get("x-shopify-access-token") ?? "");
      this.subscriptions.length = 0;
      return Response.json({});
    }
    const api = "/admin/api/2024-10";
    if (req.method === "GET" && path === `${api}/shop.json`) {
      return Response.json({
        shop: { id: 1, name: "Indie Store", domain: this.shop, currency: "USD" },
      });
    }
    if (req.method === "GET" && path === `${api}/orders.json`) {
      if (this.pageDelayMs) await new Promise((r) => setTimeout(r, this.pageDelayMs));
      const limit = Number(url.searchParams.get("limit") ?? 50);
      if (limit > 250) {
        return Response.json({ errors: { limit: ["must be at most 250"] } }, { status: 400 });
      }
      const pageInfo = url.searchParams.get("page_info");
      let list: Obj[];
      let offset = 0;
      if (pageInfo) {
        // A cursor stands for the original filters; resending them is an error, as in Shopify.
        if (url.searchParams.has("created_at_min") || url.searchParams.has("status")) {
          return Response.json({ errors: { page_info: ["Invalid value."] } }, { status: 400 });
        }
        const c = JSON.parse(atob(pageInfo));
        offset = c.offset;
        list = this.filtered(c.min);
      } else {
        list = this.filtered(url.searchParams.get("created_at_min"));
      }
      const data = list.slice(offset, offset + limit);
      const headers = new Headers();
      if (offset + limit < list.length) {
        const next = new URL(`${this.url}${api}/orders.json`);
        next.searchParams.set("limit", String(limit));
        next.searchParams.set(
          "page_info",
          btoa(
            JSON.stringify({
              offset: offset + limit,
              min: url.searchParams.get("created_at_min") ??
                (pageInfo ? JSON.parse(atob(pageInfo)).min : null),
            }),
          ),
        );
        headers.set("link", `<${next}>; rel="next"`);
      }
      return Response.json({ orders: data }, { headers });
    }
    if (req.method === "POST" && path === `${api}/graphql.json`) {
      const b = await req.json().catch(() => ({}));
      const q = String(b.query ?? "");
      if (q.includes("webhookSubscriptionCreate")) {
        const cb = b.variables?.webhookSubscription?.callbackUrl;
        if (typeof cb !== "string" || !/^https?:\/\//.test(cb)) {
          return Response.json({
            data: {
              webhookSubscriptionCreate: {
                webhookSubscription: null,
                userErrors: [{ field: ["callbackUrl"], message: "Address is invalid" }],
              },
            },
          });
        }
        const s = {
          id: `gid://shopify/WebhookSubscription/${++this.seq}`,
          topic: b.variables.topic,
          callbackUrl: cb,
        };
        this.subscriptions.push(s);
        return Response.json({
          data: {
            webhookSubscriptionCreate: { webhookSubscription: { id: s.id }, userErrors: [] },
          },
        });
      }
      if (q.includes("webhookSubscriptionDelete")) {
        const i = this.subscriptions.findIndex((s) => s.id === b.variables?.id);
        if (i >= 0) this.subscriptions.splice(i, 1);
        return Response.json({
          data: {
            webhookSubscriptionDelete: {
              deletedWebhookSubscriptionId: b.variables?.id,
              userErrors: [],
            },
          },
        });
      }
      return Response.json({ errors: [{ message: "Unknown query" }] });
    }
    return Response.json({ errors: "Not Found" }, { status: 404 });
  }

  private filtered(min: string | null): Obj[] {
    return this.orders
      .filter((o) => !min || o.created_at >= min)
      .toSorted((a, b) => b.created_at.localeCompare(a.created_at));
  }
}
