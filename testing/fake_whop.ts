/**
 * A local stand-in for Whop's REST API v1, for tests: Bearer company API keys with permissions,
 * cursor paging (`first`, `after`, `page_info`), payments with decimal amounts, refunds,
 * memberships, plans, webhooks created through the API, Whop-shaped error bodies, 429s with
 * Retry-After, and deliveries signed with Standard Webhooks (the secret's bytes are the key).
 * Never the real Whop.
 */
import { signatureOf, webhookKey } from "../lib/standard_webhooks.ts";

type Obj = Record<string, unknown> & { id: string; created_at: string };

export interface FakeWhopKey {
  companyId: string;
  /** May read payments, refunds, memberships and plans. */
  read?: boolean;
  /** May create and delete webhooks. */
  webhooks?: boolean;
}

export interface FakeWhopWebhook {
  id: string;
  url: string;
  webhook_secret: string;
  events: string[];
  resource_id: string;
}

const rand = (n = 14) => crypto.randomUUID().replaceAll("-", "").slice(0, n);
const iso = (d: Date | number = new Date()) => new Date(d).toISOString();

export class FakeWhop {
  readonly keys = new Map<string, FakeWhopKey>();
  readonly companies = new Map<string, string>();
  readonly payments: Obj[] = [];
  readonly refunds: Obj[] = [];
  readonly memberships: Obj[] = [];
  readonly plans: Obj[] = [];
  readonly webhooks: FakeWhopWebhook[] = [];
  /** Every request as "METHOD /path?query". */
  readonly requests: string[] = [];
  /** The next this many requests are answered 429 with Retry-After: 0. */
  throttleNext = 0;
  /** Extra delay per list page (ms), so a test can watch a backfill progress. */
  pageDelayMs = 0;
  private server!: Deno.HttpServer<Deno.NetAddr>;

