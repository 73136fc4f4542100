/**
 * Step 1: validate. Parses the body (tracker or API shape), finds the site, checks that the
 * caller may send for it (allowed hosts for browsers, the key's org and site for servers) and
 * turns each entry into a WorkingEvent. Anything wrong is a 4xx naming the field.
 */
import type { z } from "zod";
import type { CollectSite, Site } from "../accounts/sites.ts";
import { browserRevenueOn } from "../accounts/site_settings.ts";
import {
  formatMoney,
  isCurrencyCode,
  limitInCurrency,
  minorDigits,
} from "../attribution/currency.ts";
import { Forbidden, Invalid, NotFound } from "../lib/errors.ts";
import {
  type ApiBody,
  apiBodySchema,
  type ApiEvent,
  isPlainTrackerBody,
  type TrackerBody,
  trackerBodySchema,
  type TrackerEvent,
} from "./schema.ts";
import { isInternalHost } from "./source.ts";
import { Lru } from "./lru.ts";
import { storableText } from "../lib/text.ts";
import type { Batch, HeatmapInput, IngestRequest, WorkingEvent } from "./types.ts";

/** How the validate step finds sites (a cache in production). */
export interface SiteLookup {
  byPublicId(publicId: string): Promise<CollectSite | null>;
}

const MAX_AGE_MS = 7 * 86_400_000;
/** How far back a key with the import scope may date events (a year of history and some). */
export const IMPORT_MAX_AGE_DAYS = 400;
const FUTURE_SLACK_MS = 60_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A zod issue path as people write it: `e[0].u`. */
function fieldName(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || "body";
}

/**
 * Makes every string storable: PostgreSQL text and jsonb refuse NUL characters and lone UTF-16
 * surrogates, and one such event must not block the writer. Keys are cleaned too. Values that
 * need no cleaning (nearly all) come back as they are, uncopied.
 */
export function storable(value: unknown): unknown {
  if (typeof value === "string") return storableText(value);
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = storable(value[i]);
      if (!out && v !== value[i]) out = value.slice(0, i);
      out?.push(v);
    }
    return out ?? value;
  }
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    // "__proto__" as a key sets the prototype when copied; keep what copying did.
    const clean = (k: string) =>
      k !== "__proto__" && storable(k) === k && storable(obj[k]) === obj[k];
    if (Object.keys(obj).every(clean)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[storable(k) as string] = storable(v);
    return out;
  }
  return value;
}

function parseWith<T>(
  schema: z.ZodType<T>,
  raw: unknown,
  fast?: (body: Record<string, unknown>) => boolean,
): T {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new Invalid("body", "The body must be a JSON object; see docs/tracking.md.");
  }
  const body = storable(raw);
  if (fast?.(body as Record<string, unknown>)) return body as T;
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = fieldName(issue.path);
  let message = issue.message;
  if (issue.code === "invalid_type" && /received undefined/.test(message)) message = "is required";
  else if (issue.code === "invalid_value") message = `${message.replace(/^Invalid option: /, "")}`;
  throw new Invalid(field, `Field ${field}: ${message}.`.replace(/\.\.$/, "."));
}

/** Hosts that may send events for a site: its domain and its extra allowed hosts. */
export function siteHosts(site: Site): string[] {
  return [site.domain, ...site.allowed_hosts];
}

interface Page {
  hostname: string;
  pathname: string;
  /** Shared by every event on the same URL: read, never changed. */
  params: URLSearchParams;
}

// Page URLs, referrers and origins repeat a lot, and parsing a URL costs about a microsecond;
// answers are cached (failures are not). Very long URLs are rare and not worth the memory.
const pages = new Lru<string, Page>(20_000);
const referrers = new Lru<string, string>(20_000);
/** Events from a host the site does not allow: refused, and counted for the site's owner. */
export class WrongOrigin extends Forbidden {
  constructor(readonly siteId: number, readonly events: number, message: string) {
    super(message);
  }
}

const originHosts = new Lru<string, string>(1_000);
const CACHED_URL_MAX = 500;

