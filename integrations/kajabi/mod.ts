/**
 * Kajabi behind the Platform interface: OAuth client credentials (client id + secret) exchanged
 * for a Bearer token, transactions read from the public API v1 (JSON:API, page-numbered) with the
 * customer and offer looked up, and a `payment_succeeded` hook registered through the API.
 * Kajabi signs nothing, so the hook URL carries an unguessable per-integration token.
 */
import type {
  BackfillProgress,
  ConnectInfo,
  CredentialFields,
  Platform,
  PlatformChange,
  VerifiedEvent,
  WebhookSetup,
} from "../types.ts";
import { PlatformError } from "../types.ts";
import { parseWebhookBody } from "../payload.ts";
import { ApiClient, type ApiResponse, errorDetail } from "../http.ts";
import {
  customerAttributes,
  delivery,
  hookItem,
  type KajabiResource,
  listPage,
  offerAttributes,
  parseKajabi,
  purchaseAttributes,
  resource,
  transactionAttributes,
} from "./objects.ts";
import { chargeOfHookItem, fromCharge, type KajabiCharge, purchaseState } from "./normalize.ts";
import { KAJABI_DESCRIPTION, KAJABI_EVENTS } from "./describe.ts";

/** What Sextant needs to read a Kajabi site: the API credentials from Settings → Public API. */
export interface KajabiCredentials {
  clientId: string;
  clientSecret: string;
  /** The site read on connect; without it, the credentials' first site. */
  siteId?: string;
}

const KEYS_PAGE = "Kajabi → Settings → Public API";
const PAGE_SIZE = 100;

/** Shows which client is in use without revealing the secret. */
export function kajabiKeyHint(clientId: string): string {
  return `${clientId.slice(0, 4)}…${clientId.slice(-4)}`;
}

