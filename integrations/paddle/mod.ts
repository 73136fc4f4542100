/**
 * Paddle Billing behind the Platform interface: a Bearer API key with `Paddle-Version: 1`,
 * webhooks signed `Paddle-Signature: ts=…;h1=…` over `ts:body` (a colon), their timestamp
 * checked within 5 minutes and event_id the dedupe key, and backfills that follow
 * `meta.pagination.next` cursors. Amounts are strings of minor units.
 *
 * Keys: a transaction is `txn:<id>` (its origin tells a sale, a subscription's start and a
 * renewal apart); a refund or chargeback adjustment is `adj:<id>` and finds its transaction.
 */
import { z } from "zod";
import { ApiClient } from "../http.ts";
import {
  type BackfillProgress,
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
  isoDate,
  monthlyMinor,
  pageCounter,
  parseWith,
  visitorFrom,
} from "../common.ts";
import { hmacSha256, timingSafeEqual, toHex } from "../../lib/crypto.ts";
import { PADDLE_DESCRIPTION, PADDLE_EVENTS } from "./describe.ts";

const NAME = "Paddle";
const KEYS_PAGE = "Paddle → Developer Tools → Authentication";
/** Webhook timestamps further than this from now, either way, are refused (replay protection). */
export const SIGNATURE_TOLERANCE_S = 300;

/** Minor units as Paddle writes them: a string of digits. */
const minorText = z.string().regex(/^-?\d{1,15}$/).transform(Number);

/** The parts of a transaction Sextant reads. */
export const transaction = z.object({
  id: z.string(),
  status: z.string(),
  customer_id: z.string().nullish(),
  subscription_id: z.string().nullish(),
  origin: z.string().nullish(),
  currency_code: z.string().length(3),
  custom_data: z.record(z.string(), z.unknown()).nullish(),
  created_at: isoDate,
  billed_at: isoDate.nullish(),
  details: z.object({ totals: z.object({ grand_total: minorText }) }),
  items: z.array(z.object({
    price: z.object({ description: z.string().nullish(), name: z.string().nullish() }).nullish(),
    product: z.object({ name: z.string().nullish() }).nullish(),
  })).nullish(),
  customer: z.object({ email: z.string().nullish() }).nullish(),
});

/** A refund, credit or chargeback of a transaction. */
export const adjustment = z.object({
  id: z.string(),
  action: z.string(),
  status: z.string(),
  transaction_id: z.string(),
  currency_code: z.string().length(3),
  totals: z.object({ total: minorText }),
  created_at: isoDate,
});

/** A subscription's current state. */
export const subscription = z.object({
  id: z.string(),
  status: z.string(),
  currency_code: z.string().length(3),
  created_at: isoDate,
  started_at: isoDate.nullish(),
  updated_at: isoDate,
  canceled_at: isoDate.nullish(),
  items: z.array(z.object({
    quantity: z.number().nullish(),
    price: z.object({
      unit_price: z.object({ amount: minorText }),
      billing_cycle: z.object({ interval: z.string(), frequency: z.number() }).nullish(),
    }),
  })),
});

const event = z.object({
  event_id: z.string(),
  event_type: z.string(),
  data: z.record(z.string(), z.unknown()),
});

const page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    data: z.array(item),
    meta: z.object({
      pagination: z.object({ next: z.string().nullish(), has_more: z.boolean() }).nullish(),
    }).nullish(),
  });

type Transaction = z.infer<typeof transaction>;
type Adjustment = z.infer<typeof adjustment>;
type Subscription = z.infer<typeof subscription>;

/** A paid or completed transaction as a purchase. */
export function fromTransaction(t: Transaction, email?: string): PlatformPurchase | null {
  if (t.status !== "paid" && t.status !== "completed") return null;
  const origin = t.origin ?? "";
  const kind = origin.startsWith("subscription_")
    ? "renewal"
    : t.subscription_id
    ? "subscription_start"
    : "one_time";
  const amount = t.details.totals.grand_total;
  if (amount <= 0 && kind !== "subscription_start") return null;
  const names = (t.items ?? []).map((i) =>
    i.product?.name ?? i.price?.name ?? i.price?.description ?? ""
  )
    .filter(Boolean);
  return {
    provider: "paddle",
    key: `txn:${t.id}`,
    ts: t.billed_at ?? t.created_at,
    kind,
    amountMinor: amount,
    currency: t.currency_code,
    orderId: t.id,
    email: email ?? t.customer?.email ?? undefined,
    product: names.length > 1 ? `${names[0]} + ${names.length - 1} more` : names[0],
    visitorId: visitorFrom(t.custom_data),
    subscriptionId: t.subscription_id ?? undefined,
  };
}