/** `compute(raw)`, remembered in `cache` unless `raw` is too long to be worth keeping. */
function cachedUrl<V>(cache: Lru<string, V>, raw: string, compute: (raw: string) => V): V {
  return raw.length <= CACHED_URL_MAX ? cache.remember(raw, compute) : compute(raw);
}

function parsePage(raw: string, field: string, hashRouting: boolean): Page {
  return cachedUrl(
    pages,
    hashRouting ? `#${raw}` : raw,
    () => parsePageUncached(raw, field, hashRouting),
  );
}

function parsePageUncached(raw: string, field: string, hashRouting: boolean): Page {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Invalid(
      field,
      `Field ${field}: must be the page's full URL, like https://example.com/.`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Invalid(field, `Field ${field}: must start with http:// or https://.`);
  }
  let pathname = url.pathname;
  if (hashRouting && url.hash.length > 1) pathname += url.hash;
  return { hostname: url.hostname, pathname: pathname.slice(0, 2000), params: url.searchParams };
}

/** A referrer without its query string and fragment: those often carry personal data. */
function cleanReferrer(raw: string | undefined): string {
  return raw ? cachedUrl(referrers, raw, cleanReferrerUncached) : "";
}

function cleanReferrerUncached(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol === "android-app:") return raw.slice(0, 300);
    if (u.protocol !== "http:" && u.protocol !== "https:") return "";
    return (u.origin + u.pathname).slice(0, 1000);
  } catch {
    return "";
  }
}

/** The host of a request's Origin header; "" when absent, "null" or not a URL. */
function originHost(origin: string | null): string {
  if (!origin || origin === "null") return "";
  return cachedUrl(originHosts, origin, (o) => {
    try {
      return new URL(o).hostname;
    } catch {
      return "";
    }
  });
}

/**
 * Revenue details: amount in major units in, integer minor units out, with where it came from.
 * Anyone with a site's public id can post to collect, so the browser may report only positive
 * amounts in a real currency up to the site's limit; the events API (a secret key) may also
 * report refunds.
 */
function revenueProps(
  p: Record<string, unknown> | undefined,
  field: string,
  via: IngestRequest["via"],
  site: Site,
) {
  const amount = p?.amount;
  if (typeof amount !== "number" || !Number.isFinite(amount)) {
    throw new Invalid(`${field}.amount`, `Field ${field}.amount: must be a number, like 49.99.`);
  }
  const currency = typeof p?.currency === "string" ? p.currency.toUpperCase() : "";
  if (!isCurrencyCode(currency)) {
    throw new Invalid(
      `${field}.currency`,
      `Field ${field}.currency: must be an ISO 4217 currency code, like USD` +
        (currency ? `; "${currency}" is not one.` : "."),
    );
  }
  const minor = Math.round(amount * 10 ** minorDigits(currency));
  if (via === "tracker" && amount < 0) {
    throw new Invalid(
      `${field}.amount`,
      `Field ${field}.amount: the browser cannot report a refund; refunds come from your payment platform.`,
    );
  }
  if (via === "tracker" && minor <= 0) {
    throw new Invalid(`${field}.amount`, `Field ${field}.amount: must be more than zero.`);
  }
  const site$ = site.currency.trim().toUpperCase();
  const limit = limitInCurrency(site.revenue_max_major, site$, currency);
  if (Math.abs(minor) > limit) {
    throw new Invalid(
      `${field}.amount`,
      `Field ${field}.amount: one purchase may be at most ` +
        `${formatMoney(site.revenue_max_major * 10 ** minorDigits(site$), site$)} ` +
        `for this site; an owner can raise the limit in the site's settings.`,
    );
  }
  const out: Record<string, unknown> = { amount: minor, currency };
  if (typeof p?.product === "string" && p.product) out.product = p.product.slice(0, 200);
  if (typeof p?.transaction_id === "string" && p.transaction_id) {
    out.transaction_id = p.transaction_id.slice(0, 200);
  }
  out.via = via === "tracker" ? "browser" : "api";
  return out;
}

