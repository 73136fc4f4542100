/**
 * Plans one visit the way a real visitor would make it (where from, which pages, which goals,
 * maybe a purchase) and turns it into what Sextant receives: stored event rows for history, or
 * tracker request bodies for live traffic.
 */
import type { Site } from "../accounts/sites.ts";
import { classifySource, geolocate, parseUserAgent, type QueuedEvent } from "../ingest/mod.ts";
import {
  DEMO_DOMAIN,
  LANGUAGES,
  PAGES,
  PLACES,
  type Product,
  PRODUCTS,
  type Rng,
  SOURCES,
  type TrafficSource,
  USER_AGENTS,
} from "./catalog.ts";

export interface Hit {
  at: number;
  type: "pageview" | "event" | "engagement" | "identify" | "outbound";
  path: string;
  title: string;
  name?: string;
  props?: Record<string, string | number>;
  identifier?: string;
  engagedMs?: number;
  scrollDepth?: number;
}

export interface PlannedPurchase {
  at: number;
  product: Product;
  email: string;
  /** What evidence the checkout carries: its visitor id, only an email, or nothing usable. */
  evidence: "visitor" | "email" | "none";
}

export interface Visitor {
  id: string;
  ip: string;
  ua: string;
  screen: string;
  language: string;
  email: string;
  identified: boolean;
}

export interface PlannedVisit {
  visitor: Visitor;
  source: TrafficSource;
  landingUrl: string;
  start: number;
  hits: Hit[];
  purchase?: PlannedPurchase;
}

const NAMES = ["alex", "sam", "jordan", "maria", "li", "priya", "omar", "emma", "noah", "zoe"];

/** A new visitor: a browser, a place and (should they ever give it) an email. */
export function newVisitor(r: Rng): Visitor {
  const agent = r.weighted(USER_AGENTS);
  return {
    id: r.id(21),
    ip: r.weighted(PLACES).ip,
    ua: agent.ua,
    screen: agent.screen,
    language: r.pick(LANGUAGES),
    email: `${r.pick(NAMES)}.${r.id(5)}@example.com`,
    identified: false,
  };
}

const page = (path: string) => PAGES.find((p) => p.path === path) ?? PAGES[0];

/** Plans a visit starting at `start`; returning visitors come back more often directly. */
export function planVisit(
  r: Rng,
  visitor: Visitor,
  start: number,
  returning: boolean,
): PlannedVisit {
  const source = returning && r.chance(0.5) ? SOURCES[SOURCES.length - 1] : r.weighted(SOURCES);
  const landing = page(r.pick(source.landings));
  const hits: Hit[] = [];
  let at = start;
  const view = (path: string) => {
    const p = page(path);
    hits.push({ at, type: "pageview", path: p.path, title: p.title });
    at += r.int(8, 140) * 1000;
  };
  view(landing.path);
  const depth = r.chance(0.5) ? 0 : r.int(1, 5);
  for (let i = 0; i < depth; i++) view(r.pick(PAGES.slice(0, 8)).path);
  const last = () => hits[hits.length - 1];
  if (r.chance(0.12)) {
    hits.push({
      at,
      type: "event",
      path: last().path,
      title: last().title,
      name: "Download syllabus",
    });
  }
  if (r.chance(0.05)) {
    hits.push({
      at,
      type: "outbound",
      path: last().path,
      title: last().title,
      props: { url: "https://www.youtube.com/@northstar" },
    });
  }
  if (!visitor.identified && r.chance(depth > 0 ? 0.1 : 0.02)) {
    visitor.identified = true;
    hits.push({
      at,
      type: "event",
      path: last().path,
      title: last().title,
      name: "Newsletter signup",
    });
    hits.push({
      at,
      type: "identify",
      path: last().path,
      title: last().title,
      identifier: visitor.email,
    });
  }
  let purchase: PlannedPurchase | undefined;
  if (r.chance(source.conversion * (returning ? 1.6 : 1))) {
    view("/pricing");
    view("/checkout");
    hits.push({
      at,
      type: "event",
      path: "/checkout",
      title: page("/checkout").title,
      name: "Start checkout",
    });
    at += r.int(30, 180) * 1000;
    const product = r.weighted(PRODUCTS);
    const roll = r.next();
    purchase = {
      at,
      product,
      email: visitor.email,
      evidence: roll < 0.78
        ? "visitor"
        : roll < (visitor.identified ? 0.96 : 0.9)
        ? "email"
        : "none",
    };
    hits.push({
      at: at + 2000,
      type: "event",
      path: "/thank-you",
      title: "Thank you!",
      name: "Purchase",
      props: { product: product.name },
    });
  }
  const lastView = [...hits].reverse().find((h) => h.type === "pageview")!;
  hits.push({
    at: at + r.int(5, 60) * 1000,
    type: "engagement",
    path: lastView.path,
    title: lastView.title,
    // Most one-page visits leave within seconds (a bounce); some stay to read.
    engagedMs: (depth > 0 ? r.int(15, 300) : r.chance(0.7) ? r.int(1, 9) : r.int(10, 120)) * 1000,
    scrollDepth: r.int(depth === 0 ? 10 : 40, 100),
  });
  const query = source.query ? `?${source.query}` : "";
  return {
    visitor,
    source,
    landingUrl: `https://${DEMO_DOMAIN}${landing.path}${query}`,
    start,
    hits: hits.sort((a, b) => a.at - b.at),
    purchase,
  };
}