/** The Kajabi platform, talking to `apiUrl` (https://api.kajabi.com). */
export function createKajabi(apiUrl: string) {
  const base = apiUrl.replace(/\/+$/, "");
  const tokens = new Map<string, { token: string; until: number }>();

  const api = (headers: Record<string, string> = {}) =>
    new ApiClient({ platform: "Kajabi", baseUrl: base, headers, keysPage: KEYS_PAGE });

  async function token(creds: KajabiCredentials, fresh = false): Promise<string> {
    const cacheKey = `${creds.clientId}|${creds.clientSecret}`;
    const cached = tokens.get(cacheKey);
    if (!fresh && cached && cached.until > Date.now()) return cached.token;
    const res = await api().request({
      doing: "sign in",
      method: "POST",
      path: "/v1/oauth/token",
      form: {
        grant_type: "client_credentials",
        client_id: creds.clientId,
        client_secret: creds.clientSecret,
      },
      accept: [400, 401, 403],
    });
    const body = res.body as { access_token?: unknown; expires_in?: unknown } | null;
    if (res.status >= 400 || typeof body?.access_token !== "string") {
      throw new PlatformError(
        `Kajabi refused that client id and secret — copy both again from ${KEYS_PAGE}.`,
      );
    }
    const ttl = typeof body.expires_in === "number" ? body.expires_in : 3600;
    tokens.set(cacheKey, { token: body.access_token, until: Date.now() + (ttl - 60) * 1000 });
    return body.access_token;
  }

  async function call(
    creds: KajabiCredentials,
    doing: string,
    path: string,
    opts: { method?: "GET" | "POST" | "DELETE"; json?: unknown; allow?: number[] } = {},
  ): Promise<ApiResponse<unknown>> {
    let res: ApiResponse<unknown> | null = null;
    for (const fresh of [false, true]) {
      res = await api({ authorization: `Bearer ${await token(creds, fresh)}` }).request({
        doing,
        path,
        method: opts.method,
        json: opts.json,
        accept: [401, 403, 404, 422],
      });
      // An expired token is refused once; a fresh one settles it.
      if (res.status !== 401) break;
    }
    if (res!.status < 300 || opts.allow?.includes(res!.status)) return res!;
    if (res!.status === 401) {
      throw new PlatformError(
        `Kajabi refused that client id and secret — copy both again from ${KEYS_PAGE}.`,
      );
    }
    if (res!.status === 403) {
      throw new PlatformError(
        `These Kajabi API credentials aren't allowed to ${doing}. Give them access in ${KEYS_PAGE}.`,
      );
    }
    const said = errorDetail(res!.body);
    throw new PlatformError(
      `Kajabi refused to ${doing}${said ? `: ${said}` : ` (HTTP ${res!.status})`}.`,
    );
  }

  async function firstSite(creds: KajabiCredentials): Promise<KajabiResource> {
    const res = await call(creds, "read your sites", "/v1/sites");
    const site = parseKajabi(listPage, res.body, "site list").data[0];
    if (!site) throw new PlatformError("These Kajabi credentials don't reach any site.");
    return site;
  }

  function lookups(creds: KajabiCredentials) {
    const cache = new Map<string, Promise<Record<string, unknown> | null>>();
    const attrs = (type: string, id: string | undefined) => {
      if (!id) return Promise.resolve(null);
      const key = `${type}/${id}`;
      let p = cache.get(key);
      if (!p) {
        p = call(creds, `read ${type}`, `/v1/${type}/${encodeURIComponent(id)}`, { allow: [404] })
          .then((r) =>
            r.status === 404
              ? null
              : parseKajabi(resource, (r.body as { data?: unknown })?.data, type).attributes
          );
        cache.set(key, p);
      }
      return p;
    };
    return {
      email: async (id?: string) =>
        parseKajabi(customerAttributes, (await attrs("customers", id)) ?? {}, "customer").email ??
          undefined,
      offer: async (id?: string) =>
        parseKajabi(offerAttributes, (await attrs("offers", id)) ?? {}, "offer").title ??
          undefined,
      purchase: async (id?: string) =>
        parseKajabi(purchaseAttributes, (await attrs("purchases", id)) ?? {}, "purchase"),
      purchasedAt: async (id?: string) => {
        const p = parseKajabi(purchaseAttributes, (await attrs("purchases", id)) ?? {}, "purchase");
        return p.created_at ? new Date(p.created_at) : undefined;
      },
    };
  }

  const relId = (r: KajabiResource, name: string) => r.relationships?.[name]?.data?.id;

  /**
   * The state of the subscriptions these charges (the latest of each purchase) belong to, read
   * from their purchases; `at` dates a state that is still active.
   */
  async function statesOf(
    look: ReturnType<typeof lookups>,
    charges: Iterable<KajabiCharge>,
    at: (c: KajabiCharge) => Date,
  ): Promise<PlatformChange[]> {
    const out: PlatformChange[] = [];
    for (const c of charges) {
      if (c.paymentType !== "subscription" || !c.purchaseId) continue;
      const p = await look.purchase(c.purchaseId);
      const state = purchaseState(c.purchaseId, { payment_type: c.paymentType, ...p }, {
        amountCents: c.amountCents,
        currency: c.currency,
        email: c.email,
        at: at(c),
      });
      if (state) out.push({ type: "subscription", subscription: state });
    }
    return out;
  }

  return {
    id: "kajabi",
    name: "Kajabi",

    /** Exchanges the credentials for a token and reads the site, as a test. */
    async connect(raw: KajabiCredentials): Promise<ConnectInfo & { siteId: string }> {
      const creds = { clientId: raw.clientId.trim(), clientSecret: raw.clientSecret.trim() };
      if (!creds.clientId || !creds.clientSecret) {
        throw new PlatformError(
          `Paste both the client id and the client secret from ${KEYS_PAGE}.`,
        );
      }
      const site = await firstSite(creds);
      return {
        keyHint: kajabiKeyHint(creds.clientId),
        livemode: true,
        accountName: String(site.attributes.title ?? ""),
        siteId: site.id,
      };
    },

    /** Registers one hook per event; the URL carries the integration's token. */
    async registerWebhook(creds: KajabiCredentials, url: string): Promise<WebhookSetup> {
      const ids: string[] = [];
      for (const event of KAJABI_EVENTS) {
        const res = await call(creds, "create hooks", "/v1/hooks", {
          method: "POST",
          json: { data: { type: "hooks", attributes: { event, target_url: url } } },
        });
        ids.push(parseKajabi(resource, (res.body as { data?: unknown })?.data, "hook").id);
      }
      return { mode: "auto", endpointId: ids.join(","), secret: "" };
    },

    /** Deletes the hooks Sextant created; one already gone is no error. */
    async unregisterWebhook(creds: KajabiCredentials, endpointId: string): Promise<void> {
      for (const id of endpointId.split(",").filter(Boolean)) {
        await call(creds, "delete hooks", `/v1/hooks/${encodeURIComponent(id)}`, {
          method: "DELETE",
          allow: [404],
        });
      }
    },

    /** Kajabi signs nothing: the caller has checked the URL token; the body is only read. */
    verifyWebhook(
      rawBody: string,
      _headers: Headers,
      _secret: string | null,
    ): Promise<VerifiedEvent> {
      const d = parseWebhookBody(rawBody, delivery, "Kajabi hook delivery");
      // Nothing dates the delivery: a replay repeats its id and is stored once.
      return Promise.resolve({ id: d.id, type: d.event, payload: d, dedupeKey: d.id });
    },

    /**
     * What one delivery means: a purchase per payment in its payload, then the state of each
     * subscription they belong to.
     */
    async normalize(creds: KajabiCredentials, ev: VerifiedEvent): Promise<PlatformChange[]> {
      const d = parseKajabi(delivery, ev.payload, "hook delivery");
      if (d.event !== "payment_succeeded") return [];
      const look = lookups(creds);
      const out: PlatformChange[] = [];
      const latest = new Map<string, KajabiCharge>();
      for (const raw of d.payload) {
        const charge = chargeOfHookItem(parseKajabi(hookItem, raw, "payment"), new Date());
        if (!charge) continue;
        if (charge.paymentType !== "single") {
          charge.purchasedAt = await look.purchasedAt(charge.purchaseId);
        }
        const p = fromCharge(charge);
        if (p) out.push({ type: "purchase", purchase: p });
        if (p?.subscriptionId && charge.purchaseId) latest.set(charge.purchaseId, charge);
      }
      return [...out, ...await statesOf(look, latest.values(), () => new Date())];
    },

    /** Transactions (charges and refunds) of the last `days` days, oldest first. */
    async backfill(
      creds: KajabiCredentials,
      days: number,
      progress: BackfillProgress,
    ): Promise<PlatformChange[]> {
      const since = Date.now() - days * 86_400_000;
      const siteId = creds.siteId || (await firstSite(creds)).id;
      const look = lookups(creds);
      const charges: { charge: KajabiCharge; customer?: string; offer?: string }[] = [];
      let path: string | null = `/v1/transactions?${new URLSearchParams({
        "filter[site_id]": siteId,
        sort: "-created_at",
        "page[number]": "1",
        "page[size]": String(PAGE_SIZE),
      })}`;
      listing: while (path) {
        const res = await call(creds, "read transactions", path);
        const page = parseKajabi(listPage, res.body, "transaction list");
        for (const r of page.data) {
          const a = parseKajabi(transactionAttributes, r.attributes, "transaction");
          // Newest first: the first transaction older than the window ends the listing.
          if (Date.parse(a.created_at) < since) break listing;
          if (a.state && a.state !== "succeeded" && a.state !== "paid") continue;
          charges.push({
            charge: {
              transactionId: r.id,
              action: a.action ?? "charge",
              amountCents: a.amount_in_cents,
              currency: a.currency,
              createdAt: new Date(a.created_at),
              paymentType: a.payment_type ?? "single",
              purchaseId: relId(r, "purchase"),
            },
            customer: relId(r, "customer"),
            offer: relId(r, "offer"),
          });
        }
        await progress.listed(charges.length);
        const next = page.links?.next;
        path = next ? new URL(next, base).pathname + new URL(next, base).search : null;
      }
      const out: PlatformChange[] = [];
      // Each subscription's state once, as of its latest charge, after every purchase.
      const latest = new Map<string, KajabiCharge>();
      for (const { charge: c, customer, offer } of charges.reverse()) {
        c.email = await look.email(customer);
        c.offer = await look.offer(offer);
        if (c.paymentType !== "single" && c.action !== "refund") {
          c.purchasedAt = await look.purchasedAt(c.purchaseId);
        }
        const p = fromCharge(c);
        if (p) out.push({ type: "purchase", purchase: p });
        if (p?.subscriptionId && c.purchaseId) latest.set(c.purchaseId, c);
      }
      return [...out, ...await statesOf(look, latest.values(), (c) => c.createdAt)];
    },

    /**
     * Kajabi sends no event when a subscription ends, so its purchases are read again: a
     * deactivated one is the subscription cancelled. `ids` are `purchase:<id>` subscription ids.
     */
    async refresh(creds: KajabiCredentials, ids: string[]): Promise<PlatformChange[]> {
      const look = lookups(creds);
      const out: PlatformChange[] = [];
      const now = new Date();
      for (const id of ids) {
        const purchaseId = id.replace(/^purchase:/, "");
        const p = await look.purchase(purchaseId);
        const state = p.deactivated_at
          ? purchaseState(purchaseId, p, { amountCents: 0, currency: "USD", at: now })
          : null;
        if (state) out.push({ type: "subscription", subscription: state });
      }
      return out;
    },
  };
}

