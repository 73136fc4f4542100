/**
 * Step: drop bots. Crawlers and tools are recognised by their user agent (isbot's list, which
 * includes headless browsers); browsers driven by automation say so through navigator.webdriver,
 * which the tracker reports; browsers running in a cloud datacenter are scripts, not visitors.
 * A tracker request without any user agent is not a browser.
 */
import { isbot } from "isbot";
import { isDatacenterIp } from "./datacenter.ts";
import { Lru } from "./lru.ts";
import type { Batch } from "./types.ts";
import { dropWhere } from "./types.ts";

const verdicts = new Lru<string, boolean>(5000);

/** True when the user agent belongs to a crawler, a tool or a headless browser. */
export function isBotUserAgent(ua: string): boolean {
  let v = verdicts.get(ua);
  if (v === undefined) {
    v = isbot(ua) || /headless|phantomjs|electron|puppeteer|playwright/i.test(ua);
    verdicts.set(ua, v);
  }
  return v;
}

/** Drops bot and automated traffic, counting it. */
export function dropBots(batch: Batch): void {
  const fromBrowser = batch.req.via === "tracker";
  dropWhere(batch, (e) => {
    if (e.automated) return "automation";
    if (!e.userAgent) return fromBrowser ? "bot" : null;
    if (isBotUserAgent(e.userAgent)) return "bot";
    return fromBrowser && e.ip && isDatacenterIp(e.ip) ? "datacenter" : null;
  });
}
