/**
 * A local stand-in for Paddle Billing's API, for tests: the endpoints Sextant calls
 * (transactions with created_at[GTE], status and include=customer; customers; adjustments;
 * subscriptions; notification settings) behind Bearer keys and `Paddle-Version: 1`, cursor
 * paging through `meta.pagination.next`, Paddle-shaped errors, and webhook deliveries signed as
 * Paddle signs them: `Paddle-Signature: ts=…;h1=…`, the hex HMAC-SHA256 of `ts:body` under the
 * destination's secret key. Never the real Paddle.
 */
import { hmacSha256, toHex } from "../lib/crypto.ts";

type Obj = Record<string, unknown> & { id: string; created_at: string };

export interface FakePaddleDestination {
  id: string;
  destination: string;
  secret: string;
  events: string[];
}

const rand = () => crypto.randomUUID().replaceAll("-", "").slice(0, 26);

export class FakePaddle {
  readonly keys = new Set<string>();
  readonly transactions: Obj[] = [];
  readonly customers: Obj[] = [];
  readonly adjustments: Obj[] = [];
  readonly subscriptions: Obj[] = [];
  readonly destinations: FakePaddleDestination[] = [];
  readonly requests: string[] = [];
  /** Waits this long before answering each page of transactions, so progress can be watched. */
  pageDelayMs = 0;
  private seq = 0;
  private server!: Deno.HttpServer<Deno.NetAddr>;

  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}`;
  }

  /** Starts listening on a free port. */
  static async start(): Promise<FakePaddle> {
    const fake = new FakePaddle();
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

  /** Adds an API key. */
  addKey(key: string): string {
    this.keys.add(key);
    return key;
  }

  /** Paddle ids sort in creation order; so do these. */
  private id(prefix: string): string {
    return `${prefix}_${String(++this.seq).padStart(8, "0")}${rand()}`;
  }

  /** A customer. */
  customer(email: string): Obj {
    const c = { id: this.id("ctm"), email, created_at: new Date().toISOString() };
    this.customers.push(c);
    return c;
  }

  /** A completed transaction of `amount` minor units. */
  transaction(t: {
    amount: number;
    email?: string;
    created?: Date;
    product?: string;
    currency?: string;
    subscriptionId?: string;
    origin?: string;
    customData?: Record<string, string>;
  }): Obj {
    const customer = this.customer(t.email ?? "buyer@example.com");
    const created = (t.created ?? new Date()).toISOString();
    const r: Obj = {
      id: this.id("txn"),
      status: "completed",
      customer_id: customer.id,
      subscription_id: t.subscriptionId ?? null,
      origin: t.origin ?? "web",
      currency_code: t.currency ?? "USD",
      custom_data: t.customData ?? null,
      created_at: created,
      updated_at: created,
      billed_at: created,
      details: {
        totals: {
          subtotal: String(t.amount),
          tax: "0",
          discount: "0",
          total: String(t.amount),
          grand_total: String(t.amount),
          currency_code: t.currency ?? "USD",
        },
      },
      items: [{
        quantity: 1,
        price: { id: this.id("pri"), description: "Monthly", name: null },
        product: { id: this.id("pro"), name: t.product ?? "Course" },
      }],
    };
    this.transactions.push(r);
    return r;
  }

  /** An approved refund of part of a transaction. */
  refund(txn: Obj, amount: number, at = new Date()): Obj {
    const r: Obj = {
      id: this.id("adj"),
      action: "refund",
      type: "partial",
      status: "approved",
      transaction_id: txn.id,
      subscription_id: txn.subscription_id,
      customer_id: txn.customer_id,
      reason: "requested by customer",
      currency_code: txn.currency_code,
      totals: { subtotal: String(amount), tax: "0", total: String(amount), fee: "0" },
      created_at: at.toISOString(),
      updated_at: at.toISOString(),
    };
    this.adjustments.push(r);
    return r;
  }

  /** A subscription at `amount` per `interval`. */
  subscription(s: { amount: number; interval?: string; status?: string; created?: Date }): Obj {
    const created = (s.created ?? new Date()).toISOString();
    const r: Obj = {
      id: this.id("sub"),
      status: s.status ?? "active",
      currency_code: "USD",
      created_at: created,
      started_at: created,
      updated_at: created,
      canceled_at: null,
      items: [{
        quantity: 1,
        price: {
          id: this.id("pri"),
          unit_price: { amount: String(s.amount), currency_code: "USD" },
          billing_cycle: { interval: s.interval ?? "month", frequency: 1 },
        },
      }],
    };
    this.subscriptions.push(r);
    return r;
  }

  /** A notification's body. */
  payload(type: string, data: unknown, eventId = this.id("evt")): string {
    return JSON.stringify({
      event_id: eventId,
      event_type: type,
      occurred_at: new Date().toISOString(),
      notification_id: this.id("ntf"),
      data,
    });
  }

  /** The Paddle-Signature header for `body`. */
  async sign(body: string, secret: string, at = new Date()): Promise<string> {
    const ts = Math.floor(at.getTime() / 1000);
    return `ts=${ts};h1=${toHex(await hmacSha256(secret, `${ts}:${body}`))}`;
  }

  /** Delivers an event to every destination subscribed to it; answers the HTTP statuses. */
  async emit(type: string, data: unknown): Promise<number[]> {
    const statuses: number[] = [];
    for (const d of this.destinations) {
      if (!d.events.includes(type)) continue;
      const body = this.payload(type, data);
      const res = await fetch(d.destination, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "paddle-signature": await this.sign(body, d.secret),
        },
        body,
      });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    return statuses;
  }

  private error(status: number, code: string, detail: string): Response {
    return Response.json({
      error: {
        type: "request_error",
        code,
        detail,
        documentation_url: `https://developer.paddle.com/errors/shared/${code}`,
      },
      meta: { request_id: crypto.randomUUID() },
    }, { status });
  }

  private page(url: URL, items: Obj[], perPageMax = 200): Response {
    const per = Number(url.searchParams.get("per_page") ?? 50);
    if (!Number.isInteger(per) || per < 1 || per > perPageMax) {
      return this.error(400, "invalid_field", `per_page must be between 1 and ${perPageMax}`);
    }
    const order = url.searchParams.get("order_by") ?? "id[ASC]";
    const desc = order.endsWith("[DESC]");
    let list = items.toSorted((a, b) => (desc ? -1 : 1) * a.id.localeCompare(b.id));
    const after = url.searchParams.get("after");
    if (after) list = list.filter((i) => (desc ? i.id < after : i.id > after));
    const data = list.slice(0, per);
    const more = list.length > per;
    const next = new URL(url);
    if (data.length) next.searchParams.set("after", data[data.length - 1].id);
    return Response.json({
      data,
      meta: {
        request_id: crypto.randomUUID(),
        pagination: {
          per_page: per,
          next: next.toString(),
          has_more: more,
          estimated_total: list.length,
        },
      },
    });
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}${url.search}`);
    const auth = req.headers.get("authorization") ?? "";
    if (!auth) return this.error(403, "authentication_missing", "Authentication header missing.");
    if (!this.keys.has(auth.replace(/^Bearer\s+/i, ""))) {
      return this.error(403, "authentication_malformed", "API key is not valid.");
    }
    if (req.headers.get("paddle-version") !== "1") {
      return this.error(400, "invalid_api_version", "Paddle-Version must be 1.");
    }
    let m: RegExpExecArray | null;
    if (req.method === "GET" && path === "/transactions") {
      if (this.pageDelayMs) await new Promise((r) => setTimeout(r, this.pageDelayMs));
      const since = url.searchParams.get("created_at[GTE]");
      const statuses = url.searchParams.get("status")?.split(",");
      const withCustomer = url.searchParams.get("include")?.split(",").includes("customer");
      const list = this.transactions
        .filter((t) => !since || t.created_at >= since)
        .filter((t) => !statuses || statuses.includes(String(t.status)))
        .map((t) =>
          withCustomer ? { ...t, customer: this.customers.find((c) => c.id === t.customer_id) } : t
        );
      const byCreated = url.searchParams.get("order_by") === "created_at[ASC]";
      return this.page(
        url,
        byCreated ? list.toSorted((a, b) => a.created_at.localeCompare(b.created_at)) : list,
      );
    }
    if (req.method === "GET" && (m = /^\/customers\/(ctm_\w+)$/.exec(path))) {
      const c = this.customers.find((x) => x.id === m![1]);
      return c
        ? Response.json({ data: c, meta: {} })
        : this.error(404, "entity_not_found", "Customer not found.");
    }
    if (req.method === "GET" && path === "/adjustments") {
      const action = url.searchParams.get("action");
      return this.page(url, this.adjustments.filter((a) => !action || a.action === action), 50);
    }
    if (req.method === "GET" && path === "/subscriptions") {
      return this.page(url, this.subscriptions);
    }
    if (req.method === "POST" && path === "/notification-settings") {
      const b = await req.json().catch(() => ({}));
      if (
        typeof b.destination !== "string" || !/^https?:\/\//.test(b.destination) || b.type !== "url"
      ) {
        return this.error(400, "invalid_field", "destination must be a valid URL");
      }
      const d: FakePaddleDestination = {
        id: this.id("ntfset"),
        destination: b.destination,
        secret: `pdl_ntfset_${rand()}${rand()}`,
        events: b.subscribed_events ?? [],
      };
      this.destinations.push(d);
      return Response.json({
        data: {
          id: d.id,
          destination: d.destination,
          type: "url",
          active: true,
          endpoint_secret_key: d.secret,
        },
        meta: {},
      }, { status: 201 });
    }
    if (req.method === "DELETE" && (m = /^\/notification-settings\/(ntfset_\w+)$/.exec(path))) {
      const i = this.destinations.findIndex((d) => d.id === m![1]);
      if (i < 0) return this.error(404, "entity_not_found", "Notification setting not found.");
      this.destinations.splice(i, 1);
      return new Response(null, { status: 204 });
    }
    return this.error(404, "not_found", `No route ${req.method} ${path}.`);
  }
}