function identifyOf(
  identifier: string | undefined,
  traits: Record<string, unknown> | undefined,
  field: string,
): WorkingEvent["identify"] {
  const raw = identifier?.trim() ?? "";
  if (!raw) {
    throw new Invalid(field, `Field ${field}: identify needs an email address or a user id.`);
  }
  const isEmail = EMAIL.test(raw);
  const id = isEmail ? raw.toLowerCase() : raw;
  const traitEmail = typeof traits?.email === "string" && EMAIL.test(traits.email.trim())
    ? traits.email.trim().toLowerCase()
    : null;
  return { identifier: id, email: isEmail ? id : traitEmail, traits: traits ?? null };
}

function fromTracker(
  body: TrackerBody,
  ev: TrackerEvent,
  i: number,
  req: IngestRequest,
  site: CollectSite,
): WorkingEvent {
  const page = parsePage(ev.u, `e[${i}].u`, body.hm === 1);
  const w: WorkingEvent = {
    eventId: crypto.randomUUID(),
    ts: req.now - (ev.a ?? 0),
    type: ev.t,
    name: (ev.n ?? "").trim(),
    ...page,
    title: (ev.ti ?? "").slice(0, 500),
    referrer: cleanReferrer(ev.r),
    props: ev.p && Object.keys(ev.p).length ? ev.p : null,
    scrollDepth: ev.sd ?? null,
    engagedMs: ev.em ?? null,
    screen: body.sc ?? "",
    language: (body.l ?? "").slice(0, 35),
    timezone: body.z ?? "",
    clientVisitorId: body.v ?? "",
    ip: req.ip,
    userAgent: req.userAgent,
    dnt: body.d === 1,
    automated: body.b === 1,
  };
  finishTyped(w, ev.id, `e[${i}]`, ev, req, site);
  return w;
}

function fromApi(ev: ApiEvent, i: number, req: IngestRequest, site: CollectSite): WorkingEvent {
  let ts = req.now;
  if (ev.timestamp) {
    ts = Date.parse(ev.timestamp);
    const importing = req.apiKey?.scopes.includes("import") ?? false;
    const maxAge = importing ? IMPORT_MAX_AGE_DAYS * 86_400_000 : MAX_AGE_MS;
    if (ts > req.now + FUTURE_SLACK_MS || ts < req.now - maxAge) {
      const f = `events[${i}].timestamp`;
      throw new Invalid(
        f,
        importing
          ? `Field ${f}: must be within the last ${IMPORT_MAX_AGE_DAYS} days and not in the future.`
          : `Field ${f}: must be within the last 7 days and not in the future (a key with the ` +
            `import scope may send up to ${IMPORT_MAX_AGE_DAYS} days back).`,
      );
    }
  }
  const page = ev.url
    ? parsePage(ev.url, `events[${i}].url`, false)
    : { hostname: "", pathname: "/", params: new URLSearchParams() };
  const w: WorkingEvent = {
    eventId: ev.event_id?.toLowerCase() ?? crypto.randomUUID(),
    ts,
    type: ev.type,
    name: (ev.name ?? "").trim(),
    ...page,
    title: (ev.title ?? "").slice(0, 500),
    referrer: cleanReferrer(ev.referrer),
    props: ev.props && Object.keys(ev.props).length ? ev.props : null,
    scrollDepth: null,
    engagedMs: null,
    screen: "",
    language: ev.language ?? "",
    timezone: "",
    clientVisitorId: ev.visitor_id,
    ip: ev.ip ?? "",
    userAgent: ev.user_agent ?? "",
    dnt: false,
    automated: false,
  };
  finishTyped(w, ev.identifier, `events[${i}]`, undefined, req, site);
  return w;
}

