/**
 * The live view's model, shared by the server (snapshots) and the browser (islands): who is on
 * the site right now, what they are doing, and the latest purchases. The browser starts from a
 * snapshot and folds the stream into it with the functions below; they are pure apart from
 * mutating the state handed to them, so tests exercise them directly.
 */
import type { LiveEvent, LiveMessage, LivePurchase } from "./messages.ts";

/** The Socket.IO namespace viewers connect to. */
export const LIVE_NAMESPACE = "/live";

/** A visitor counts as active while their last event is younger than this. */
export const ACTIVE_WINDOW_MS = 5 * 60_000;
/** How many purchases the feed keeps. */
export const FEED_SIZE = 20;
/** Most visitors a snapshot lists (the count stays exact beyond it). */
export const SNAPSHOT_VISITOR_LIMIT = 1000;

/** Where a visitor came from and is, and on what: as carried by each of their events. */
export type VisitorTraits = Pick<
  LiveEvent,
  "source" | "channel" | "country" | "region" | "city" | "lat" | "lon" | "device" | "browser" | "os"
>;

/** One active visitor as the live view shows them. */
export interface LiveVisitor extends VisitorTraits {
  visitorId: string;
  sessionId: string;
  /** ISO time the session started. */
  startedAt: string;
  /** ISO time of the visitor's latest event. */
  lastSeenAt: string;
  hostname: string;
  /** Current page: the session's latest pageview. */
  page: string;
  title: string;
  /** Pageviews in this session. */
  pages: number;
  /** Goals (custom events) completed in this session. */
  goals: string[];
  /** Whether this visitor has ever bought something on the site. */
  purchased: boolean;
}

/** One line of the purchase feed: a purchase message without its envelope. */
export type FeedPurchase = Omit<LivePurchase, "kind" | "siteId" | "purchaseId" | "type"> & {
  id: string;
  /** one_time | subscription_start | renewal | refund */
  kind: string;
};

/** What a viewer receives on (re)connecting, before the stream. */
export interface LiveSnapshot {
  siteId: number;
  /** Server time the snapshot was taken (ISO); clients align their clocks to it. */
  at: string;
  /** Exact number of active visitors, even when `visitors` is truncated. */
  activeCount: number;
  truncated: boolean;
  /** Most recently active first. */
  visitors: LiveVisitor[];
  /** Newest first, at most FEED_SIZE. */
  purchases: FeedPurchase[];
  /** The site's reporting currency (ISO code). */
  currency: string;
}

/** Mutable client state built from a snapshot and the stream. */
export interface LiveState {
  siteId: number;
  currency: string;
  visitors: Map<string, LiveVisitor>;
  purchases: FeedPurchase[];
  /** Server count when the snapshot was truncated; 0 otherwise. */
  truncatedCount: number;
  /** serverTime − clientTime in ms, from the snapshot. */
  clockOffsetMs: number;
  /** Event ids already applied, so a message delivered twice counts once. */
  seen: RecentIds;
  /** Recent events per visitor (newest last), for the journey panel. */
  recent: Map<string, LiveEvent[]>;
}

