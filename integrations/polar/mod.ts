/**
 * Polar behind the Platform interface: a Bearer organization access token (or, with Sextant's
 * Polar OAuth app, an hour-long OAuth token renewed with its refresh token), webhooks signed with
 * Standard Webhooks (Polar's secret used as plain bytes, its timestamp checked within 5 minutes,
 * webhook-id the idempotency key), and backfills paged with page/limit newest first.
 *
 * Keys: an order is `order:<id>` (its billing_reason tells a sale, a subscription's start and a
 * renewal apart); a refund is `refund:<id>` and finds its order by key.
 */
import { z } from "zod";
import { ApiClient, type ApiRequest, type ApiResponse } from "../http.ts";
import {
  AccessLost,
  type BackfillProgress,
  ChoiceNeeded,
  type CredentialFields,
  type Credentials,
  type OAuthFlow,
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

/** Sextant's Polar OAuth app (POLAR_CLIENT_ID/SECRET); empty strings when there is none. */
export interface PolarApp {
  clientId: string;
  clientSecret: string;
}

/** The scopes the calls below need: organizations, orders, refunds, subscriptions, webhooks. */
export const POLAR_SCOPES = [
  "openid",
  "organizations:read",
  "orders:read",
  "refunds:read",
  "subscriptions:read",
  "webhooks:read",
  "webhooks:write",
] as const;

/** The sentence for a refused refresh: the owner revoked Sextant or the grant ended. */
export const POLAR_ACCESS_LOST = "Polar no longer accepts Sextant's access — connect again.";

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().nullish(),
  expires_in: z.number().nullish(),
});

/**
 * The Polar platform, talking to `apiUrl` (production, or the sandbox). With `app`, owners can
 * also connect through Polar's approval screen; its access token lasts an hour and is renewed
 * with the refresh token.
 */
