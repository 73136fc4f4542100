/**
 * A local stand-in for Stripe's API, for tests: the endpoints Sextant calls (lists with
 * `created[gte]`, cursors and `expand`, line items, invoice payments, webhook endpoints), keys
 * with restricted permissions, Stripe-shaped errors, and webhook deliveries signed with the
 * SDK's test-header helper. Never the real Stripe.
 */
import Stripe from "stripe";

type Obj = Record<string, unknown> & { id: string; created: number };

/** What a key may do; resources are Stripe's list names ("checkout_sessions", "invoices"…). */
export interface FakeKey {
  /** Readable resources, or "all". */
  read?: "all" | string[];
  /** May create and delete webhook endpoints. */
  writeWebhooks?: boolean;
}

export interface FakeEndpoint {
  id: string;
  url: string;
  secret: string;
  enabled_events: string[];
}

const LABELS: Record<string, string> = {
  checkout_sessions: "rak_checkout_session_read",
  invoices: "rak_invoice_read",
  subscriptions: "rak_subscription_read",
  refunds: "rak_refund_read",
  webhook_endpoints: "rak_webhook_write",
  account: "rak_account_read",
};

const rand = (n = 14) => crypto.randomUUID().replaceAll("-", "").slice(0, n);
const nowS = () => Math.floor(Date.now() / 1000);