/** An approved refund or chargeback as a negative purchase of its transaction. */
export function fromAdjustment(a: Adjustment): PlatformPurchase | null {
  if (a.status !== "approved") return null;
  if (a.action !== "refund" && !a.action.startsWith("chargeback")) return null;
  return {
    provider: "paddle",
    key: `adj:${a.id}`,
    ts: a.created_at,
    kind: "refund",
    amountMinor: -Math.abs(a.totals.total),
    currency: a.currency_code,
    orderId: a.transaction_id,
    refundOf: { key: `txn:${a.transaction_id}` },
  };
}

/** A subscription's state, as of its last update. */
export function fromSubscription(s: Subscription): PlatformChange {
  let mrr = 0;
  for (const item of s.items) {
    const cycle = item.price.billing_cycle;
    if (!cycle) continue;
    mrr += monthlyMinor(
      item.price.unit_price.amount * (item.quantity ?? 1),
      cycle.interval,
      cycle.frequency,
    );
  }
  return {
    type: "subscription",
    subscription: {
      subscriptionId: s.id,
      status: s.status,
      mrrMinor: mrr,
      currency: s.currency_code,
      startedAt: s.started_at ?? s.created_at,
      canceledAt: s.status === "canceled" ? s.canceled_at ?? s.updated_at : null,
      stateAt: s.updated_at,
    },
  };
}

/** Shows which key is in use without revealing it. */
export function keyHint(key: string): string {
  const prefix = /^pdl_(live|sdbx)_apikey_/.exec(key)?.[0] ?? "";
  return `${prefix}…${key.slice(-4)}`;
}