export function createPolarPlatform(
  apiUrl: string,
  app: PolarApp = { clientId: "", clientSecret: "" },
): Platform {
  const base = apiUrl.replace(/\/$/, "");
  // The approval screen lives on the dashboard's host: polar.sh beside api.polar.sh,
  // sandbox.polar.sh beside sandbox-api.polar.sh (and the fake's own host in tests).
  const authorizeUrl = `${
    base.replace("://api.", "://").replace("://sandbox-api.", "://sandbox.")
  }/oauth2/authorize`;
  const client = (fields: CredentialFields) =>
    new ApiClient({
      platform: NAME,
      baseUrl: `${base}/v1`,
      keysPage: KEYS_PAGE,
      headers: { authorization: `Bearer ${fields.apiKey ?? ""}` },
    });
  const orgOf = (creds: Credentials) => {
    const id = creds.fields.organizationId;
    if (!id) throw new PlatformError("No Polar organization is chosen; connect again.");
    return id;
  };

  /** Posts to the token endpoint; null when Polar refuses the grant (400/401). */
  async function token(doing: string, form: Record<string, string>) {
    const res = await new ApiClient({
      platform: NAME,
      baseUrl: `${base}/v1`,
      keysPage: KEYS_PAGE,
      headers: {},
    }).request({
      doing,
      method: "POST",
      path: "oauth2/token",
      form: { ...form, client_id: app.clientId, client_secret: app.clientSecret },
      accept: [400, 401],
    });
    if (res.status >= 400) return null;
    const t = parseWith(tokenAnswer, res.body, NAME, "its token answer");
    return {
      apiKey: t.access_token,
      refreshToken: t.refresh_token ?? form.refresh_token ?? "",
      expiresAt: String(Date.now() + (t.expires_in ?? 3600) * 1000),
    };
  }

  /**
   * Renews the pair, one caller at a time where the connection is stored (a second caller gets
   * the pair the first stored); AccessLost when Polar refuses.
   */
  async function renew(creds: Credentials): Promise<void> {
    const trade = async (current: CredentialFields) => {
      const pair = await token("renew Sextant's access", {
        grant_type: "refresh_token",
        refresh_token: current.refreshToken,
      });
      return pair ? { ...current, ...pair } : null;
    };
    const next = creds.renew ? await creds.renew(creds.fields, trade) : await trade(creds.fields);
    if (!next) {
      await creds.lost?.(POLAR_ACCESS_LOST);
      throw new AccessLost(POLAR_ACCESS_LOST);
    }
    Object.assign(creds.fields, next);
  }

  /**
   * A request with the connection's token. An OAuth token past its hour, or answered 401, is
   * renewed once with the refresh token; a pasted organization token is sent as it is.
   */
  async function call<T = unknown>(creds: Credentials, req: ApiRequest): Promise<ApiResponse<T>> {
    const refreshable = Boolean(creds.fields.refreshToken);
    let renewed = false;
    if (refreshable && Number(creds.fields.expiresAt ?? 0) < Date.now() + 60_000) {
      await renew(creds);
      renewed = true;
    }
    const send = () =>
      client(creds.fields).request<T>({
        ...req,
        accept: refreshable && !renewed ? [...req.accept ?? [], 401] : req.accept,
      });
    const res = await send();
    if (res.status !== 401 || !refreshable || renewed || req.accept?.includes(401)) return res;
    await renew(creds);
    renewed = true;
    return await send();
  }
  const get = <T = unknown>(creds: Credentials, doing: string, path: string, query = {}) =>
    call<T>(creds, { doing, path, query });

  /** Every item of a list, newest first, until `stop` says an item is past the cutoff. */
  async function pages<T>(
    creds: Credentials,
    path: string,
    schema: z.ZodType<T>,
    what: string,
    query: Record<string, string>,
    stop: (item: T) => boolean,
    onPage: (n: number) => Promise<void>,
  ): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1;; page++) {
      const res = await get(creds, `read ${what}`, path, { ...query, page, limit: PAGE_LIMIT });
      const body = parseWith(list(schema), res.body, NAME, what);
      const fresh = body.items.filter((i) => !stop(i));
      out.push(...fresh);
      await onPage(fresh.length);
      if (fresh.length < body.items.length || page >= body.pagination.max_page) return out;
    }
  }

  /**
   * Reads the organizations the credentials reach, picks `wanted` (or the only one) and checks
   * the orders the backfill needs can be read, so a token without orders:read fails now.
   */
  async function organizationFor(creds: Credentials, wanted: string, holder: string) {
    const orgs = parseWith(
      list(organization),
      (await get(creds, "read your organization", "organizations/", { limit: PAGE_LIMIT })).body,
      NAME,
      "its organizations",
    ).items;
    const chosen = wanted
      ? orgs.find((o) => o.id === wanted)
      : orgs.length === 1
      ? orgs[0]
      : undefined;
    if (!chosen) {
      if (orgs.length === 0) throw new PlatformError(`${holder} reaches no Polar organization.`);
      throw new ChoiceNeeded(
        wanted
          ? `${holder} can't reach that organization. Pick one it can reach.`
          : `${holder} reaches ${orgs.length} organizations. Pick the one this site sells through.`,
        "organizationId",
        orgs.toSorted((a, b) => a.name.localeCompare(b.name)).map((o) => ({
          value: o.id,
          label: o.name,
        })),
      );
    }
    await get(creds, "read orders", "orders/", { organization_id: chosen.id, limit: 1 });
    return chosen;
  }

  const oauth: OAuthFlow = {
    approvalSource: () => new URL(authorizeUrl).origin,

    authorizeUrl(_fields, state, redirectUri) {
      const url = new URL(authorizeUrl);
      url.searchParams.set("client_id", app.clientId);
      url.searchParams.set("response_type", "code");
      url.searchParams.set("redirect_uri", redirectUri);
      url.searchParams.set("scope", POLAR_SCOPES.join(" "));
      url.searchParams.set("state", state);
      // The token then acts for the one organization the owner picks on Polar's screen.
      url.searchParams.set("sub_type", "organization");
      return Promise.resolve(url.toString());
    },

    async exchange(_fields, callback, redirectUri) {
      const code = callback.get("code") ?? "";
      if (!code) throw new PlatformError("Polar sent Sextant back without an approval code.");
      const pair = await token("finish the approval", {
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
      });
      if (!pair) {
        throw new PlatformError(
          "Polar didn't accept that approval (it lasts 10 minutes and works once). Choose " +
            "Connect with Polar again.",
        );
      }
      const creds: Credentials = { fields: pair, webhookSecret: null };
      const chosen = await organizationFor(creds, "", "Polar's approval");
      return {
        keyHint: "approved in Polar",
        livemode: !/sandbox/.test(apiUrl),
        accountName: chosen.name,
        fields: { ...creds.fields, organizationId: chosen.id },
      };
    },
  };

  return {
    ...POLAR_DESCRIPTION,
    ...(app.clientId && app.clientSecret ? { oauth } : {}),

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
      const creds: Credentials = { fields: { apiKey: key }, webhookSecret: null };
      const chosen = await organizationFor(
        creds,
        (fields.organizationId ?? "").trim(),
        "This token",
      );
      return {
        keyHint: keyHint(key),
        livemode: !/sandbox/.test(apiUrl),
        accountName: chosen.name,
        fields: { apiKey: key, organizationId: chosen.id },
      };
    },

    async registerWebhook(creds, url) {
      const res = await call<{ id?: string; secret?: string }>(creds, {
        doing: "create a webhook endpoint",
        method: "POST",
        path: "webhooks/endpoints",
        json: { url, format: "raw", events: [...POLAR_EVENTS], organization_id: orgOf(creds) },
      });
      if (!res.body?.id || !res.body.secret) {
        throw new PlatformError("Polar created the webhook endpoint but sent no id or secret.");
      }
      return { mode: "auto", endpointId: res.body.id, secret: res.body.secret };
    },

    async unregisterWebhook(creds, endpointId) {
      await call(creds, {
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
      const query = { organization_id: orgOf(creds), sorting: "-created_at" };
      const since = Date.now() - days * 86_400_000;
      const old = (x: { created_at: Date }) => x.created_at.getTime() < since;
      const counted = pageCounter(progress);
      const orders = await pages(creds, "orders/", order, "orders", query, old, counted);
      const refunds = await pages(creds, "refunds/", refund, "refunds", query, old, counted);
      const subs = (await pages(
        creds,
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
