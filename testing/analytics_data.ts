/**
 * Synthetic traffic for analytics tests, screenshots and the query benchmark: visits with their
 * events, purchases and last-touch attribution credits, shaped like a real site (a few sources
 * bring most visitors, some visitors return, a few buy). Deterministic for a given seed.
 */
import { markRollups } from "../db/rollups.ts";

/** A small fast seeded PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuid(rnd: () => number): string {
  const h = () => Math.floor(rnd() * 0x100000000).toString(16).padStart(8, "0");
  const a = h(), b = h(), c = h(), d = h();
  return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-a${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

function weighted<T>(rnd: () => number, items: Array<[T, number]>): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = rnd() * total;
  for (const [item, w] of items) if ((x -= w) < 0) return item;
  return items[items.length - 1][0];
}

interface Acquisition {
  channel: string;
  source: string;
  referrer_host: string;
  medium: string;
  campaign: string;
  content: string;
  term: string;
}

const ACQUISITION: Array<[Acquisition, number]> = [
  [{
    channel: "Organic Search",
    source: "Google",
    referrer_host: "www.google.com",
    medium: "",
    campaign: "",
    content: "",
    term: "",
  }, 30],
  [{
    channel: "Direct",
    source: "",
    referrer_host: "",
    medium: "",
    campaign: "",
    content: "",
    term: "",
  }, 22],
  [{
    channel: "Organic Social",
    source: "YouTube",
    referrer_host: "www.youtube.com",
    medium: "",
    campaign: "",
    content: "",
    term: "",
  }, 14],
  [{
    channel: "Organic Social",
    source: "Instagram",
    referrer_host: "l.instagram.com",
    medium: "",
    campaign: "",
    content: "",
    term: "",
  }, 8],
  [{
    channel: "Referral",
    source: "news.ycombinator.com",
    referrer_host: "news.ycombinator.com",
    medium: "",
    campaign: "",
    content: "",
    term: "",
  }, 5],
  [{
    channel: "Organic Search",
    source: "Bing",
    referrer_host: "www.bing.com",
    medium: "",
    campaign: "",
    content: "",
    term: "",
  }, 4],
  [{
    channel: "Email",
    source: "newsletter",
    referrer_host: "",
    medium: "email",
    campaign: "spring_launch",
    content: "header",
    term: "",
  }, 5],
  [{
    channel: "Paid Search",
    source: "Google",
    referrer_host: "www.google.com",
    medium: "cpc",
    campaign: "brand",
    content: "ad_a",
    term: "course builder",
  }, 6],
  [{
    channel: "Paid Social",
    source: "Facebook",
    referrer_host: "m.facebook.com",
    medium: "paid_social",
    campaign: "retargeting",
    content: "video",
    term: "",
  }, 4],
  [{
    channel: "Referral",
    source: "github.com",
    referrer_host: "github.com",
    medium: "",
    campaign: "",
    content: "",
    term: "",
  }, 2],
];

const PLACES: Array<[[string, string, string], number]> = [
  [["US", "California", "San Francisco"], 14],
  [["US", "New York", "New York"], 12],
  [["US", "Texas", "Austin"], 6],
  [["GB", "England", "London"], 10],
  [["DE", "Berlin", "Berlin"], 8],
  [["IN", "Maharashtra", "Mumbai"], 9],
  [["BR", "São Paulo", "São Paulo"], 5],
  [["CA", "Ontario", "Toronto"], 5],
  [["FR", "Île-de-France", "Paris"], 5],
  [["", "", ""], 2],
];

const DEVICES: Array<[[string, string, string], number]> = [
  [["Desktop", "Chrome", "Windows"], 25],
  [["Desktop", "Chrome", "macOS"], 12],
  [["Desktop", "Safari", "macOS"], 9],
  [["Desktop", "Firefox", "Linux"], 4],
  [["Mobile", "Safari", "iOS"], 28],
  [["Mobile", "Chrome", "Android"], 18],
  [["Tablet", "Safari", "iOS"], 4],
];

const PAGES: Array<[string, number]> = [
  ["/", 40],
  ["/pricing", 14],
  ["/blog/how-we-grew", 10],
  ["/course/intro", 9],
  ["/blog/revenue-attribution", 7],
  ["/about", 5],
  ["/checkout", 5],
  ["/docs/getting-started", 5],
  ["/blog/youtube-playbook", 4],
  ["/contact", 2],
];

const GOALS: Array<[string, number]> = [["Signup", 5], ["Newsletter", 3], ["Download guide", 2]];

export interface EventRow {
  ts: Date;
  event_id: string;
  site_id: number;
  visitor_id: string;
  session_id: string;
  type: string;
  name: string;
  hostname: string;
  pathname: string;
  referrer_host: string;
  source: string;
  medium: string;
  campaign: string;
  content: string;
  term: string;
  channel: string;
  country: string;
  region: string;
  city: string;
  device: string;
  browser: string;
  os: string;
  engaged_ms: number | null;
}

export interface SessionRow {
  started_at: Date;
  session_id: string;
  site_id: number;
  visitor_id: string;
  ended_at: Date;
  entry_page: string;
  exit_page: string;
  pageviews: number;
  events: number;
  engaged_ms: number;
  referrer_host: string;
  source: string;
  medium: string;
  campaign: string;
  content: string;
  term: string;
  channel: string;
  country: string;
  region: string;
  city: string;
  device: string;
  browser: string;
  os: string;
}

export interface PurchaseRow {
  ts: Date;
  id: string;
  site_id: number;
  provider: string;
  provider_event_id: string;
  order_id: string;
  kind: string;
  amount_minor: number;
  currency: string;
  amount_site_minor: number;
  customer_email: string;
  customer_key: string;
  product: string;
  visitor_id: string | null;
  match_method: string;
}

export interface CreditRow {
  site_id: number;
  purchase_id: string;
  purchase_ts: Date;
  model: string;
  touch: number;
  session_id: string | null;
  session_started_at: Date | null;
  visitor_id: string | null;
  amount_site_minor: number;
  source: string;
  medium: string;
  campaign: string;
  content: string;
  term: string;
  channel: string;
  referrer_host: string;
  entry_page: string;
  country: string;
  region: string;
  city: string;
  device: string;
  browser: string;
  os: string;
}

export interface Visit {
  session: SessionRow;
  events: EventRow[];
  purchases: PurchaseRow[];
  credits: CreditRow[];
}

export interface SynthOptions {
  siteId: number;
  from: Date;
  to: Date;
  /** How many visits to make. */
  visits: number;
  /** Size of the visitor pool; fewer than visits means returning visitors. */
  visitors: number;
  seed?: number;
  /** Share of visits that end in a purchase (default 2%). */
  buyRate?: number;
  /** Share of visits followed by a purchase no visit explains (default 0.3%). */
  unmatchedRate?: number;
  /** Currency of the site (purchases are in it). */
  currency?: string;
}