export class FakeStripe {
  readonly keys = new Map<string, FakeKey>();
  readonly checkoutSessions: Obj[] = [];
  readonly invoices: Obj[] = [];
  readonly refunds: Obj[] = [];
  readonly subscriptions: Obj[] = [];
  readonly invoicePayments: Obj[] = [];
  readonly endpoints: FakeEndpoint[] = [];
  readonly lineItems = new Map<string, Obj[]>();
  /** Every request as "METHOD /path". */
  readonly requests: string[] = [];
  /** Makes webhook endpoint creation fail as Stripe does for unreachable URLs. */
  rejectEndpointUrls = false;
  /** Extra delay per list page (ms), so a test can watch a backfill progress. */
  pageDelayMs = 0;
  private server!: Deno.HttpServer<Deno.NetAddr>;

  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}`;
  }

  /** Starts listening on a free port. */
  static async start(): Promise<FakeStripe> {
    const fake = new FakeStripe();
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
  addKey(key: string, opts: FakeKey = { read: "all", writeWebhooks: true }): string {
    this.keys.set(key, opts);
    return key;
  }

  /** A paid Checkout Session (payment or subscription mode) with its line items. */
  checkoutSession(o: {
    amount: number;
    currency?: string;
    email?: string;
    clientReferenceId?: string;
    metadata?: Record<string, string>;
    mode?: "payment" | "subscription";
    created?: number;
    product?: string;
    country?: string;
    subscription?: string;
    invoice?: string;
    customFields?: { key: string; value: string }[];
  }): Obj {
    const id = `cs_test_${rand()}`;
    const mode = o.mode ?? "payment";
    const session: Obj = {
      id,
      object: "checkout.session",
      created: o.created ?? nowS(),
      mode,
      status: "complete",
      payment_status: "paid",
      amount_total: o.amount,
      currency: o.currency ?? "usd",
      client_reference_id: o.clientReferenceId ?? null,
      customer_email: null,
      customer_details: { email: o.email ?? null, address: { country: o.country ?? null } },
      metadata: o.metadata ?? {},
      custom_fields: (o.customFields ?? []).map((f) => ({
        key: f.key,
        type: "text",
        text: { value: f.value },
      })),
      payment_intent: mode === "payment" ? `pi_${rand()}` : null,
      invoice: mode === "subscription" ? o.invoice ?? null : null,
      subscription: mode === "subscription" ? o.subscription ?? null : null,
      payment_link: null,
    };
    this.checkoutSessions.push(session);
    this.lineItems.set(id, [{
      id: `li_${rand()}`,
      created: session.created,
      object: "item",
      description: o.product ?? "Product",
      quantity: 1,
      price: { product: `prod_${rand()}`, nickname: null },
    }]);
    return session;
  }

  /** A paid invoice and the invoice payment linking it to its PaymentIntent. */
  invoice(o: {
    amount: number;
    currency?: string;
    email?: string;
    billingReason: string;
    subscription?: string;
    created?: number;
    product?: string;
    metadata?: Record<string, string>;
  }): Obj {
    const id = `in_${rand()}`;
    const created = o.created ?? nowS();
    const pi = `pi_${rand()}`;
    const inv: Obj = {
      id,
      object: "invoice",
      created,
      status: "paid",
      billing_reason: o.billingReason,
      amount_paid: o.amount,
      currency: o.currency ?? "usd",
      customer: `cus_${rand()}`,
      customer_email: o.email ?? null,
      customer_address: null,
      number: `INV-${rand(6).toUpperCase()}`,
      metadata: o.metadata ?? {},
      status_transitions: { paid_at: created },
      parent: o.subscription
        ? {
          type: "subscription_details",
          subscription_details: { subscription: o.subscription, metadata: {} },
        }
        : null,
      lines: { object: "list", data: [{ description: o.product ?? "Plan", quantity: 1 }] },
    };
    this.invoices.push(inv);
    this.invoicePayments.push({
      id: `inpay_${rand()}`,
      object: "invoice_payment",
      created,
      invoice: id,
      payment: { type: "payment_intent", payment_intent: pi },
    });
    return inv;
  }

  /**
   * An invoice whose payment attempt failed, as `invoice.payment_failed` carries it: still
   * open, nothing paid, `attempt_count` attempts so far, the next one scheduled.
   */
  failedInvoice(o: {
    amount: number;
    currency?: string;
    email?: string;
    subscription?: string;
    attempt?: number;
    id?: string;
  }): Obj {
    const created = nowS();
    const inv: Obj = {
      id: o.id ?? `in_${rand()}`,
      object: "invoice",
      created,
      status: "open",
      billing_reason: "subscription_cycle",
      amount_due: o.amount,
      amount_paid: 0,
      amount_remaining: o.amount,
      attempt_count: o.attempt ?? 1,
      attempted: true,
      next_payment_attempt: created + 3 * 86_400,
      currency: o.currency ?? "usd",
      customer: `cus_${rand()}`,
      customer_email: o.email ?? null,
      customer_address: null,
      number: `INV-${rand(6).toUpperCase()}`,
      metadata: {},
      status_transitions: { paid_at: null },
      parent: o.subscription
        ? {
          type: "subscription_details",
          subscription_details: { subscription: o.subscription, metadata: {} },
        }
        : null,
      lines: { object: "list", data: [{ description: "Plan", quantity: 1 }] },
    };
    return inv;
  }

  /** The PaymentIntent that paid an invoice. */
  paymentOfInvoice(invoiceId: string): string {
    const p = this.invoicePayments.find((x) => x.invoice === invoiceId);
    return (p?.payment as { payment_intent: string }).payment_intent;
  }

  /** A succeeded refund of a PaymentIntent. */
  refund(o: { paymentIntent: string; amount: number; currency?: string; created?: number }): Obj {
    const r: Obj = {
      id: `re_${rand()}`,
      object: "refund",
      created: o.created ?? nowS(),
      amount: o.amount,
      currency: o.currency ?? "usd",
      status: "succeeded",
      charge: `ch_for_${o.paymentIntent}`,
      payment_intent: o.paymentIntent,
    };
    this.refunds.push(r);
    return r;
  }

  /** The charge object Stripe sends with charge.refunded. */
  chargeFor(paymentIntent: string, amountRefunded: number, email?: string): Obj {
    return {
      id: `ch_for_${paymentIntent}`,
      object: "charge",
      created: nowS(),
      amount_refunded: amountRefunded,
      currency: "usd",
      payment_intent: paymentIntent,
      receipt_email: email ?? null,
      billing_details: { email: email ?? null, address: null },
    };
  }

  /** A subscription with one monthly (or yearly) price. */
  subscription(o: {
    unitAmount: number;
    interval?: "month" | "year";
    status?: string;
    created?: number;
    quantity?: number;
    canceledAt?: number;
  }): Obj {
    const created = o.created ?? nowS();
    const s: Obj = {
      id: `sub_${rand()}`,
      object: "subscription",
      created,
      start_date: created,
      status: o.status ?? "active",
      currency: "usd",
      customer: `cus_${rand()}`,
      canceled_at: o.canceledAt ?? null,
      ended_at: o.canceledAt ?? null,
      items: {
        object: "list",
        data: [{
          quantity: o.quantity ?? 1,
          price: {
            unit_amount: o.unitAmount,
            recurring: { interval: o.interval ?? "month", interval_count: 1 },
          },
        }],
      },
    };
    this.subscriptions.push(s);
    return s;
  }

  /** Builds an event around `object` as Stripe would send it. */
  event(type: string, object: unknown, created = nowS()) {
    return {
      id: `evt_${rand(20)}`,
      object: "event",
      api_version: Stripe.API_VERSION,
      created,
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    };
  }

  /** Signs a payload the way Stripe does. */
  sign(payload: string, secret: string, timestamp?: number): Promise<string> {
    return Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp });
  }

  /** Delivers an event to every registered endpoint; returns their HTTP statuses. */
  async emit(type: string, object: unknown): Promise<number[]> {
    const payload = JSON.stringify(this.event(type, object), null, 2);
    const statuses: number[] = [];
    for (const ep of this.endpoints) {
      if (!ep.enabled_events.includes(type) && !ep.enabled_events.includes("*")) continue;
      const res = await fetch(ep.url, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "stripe-signature": await this.sign(payload, ep.secret),
        },
        body: payload,
      });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    return statuses;
  }

  private error(status: number, message: string, type = "invalid_request_error"): Response {
    return Response.json({ error: { message, type } }, {
      status,
      headers: { "request-id": `req_${rand()}` },
    });
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}`);
    const key = (req.headers.get("authorization") ?? "").replace(/^Bearer\s+/i, "");
    const perms = this.keys.get(key);
    if (!perms) {
      return this.error(401, `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`);
    }
    const resource = path.startsWith("/v1/checkout/sessions")
      ? "checkout_sessions"
      : path.startsWith("/v1/invoice_payments")
      ? "invoices"
      : path.split("/")[2] ?? "";
    const denied = () =>
      this.error(
        403,
        `The provided key '${
          key.slice(0, 8)
        }***' does not have the required permissions for this ` +
          `endpoint on account 'acct_fake'. Having the '${
            LABELS[resource] ?? resource
          }' permission would allow this request to continue.`,
      );
    if (resource === "webhook_endpoints") {
      if (!perms.writeWebhooks) return denied();
      return await this.webhookEndpoints(req, path);
    }
    const readable = perms.read === "all" || (perms.read ?? []).includes(resource);
    if (!readable) return denied();
    if (this.pageDelayMs) await new Promise((r) => setTimeout(r, this.pageDelayMs));

    const q = url.searchParams;
    const lineItems = /^\/v1\/checkout\/sessions\/([^/]+)\/line_items$/.exec(path);
    if (lineItems) return this.list(this.lineItems.get(lineItems[1]) ?? [], q, path);
    switch (path) {
      case "/v1/account":
        return Response.json({
          id: "acct_fake",
          object: "account",
          settings: { dashboard: { display_name: "Fake Shop" } },
        });
      case "/v1/checkout/sessions":
        return this.list(
          this.checkoutSessions.filter((s) => !q.get("status") || s.status === q.get("status")),
          q,
          path,
        );
      case "/v1/invoices":
        return this.list(
          this.invoices.filter((s) => !q.get("status") || s.status === q.get("status")),
          q,
          path,
        );
      case "/v1/refunds":
        return this.list(
          this.refunds.filter((r) => !q.get("charge") || r.charge === q.get("charge")),
          q,
          path,
        );
      case "/v1/subscriptions":
        return this.list(
          this.subscriptions.filter((s) => q.get("status") === "all" || s.status !== "canceled"),
          q,
          path,
        );
      case "/v1/invoice_payments":
        return this.list(
          this.invoicePayments.filter((p) =>
            (!q.get("invoice") || p.invoice === q.get("invoice")) &&
            (!q.get("payment[payment_intent]") ||
              (p.payment as { payment_intent: string }).payment_intent ===
                q.get("payment[payment_intent]"))
          ),
          q,
          path,
        );
    }
    return this.error(404, `Unrecognized request URL (${req.method}: ${path}).`);
  }

  private list(items: Obj[], q: URLSearchParams, path: string): Response {
    const gte = Number(q.get("created[gte]") ?? 0);
    const limit = Math.min(100, Number(q.get("limit") ?? 10));
    const expand = [...q.entries()].filter(([k]) => k.startsWith("expand")).map(([, v]) => v);
    let sorted = items.filter((i) => i.created >= gte)
      .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
    const after = q.get("starting_after");
    if (after) sorted = sorted.slice(sorted.findIndex((i) => i.id === after) + 1);
    const page = sorted.slice(0, limit).map((i) => {
      const out: Record<string, unknown> = { ...i };
      if (expand.includes("data.line_items")) {
        out.line_items = { object: "list", data: this.lineItems.get(i.id) ?? [], has_more: false };
      }
      if (expand.includes("data.payments")) {
        out.payments = {
          object: "list",
          data: this.invoicePayments.filter((p) => p.invoice === i.id),
          has_more: false,
        };
      }
      return out;
    });
    return Response.json({
      object: "list",
      url: path,
      has_more: sorted.length > limit,
      data: page,
    });
  }

  private async webhookEndpoints(req: Request, path: string): Promise<Response> {
    if (req.method === "POST" && path === "/v1/webhook_endpoints") {
      const form = new URLSearchParams(await req.text());
      const url = form.get("url") ?? "";
      if (this.rejectEndpointUrls) {
        return this.error(400, "Invalid URL: URL must be publicly accessible.");
      }
      const events = [...form.entries()].filter(([k]) => k.startsWith("enabled_events")).map((
        [, v],
      ) => v);
      const ep: FakeEndpoint = {
        id: `we_${rand()}`,
        url,
        secret: `whsec_${rand(32)}`,
        enabled_events: events,
      };
      this.endpoints.push(ep);
      return Response.json({
        id: ep.id,
        object: "webhook_endpoint",
        url,
        secret: ep.secret,
        enabled_events: events,
        status: "enabled",
        api_version: form.get("api_version"),
      });
    }
    const del = /^\/v1\/webhook_endpoints\/([^/]+)$/.exec(path);
    if (req.method === "DELETE" && del) {
      const i = this.endpoints.findIndex((e) => e.id === del[1]);
      if (i >= 0) this.endpoints.splice(i, 1);
      return Response.json({ id: del[1], object: "webhook_endpoint", deleted: true });
    }
    return this.error(404, `Unrecognized request URL (${req.method}: ${path}).`);
  }
}
