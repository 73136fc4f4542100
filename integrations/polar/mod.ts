/**
 * Polar behind the Platform interface: a Bearer organization access token, webhooks signed with
 * Standard Webhooks (Polar's secret used as plain bytes, its timestamp checked within 5 minutes,
 * webhook-id the idempotency key), and backfills paged with page/limit newest first.
 *
 * Keys: an order is `order:<id>` (its billing_reason tells a sale, a subscription's start and a
 * renewal apart); a refund is `refund:<id>` and finds its order by key.
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
  backfillResult,
  isoDate,
  monthlyMinor,
  pageCounter,
  parseWith,
  visitorFrom,
} from "../common.ts";
import { StandardWebhookError, verifyDelivery, webhookKey } from "../../lib/standard_webhooks.ts";
import { POLAR_DESCRIPTION, POLAR_EVENTS } from "./describe.ts";

const NAME = "Polar";
const KEYS_PAGE = "Polar → Settings → Developers";
const PAGE_LIMIT = 100;

const date = isoDate;
const metadata = z.record(z.string(), z.unknown()).nullish();

/** The parts of an order Sextant reads. */
export const order = z.object({
  id: z.string(),
  created_at: date,
  status: z.string().nullish(),
  paid: z.boolean().nullish(),
  total_amount: z.number().int(),
  currency: z.string().length(3),
  billing_reason: z.string(),
  subscription_id: z.string().nullish(),
  metadata,
  customer: z.object({ email: z.string().nullish() }).nullish(),
  product: z.object({ name: z.string().nullish() }).nullish(),
});

/** A refund of (part of) an order. */
export const refund = z.object({
  id: z.string(),
  created_at: date,
  status: z.string(),
  amount: z.number().int(),
  currency: z.string().length(3),
  order_id: z.string(),
});

/** A subscription's current state. */
export const subscription = z.object({
  id: z.string(),
  created_at: date,
  modified_at: date.nullish(),
  started_at: date.nullish(),
  amount: z.number().int().nullish(),
  currency: z.string().length(3).nullish(),
  recurring_interval: z.string(),
  recurring_interval_count: z.number().int().nullish(),
  status: z.string(),
  ended_at: date.nullish(),
  canceled_at: date.nullish(),
  customer: z.object({ email: z.string().nullish() }).nullish(),
});

const organization = z.object({ id: z.string(), name: z.string(), slug: z.string().nullish() });

const event = z.object({ type: z.string(), data: z.record(z.string(), z.unknown()) });

const list = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    items: z.array(item),
    pagination: z.object({ total_count: z.number(), max_page: z.number() }),
  });

type Order = z.infer<typeof order>;
type Refund = z.infer<typeof refund>;
type Subscription = z.infer<typeof subscription>;

const KINDS: Record<string, PlatformPurchase["kind"]> = {
  purchase: "one_time",
  subscription_create: "subscription_start",
  subscription_cycle: "renewal",
  subscription_update: "renewal",
};

/** A paid order as a purchase; nothing for a pending or free one. */
export function fromOrder(o: Order): PlatformPurchase | null {
  const paid = o.paid ?? ["paid", "refunded", "partially_refunded"].includes(o.status ?? "");
  if (!paid) return null;
  const kind = KINDS[o.billing_reason] ?? "one_time";
  if (o.total_amount <= 0 && kind !== "subscription_start") return null;
  return {
    provider: "polar",
    key: `order:${o.id}`,
    ts: o.created_at,
    kind,
    amountMinor: o.total_amount,
    currency: o.currency,
    orderId: o.id,
    email: o.customer?.email ?? undefined,
    product: o.product?.name ?? undefined,
    visitorId: visitorFrom(o.metadata),
    subscriptionId: o.subscription_id ?? undefined,
  };
}