const PRODUCTS: Array<[[string, number], number]> = [
  [["Starter course", 4900], 5],
  [["Pro course", 19900], 3],
  [["Coaching call", 29900], 1],
  [["Templates", 1900], 4],
];

/** Makes visits one at a time (so a benchmark can stream millions without holding them). */
export function* synthesizeVisits(opts: SynthOptions): Generator<Visit> {
  const rnd = seededRandom(opts.seed ?? 42);
  const span = opts.to.getTime() - opts.from.getTime();
  const buyRate = opts.buyRate ?? 0.02;
  const currency = opts.currency ?? "USD";
  for (let i = 0; i < opts.visits; i++) {
    // Skewed visitor choice: low numbers return often.
    const visitorN = Math.floor(Math.pow(rnd(), 1.6) * opts.visitors);
    const visitor_id = `v${opts.seed ?? 42}-${visitorN.toString(36)}`;
    const session_id = uuid(rnd);
    // More visits in the afternoon (UTC) than at night.
    let start = opts.from.getTime() + Math.floor(rnd() * span);
    if (rnd() < 0.3) {
      start = start - (start % 86_400_000) + (13 + Math.floor(rnd() * 6)) * 3_600_000;
    }
    if (start >= opts.to.getTime()) {
      start = opts.to.getTime() - 1000 - Math.floor(rnd() * 3_600_000);
    }
    if (start < opts.from.getTime()) start = opts.from.getTime() + Math.floor(rnd() * 3_600_000);
    const acq = weighted(rnd, ACQUISITION);
    const [country, region, city] = weighted(rnd, PLACES);
    const [device, browser, os] = weighted(rnd, DEVICES);
    const pageviews = rnd() < 0.45 ? 1 : 1 + Math.floor(-Math.log(1 - rnd()) * 2.5);
    const base = {
      site_id: opts.siteId,
      visitor_id,
      session_id,
      ...acq,
      country,
      region,
      city,
      device,
      browser,
      os,
    };
    const events: EventRow[] = [];
    let t = start;
    const pages: string[] = [];
    for (let p = 0; p < pageviews; p++) {
      const pathname = p === 0 && rnd() < 0.5 ? "/" : weighted(rnd, PAGES);
      pages.push(pathname);
      events.push({
        ...base,
        ts: new Date(t),
        event_id: uuid(rnd),
        type: "pageview",
        name: "",
        hostname: "example.com",
        pathname,
        engaged_ms: null,
      });
      if (p < pageviews - 1) t += 5_000 + Math.floor(rnd() * 110_000);
    }
    if (rnd() < 0.12) {
      t += 2_000 + Math.floor(rnd() * 20_000);
      events.push({
        ...base,
        ts: new Date(t),
        event_id: uuid(rnd),
        type: "event",
        name: weighted(rnd, GOALS),
        hostname: "example.com",
        pathname: pages[pages.length - 1],
        engaged_ms: null,
      });
    }
    const engaged = pageviews === 1 && rnd() < 0.6
      ? Math.floor(rnd() * 9_000)
      : 5_000 + Math.floor(rnd() * 240_000);
    const end = Math.min(t + Math.floor(rnd() * 30_000), opts.to.getTime() - 1);
    const session: SessionRow = {
      ...base,
      started_at: new Date(start),
      ended_at: new Date(Math.max(end, start)),
      entry_page: pages[0],
      exit_page: pages[pages.length - 1],
      pageviews,
      events: events.length,
      engaged_ms: engaged,
    };
    const purchases: PurchaseRow[] = [];
    const credits: CreditRow[] = [];
    const buys = rnd() < buyRate * (acq.channel === "Organic Social" ? 2.5 : 1);
    const unmatched = rnd() < (opts.unmatchedRate ?? 0.003);
    if (buys || unmatched) {
      const [product, amount] = weighted(rnd, PRODUCTS);
      const ts = new Date(Math.min(session.ended_at.getTime() + 1000, opts.to.getTime() - 1));
      const id = uuid(rnd);
      const matched = buys;
      purchases.push({
        ts,
        id,
        site_id: opts.siteId,
        provider: "stripe",
        provider_event_id: `evt_${id.slice(0, 18)}`,
        order_id: `ord_${id.slice(0, 8)}`,
        kind: "one_time",
        amount_minor: amount,
        currency,
        amount_site_minor: amount,
        customer_email: matched ? `${visitor_id}@buyers.example` : `guest${i}@buyers.example`,
        // As the matcher keys customers: one per email.
        customer_key: matched ? `${visitor_id}@buyers.example` : `guest${i}@buyers.example`,
        product,
        visitor_id: matched ? visitor_id : null,
        match_method: matched ? "checkout_id" : "none",
      });
      credits.push(creditFor(opts.siteId, id, ts, amount, matched ? session : null));
      if (matched && rnd() < 0.08) {
        // A refund a little later, credited like the sale it reverses.
        const rts = new Date(Math.min(ts.getTime() + 3_600_000, opts.to.getTime() - 1));
        const rid = uuid(rnd);
        purchases.push({
          ...purchases[0],
          ts: rts,
          id: rid,
          provider_event_id: `evt_${rid.slice(0, 18)}`,
          kind: "refund",
          amount_minor: -amount,
          amount_site_minor: -amount,
        });
        credits.push(creditFor(opts.siteId, rid, rts, -amount, session));
      }
    }
    yield { session, events, purchases, credits };
  }
}

