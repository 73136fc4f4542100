/** The shapes flowing through the ingest pipeline, from a request body to a queued row. */
import type { CollectSite, Site } from "../accounts/sites.ts";
import type { ApiKeyPrincipal } from "../accounts/api_keys.ts";
import type { UserAgentInfo } from "./user_agent.ts";
import type { GeoInfo } from "./geo.ts";
import type { Acquisition } from "./source.ts";

export const EVENT_TYPES = [
  "pageview",
  "event",
  "outbound",
  "download",
  "engagement",
  "identify",
  "revenue",
  "click",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Why an event was not stored; counted per site and day. */
export type DropReason =
  | "bot"
  | "automation"
  | "datacenter"
  | "opt_out"
  | "dnt"
  | "excluded_ip"
  | "excluded_path"
  | "heatmaps_off"
  | "browser_revenue_off"
  /** Refused (403) rather than dropped, but counted so the install page can say why. */
  | "wrong_origin";

/** One HTTP request's worth of input, before anything is trusted. */
export interface IngestRequest {
  /** The browser tracker (`/api/collect`) or the server-side API (`/api/v1/events`). */
  via: "tracker" | "api";
  body: unknown;
  /** The client's address: used for geolocation, cookieless ids and exclusions, then dropped. */
  ip: string;
  userAgent: string;
  /** The Origin header (tracker requests), or null. */
  origin: string | null;
  /** Server time of arrival, ms since the epoch. */
  now: number;
  /** The verified API key (server-side API only). */
  apiKey?: ApiKeyPrincipal;
}

/** One event as it moves through the steps; enrichment fills the optional parts. */
export interface WorkingEvent {
  eventId: string;
  /** ms since the epoch. */
  ts: number;
  type: EventType;
  name: string;
  hostname: string;
  pathname: string;
  /** The page URL's query parameters (UTM tags, click ids). */
  params: URLSearchParams;
  title: string;
  referrer: string;
  props: Record<string, unknown> | null;
  scrollDepth: number | null;
  engagedMs: number | null;
  screen: string;
  language: string;
  timezone: string;
  /** The visitor id the client sent (tracker: localStorage/cookie; API: the caller's). */
  clientVisitorId: string;
  /** Transient: never leaves the pipeline. */
  ip: string;
  userAgent: string;
  /** Do-Not-Track or Global Privacy Control was on in the browser. */
  dnt: boolean;
  /** The browser said it is automated (navigator.webdriver). */
  automated: boolean;
  identify?: { identifier: string; email: string | null; traits: Record<string, unknown> | null };
  click?: HeatmapInput;
  ua?: UserAgentInfo;
  geo?: GeoInfo;
  acquisition?: Acquisition;
  /** Cookieless ids to try, today's first, then yesterday's (a visit crossing midnight). */
  visitorCandidates?: string[];
  visitorId?: string;
  sessionId?: string;
  /** When the event's session started, ms since the epoch. */
  sessionStart?: number;
}

/** What the heatmap module sent: a click, a batch of pointer samples or a scroll record. */
export interface HeatmapInput {
  kind: "click" | "move" | "scroll";
  /** Document coordinates (clicks). */
  x: number;
  y: number;
  /** Viewport width and document height. */
  pageWidth: number;
  pageHeight: number;
  selector: string;
  /** Offset of a click inside the clicked element. */
  elemX: number | null;
  elemY: number | null;
  /** 1 rage, 2 dead, 4 error. */
  flags: number;
  /** The page view's id, chosen by the browser (scroll records of one view are combined). */
  pageView: string;
  /** Deepest scroll, percent of the document. */
  depth: number | null;
  /** Seconds each tenth of the document was in view, since the last record. */
  attention: number[] | null;
  /** Pointer samples as x, y pairs in document coordinates. */
  points: number[] | null;
  /** The page's scheme, host and port, where its screenshot can be taken. */
  origin: string;
}

/** A request's events on their way through the pipeline. */
export interface Batch {
  req: IngestRequest;
  site: CollectSite;
  events: WorkingEvent[];
  drops: Partial<Record<DropReason, number>>;
  /** The session state writes assignSession started and did not wait for. */
  saved?: Promise<void>;
}

/** One stored event as it travels through the durable queue: the `events` row plus context. */
export interface QueuedEvent {
  ts: string;
  event_id: string;
  site_id: number;
  visitor_id: string;
  session_id: string;
  type: EventType;
  name: string;
  hostname: string;
  pathname: string;
  title: string;
  referrer: string;
  referrer_host: string;
  source: string;
  medium: string;
  campaign: string;
  content: string;
  term: string;
  channel: string;
  click_id_type: string;
  country: string;
  region: string;
  city: string;
  lat: number | null;
  lon: number | null;
  browser: string;
  browser_version: string;
  os: string;
  os_version: string;
  device: string;
  screen: string;
  language: string;
  timezone: string;
  scroll_depth: number | null;
  engaged_ms: number | null;
  props: Record<string, unknown> | null;
  /** Start of the event's session (ISO): the sessions row's key. */
  session_started_at: string;
  identify?: WorkingEvent["identify"];
  click?: WorkingEvent["click"];
}

/** What goes on the queue per accepted request. */
export interface QueuedBatch {
  events: QueuedEvent[];
}

/** Pipeline outcome: the stored-to-be events, and what was dropped. */
export interface Accepted {
  site: Site;
  events: QueuedEvent[];
  drops: Partial<Record<DropReason, number>>;
  /**
   * Settles when the visitors' session state is stored. It is still in flight when the
   * pipeline answers, so the caller's queue append shares its round trip to the store.
   */
  saved: Promise<void>;
}

/** Counts one dropped event on the batch. */
export function countDrop(batch: Batch, reason: DropReason): void {
  batch.drops[reason] = (batch.drops[reason] ?? 0) + 1;
}

/** Removes the events `reasonFor` names a reason for, counting each. */
export function dropWhere(
  batch: Batch,
  reasonFor: (e: WorkingEvent) => DropReason | null,
): void {
  batch.events = batch.events.filter((e) => {
    const reason = reasonFor(e);
    if (reason) countDrop(batch, reason);
    return reason === null;
  });
}