/** A succeeded refund as a negative purchase of its order. */
export function fromRefund(r: Refund): PlatformPurchase | null {
  if (r.status !== "succeeded") return null;
  return {
    provider: "polar",
    key: `refund:${r.id}`,
    ts: r.created_at,
    kind: "refund",
    amountMinor: -Math.abs(r.amount),
    currency: r.currency,
    orderId: r.order_id,
    refundOf: { key: `order:${r.order_id}` },
  };
}

/** A subscription's state, as of its last change. */
export function fromSubscription(s: Subscription): PlatformChange {
  const ended = s.status === "canceled" || s.status === "incomplete_expired";
  return {
    type: "subscription",
    subscription: {
      subscriptionId: s.id,
      status: s.status,
      mrrMinor: s.amount
        ? monthlyMinor(s.amount, s.recurring_interval, s.recurring_interval_count ?? 1)
        : 0,
      currency: s.currency ?? "usd",
      email: s.customer?.email ?? undefined,
      startedAt: s.started_at ?? s.created_at,
      canceledAt: ended ? s.ended_at ?? s.canceled_at ?? s.modified_at ?? s.created_at : null,
      stateAt: s.modified_at ?? s.created_at,
    },
  };
}

/** What an event means (Polar events carry everything needed). */
function changesOf(payload: unknown): PlatformChange[] {
  const e = parseWith(event, payload, NAME, "an event");
  const purchase = (p: PlatformPurchase | null): PlatformChange[] =>
    p ? [{ type: "purchase", purchase: p }] : [];
  if (e.type === "order.paid" || e.type === "order.updated" || e.type === "order.created") {
    return purchase(fromOrder(parseWith(order, e.data, NAME, "an order")));
  }
  if (e.type.startsWith("refund.")) {
    return purchase(fromRefund(parseWith(refund, e.data, NAME, "a refund")));
  }
  if (e.type.startsWith("subscription.")) {
    return [fromSubscription(parseWith(subscription, e.data, NAME, "a subscription"))];
  }
  return [];
}

/** Shows which token is in use without revealing it. */
export function keyHint(key: string): string {
  const prefix = /^polar_[a-z]+_/.exec(key)?.[0] ?? "";
  return `${prefix}…${key.slice(-4)}`;
}