/** Type-specific rules shared by both body shapes. */
function finishTyped(
  w: WorkingEvent,
  identifier: string | undefined,
  field: string,
  click: TrackerEvent | undefined,
  req: IngestRequest,
  site: CollectSite,
): void {
  if ((w.type === "event") && !w.name) {
    throw new Invalid(`${field}.name`, `Field ${field}: a custom event needs a name.`);
  }
  if (w.type === "revenue") {
    // Not taken from this site's browsers at all: dropped (and counted) by dropExcluded.
    w.props = req.via === "tracker" && !browserRevenueOn(site) ? null : revenueProps(
      w.props ?? undefined,
      `${field}.${req.via === "tracker" ? "p" : "props"}`,
      req.via,
      site,
    );
  }
  if (w.type === "identify") {
    w.identify = identifyOf(identifier, w.props ?? undefined, field);
    w.props = w.identify!.traits;
  }
  if (w.type === "click") w.click = heatmapInput(click, field);
}

/** Scheme, host and port of a page URL (already parsed once, so valid). */
function originOf(raw: string): string {
  return URL.parse(raw)?.origin ?? "";
}

/** The heatmap record a `click` event carries, checked for what its kind needs. */
function heatmapInput(e: TrackerEvent | undefined, field: string): HeatmapInput {
  if (!e || !e.w) throw new Invalid(field, `Field ${field}: a heatmap record needs w.`);
  const kind = e.k === "m" ? "move" : e.k === "s" ? "scroll" : "click";
  if (kind === "click" && (e.x === undefined || e.y === undefined)) {
    throw new Invalid(field, `Field ${field}: a click needs x, y and w.`);
  }
  if (kind === "move" && (!e.m?.length || e.m.length % 2)) {
    throw new Invalid(`${field}.m`, `Field ${field}.m: pointer samples come as x, y pairs.`);
  }
  if (kind === "scroll" && e.sd === undefined) {
    throw new Invalid(`${field}.sd`, `Field ${field}.sd: a scroll record needs its depth.`);
  }
  return {
    kind,
    x: e.x ?? 0,
    y: e.y ?? 0,
    pageWidth: e.w,
    pageHeight: e.h ?? 0,
    selector: kind === "click" ? (e.sel ?? "").slice(0, 500) : "",
    elemX: kind === "click" ? e.ex ?? null : null,
    elemY: kind === "click" ? e.ey ?? null : null,
    flags: kind === "click" ? e.f ?? 0 : 0,
    pageView: e.pv ?? "",
    depth: kind === "scroll" ? e.sd! : null,
    attention: kind === "scroll" ? e.at ?? [] : null,
    points: kind === "move" ? e.m! : null,
    origin: kind === "move" ? "" : originOf(e.u),
  };
}

/** Parses and authorizes a request into a batch; throws Invalid, NotFound or Forbidden. */
export async function validate(req: IngestRequest, sites: SiteLookup): Promise<Batch> {
  if (req.via === "api") {
    const body: ApiBody = parseWith(apiBodySchema, req.body);
    const site = await sites.byPublicId(body.site);
    // Another organization's site looks exactly like a missing one.
    if (!site || !req.apiKey || site.org_id !== req.apiKey.orgId) {
      throw new NotFound(
        `No site with the id "${body.site}" belongs to this API key's organization.`,
      );
    }
    if (req.apiKey.siteId !== null && req.apiKey.siteId !== site.id) {
      throw new Forbidden("This API key is limited to another site.");
    }
    return { req, site, events: body.events.map((e, i) => fromApi(e, i, req, site)), drops: {} };
  }
  const body = parseWith(trackerBodySchema, req.body, isPlainTrackerBody);
  const site = await sites.byPublicId(body.s);
  if (!site) {
    throw new NotFound(
      `We don't know a site with the id "${body.s}". Check data-site in your tracking snippet.`,
    );
  }
  const hosts = siteHosts(site);
  const origin = originHost(req.origin);
  const events = body.e.map((e, i) => fromTracker(body, e, i, req, site));
  const checked = origin ? [origin] : events.map((e) => e.hostname);
  for (const host of checked) {
    if (!isInternalHost(host, hosts)) {
      throw new WrongOrigin(
        site.id,
        events.length,
        `Events from ${host || "an unknown page"} are not accepted for ${site.domain}. ` +
          `Add it to the site's allowed hosts in its settings.`,
      );
    }
  }
  return { req, site, events, drops: {} };
}
