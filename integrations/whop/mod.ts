/**
 * Whop behind the Platform interface: a company API key (Bearer) and the company's id (biz_…),
 * payments and memberships read from the REST API v1, webhooks signed with Standard Webhooks.
 */
import type {
  BackfillProgress,
  ConnectInfo,
  CredentialFields,
  Platform,
  PlatformChange,
  PlatformPurchase,
  VerifiedEvent,
  WebhookSetup,
} from "../types.ts";
import { PlatformError, SignatureError } from "../types.ts";
import { parseWebhookBody } from "../payload.ts";
import { ApiClient, type ApiResponse, errorDetail } from "../http.ts";
import { StandardWebhookError, verifyDelivery, webhookKey } from "../../lib/standard_webhooks.ts";
import {
  event as eventSchema,
  membership,
  page,
  parseWhop,
  payment,
  plan,
  refund,
  type WhopPayment,
  type WhopPlan,
} from "./objects.ts";
import { WHOP_DESCRIPTION, WHOP_EVENTS } from "./describe.ts";
import { fromMembership, fromPayment, fromRefund } from "./normalize.ts";

/** What Sextant needs to read a Whop company. */
export interface WhopCredentials {
  apiKey: string;
  companyId: string;
}

const KEYS_PAGE = "your Whop dashboard → Developer → API keys";
const PAGE_SIZE = 100;

/** Shows which key is in use without revealing it: "apik_…a1b2". */
export function whopKeyHint(key: string): string {
  const prefix = /^[a-z]+_/.exec(key)?.[0] ?? "";
  return `${prefix}…${key.slice(-4)}`;
}

/** Tidies and checks what was pasted; throws PlatformError saying what to paste instead. */
export function checkWhopCredentials(raw: WhopCredentials): WhopCredentials {
  const apiKey = raw.apiKey.trim();
  const companyId = raw.companyId.trim();
  if (!apiKey) throw new PlatformError(`Paste your Whop API key (from ${KEYS_PAGE}).`);
  if (/\s/.test(apiKey) || apiKey.length < 16) {
    throw new PlatformError(
      `That doesn't look like a Whop API key. Copy it again from ${KEYS_PAGE}.`,
    );
  }
  if (!/^biz_[A-Za-z0-9]+$/.test(companyId)) {
    throw new PlatformError(
      "Paste your Whop company id: it starts with biz_ and is in your dashboard's address " +
        "(whop.com/dashboard/biz_…).",
    );
  }
  return { apiKey, companyId };
}

