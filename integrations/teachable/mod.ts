/**
 * Teachable behind the Platform interface: a school's API key (header `apiKey`), transactions
 * read from the public API v1 with the buyer's email, the course and the pricing plan looked up,
 * and webhooks pasted into Teachable by hand. Teachable's documentation does not confirm a
 * signature: a `teachable-signature` header (hex HMAC-SHA256 of the body) is checked when the
 * owner saved a signing secret; otherwise the endpoint's unguessable URL token is the guard.
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
import { PlatformError, SignatureError } from "../types.ts";
import { parseWebhookBody } from "../payload.ts";
import { ApiClient, type ApiResponse, errorDetail } from "../http.ts";
import { hmacSha256, timingSafeEqual, toHex } from "../../lib/crypto.ts";
import {
  course,
  coursesPage,
  enrollmentEvent,
  enrollmentRow,
  enrollmentsPage,
  event as eventSchema,
  parseTeachable,
  pricingPlan,
  sale,
  type TeachablePlan,
  type TeachableTransaction,
  transaction,
  transactionsPage,
  user,
} from "./objects.ts";
import {
  dateOr,
  enrollmentKey,
  fromEnrollmentRow,
  fromTransaction,
  recurring,
  refundTotalOf,
  saleState,
  type TransactionContext,
} from "./normalize.ts";
import { TEACHABLE_DESCRIPTION, TEACHABLE_EVENTS } from "./describe.ts";

/** What Sextant needs to read a Teachable school. */
export interface TeachableCredentials {
  apiKey: string;
}

/** The header carrying the body's HMAC when a signing secret is set. */
export const SIGNATURE_HEADER = "teachable-signature";

const KEYS_PAGE = "Settings → API";
const PAGE_SIZE = 100;

/** Shows which key is in use without revealing it. */
export function teachableKeyHint(key: string): string {
  return `…${key.slice(-4)}`;
}

/** Tidies and checks what was pasted. */
export function checkTeachableKey(raw: string): string {
  const key = raw.trim();
  if (!key) throw new PlatformError(`Paste your Teachable API key (from ${KEYS_PAGE}).`);
  if (/\s/.test(key) || key.length < 12) {
    throw new PlatformError(
      `That doesn't look like a Teachable API key. Copy it again from ${KEYS_PAGE}.`,
    );
  }
  return key;
}

/** Checks the hex HMAC-SHA256 of the raw body under `secret`. */
export async function verifyTeachableSignature(
  rawBody: string,
  headers: Headers,
  secret: string,
): Promise<void> {
  const given = headers.get(SIGNATURE_HEADER)?.trim().toLowerCase();
  if (!given) {
    throw new SignatureError(`The ${SIGNATURE_HEADER} header is missing.`);
  }
  const expected = toHex(await hmacSha256(secret, rawBody));
  if (!timingSafeEqual(given, expected)) {
    throw new SignatureError("The signature doesn't match this endpoint's signing secret.");
  }
}

const INTERVAL_DAYS: Record<string, number> = { day: 1, week: 7, month: 31, year: 366 };

