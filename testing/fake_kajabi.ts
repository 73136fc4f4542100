/**
 * A local stand-in for Kajabi's public API v1, for tests: OAuth client credentials exchanged at
 * /v1/oauth/token for expiring Bearer tokens, JSON:API resources and error bodies, page-numbered
 * transaction lists with `links.next`, customers, offers and purchases (a subscription purchase
 * carries its price and interval, and `deactivated_at` once cancelled), hooks registered through
 * the API, 429s with Retry-After, and hook deliveries `{id, event, payload: [...]}` posted
 * unsigned, as Kajabi does. Never the real Kajabi.
 */
type Attrs = Record<string, unknown>;
interface Res {
  id: string;
  type: string;
  attributes: Attrs;
  relationships?: Record<string, { data: { id: string; type: string } }>;
}

const rand = (n = 10) => crypto.randomUUID().replaceAll("-", "").slice(0, n);
const iso = (d: Date | number = new Date()) => new Date(d).toISOString();

export class FakeKajabi {
  /** client id → secret */
  readonly clients = new Map<string, string>();
  readonly tokens = new Map<string, string>();
  readonly site: Res = { id: "1001", type: "sites", attributes: { title: "Fake Academy" } };
  readonly transactions: Res[] = [];
  readonly customers: Res[] = [];
  readonly offers: Res[] = [];
  readonly purchases: Res[] = [];
  readonly hooks: { id: string; event: string; target_url: string }[] = [];
  /** Every request as "METHOD /path?query". */
  readonly requests: string[] = [];
  /** The next this many requests are answered 429 with Retry-After: 0. */
  throttleNext = 0;
  /** Refuses to delete hooks (403), as for credentials that lost that permission. */
  refuseUnregister = false;
  private nextId = 5000;
  private server!: Deno.HttpServer<Deno.NetAddr>;