  /** The API base, as WHOP_API_URL. */
  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}/api/v1`;
  }

  /** Starts listening on a free port. */
  static start(): Promise<FakeWhop> {
    const fake = new FakeWhop();
    fake.server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      (req) => fake.handle(req),
    );
    return Promise.resolve(fake);
  }

  async close(): Promise<void> {
    await this.server.shutdown();
  }

  /** Adds a company and a key for it. */
  addKey(opts: Partial<FakeWhopKey> & { title?: string } = {}): { key: string; companyId: string } {
    const companyId = opts.companyId ?? `biz_${rand(12)}`;
    if (!this.companies.has(companyId)) this.companies.set(companyId, opts.title ?? "Fake Club");
    const key = `apik_${rand(32)}`;
    this.keys.set(key, { companyId, read: opts.read ?? true, webhooks: opts.webhooks ?? true });
    return { key, companyId };
  }

  /** A renewal (or one-time) plan priced in decimal units. */
  plan(o: {
    companyId: string;
    renewalPrice?: number;
    initialPrice?: number;
    billingPeriod?: number | null;
    currency?: string;
    planType?: "renewal" | "one_time";
  }): Obj {
    const p: Obj = {
      id: `plan_${rand()}`,
      created_at: iso(),
      company_id: o.companyId,
      plan_type: o.planType ?? "renewal",
      renewal_price: o.renewalPrice ?? 0,
      initial_price: o.initialPrice ?? 0,
      billing_period: o.planType === "one_time" ? null : o.billingPeriod ?? 30,
      currency: o.currency ?? "usd",
    };
    this.plans.push(p);
    return p;
  }

  /** A membership of a plan. */
  membership(o: {
    companyId: string;
    planId: string;
    email: string;
    status?: string;
    createdAt?: Date;
    canceledAt?: Date;
    product?: string;
  }): Obj {
    const m: Obj = {
      id: `mem_${rand()}`,
      created_at: iso(o.createdAt),
      updated_at: iso(),
      company_id: o.companyId,
      status: o.status ?? "active",
      canceled_at: o.canceledAt ? iso(o.canceledAt) : null,
      cancel_at_period_end: false,
      renewal_period_end: iso(Date.now() + 30 * 86_400_000),
      plan: { id: o.planId },
      product: { id: `prod_${rand()}`, title: o.product ?? "Community" },
      user: { id: `user_${rand()}`, email: o.email, name: null, username: `u${rand(6)}` },
      metadata: {},
    };
    this.memberships.push(m);
    return m;
  }

  /** A paid payment; `total` is decimal major units as Whop sends it. */
  payment(o: {
    companyId: string;
    total: number;
    currency?: string;
    email?: string;
    product?: string;
    billingReason?: string;
    membershipId?: string;
    planId?: string;
    createdAt?: Date;
    metadata?: Record<string, unknown>;
  }): Obj {
    const created = iso(o.createdAt);
    const p: Obj = {
      id: `pay_${rand()}`,
      created_at: created,
      paid_at: created,
      company: { id: o.companyId, title: this.companies.get(o.companyId) ?? "" },
      status: "paid",
      substatus: "succeeded",
      total: o.total,
      subtotal: o.total,
      usd_total: o.total,
      currency: o.currency ?? "usd",
      refunded_amount: 0,
      refunded_at: null,
      billing_reason: o.billingReason ?? "one_time",
      user: {
        id: `user_${rand()}`,
        email: o.email ?? null,
        name: null,
        username: `u${rand(6)}`,
      },
      product: { id: `prod_${rand()}`, title: o.product ?? "Product", route: "product" },
      plan: o.planId ? { id: o.planId } : { id: `plan_${rand()}` },
      membership: o.membershipId ? { id: o.membershipId, status: "active" } : null,
      billing_address: null,
      metadata: o.metadata ?? {},
    };
    this.payments.push(p);
    return p;
  }

  /** A succeeded refund of part or all of a payment (decimal units). */
  refund(o: { paymentId: string; amount: number; createdAt?: Date }): Obj {
    const p = this.payments.find((x) => x.id === o.paymentId)!;
    const r: Obj = {
      id: `rfnd_${rand()}`,
      created_at: iso(o.createdAt),
      updated_at: iso(),
      amount: o.amount,
      currency: p.currency,
      status: "succeeded",
      provider: "stripe",
      payment: { id: p.id, total: p.total, currency: p.currency, created_at: p.created_at },
    };
    this.refunds.push(r);
    p.refunded_amount = Number(p.refunded_amount) + o.amount;
    p.refunded_at = r.created_at;
    return r;
  }

  /** The body Whop posts for one event. */
  event(type: string, data: unknown) {
    return { id: `evt_${rand(20)}`, api_version: "v1", timestamp: iso(), type, data };
  }

  /** Standard Webhooks headers for `body`, signed with a webhook's secret. */
  async sign(
    body: string,
    secret: string,
    opts: { id?: string; timestamp?: number } = {},
  ): Promise<Record<string, string>> {
    const id = opts.id ?? `msg_${rand(24)}`;
    const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
    return {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": await signatureOf(webhookKey(secret, true), id, ts, body),
    };
  }

  /** Delivers an event to every webhook of `companyId` that wants it; returns the statuses. */
  async emit(companyId: string, type: string, data: unknown): Promise<number[]> {
    const body = JSON.stringify(this.event(type, data));
    const statuses: number[] = [];
    for (const w of this.webhooks) {
      if (w.resource_id !== companyId || !w.events.includes(type)) continue;
      const res = await fetch(w.url, {
        method: "POST",
        headers: await this.sign(body, w.webhook_secret),
        body,
      });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    return statuses;
  }

  private error(status: number, type: string, message: string): Response {
    return Response.json({ error: { type, message } }, { status });
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname.replace(/^\/api\/v1/, "");
    this.requests.push(`${req.method} ${path}${url.search}`);
    if (this.throttleNext > 0) {
      this.throttleNext--;
      return Response.json(
        { error: { type: "rate_limited", message: "Too many requests" } },
        { status: 429, headers: { "retry-after": "0" } },
      );
    }
    const auth = req.headers.get("authorization") ?? "";
    const key = this.keys.get(auth.replace(/^Bearer\s+/i, ""));
    if (!auth.startsWith("Bearer ") || !key) {
      return this.error(401, "unauthorized", "The API key provided is invalid.");
    }
    const q = url.searchParams;
    const forbidden = () =>
      this.error(403, "forbidden", "You do not have permission to access this resource.");
    const company = (id: string | null) => {
      if (!id || !this.companies.has(id)) {
        return this.error(404, "not_found", "Company not found.");
      }
      return id === key.companyId ? null : forbidden();
    };

    if (path === "/webhooks" && req.method === "POST") {
      if (!key.webhooks) return forbidden();
      const body = await req.json();
      const refused = company(body.resource_id);
      if (refused) return refused;
      const w: FakeWhopWebhook = {
        id: `hook_${rand()}`,
        url: String(body.url),
        webhook_secret: `ws_${rand(32)}`,
        events: body.events ?? [],
        resource_id: body.resource_id,
      };
      this.webhooks.push(w);
      return Response.json({ ...w, api_version: body.api_version ?? "v1", enabled: true });
    }
    const hook = /^\/webhooks\/([^/]+)$/.exec(path);
    if (hook && req.method === "DELETE") {
      if (!key.webhooks) return forbidden();
      const i = this.webhooks.findIndex((w) => w.id === hook[1]);
      if (i < 0) return this.error(404, "not_found", "Webhook not found.");
      this.webhooks.splice(i, 1);
      return Response.json(true);
    }
    if (req.method !== "GET") return this.error(404, "not_found", "Not found.");
    const one = /^\/(payments|plans|memberships|companies)\/([^/]+)$/.exec(path);
    if (one) {
      if (one[1] === "companies") {
        const refused = company(one[2]);
        return refused ?? Response.json({ id: one[2], title: this.companies.get(one[2]) });
      }
      if (!key.read) return forbidden();
      const list = one[1] === "payments"
        ? this.payments
        : one[1] === "plans"
        ? this.plans
        : this.memberships;
      const found = list.find((x) => x.id === one[2]);
      return found ? Response.json(found) : this.error(404, "not_found", "Not found.");
    }
    if (!key.read) return forbidden();
    if (this.pageDelayMs) await new Promise((r) => setTimeout(r, this.pageDelayMs));
    switch (path) {
      case "/payments":
      case "/memberships": {
        const refused = company(q.get("company_id"));
        if (refused) return refused;
        const items = (path === "/payments" ? this.payments : this.memberships).filter((x) =>
          (x.company as { id: string } | undefined)?.id === key.companyId ||
          x.company_id === key.companyId
        );
        return this.page(items, q);
      }
      case "/refunds":
        return this.page(
          this.refunds.filter((r) => (r.payment as { id: string }).id === q.get("payment_id")),
          q,
        );
    }
    return this.error(404, "not_found", "Not found.");
  }

  private page(items: Obj[], q: URLSearchParams): Response {
    const after = q.get("created_after");
    const asc = q.get("direction") === "asc";
    const sorted = items
      .filter((i) => !after || i.created_at >= after)
      .sort((a, b) => (a.created_at < b.created_at ? 1 : -1) * (asc ? -1 : 1));
    const first = Math.min(100, Number(q.get("first") ?? 10));
    const start = q.get("after") ? Number(atob(q.get("after")!)) : 0;
    const data = sorted.slice(start, start + first);
    const end = start + data.length;
    return Response.json({
      data,
      page_info: {
        start_cursor: btoa(String(start)),
        end_cursor: btoa(String(end)),
        has_previous_page: start > 0,
        has_next_page: end < sorted.length,
      },
    });
  }
}