/** The Teachable platform, talking to `apiUrl` (https://developers.teachable.com/v1). */
export function createTeachable(apiUrl: string) {
  const base = apiUrl.replace(/\/+$/, "");

  async function call(
    creds: TeachableCredentials,
    doing: string,
    path: string,
    allow: number[] = [],
  ): Promise<ApiResponse<unknown>> {
    const res = await new ApiClient({
      platform: "Teachable",
      baseUrl: base,
      headers: { apiKey: creds.apiKey },
      keysPage: KEYS_PAGE,
    }).request({ doing, path, accept: [401, 403, 404] });
    if (res.status < 300 || allow.includes(res.status)) return res;
    switch (res.status) {
      case 401:
        throw new PlatformError(
          `That Teachable API key was refused — copy it again from ${KEYS_PAGE}.`,
        );
      case 403:
        throw new PlatformError(
          `Teachable didn't let this key ${doing}. The API needs a plan that includes it; check ` +
            `${KEYS_PAGE} in your school's admin.`,
        );
      default: {
        const said = errorDetail(res.body);
        throw new PlatformError(
          `Teachable refused to ${doing}${said ? `: ${said}` : ` (HTTP ${res.status})`}.`,
        );
      }
    }
  }

  /** Lookups are cached per call site's run; the same user buys many times. */
  function lookups(creds: TeachableCredentials) {
    const cache = new Map<string, Promise<unknown>>();
    const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
      let p = cache.get(key) as Promise<T> | undefined;
      if (!p) {
        p = load();
        cache.set(key, p);
      }
      return p;
    };
    const email = (userId: string | null | undefined) =>
      userId
        ? once(`u${userId}`, async () => {
          const r = await call(creds, "read users", `/users/${encodeURIComponent(userId)}`, [404]);
          return r.status === 404
            ? undefined
            : parseTeachable(user, r.body, "user").email ?? undefined;
        })
        : Promise.resolve(undefined);
    const plan = (planId: string | null | undefined) =>
      planId
        ? once(`p${planId}`, async () => {
          const r = await call(
            creds,
            "read pricing plans",
            `/pricing_plans/${encodeURIComponent(planId)}`,
            [404],
          );
          if (r.status === 404) return null;
          const body = r.body as { pricing_plan?: unknown } | null;
          return parseTeachable(pricingPlan, body?.pricing_plan ?? body, "pricing plan");
        })
        : Promise.resolve(null);
    const courseName = (courseId: string | null | undefined) =>
      courseId
        ? once(`c${courseId}`, async () => {
          const r = await call(creds, "read courses", `/courses/${encodeURIComponent(courseId)}`, [
            404,
          ]);
          if (r.status === 404) return undefined;
          const body = r.body as { course?: unknown } | null;
          const c = parseTeachable(course, body?.course ?? body, "course");
          return c.name ?? c.heading ?? undefined;
        })
        : Promise.resolve(undefined);
    /** Whether the sale was charged before `t` (within one billing interval and a week). */
    const earlierCharge = (t: TeachableTransaction, p: TeachablePlan | null) =>
      t.sale_id && recurring(p)
        ? once(`s${t.sale_id}@${t.created_at}`, async () => {
          const f = p!.frequency!;
          const days = (INTERVAL_DAYS[f.billing_interval ?? "month"] ?? 31) *
              (f.billing_interval_count ?? 1) + 7;
          const end = new Date(Date.parse(t.created_at) - 1000);
          const start = new Date(end.getTime() - days * 86_400_000);
          for await (const raw of pages(creds, start, end)) {
            const other = parseTeachable(transaction, raw, "transaction");
            if (other.sale_id === t.sale_id && other.id !== t.id) return true;
          }
          return false;
        })
        : Promise.resolve(false);
    return { email, plan, courseName, earlierCharge };
  }

  async function* pages(
    creds: TeachableCredentials,
    start: Date,
    end: Date,
    listed?: (total: number) => Promise<void>,
  ): AsyncGenerator<unknown> {
    let page = 1;
    let pageCount = 1;
    do {
      const q = new URLSearchParams({
        start: start.toISOString(),
        end: end.toISOString(),
        page: String(page),
        per: String(PAGE_SIZE),
      });
      const res = await call(creds, "read transactions", `/transactions?${q}`);
      const p = parseTeachable(transactionsPage, res.body, "transaction list");
      if (page === 1 && listed) await listed(p.meta.total ?? p.transactions.length);
      yield* p.transactions;
      pageCount = p.meta.number_of_pages;
      page++;
    } while (page <= pageCount);
  }

  /** Every page of a `{<name>: [...], meta}` list; `allow`ed statuses end it with nothing. */
  async function* listPages<T>(
    creds: TeachableCredentials,
    doing: string,
    path: string,
    read: (body: unknown) => { items: T[]; pages: number },
    allow: number[] = [],
  ): AsyncGenerator<T> {
    let page = 1;
    let pageCount = 1;
    do {
      const sep = path.includes("?") ? "&" : "?";
      const res = await call(creds, doing, `${path}${sep}page=${page}&per=${PAGE_SIZE}`, allow);
      if (res.status >= 300) return;
      const p = read(res.body);
      yield* p.items;
      pageCount = p.pages;
      page++;
    } while (page <= pageCount);
  }

  /**
   * Enrollments that began since `start`, course by course. A school whose key may not read
   * enrollments (403/404) still syncs its transactions: enrollments then arrive by webhook only.
   */
  async function enrollmentsSince(
    creds: TeachableCredentials,
    look: ReturnType<typeof lookups>,
    start: Date,
  ): Promise<PlatformChange[]> {
    const out: PlatformChange[] = [];
    const now = new Date();
    const courses = listPages(creds, "read courses", "/courses", (b) => {
      const p = parseTeachable(coursesPage, b, "course list");
      return { items: p.courses, pages: p.meta.number_of_pages };
    }, [403, 404]);
    for await (const c of courses) {
      const q = new URLSearchParams({ enrolled_in_after: start.toISOString() });
      const path = `/courses/${encodeURIComponent(c.id)}/enrollments?${q}`;
      const rows = listPages(creds, "read enrollments", path, (b) => {
        const p = parseTeachable(enrollmentsPage, b, "enrollment list");
        return { items: p.enrollments, pages: p.meta.number_of_pages };
      }, [403, 404]);
      for await (const raw of rows) {
        const row = parseTeachable(enrollmentRow, raw, "enrollment");
        const enrollment = fromEnrollmentRow(row, {
          courseId: c.id,
          course: c.name ?? c.heading ?? "",
          email: await look.email(row.user_id),
          now,
        });
        out.push({ type: "enrollment", enrollment });
      }
    }
    return out;
  }

  async function contextOf(
    look: ReturnType<typeof lookups>,
    t: TeachableTransaction,
    chargedBefore = false,
  ): Promise<TransactionContext> {
    const plan = await look.plan(t.pricing_plan_id);
    const courseId = t.course_id ?? plan?.course_id;
    return {
      email: t.user?.email ?? await look.email(t.user_id ?? t.user?.id),
      course: await look.courseName(courseId),
      plan,
      earlierCharge: chargedBefore || await look.earlierCharge(t, plan),
    };
  }

  function changesOf(t: TeachableTransaction, ctx: TransactionContext): PlatformChange[] {
    const out: PlatformChange[] = [];
    const charge = fromTransaction(t, ctx);
    if (charge) out.push({ type: "purchase", purchase: charge });
    const refund = refundTotalOf(t, ctx);
    if (refund) out.push({ type: "refund_total", refund });
    if (ctx.plan && t.sale_id && charge) {
      const s = saleState({
        saleId: t.sale_id,
        plan: ctx.plan,
        currency: t.currency,
        email: ctx.email,
        startedAt: charge.ts,
        canceledAt: null,
        stateAt: charge.ts,
      });
      // A renewal keeps the subscription's start; only the first charge states it.
      if (s && !ctx.earlierCharge) out.push({ type: "subscription", subscription: s });
    }
    return out;
  }

  return {
    id: "teachable",
    name: "Teachable",

    /** Validates the key with a test read of transactions. */
    async connect(rawKey: string): Promise<ConnectInfo> {
      const apiKey = checkTeachableKey(rawKey);
      await call({ apiKey }, "read transactions", `/transactions?per=1&page=1`);
      return { keyHint: teachableKeyHint(apiKey), livemode: true, accountName: "" };
    },

    /** Teachable only takes webhooks from its admin: the page shows the URL and the steps. */
    registerWebhook(_creds: TeachableCredentials, _url: string): Promise<WebhookSetup> {
      return Promise.resolve({
        mode: "manual",
        note: "In your Teachable admin open Settings → Webhooks, add a webhook with the URL " +
          `below and tick ${TEACHABLE_EVENTS.join(", ")}.`,
      });
    },

    unregisterWebhook(_creds: TeachableCredentials, _endpointId: string): Promise<void> {
      return Promise.resolve();
    },

    /**
     * With a signing secret the signature must check out; without one the caller has already
     * checked the URL token, and the body is only read.
     */
    async verifyWebhook(
      rawBody: string,
      headers: Headers,
      secret: string | null,
    ): Promise<VerifiedEvent> {
      if (secret) await verifyTeachableSignature(rawBody, headers, secret);
      const e = parseWebhookBody(rawBody, eventSchema, "Teachable webhook");
      const id = String(e.hook_event_id ?? e.id ?? `${e.type}:${String(e.object.id ?? "")}`);
      // Nothing dates the delivery: a replay repeats its event id and is stored once.
      return { id, type: e.type, payload: e, dedupeKey: id };
    },

    /** What one delivery means. */
    async normalize(creds: TeachableCredentials, ev: VerifiedEvent): Promise<PlatformChange[]> {
      const e = parseTeachable(eventSchema, ev.payload, "webhook");
      const look = lookups(creds);
      switch (e.type) {
        case "Transaction.created":
        case "Transaction.refunded": {
          const t = parseTeachable(transaction, e.object, "transaction");
          const changes = changesOf(t, await contextOf(look, t));
          // A refund event re-sends the charge too; its key makes that a no-op.
          return e.type === "Transaction.created"
            ? changes.filter((c) => c.type !== "refund_total")
            : changes;
        }
        case "Sale.subscription_canceled": {
          const s = parseTeachable(sale, e.object, "sale");
          const plan = await look.plan(s.pricing_plan_id);
          if (!plan) return [];
          const at = new Date(s.canceled_at ?? e.created ?? Date.now());
          const state = saleState({
            saleId: s.id,
            plan,
            currency: plan.currency ?? "USD",
            email: s.user?.email ?? await look.email(s.user_id),
            startedAt: new Date(s.created_at ?? at),
            canceledAt: at,
            stateAt: at,
          });
          return state ? [{ type: "subscription", subscription: state }] : [];
        }
        case "Enrollment.created":
        case "Enrollment.disabled": {
          const en = parseTeachable(enrollmentEvent, e.object, "enrollment");
          const userId = en.user_id ?? en.user?.id;
          const courseId = en.course_id ?? en.course?.id;
          if (!userId || !courseId) return [];
          const at = dateOr(e.created, new Date());
          const ended = e.type === "Enrollment.disabled" || en.is_active === false;
          return [{
            type: "enrollment",
            enrollment: {
              key: enrollmentKey(courseId, userId),
              email: en.user?.email ?? await look.email(userId),
              course: en.course?.name ?? await look.courseName(courseId) ?? "",
              enrolledAt: dateOr(en.enrolled_at ?? en.created_at, at),
              endedAt: ended ? at : null,
              stateAt: at,
            },
          }];
        }
        default:
          return [];
      }
    },

    /** Transactions of the last `days` days (their refunds too), oldest first; then enrollments. */
    async backfill(
      creds: TeachableCredentials,
      days: number,
      progress: BackfillProgress,
    ): Promise<PlatformChange[]> {
      const end = new Date();
      const start = new Date(end.getTime() - days * 86_400_000);
      const look = lookups(creds);
      const txs: TeachableTransaction[] = [];
      for await (const raw of pages(creds, start, end, (n) => progress.listed(n))) {
        txs.push(parseTeachable(transaction, raw, "transaction"));
      }
      txs.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
      const seenSales = new Set<string>();
      const purchases: PlatformChange[] = [];
      const subs: PlatformChange[] = [];
      for (const t of txs) {
        // A sale charged earlier in the window needs no lookup.
        const ctx = await contextOf(look, t, Boolean(t.sale_id && seenSales.has(t.sale_id)));
        if (t.sale_id) seenSales.add(t.sale_id);
        for (const c of changesOf(t, ctx)) (c.type === "subscription" ? subs : purchases).push(c);
      }
      // Oldest first, refunds after the charges of the same moment: they then find their sale.
      const at = (c: PlatformChange) =>
        c.type === "purchase"
          ? c.purchase.ts
          : c.type === "refund_total"
          ? c.refund.ts
          : new Date();
      purchases.sort((a, b) =>
        at(a).getTime() - at(b).getTime() ||
        Number(a.type === "refund_total") - Number(b.type === "refund_total")
      );
      await progress.listed(purchases.length);
      return [...purchases, ...subs, ...await enrollmentsSince(creds, look, start)];
    },
  };
}