  /** The API base, as KAJABI_API_URL. */
  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}`;
  }

  /** Starts listening on a free port. */
  static start(): Promise<FakeKajabi> {
    const fake = new FakeKajabi();
    fake.server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      (req) => fake.handle(req),
    );
    return Promise.resolve(fake);
  }

  async close(): Promise<void> {
    await this.server.shutdown();
  }

  /** Adds API credentials. */
  addClient(): { clientId: string; clientSecret: string } {
    const clientId = `kjb_${rand(16)}`;
    const clientSecret = rand(32);
    this.clients.set(clientId, clientSecret);
    return { clientId, clientSecret };
  }

  /** Makes every issued token expire (the next call gets 401 and must fetch a new one). */
  expireTokens(): void {
    this.tokens.clear();
  }

  private id(): string {
    return String(this.nextId++);
  }

  /** A customer. */
  customer(email: string): Res {
    const c = {
      id: this.id(),
      type: "customers",
      attributes: { email, name: email.split("@")[0] },
    };
    this.customers.push(c);
    return c;
  }

  /** An offer. */
  offer(title: string): Res {
    const o = { id: this.id(), type: "offers", attributes: { title } };
    this.offers.push(o);
    return o;
  }

  /** A purchase of an offer (what a subscription's charges share). */
  purchase(
    o: {
      customerId: string;
      offerId: string;
      paymentType?: string;
      createdAt?: Date;
      /** A subscription's recurring price (cents) and interval. */
      amountInCents?: number;
      currency?: string;
      interval?: "month" | "year";
    },
  ): Res {
    const p: Res = {
      id: this.id(),
      type: "purchases",
      attributes: {
        created_at: iso(o.createdAt),
        deactivated_at: null,
        payment_type: o.paymentType ?? "single",
        amount_in_cents: o.amountInCents ?? null,
        currency: o.currency ?? "USD",
        subscription_interval: o.paymentType === "subscription" ? o.interval ?? "month" : null,
      },
      relationships: {
        customer: { data: { id: o.customerId, type: "customers" } },
        offer: { data: { id: o.offerId, type: "offers" } },
      },
    };
    this.purchases.push(p);
    return p;
  }

  /** Deactivates a purchase: a cancelled subscription, as Kajabi's API then shows it. */
  deactivate(purchaseId: string, at?: Date): void {
    const p = this.purchases.find((x) => x.id === purchaseId)!;
    p.attributes.deactivated_at = iso(at);
  }

  /** A charge (or, with action "refund", a refund) of a purchase; cents. */
  transaction(o: {
    purchaseId: string;
    amountInCents: number;
    currency?: string;
    action?: "charge" | "refund";
    createdAt?: Date;
  }): Res {
    const p = this.purchases.find((x) => x.id === o.purchaseId)!;
    const t: Res = {
      id: this.id(),
      type: "transactions",
      attributes: {
        action: o.action ?? "charge",
        amount_in_cents: o.amountInCents,
        currency: o.currency ?? "USD",
        created_at: iso(o.createdAt),
        payment_type: p.attributes.payment_type,
        state: "succeeded",
      },
      relationships: {
        customer: p.relationships!.customer,
        offer: p.relationships!.offer,
        purchase: { data: { id: p.id, type: "purchases" } },
        site: { data: { id: this.site.id, type: "sites" } },
      },
    };
    this.transactions.push(t);
    return t;
  }

  /** The hook payload item Kajabi sends for a charge. */
  hookItem(t: Res): Attrs {
    const rel = (name: string) => t.relationships?.[name]?.data.id;
    const customer = this.customers.find((c) => c.id === rel("customer"));
    const offer = this.offers.find((o) => o.id === rel("offer"));
    return {
      id: t.id,
      transaction_id: t.id,
      purchase_id: rel("purchase"),
      amount_in_cents: t.attributes.amount_in_cents,
      currency: t.attributes.currency,
      created_at: t.attributes.created_at,
      payment_type: t.attributes.payment_type,
      customer: { id: customer?.id, email: customer?.attributes.email },
      offer: { id: offer?.id, title: offer?.attributes.title },
    };
  }

  /** Posts `{id, event, payload}` to every hook for `event`; returns the responses. */
  async deliver(event: string, payload: Attrs[], opts: { id?: string } = {}) {
    const body = JSON.stringify({ id: opts.id ?? this.id(), event, payload });
    const out: { status: number; body: string }[] = [];
    for (const h of this.hooks.filter((x) => x.event === event)) {
      const res = await fetch(h.target_url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      out.push({ status: res.status, body: await res.text() });
    }
    return out;
  }

  private errors(status: number, title: string, detail: string): Response {
    return Response.json({ errors: [{ status: String(status), title, detail }] }, { status });
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}${url.search}`);
    if (this.throttleNext > 0) {
      this.throttleNext--;
      return new Response(
        JSON.stringify({ errors: [{ status: "429", title: "Too Many Requests" }] }),
        {
          status: 429,
          headers: { "retry-after": "0", "content-type": "application/vnd.api+json" },
        },
      );
    }
    if (path === "/v1/oauth/token" && req.method === "POST") {
      const form = new URLSearchParams(await req.text());
      const id = form.get("client_id") ?? "";
      if (form.get("grant_type") !== "client_credentials") {
        return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
      }
      if (!this.clients.has(id) || this.clients.get(id) !== form.get("client_secret")) {
        return Response.json({
          error: "invalid_client",
          error_description: "Client authentication failed.",
        }, { status: 401 });
      }
      const token = rand(40);
      this.tokens.set(token, id);
      return Response.json({ access_token: token, token_type: "Bearer", expires_in: 7200 });
    }
    const bearer = (req.headers.get("authorization") ?? "").replace(/^Bearer\s+/i, "");
    if (!this.tokens.has(bearer)) {
      return this.errors(401, "Unauthorized", "The access token is invalid or has expired.");
    }
    if (path === "/v1/hooks" && req.method === "POST") {
      const body = await req.json();
      const a = body?.data?.attributes ?? {};
      if (!a.event || !a.target_url) {
        return this.errors(422, "Unprocessable Entity", "event and target_url are required.");
      }
      const h = { id: this.id(), event: String(a.event), target_url: String(a.target_url) };
      this.hooks.push(h);
      return Response.json({
        data: { id: h.id, type: "hooks", attributes: { event: h.event, target_url: h.target_url } },
      }, { status: 201 });
    }
    const hook = /^\/v1\/hooks\/([^/]+)$/.exec(path);
    if (hook && req.method === "DELETE") {
      if (this.refuseUnregister) return this.errors(403, "Forbidden", "Not allowed.");
      const i = this.hooks.findIndex((h) => h.id === hook[1]);
      if (i < 0) return this.errors(404, "Not Found", "No such hook.");
      this.hooks.splice(i, 1);
      return new Response(null, { status: 204 });
    }
    if (req.method !== "GET") return this.errors(404, "Not Found", "No such route.");
    if (path === "/v1/sites") return Response.json({ data: [this.site] });
    const one = /^\/v1\/(customers|offers|purchases)\/([^/]+)$/.exec(path);
    if (one) {
      const list = one[1] === "customers"
        ? this.customers
        : one[1] === "offers"
        ? this.offers
        : this.purchases;
      const found = list.find((x) => x.id === one[2]);
      return found ? Response.json({ data: found }) : this.errors(404, "Not Found", "Not found.");
    }
    if (path === "/v1/transactions") {
      const q = url.searchParams;
      const site = q.get("filter[site_id]");
      const desc = q.get("sort") === "-created_at";
      const items = this.transactions
        .filter((t) => !site || t.relationships?.site.data.id === site)
        .sort((a, b) =>
          (String(a.attributes.created_at) < String(b.attributes.created_at) ? -1 : 1) *
          (desc ? -1 : 1)
        );
      const size = Math.min(100, Number(q.get("page[size]") ?? 25));
      const number = Math.max(1, Number(q.get("page[number]") ?? 1));
      const data = items.slice((number - 1) * size, number * size);
      const next = new URLSearchParams(q);
      next.set("page[number]", String(number + 1));
      return Response.json({
        data,
        links: {
          self: `${this.url}${path}?${q}`,
          next: number * size < items.length ? `${this.url}${path}?${next}` : null,
        },
        meta: { total_count: items.length },
      });
    }
    return this.errors(404, "Not Found", "No such route.");
  }
}
