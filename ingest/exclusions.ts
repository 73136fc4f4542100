/**
 * Step: drop what the site or the visitor asked us not to count — Do-Not-Track/GPC when the
 * site honours it, the site's excluded IPs and paths, heatmap clicks when heatmaps are off,
 * revenue from the browser when the site does not take it.
 * (The tracker itself stops for visitors who opted out with localStorage.sextant_ignore.)
 */
import type { Batch, DropReason } from "./types.ts";
import { dropWhere } from "./types.ts";
import { ipv4ToNumber } from "./ip.ts";
import { browserRevenueOn } from "../accounts/site_settings.ts";

/** Parses "203.0.113.7" or "203.0.113.0/24" into a matcher; IPv6 is matched exactly. */
export function ipMatcher(rule: string): (ip: string) => boolean {
  const [base, bitsText] = rule.trim().split("/");
  const b = ipv4ToNumber(base);
  if (b === null || bitsText === undefined) {
    const exact = base.toLowerCase();
    return (ip) => ip.toLowerCase() === exact;
  }
  const bits = Math.min(32, Math.max(0, Number(bitsText) || 0));
  const size = 2 ** (32 - bits);
  const start = Math.floor(b / size) * size;
  return (ip) => {
    const n = ipv4ToNumber(ip);
    return n !== null && n >= start && n < start + size;
  };
}

/**
 * The anchored regular expression for a path pattern like "/blog/**": `*` matches within a
 * segment, `**` across segments, everything else literally. Goals hand the same source to
 * PostgreSQL (`~`), so a pattern matches the same paths at ingest and in reports.
 */
export function pathPatternSource(pattern: string): string {
  const re = pattern.trim().split("**").map((part) =>
    part.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")
  ).join(".*");
  return `^${re}$`;
}

/** Turns "/admin/*" into a matcher; `*` matches within a segment, `**` across segments. */
export function pathMatcher(pattern: string): (path: string) => boolean {
  const rx = new RegExp(pathPatternSource(pattern));
  return (path) => rx.test(path);
}

const matchers = new Map<string, (v: string) => boolean>();
function cached(kind: string, rule: string, make: (r: string) => (v: string) => boolean) {
  const key = `${kind}\u0000${rule}`;
  let m = matchers.get(key);
  if (!m) {
    if (matchers.size > 10_000) matchers.clear();
    matchers.set(key, m = make(rule));
  }
  return m;
}

/** Drops opted-out, excluded and unwanted events with a named reason. */
export function dropExcluded(batch: Batch): void {
  const { site } = batch;
  const ips = site.excluded_ips.map((r) => cached("ip", r, ipMatcher));
  const paths = site.excluded_paths.map((r) => cached("path", r, pathMatcher));
  const browserOn = browserRevenueOn(site);
  dropWhere(batch, (e): DropReason | null => {
    if (e.dnt && site.respect_dnt) return "dnt";
    if (e.ip && ips.some((m) => m(e.ip))) return "excluded_ip";
    if (paths.length && paths.some((m) => m(e.pathname))) return "excluded_path";
    if (e.type === "click" && !site.heatmaps_enabled) return "heatmaps_off";
    if (e.type === "revenue" && batch.req.via === "tracker" && !browserOn) {
      return "browser_revenue_off";
    }
    return null;
  });
}