/** The Kajabi platform object. */
export type KajabiPlatform = ReturnType<typeof createKajabi>;

const kajabiCredentials = (f: CredentialFields): KajabiCredentials => ({
  clientId: f.clientId ?? "",
  clientSecret: f.clientSecret ?? "",
  siteId: f.siteId,
});

/** Kajabi behind the Platform interface, talking to `apiUrl`. */
export function createKajabiPlatform(apiUrl: string): Platform {
  const kajabi = createKajabi(apiUrl);
  return {
    ...KAJABI_DESCRIPTION,
    async connect(f) {
      const { siteId, ...info } = await kajabi.connect(kajabiCredentials(f));
      return {
        ...info,
        fields: { clientId: f.clientId.trim(), clientSecret: f.clientSecret.trim(), siteId },
      };
    },
    registerWebhook: (c, url) => kajabi.registerWebhook(kajabiCredentials(c.fields), url),
    unregisterWebhook: (c, id) => kajabi.unregisterWebhook(kajabiCredentials(c.fields), id),
    verifyWebhook: (raw, headers, token) => kajabi.verifyWebhook(raw, headers, token),
    normalize: (c, ev) => kajabi.normalize(kajabiCredentials(c.fields), ev),
    backfill: (c, days, progress) => kajabi.backfill(kajabiCredentials(c.fields), days, progress),
    refresh: (c, ids) => kajabi.refresh(kajabiCredentials(c.fields), ids),
  };
}