/** The Paddle Billing platform, talking to `apiUrl` (production, or the sandbox). */
export function createPaddlePlatform(apiUrl: string): Platform {
  const client = (fields: CredentialFields) =>
    new ApiClient({
      platform: NAME,
      baseUrl: apiUrl,
      keysPage: KEYS_PAGE,
      headers: { authorization: `Bearer ${fields.apiKey ?? ""}`, "paddle-version": "1" },
      // Paddle answers a wrong key with 403 and an authentication_* code.
      badCredentials: (_status, body) =>
        /^authentication_/.test(
          String((body as { error?: { code?: unknown } } | null)?.error?.code ?? ""),
        ),
    });

  /** Follows `next` cursors until the end, or until `stop` says the rest is too old. */
  async function all<T>(
    api: ApiClient,
    what: string,
    path: string,
    query: Record<string, string | number>,
    schema: z.ZodType<T>,
    stop: (item: T) => boolean,
    onPage: (n: number) => Promise<void>,
  ): Promise<T[]> {
    const out: T[] = [];
    let res = await api.get(`read ${what}`, path, query);
    for (;;) {
      const p = parseWith(page(schema), res.body, NAME, what);
      const fresh = p.data.filter((i) => !stop(i));
      out.push(...fresh);
      await onPage(fresh.length);
      const next = p.meta?.pagination?.next;
      if (fresh.length < p.data.length || !p.meta?.pagination?.has_more || !next) return out;
      // The cursor URL carries the query already; sending the filters again would change it.
      res = await api.get(`read ${what}`, next);
    }
  }

  return {
    ...PADDLE_DESCRIPTION,

    async connect(fields) {
      const key = (fields.apiKey ?? "").trim();
      if (!key) throw new PlatformError(`Paste an API key from ${KEYS_PAGE}.`);
      if (key.startsWith("pdl_ntfset_")) {
        throw new PlatformError(
          "That's a notification secret key (pdl_ntfset_…). Paste an API key here; Sextant " +
            "registers its own notification destination.",
        );
      }
      if (/\s/.test(key)) {
        throw new PlatformError(
          `That doesn't look like a Paddle API key. Copy it again from ${KEYS_PAGE}.`,
        );
      }
      const sandbox = /sandbox/.test(apiUrl);
      if (key.startsWith(sandbox ? "pdl_live_" : "pdl_sdbx_")) {
        throw new PlatformError(
          sandbox
            ? "That's a live key, but this Sextant talks to Paddle's sandbox. Paste a sandbox key."
            : "That's a sandbox key, but this Sextant talks to live Paddle (PADDLE_API_URL). " +
              "Paste a live key, or point PADDLE_API_URL at https://sandbox-api.paddle.com.",
        );
      }
      const api = client({ apiKey: key });
      await api.get("read transactions", "transactions", { per_page: 1 });
      await api.get("read subscriptions", "subscriptions", { per_page: 1 });
      return {
        keyHint: keyHint(key),
        livemode: !sandbox,
        accountName: "",
        fields: { apiKey: key },
      };
    },

    async registerWebhook(creds, url) {
      const res = await client(creds.fields).post<
        { data?: { id?: string; endpoint_secret_key?: string } }
      >("create a notification destination", "notification-settings", {
        description: "Sextant revenue attribution",
        type: "url",
        destination: url,
        subscribed_events: [...PADDLE_EVENTS],
        api_version: 1,
        include_sensitive_fields: false,
      });
      const d = res.body?.data;
      if (!d?.id || !d.endpoint_secret_key) {
        throw new PlatformError("Paddle created the destination but sent no id or secret key.");
      }
      return { mode: "auto", endpointId: d.id, secret: d.endpoint_secret_key };
    },

    async unregisterWebhook(creds, endpointId) {
      await client(creds.fields).request({
        doing: "delete its notification destination",
        method: "DELETE",
        path: `notification-settings/${encodeURIComponent(endpointId)}`,
        accept: [404],
      });
    },

    async verifyWebhook(rawBody, headers, secret): Promise<VerifiedEvent> {
      const header = headers.get("paddle-signature");
      if (!header) throw new SignatureError("The Paddle-Signature header is missing.");
      const parts = header.split(";").map((p) => p.trim().split("="));
      const ts = parts.find(([k]) => k === "ts")?.[1] ?? "";
      const sigs = parts.filter(([k]) => k === "h1").map(([, v]) => (v ?? "").toLowerCase());
      if (!/^\d{1,12}$/.test(ts) || sigs.length === 0) {
        throw new SignatureError("The Paddle-Signature header has no ts or h1.");
      }
      if (Math.abs(Date.now() / 1000 - Number(ts)) > SIGNATURE_TOLERANCE_S) {
        throw new SignatureError(
          "The signature's timestamp is more than 5 minutes off: a replayed or delayed delivery.",
        );
      }
      const expected = toHex(await hmacSha256(secret, `${ts}:${rawBody}`));
      if (!sigs.some((s) => timingSafeEqual(s, expected))) {
        throw new SignatureError("The signature doesn't match this destination's secret key.");
      }
      const e = parseWebhookBody(rawBody, event, "Paddle event");
      return { id: e.event_id, type: e.event_type, payload: e, dedupeKey: e.event_id };
    },

    async normalize(creds, ev): Promise<PlatformChange[]> {
      const e = parseWith(event, ev.payload, NAME, "an event");
      const purchase = (p: PlatformPurchase | null): PlatformChange[] =>
        p ? [{ type: "purchase", purchase: p }] : [];
      if (e.event_type.startsWith("transaction.")) {
        const t = parseWith(transaction, e.data, NAME, "a transaction");
        let email: string | undefined;
        if (t.customer_id && (t.status === "paid" || t.status === "completed")) {
          // Events carry the customer's id only; the email is one lookup away.
          const c = await client(creds.fields).get<{ data?: { email?: string } }>(
            "read a customer",
            `customers/${encodeURIComponent(t.customer_id)}`,
          );
          email = c.body?.data?.email ?? undefined;
        }
        return purchase(fromTransaction(t, email));
      }
      if (e.event_type.startsWith("adjustment.")) {
        return purchase(fromAdjustment(parseWith(adjustment, e.data, NAME, "an adjustment")));
      }
      if (e.event_type.startsWith("subscription.")) {
        return [fromSubscription(parseWith(subscription, e.data, NAME, "a subscription"))];
      }
      return [];
    },

    async backfill(creds, days, progress: BackfillProgress): Promise<PlatformChange[]> {
      const api = client(creds.fields);
      const since = new Date(Date.now() - days * 86_400_000);
      const counted = pageCounter(progress);
      const txns = await all(
        api,
        "transactions",
        "transactions",
        {
          "created_at[GTE]": since.toISOString(),
          status: "paid,completed",
          include: "customer",
          per_page: 100,
          order_by: "created_at[ASC]",
        },
        transaction,
        () => false,
        counted,
      );
      const adjustments = await all(
        api,
        "adjustments",
        "adjustments",
        {
          action: "refund",
          status: "approved",
          per_page: 50,
          order_by: "id[DESC]",
        },
        adjustment,
        (a) => a.created_at < since,
        counted,
      );
      const subs = await all(
        api,
        "subscriptions",
        "subscriptions",
        {
          per_page: 100,
        },
        subscription,
        () => false,
        () => Promise.resolve(),
      );
      const live = subs.filter((s) =>
        !(s.status === "canceled" && (s.canceled_at ?? s.updated_at) < since)
      );
      return await backfillResult(
        progress,
        [...txns.map((t) => fromTransaction(t)), ...adjustments.map(fromAdjustment)],
        live.map(fromSubscription),
      );
    },
  };
}