/** The Polar platform, talking to `apiUrl` (production, or the sandbox). */
export function createPolarPlatform(apiUrl: string): Platform {
  const client = (fields: CredentialFields) =>
    new ApiClient({
      platform: NAME,
      baseUrl: `${apiUrl.replace(/\/$/, "")}/v1`,
      keysPage: KEYS_PAGE,
      headers: { authorization: `Bearer ${fields.apiKey ?? ""}` },
    });
  const orgOf = (creds: Credentials) => {
    const id = creds.fields.organizationId;
    if (!id) throw new PlatformError("No Polar organization is chosen; connect again.");
    return id;
  };

  /** Every item of a list, newest first, until `stop` says an item is past the cutoff. */
  async function pages<T>(
    api: ApiClient,
    path: string,
    schema: z.ZodType<T>,
    what: string,
    query: Record<string, string>,
    stop: (item: T) => boolean,
    onPage: (n: number) => Promise<void>,
  ): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1;; page++) {
      const res = await api.get(`read ${what}`, path, { ...query, page, limit: PAGE_LIMIT });
      const body = parseWith(list(schema), res.body, NAME, what);
      const fresh = body.items.filter((i) => !stop(i));
      out.push(...fresh);
      await onPage(fresh.length);
      if (fresh.length < body.items.length || page >= body.pagination.max_page) return out;
    }
  }

  return {
    ...POLAR_DESCRIPTION,

    async connect(fields) {
      const key = (fields.apiKey ?? "").trim();
      if (!key) throw new PlatformError(`Paste an organization access token from ${KEYS_PAGE}.`);
      if (/\s/.test(key) || key.startsWith("polar_whs_")) {
        throw new PlatformError(
          key.startsWith("polar_whs_")
            ? "That's a webhook secret (polar_whs_…). Paste an organization access token " +
              "(polar_oat_…) here."
            : `That doesn't look like a Polar access token. Copy it again from ${KEYS_PAGE}.`,
        );
      }
      const api = client({ apiKey: key });
      const orgs = parseWith(
        list(organization),
        (await api.get("read your organization", "organizations/", { limit: PAGE_LIMIT })).body,
        NAME,
        "its organizations",
      ).items;
      const wanted = (fields.organizationId ?? "").trim();
      const chosen = wanted
        ? orgs.find((o) => o.id === wanted)
        : orgs.length === 1
        ? orgs[0]
        : undefined;
      if (!chosen) {
        if (orgs.length === 0) throw new PlatformError("This token reaches no Polar organization.");
        throw new ChoiceNeeded(
          wanted
            ? "This token can't reach that organization. Pick one it can reach."
            : `This token reaches ${orgs.length} organizations. Pick the one this site sells through.`,
          "organizationId",
          orgs.toSorted((a, b) => a.name.localeCompare(b.name)).map((o) => ({
            value: o.id,
            label: o.name,
          })),
        );
      }
      // A cheap read of what the backfill needs, so a token without orders:read fails now.
      await api.get("read orders", "orders/", { organization_id: chosen.id, limit: 1 });
      return {
        keyHint: keyHint(key),
        livemode: !/sandbox/.test(apiUrl),
        accountName: chosen.name,
        fields: { apiKey: key, organizationId: chosen.id },
      };
    },

    async registerWebhook(creds, url) {
      const res = await client(creds.fields).post<{ id?: string; secret?: string }>(
        "create a webhook endpoint",
        "webhooks/endpoints",
        { url, format: "raw", events: [...POLAR_EVENTS], organization_id: orgOf(creds) },
      );
      if (!res.body?.id || !res.body.secret) {
        throw new PlatformError("Polar created the webhook endpoint but sent no id or secret.");
      }
      return { mode: "auto", endpointId: res.body.id, secret: res.body.secret };
    },

    async unregisterWebhook(creds, endpointId) {
      await client(creds.fields).request({
        doing: "delete its webhook endpoint",
        method: "DELETE",
        path: `webhooks/endpoints/${encodeURIComponent(endpointId)}`,
        accept: [404],
      });
    },

    async verifyWebhook(rawBody, headers, secret): Promise<VerifiedEvent> {
      let id: string;
      try {
        ({ id } = await verifyDelivery(webhookKey(secret, true), rawBody, headers));
      } catch (e) {
        if (e instanceof StandardWebhookError) throw new SignatureError(e.message);
        throw e;
      }
      const e = parseWebhookBody(rawBody, event, "Polar event");
      return { id, type: e.type, payload: e, dedupeKey: id };
    },

    normalize(_creds, ev): Promise<PlatformChange[]> {
      return Promise.resolve(changesOf(ev.payload));
    },

    async backfill(creds, days, progress: BackfillProgress): Promise<PlatformChange[]> {
      const api = client(creds.fields);
      const query = { organization_id: orgOf(creds), sorting: "-created_at" };
      const since = Date.now() - days * 86_400_000;
      const old = (x: { created_at: Date }) => x.created_at.getTime() < since;
      const counted = pageCounter(progress);
      const orders = await pages(api, "orders/", order, "orders", query, old, counted);
      const refunds = await pages(api, "refunds/", refund, "refunds", query, old, counted);
      const subs = (await pages(
        api,
        "subscriptions/",
        subscription,
        "subscriptions",
        { organization_id: orgOf(creds) },
        () => false,
        () => Promise.resolve(),
      )).filter((s) =>
        !(s.status === "canceled" && (s.ended_at ?? s.created_at).getTime() < since)
      );
      return await backfillResult(
        progress,
        [...orders.map(fromOrder), ...refunds.map(fromRefund)],
        subs.map(fromSubscription),
      );
    },
  };
}