/** The stored rows for a visit, enriched exactly as the collect pipeline enriches live ones. */
export function visitEvents(
  r: Rng,
  site: Site,
  visit: PlannedVisit,
  sessionId: string,
): QueuedEvent[] {
  const ua = parseUserAgent(visit.visitor.ua);
  const geo = geolocate(visit.visitor.ip);
  const url = new URL(visit.landingUrl);
  const acq = classifySource(url.searchParams, visit.source.referrer, [site.domain]);
  const started = new Date(visit.start).toISOString();
  return visit.hits.map((h, i) => ({
    ts: new Date(h.at).toISOString(),
    event_id: r.uuid(),
    site_id: site.id,
    visitor_id: visit.visitor.id,
    session_id: sessionId,
    type: h.type,
    name: h.name ?? "",
    hostname: DEMO_DOMAIN,
    pathname: h.path,
    title: h.title,
    referrer: i === 0 ? visit.source.referrer : "",
    referrer_host: acq.referrerHost,
    source: acq.source,
    medium: acq.medium,
    campaign: acq.campaign,
    content: acq.content,
    term: acq.term,
    channel: acq.channel,
    click_id_type: acq.clickIdType,
    country: geo.country,
    region: geo.region,
    city: geo.city,
    lat: geo.lat,
    lon: geo.lon,
    browser: ua.browser,
    browser_version: ua.browserVersion,
    os: ua.os,
    os_version: ua.osVersion,
    device: ua.device,
    screen: visit.visitor.screen,
    language: visit.visitor.language,
    timezone: "",
    scroll_depth: h.scrollDepth ?? null,
    engaged_ms: h.engagedMs ?? null,
    props: h.props ?? null,
    session_started_at: started,
    ...(h.identifier
      ? { identify: { identifier: h.identifier, email: h.identifier, traits: null } }
      : {}),
  }));
}

/** One hit as the browser tracker sends it (`POST /api/collect`). */
export function trackerBody(site: Site, visit: PlannedVisit, hit: Hit, first: boolean) {
  const url = first ? visit.landingUrl : `https://${DEMO_DOMAIN}${hit.path}`;
  return {
    s: site.public_id,
    v: visit.visitor.id,
    sc: visit.visitor.screen,
    l: visit.visitor.language,
    e: [{
      t: hit.type,
      u: url,
      ...(first && visit.source.referrer ? { r: visit.source.referrer } : {}),
      ti: hit.title,
      ...(hit.name ? { n: hit.name } : {}),
      ...(hit.props ? { p: hit.props } : {}),
      ...(hit.identifier ? { id: hit.identifier } : {}),
      ...(hit.engagedMs !== undefined ? { em: hit.engagedMs } : {}),
      ...(hit.scrollDepth !== undefined ? { sd: hit.scrollDepth } : {}),
    }],
  };
}