/** The Teachable platform object. */
export type TeachablePlatform = ReturnType<typeof createTeachable>;

/** Teachable behind the Platform interface, talking to `apiUrl`. */
export function createTeachablePlatform(apiUrl: string): Platform {
  const teachable = createTeachable(apiUrl);
  const creds = (f: CredentialFields): TeachableCredentials => ({ apiKey: f.apiKey ?? "" });
  return {
    ...TEACHABLE_DESCRIPTION,
    connect: async (f) => ({
      ...await teachable.connect(f.apiKey ?? ""),
      fields: { apiKey: checkTeachableKey(f.apiKey ?? ""), ...pick(f, "signingSecret") },
    }),
    registerWebhook: (c, url) => teachable.registerWebhook(creds(c.fields), url),
    unregisterWebhook: (c, id) => teachable.unregisterWebhook(creds(c.fields), id),
    // The URL token was checked by the caller; a signing secret, when kept, is checked here.
    verifyWebhook: (raw, headers, _token, fields) =>
      teachable.verifyWebhook(raw, headers, fields?.signingSecret || null),
    normalize: (c, ev) => teachable.normalize(creds(c.fields), ev),
    backfill: (c, days, progress) => teachable.backfill(creds(c.fields), days, progress),
  };
}

function pick(f: CredentialFields, name: string): CredentialFields {
  return f[name]?.trim() ? { [name]: f[name].trim() } : {};
}
