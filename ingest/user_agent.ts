/**
 * User agent → browser, OS and device type, with names people recognise ("Safari", "macOS",
 * "Mobile"). Parsing costs tens of microseconds and the same few hundred agents make most
 * traffic, so answers are cached.
 */
import { UAParser } from "ua-parser-js";
import { Lru } from "./lru.ts";

export interface UserAgentInfo {
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
  /** Desktop | Mobile | Tablet | TV | Console | Wearable | "" (unknown). */
  device: string;
}

const BROWSERS: Record<string, string> = {
  "Mobile Safari": "Safari",
  "Chrome WebView": "Chrome",
  "Mobile Chrome": "Chrome",
  "Mobile Firefox": "Firefox",
  "Android Browser": "Android Browser",
  "Samsung Browser": "Samsung Internet",
  "Edge": "Microsoft Edge",
  "Opera Mobi": "Opera",
  "Opera Touch": "Opera",
  "Facebook": "Facebook",
  "Instagram": "Instagram",
  "GSA": "Google App",
};

const OSES: Record<string, string> = {
  "Mac OS": "macOS",
  "Chromium OS": "ChromeOS",
  "Chrome OS": "ChromeOS",
  "Ubuntu": "Linux",
  "Debian": "Linux",
  "Fedora": "Linux",
  "Arch": "Linux",
};

const DEVICES: Record<string, string> = {
  mobile: "Mobile",
  tablet: "Tablet",
  smarttv: "TV",
  console: "Console",
  wearable: "Wearable",
  embedded: "Other",
};

const cache = new Lru<string, UserAgentInfo>(5000);

/** Major.minor of a version string ("17.4.1" → "17.4"). */
function shortVersion(v: string | undefined): string {
  if (!v) return "";
  return v.split(".").slice(0, 2).join(".");
}

/** Parses a user agent string into display names; pure and cached. */
export function parseUserAgent(ua: string): UserAgentInfo {
  const hit = cache.get(ua);
  if (hit) return hit;
  const r = new UAParser(ua).getResult();
  const browserName = r.browser.name ?? "";
  const osName = r.os.name ?? "";
  let device = r.device.type ? DEVICES[r.device.type] ?? "Other" : "";
  if (!device && (osName || browserName)) {
    // ua-parser leaves desktops untyped; phones and tablets it recognises.
    device = /Android|iOS/.test(osName) ? "Mobile" : "Desktop";
  }
  // iPadOS 13+ reports itself as a Mac; the tracker cannot tell, nor can we.
  const info: UserAgentInfo = {
    browser: BROWSERS[browserName] ?? browserName,
    browserVersion: shortVersion(r.browser.version),
    os: OSES[osName] ?? osName,
    osVersion: osName === "Windows" ? (r.os.version ?? "") : shortVersion(r.os.version),
    device,
  };
  cache.set(ua.slice(0, 512), info);
  return info;
}
