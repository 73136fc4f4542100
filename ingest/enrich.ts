/**
 * Steps: parse the user agent, geolocate, classify the source. Thin wrappers that apply the pure
 * functions (user_agent.ts, geo.ts, source.ts) to every event of a batch.
 */
import { parseUserAgent as parseUa, type UserAgentInfo } from "./user_agent.ts";
import { geolocate as lookup } from "./geo.ts";
import { type Acquisition, classifySource as classify } from "./source.ts";
import { Lru } from "./lru.ts";
import { siteHosts } from "./validate.ts";
import type { Batch } from "./types.ts";

const NO_UA: UserAgentInfo = { browser: "", browserVersion: "", os: "", osVersion: "", device: "" };

/** Adds browser, OS and device to each event. */
export function parseUserAgent(batch: Batch): void {
  for (const e of batch.events) e.ua = e.userAgent ? parseUa(e.userAgent) : NO_UA;
}

/** Adds country, region, city and coarse coordinates to each event. */
export function geolocate(batch: Batch): void {
  for (const e of batch.events) e.geo = lookup(e.ip);
}

// Landing query strings and referrers repeat a lot (the same campaign links, the same
// search engine), so classifications are cached by what they depend on.
const acquisitions = new Lru<string, Acquisition>(20_000);

/** Adds source, medium, campaign and channel from the page's tags and the referrer. */
export function classifySource(batch: Batch): void {
  const hosts = siteHosts(batch.site);
  const siteKey = hosts.join(",");
  for (const e of batch.events) {
    const key = `${siteKey}\u0000${e.params.toString()}\u0000${e.referrer}`;
    let a = acquisitions.get(key);
    if (!a) acquisitions.set(key, a = classify(e.params, e.referrer, hosts));
    e.acquisition = a;
  }
}