/** The Whop platform, talking to `apiUrl` (https://api.whop.com/api/v1). */
export function createWhop(apiUrl: string) {
  const base = apiUrl.replace(/\/+$/, "");

  async function call(
    creds: WhopCredentials,
    doing: string,
    path: string,
    opts: { method?: "GET" | "POST" | "DELETE"; json?: unknown; allow?: number[] } = {},
  ): Promise<ApiResponse<unknown>> {
    const res = await new ApiClient({
      platform: "Whop",
      baseUrl: base,
      headers: { authorization: `Bearer ${creds.apiKey}` },
      keysPage: KEYS_PAGE,
    }).request({ doing, path, method: opts.method, json: opts.json, accept: [401, 403, 404, 422] });
    if (res.status < 300 || opts.allow?.includes(res.status)) return res;
    throw explain(res, creds, doing);
  }

  function explain(
    res: ApiResponse<unknown>,
    creds: WhopCredentials,
    doing: string,
  ): PlatformError {
    const said = errorDetail(res.body);
    switch (res.status) {
      case 401:
        return new PlatformError(
          `That Whop API key was refused — copy it again from ${KEYS_PAGE}.`,
        );
      case 403:
        return new PlatformError(
          `This Whop API key isn't allowed to ${doing} for ${creds.companyId}. Give the key ` +
            `read access to payments, memberships and plans in ${KEYS_PAGE}, or check that ` +
            "it belongs to this company.",
        );
      case 404:
        return new PlatformError(
          `Whop doesn't know the company ${creds.companyId}. Copy the id starting with biz_ ` +
            "from your dashboard's address.",
        );
      default:
        return new PlatformError(
          `Whop refused to ${doing}${said ? `: ${said}` : ` (HTTP ${res.status})`}.`,
        );
    }
  }

  /** Every item of a cursor-paged list, newest first, until `stop` says an item is too old. */
  async function* list(
    creds: WhopCredentials,
    doing: string,
    path: string,
    params: Record<string, string>,
  ): AsyncGenerator<Record<string, unknown>> {
    let after: string | null | undefined;
    do {
      const q = new URLSearchParams({ ...params, first: String(PAGE_SIZE) });
      if (after) q.set("after", after);
      const res = await call(creds, doing, `${path}?${q}`);
      const p = parseWhop(page, res.body, "list");
      yield* p.data;
      after = p.page_info.has_next_page ? p.page_info.end_cursor : null;
    } while (after);
  }

  const planCache = new Map<string, Promise<WhopPlan>>();
  function planOf(creds: WhopCredentials, id: string): Promise<WhopPlan> {
    const key = `${creds.companyId}|${id}`;
    let p = planCache.get(key);
    if (!p) {
      p = call(creds, "read plans", `/plans/${encodeURIComponent(id)}`)
        .then((r) => parseWhop(plan, r.body, "plan"));
      p.catch(() => planCache.delete(key));
      planCache.set(key, p);
      if (planCache.size > 500) planCache.delete(planCache.keys().next().value!);
    }
    return p;
  }

  async function membershipChange(
    creds: WhopCredentials,
    raw: unknown,
    stateAt: Date,
  ): Promise<PlatformChange[]> {
    const m = parseWhop(membership, raw, "membership");
    if (!m.plan) return [];
    const s = fromMembership(m, await planOf(creds, m.plan.id), stateAt);
    return s ? [{ type: "subscription", subscription: s }] : [];
  }

  async function paymentOf(creds: WhopCredentials, id: string): Promise<WhopPayment | null> {
    const res = await call(creds, "read payments", `/payments/${encodeURIComponent(id)}`, {
      allow: [404],
    });
    return res.status === 404 ? null : parseWhop(payment, res.body, "payment");
  }

  const purchase = (p: PlatformPurchase | null): PlatformChange[] =>
    p ? [{ type: "purchase", purchase: p }] : [];

  return {
    id: "whop",
    name: "Whop",

    /** Validates the key against the company with a test read. */
    async connect(raw: WhopCredentials): Promise<ConnectInfo> {
      const creds = checkWhopCredentials(raw);
      const q = new URLSearchParams({ company_id: creds.companyId, first: "1" });
      await call(creds, "read payments", `/payments?${q}`);
      let accountName = "";
      const company = await call(
        creds,
        "read the company",
        `/companies/${encodeURIComponent(creds.companyId)}`,
        { allow: [403, 404] },
      );
      if (company.status < 300) {
        accountName = String((company.body as { title?: unknown })?.title ?? "");
      }
      return { keyHint: whopKeyHint(creds.apiKey), livemode: true, accountName };
    },

    /** Creates the company's webhook; a key without that permission gets the manual steps. */
    async registerWebhook(creds: WhopCredentials, url: string): Promise<WebhookSetup> {
      const res = await call(creds, "create webhooks", "/webhooks", {
        method: "POST",
        json: { url, events: [...WHOP_EVENTS], api_version: "v1", resource_id: creds.companyId },
        allow: [403, 422],
      });
      if (res.status === 403) {
        return {
          mode: "manual",
          note: "This key can't create webhooks, so add one in Whop yourself (Developer → " +
            "Webhooks), with the URL below and API version v1.",
        };
      }
      if (res.status === 422) {
        const said = errorDetail(res.body);
        return {
          mode: "manual",
          note: `Whop can't deliver to ${url} (${said || "invalid URL"}). Set PUBLIC_URL to an ` +
            "address Whop can reach.",
        };
      }
      const body = res.body as { id?: unknown; webhook_secret?: unknown } | null;
      if (typeof body?.id !== "string" || typeof body.webhook_secret !== "string") {
        throw new PlatformError("Whop created the webhook but returned no signing secret.");
      }
      return { mode: "auto", endpointId: body.id, secret: body.webhook_secret };
    },

    /** Deletes the webhook Sextant created (best effort). */
    async unregisterWebhook(creds: WhopCredentials, endpointId: string): Promise<void> {
      await call(creds, "delete its webhook", `/webhooks/${encodeURIComponent(endpointId)}`, {
        method: "DELETE",
        allow: [404],
      });
    },

    /**
     * Standard Webhooks; Whop's secret is used as given (its bytes are the key, which is what
     * "base64-encode it first" amounts to).
     */
    async verifyWebhook(rawBody: string, headers: Headers, secret: string): Promise<VerifiedEvent> {
      let webhookId: string;
      try {
        webhookId = (await verifyDelivery(webhookKey(secret, true), rawBody, headers)).id;
      } catch (e) {
        if (e instanceof StandardWebhookError) throw new SignatureError(e.message);
        throw e;
      }
      const e = parseWebhookBody(rawBody, eventSchema, "Whop webhook");
      // webhook-id is Standard Webhooks' idempotency key: Whop's retries repeat it.
      return {
        id: e.id ?? webhookId,
        type: (e.type ?? e.action)!,
        payload: e,
        dedupeKey: webhookId,
      };
    },

    /** What one delivery means. */
    async normalize(creds: WhopCredentials, ev: VerifiedEvent): Promise<PlatformChange[]> {
      const e = parseWhop(eventSchema, ev.payload, "webhook");
      const at = e.timestamp ? new Date(e.timestamp) : new Date();
      switch (e.type ?? e.action) {
        case "payment.succeeded":
          return purchase(fromPayment(parseWhop(payment, e.data, "payment")));
        case "refund.created":
        case "refund.updated": {
          const r = parseWhop(refund, e.data, "refund");
          if (r.status !== "succeeded") return [];
          const p = r.payment ? await paymentOf(creds, r.payment.id) : null;
          return purchase(fromRefund(r, p));
        }
        case "membership.activated":
        case "membership.deactivated":
          return await membershipChange(
            creds,
            e.data,
            Number.isNaN(at.getTime()) ? new Date() : at,
          );
        default:
          return [];
      }
    },

    /** Payments (with their refunds) and memberships of the last `days` days, oldest first. */
    async backfill(
      creds: WhopCredentials,
      days: number,
      progress: BackfillProgress,
    ): Promise<PlatformChange[]> {
      const since = Date.now() - days * 86_400_000;
      const sinceIso = new Date(since).toISOString();
      const purchases: PlatformPurchase[] = [];
      const refunded: WhopPayment[] = [];
      const params = {
        company_id: creds.companyId,
        order: "created_at",
        direction: "desc",
        created_after: sinceIso,
      };
      for await (const raw of list(creds, "read payments", "/payments", params)) {
        const p = parseWhop(payment, raw, "payment");
        // Newest first: the first payment older than the window ends the listing.
        if (Date.parse(p.created_at) < since) break;
        const sale = fromPayment(p);
        if (sale) purchases.push(sale);
        if (p.refunded_amount != null && Number(p.refunded_amount) > 0) refunded.push(p);
        if (purchases.length % PAGE_SIZE === 0) await progress.listed(purchases.length);
      }
      for (const p of refunded) {
        const q = { payment_id: p.id };
        for await (const raw of list(creds, "read refunds", "/refunds", q)) {
          const r = fromRefund(parseWhop(refund, raw, "refund"), p);
          if (r) purchases.push(r);
        }
      }
      await progress.listed(purchases.length);
      const subs: PlatformChange[] = [];
      const now = new Date();
      const memberParams = { company_id: creds.companyId, order: "created_at", direction: "desc" };
      for await (const raw of list(creds, "read memberships", "/memberships", memberParams)) {
        const m = parseWhop(membership, raw, "membership");
        const endedLongAgo = m.canceled_at && Date.parse(m.canceled_at) < since;
        if (endedLongAgo) continue;
        subs.push(...await membershipChange(creds, m, now));
      }
      purchases.sort((a, b) =>
        a.ts.getTime() - b.ts.getTime() || Number(a.kind === "refund") - Number(b.kind === "refund")
      );
      return [...purchases.map((p) => ({ type: "purchase" as const, purchase: p })), ...subs];
    },
  };
}

/** The Whop platform object. */
export type WhopPlatform = ReturnType<typeof createWhop>;

const whopCredentials = (f: CredentialFields): WhopCredentials => ({
  apiKey: f.apiKey ?? "",
  companyId: f.companyId ?? "",
});

/** Whop behind the Platform interface, talking to `apiUrl`. */
export function createWhopPlatform(apiUrl: string): Platform {
  const whop = createWhop(apiUrl);
  return {
    ...WHOP_DESCRIPTION,
    connect: (f) => whop.connect(whopCredentials(f)),
    registerWebhook: (c, url) => whop.registerWebhook(whopCredentials(c.fields), url),
    unregisterWebhook: (c, id) => whop.unregisterWebhook(whopCredentials(c.fields), id),
    verifyWebhook: (raw, headers, secret) => whop.verifyWebhook(raw, headers, secret),
    normalize: (c, ev) => whop.normalize(whopCredentials(c.fields), ev),
    backfill: (c, days, progress) => whop.backfill(whopCredentials(c.fields), days, progress),
  };
}