function creditFor(
  siteId: number,
  purchaseId: string,
  ts: Date,
  amount: number,
  s: SessionRow | null,
): CreditRow {
  return {
    site_id: siteId,
    purchase_id: purchaseId,
    purchase_ts: ts,
    model: "last_touch",
    touch: s ? 0 : -1,
    session_id: s?.session_id ?? null,
    session_started_at: s?.started_at ?? null,
    visitor_id: s?.visitor_id ?? null,
    amount_site_minor: amount,
    source: s?.source ?? "",
    medium: s?.medium ?? "",
    campaign: s?.campaign ?? "",
    content: s?.content ?? "",
    term: s?.term ?? "",
    channel: s?.channel ?? "",
    referrer_host: s?.referrer_host ?? "",
    entry_page: s?.entry_page ?? "",
    country: s?.country ?? "",
    region: s?.region ?? "",
    city: s?.city ?? "",
    device: s?.device ?? "",
    browser: s?.browser ?? "",
    os: s?.os ?? "",
  };
}

/** Inserts visits with ordinary multi-row inserts (tests and demo-sized data). */
export async function insertVisits(
  // deno-lint-ignore no-explicit-any
  sql: any,
  visits: Iterable<Visit>,
  batch = 500,
): Promise<{ visits: number; events: number; purchases: number }> {
  const counts = { visits: 0, events: 0, purchases: 0 };
  let s: SessionRow[] = [];
  let e: EventRow[] = [];
  let p: PurchaseRow[] = [];
  let c: CreditRow[] = [];
  const flush = async () => {
    if (s.length) await sql`insert into sessions ${sql(s)}`;
    for (let i = 0; i < e.length; i += 2000) {
      await sql`insert into events ${sql(e.slice(i, i + 2000))}`;
    }
    if (p.length) await sql`insert into purchases ${sql(p)}`;
    if (c.length) await sql`insert into attribution_credits ${sql(c)}`;
    // Written around the ingest writer and the purchase recorder, so marked as they would.
    await markRollups(sql, "sessions", s.map((r) => ({ siteId: r.site_id, at: r.started_at })));
    await markRollups(sql, "events", e.map((r) => ({ siteId: r.site_id, at: r.ts })));
    await markRollups(sql, "purchases", p.map((r) => ({ siteId: r.site_id, at: r.ts })));
    await markRollups(sql, "credits", c.map((r) => ({ siteId: r.site_id, at: r.purchase_ts })));
    counts.visits += s.length;
    counts.events += e.length;
    counts.purchases += p.length;
    s = [];
    e = [];
    p = [];
    c = [];
  };
  for (const v of visits) {
    s.push(v.session);
    e.push(...v.events);
    p.push(...v.purchases);
    c.push(...v.credits);
    if (s.length >= batch) await flush();
  }
  await flush();
  return counts;
}

/** Site rows with fixed ids (the synthesized data's site ids), in one new org. */
// deno-lint-ignore no-explicit-any
export async function insertSiteRows(sql: any, ids: number[], timezone: string): Promise<void> {
  const [org] = await sql`insert into orgs (name) values ('Stats') returning id`;
  for (const id of ids) {
    await sql`insert into sites (id, org_id, public_id, domain, name, timezone)
      overriding system value
      values (${id}, ${org.id}, ${"stats" + id}, ${id + ".stats.example"}, 'Stats', ${timezone})`;
  }
}

/** What the stats need about a site made by insertSiteRows (USD, created 1 Feb 2026). */
export function statsSite(id: number, timezone: string) {
  return {
    id,
    timezone,
    currency: "USD",
    created_at: new Date("2026-02-01T00:00:00Z"),
    first_event_at: null,
  };
}