/** A bounded set of recently seen ids (oldest forgotten first). */
export class RecentIds {
  #ids = new Set<string>();
  constructor(readonly capacity = 5000) {}
  /** Adds `id`; answers false when it was already there. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.capacity) {
      this.#ids.delete(this.#ids.values().next().value as string);
    }
    return true;
  }
  get size(): number {
    return this.#ids.size;
  }
}

const RECENT_PER_VISITOR = 50;

/** Builds client state from a snapshot received at `clientNow`. */
export function stateFromSnapshot(snap: LiveSnapshot, clientNow = Date.now()): LiveState {
  return {
    siteId: snap.siteId,
    currency: snap.currency,
    visitors: new Map(snap.visitors.map((v) => [v.visitorId, { ...v }])),
    purchases: snap.purchases.slice(0, FEED_SIZE),
    truncatedCount: snap.truncated ? snap.activeCount : 0,
    clockOffsetMs: Date.parse(snap.at) - clientNow,
    seen: new RecentIds(),
    recent: new Map(),
  };
}

/** Folds one event in; answers whether it brought a visitor who was not active before. */
export function applyEvent(state: LiveState, e: LiveEvent): boolean {
  if (e.siteId !== state.siteId || !state.seen.add(e.eventId)) return false;
  const before = state.visitors.get(e.visitorId);
  const sameSession = before?.sessionId === e.sessionId;
  const v: LiveVisitor = before && sameSession ? before : {
    visitorId: e.visitorId,
    sessionId: e.sessionId,
    startedAt: e.ts,
    lastSeenAt: e.ts,
    hostname: e.hostname,
    page: e.pathname,
    title: e.title,
    pages: 0,
    source: e.source,
    channel: e.channel,
    country: e.country,
    region: e.region,
    city: e.city,
    lat: e.lat,
    lon: e.lon,
    device: e.device,
    browser: e.browser,
    os: e.os,
    goals: [],
    purchased: before?.purchased ?? false,
  };
  if (Date.parse(e.ts) >= Date.parse(v.lastSeenAt)) {
    v.lastSeenAt = e.ts;
    if (e.lat !== null && e.lon !== null) {
      v.lat = e.lat;
      v.lon = e.lon;
      v.country = e.country;
      v.region = e.region;
      v.city = e.city;
    }
  }
  if (Date.parse(e.ts) < Date.parse(v.startedAt)) v.startedAt = e.ts;
  if (e.type === "pageview") {
    v.pages += 1;
    v.page = e.pathname;
    v.title = e.title;
    v.hostname = e.hostname;
  }
  if (e.type === "event" && e.name && !v.goals.includes(e.name)) v.goals.push(e.name);
  // Delete and re-insert so the map stays ordered by recency.
  state.visitors.delete(e.visitorId);
  state.visitors.set(e.visitorId, v);
  const list = state.recent.get(e.visitorId) ?? [];
  list.push(e);
  if (list.length > RECENT_PER_VISITOR) list.shift();
  state.recent.set(e.visitorId, list);
  return !before;
}

/** Turns a purchase message into a feed line. */
export function feedPurchase(p: LivePurchase): FeedPurchase {
  const { kind: _kind, siteId: _site, purchaseId, type, ...rest } = p;
  return { ...rest, id: purchaseId, kind: type };
}

/** Adds a purchase to the feed (newest first); answers false when it was already there. */
export function applyPurchase(state: LiveState, p: LivePurchase): boolean {
  if (p.siteId !== state.siteId) return false;
  if (state.purchases.some((x) => x.id === p.purchaseId)) return false;
  const line = feedPurchase(p);
  state.purchases = [line, ...state.purchases]
    .sort((a, b) => Date.parse(b.ts) - Date.parse(a.ts))
    .slice(0, FEED_SIZE);
  if (p.visitorId && p.type !== "refund") {
    const v = state.visitors.get(p.visitorId);
    if (v) v.purchased = true;
  }
  return true;
}

/** Applies a batch from the stream; answers the ids of visitors who just arrived. */
export function applyMessages(state: LiveState, batch: LiveMessage[]): {
  arrived: string[];
  purchases: FeedPurchase[];
} {
  const arrived: string[] = [];
  const purchases: FeedPurchase[] = [];
  for (const m of batch) {
    if (m.kind === "event") {
      if (applyEvent(state, m)) arrived.push(m.visitorId);
    } else if (m.kind === "purchase" && applyPurchase(state, m)) {
      purchases.push(feedPurchase(m));
    }
  }
  return { arrived, purchases };
}

/** The server's clock as this client best knows it. */
export function serverNow(state: LiveState, clientNow = Date.now()): number {
  return clientNow + state.clockOffsetMs;
}

/** Forgets visitors idle for longer than the active window; answers how many left. */
export function pruneIdle(state: LiveState, now: number): number {
  let removed = 0;
  for (const [id, v] of state.visitors) {
    if (now - Date.parse(v.lastSeenAt) > ACTIVE_WINDOW_MS) {
      state.visitors.delete(id);
      state.recent.delete(id);
      removed++;
    }
  }
  return removed;
}

/** The active-visitor count to show. */
export function activeCount(state: LiveState): number {
  return Math.max(state.visitors.size, state.truncatedCount);
}

export interface VisitorFilter {
  /** Exact source name; "" means any. Direct traffic has source "". */
  source?: string | null;
  goal?: boolean;
  purchased?: boolean;
}

/** Label used for a visitor's source in lists and filters. */
export function sourceLabel(source: string): string {
  return source || "Direct";
}

/** Visitors matching the filter, most recently active first. */
export function filterVisitors(
  visitors: Iterable<LiveVisitor>,
  f: VisitorFilter,
): LiveVisitor[] {
  const out: LiveVisitor[] = [];
  for (const v of visitors) {
    if (f.source != null && f.source !== "" && sourceLabel(v.source) !== f.source) continue;
    if (f.goal && v.goals.length === 0) continue;
    if (f.purchased && !v.purchased) continue;
    out.push(v);
  }
  return out.sort((a, b) => Date.parse(b.lastSeenAt) - Date.parse(a.lastSeenAt));
}

/** Sources among visitors, most common first, for the filter menu. */
export function sourcesOf(visitors: Iterable<LiveVisitor>): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const v of visitors) {
    const s = sourceLabel(v.source);
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** One dot on the map: visitors at the same coarse place share it. */
export interface MapDot {
  lat: number;
  lon: number;
  count: number;
  /** Milliseconds since the most recent of them was seen. */
  idleMs: number;
  /** Whether any of them matches the active filter. */
  match: boolean;
  label: string;
}

/** Groups visitors with coordinates into dots (about 10 km cells). */
export function mapDots(
  visitors: Iterable<LiveVisitor>,
  now: number,
  matches?: Set<string>,
): MapDot[] {
  const cells = new Map<string, MapDot>();
  for (const v of visitors) {
    if (v.lat === null || v.lon === null) continue;
    const key = `${Math.round(v.lat * 10)}:${Math.round(v.lon * 10)}`;
    const idle = Math.max(0, now - Date.parse(v.lastSeenAt));
    const match = !matches || matches.has(v.visitorId);
    const d = cells.get(key);
    if (d) {
      d.count++;
      d.idleMs = Math.min(d.idleMs, idle);
      d.match ||= match;
    } else {
      cells.set(key, {
        lat: v.lat,
        lon: v.lon,
        count: 1,
        idleMs: idle,
        match,
        label: v.city || v.region || v.country,
      });
    }
  }
  return [...cells.values()];
}

/** Dot opacity: full for a minute, then fading to faint at the end of the active window. */
export function dotOpacity(idleMs: number): number {
  if (idleMs <= 60_000) return 1;
  const t = Math.min(1, (idleMs - 60_000) / (ACTIVE_WINDOW_MS - 60_000));
  return Math.round((1 - 0.85 * t) * 100) / 100;
}

/** Where the globe faces before there is anyone to face: the Atlantic between the Americas and Europe. */
export const DEFAULT_GLOBE_CENTRE: [number, number] = [-20, 25];

/**
 * Where the globe should face to show the visitors: the mean of their dots on the sphere,
 * weighted by how many stand at each ([lon, lat]). Averaging on the sphere, not the degrees, keeps
 * visitors on both sides of the date line together (Tokyo and Hawaii centre over the Pacific).
 */
export function visitorsCentre(dots: MapDot[]): [number, number] {
  let x = 0, y = 0, z = 0;
  for (const d of dots) {
    const lat = d.lat * Math.PI / 180, lon = d.lon * Math.PI / 180;
    x += d.count * Math.cos(lat) * Math.cos(lon);
    y += d.count * Math.cos(lat) * Math.sin(lon);
    z += d.count * Math.sin(lat);
  }
  const flat = Math.hypot(x, y);
  // No one, or visitors spread evenly round the world: no side is better than the default.
  if (Math.hypot(flat, z) < 1e-9 * Math.max(1, dots.length)) return DEFAULT_GLOBE_CENTRE;
  const round = (v: number) => Math.round(v * 10) / 10;
  return [round(Math.atan2(y, x) * 180 / Math.PI), round(Math.atan2(z, flat) * 180 / Math.PI)];
}
