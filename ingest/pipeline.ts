/**
 * The ingest pipeline, Plausible-style: an explicit, ordered list of small steps. Each step
 * enriches the batch's events or drops some with a named reason. Reading STEPS tells you the
 * whole pipeline; validate runs first and turns the raw request into a batch.
 */
import type { KeyValue } from "../bus/mod.ts";
import { type SiteLookup, validate } from "./validate.ts";
import { dropExcluded } from "./exclusions.ts";
import { dropBots } from "./bots.ts";
import { classifySource, geolocate, parseUserAgent } from "./enrich.ts";
import { identifyVisitor, type SaltSource } from "./visitor.ts";
import { assignSession } from "./session.ts";
import { isoTime } from "../lib/iso_time.ts";
import type { Accepted, Batch, IngestRequest, QueuedEvent, WorkingEvent } from "./types.ts";

export interface PipelineDeps {
  sites: SiteLookup;
  kv: KeyValue;
  salts: SaltSource;
}

export interface Step {
  name: string;
  run(batch: Batch, deps: PipelineDeps): void | Promise<void>;
}

/** Every step after validate, in order. */
export const STEPS: readonly Step[] = [
  { name: "dropExcluded", run: dropExcluded },
  { name: "dropBots", run: dropBots },
  { name: "parseUserAgent", run: parseUserAgent },
  { name: "geolocate", run: geolocate },
  { name: "classifySource", run: classifySource },
  { name: "identifyVisitor", run: (b, d) => identifyVisitor(b, d.salts) },
  { name: "assignSession", run: (b, d) => assignSession(b, d.kv) },
];

/** The queued row for an enriched event. The IP and user agent stop here. */
export function toQueued(siteId: number, e: WorkingEvent): QueuedEvent {
  const a = e.acquisition!;
  const g = e.geo!;
  const u = e.ua!;
  const row: QueuedEvent = {
    ts: isoTime(e.ts),
    event_id: e.eventId,
    site_id: siteId,
    visitor_id: e.visitorId!,
    session_id: e.sessionId!,
    type: e.type,
    name: e.name,
    hostname: e.hostname,
    pathname: e.pathname,
    title: e.title,
    referrer: e.referrer,
    referrer_host: a.referrerHost,
    source: a.source,
    medium: a.medium,
    campaign: a.campaign,
    content: a.content,
    term: a.term,
    channel: a.channel,
    click_id_type: a.clickIdType,
    country: g.country,
    region: g.region,
    city: g.city,
    lat: g.lat,
    lon: g.lon,
    browser: u.browser,
    browser_version: u.browserVersion,
    os: u.os,
    os_version: u.osVersion,
    device: u.device,
    screen: e.screen,
    language: e.language,
    timezone: e.timezone,
    scroll_depth: e.scrollDepth,
    engaged_ms: e.engagedMs,
    props: e.props,
    session_started_at: isoTime(e.sessionStart!),
  };
  if (e.identify) row.identify = e.identify;
  if (e.click) row.click = e.click;
  return row;
}

/** Runs a request through validate and every step; throws the 4xx errors validate raises. */
export async function runPipeline(req: IngestRequest, deps: PipelineDeps): Promise<Accepted> {
  const batch = await validate(req, deps.sites);
  for (const step of STEPS) {
    if (batch.events.length === 0) break;
    // Most steps are synchronous; awaiting only real promises saves a tick per step.
    const pending = step.run(batch, deps);
    if (pending) await pending;
  }
  return {
    site: batch.site,
    events: batch.events.map((e) => toQueued(batch.site.id, e)),
    drops: batch.drops,
    saved: batch.saved ?? Promise.resolve(),
  };
}
