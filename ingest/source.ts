/**
 * Where a visit came from: the page URL's UTM tags (or `ref`/`via`/`source`), click ids and the
 * referrer become a normalized source, medium, campaign and GA4 channel. Pure, so demo data and
 * tests use it directly.
 */
import { type Channel, channelFor } from "./channel.ts";
import {
  normalizeSourceValue,
  type SourceCategory,
  sourceForApp,
  sourceForHost,
} from "./source_names.ts";

export interface Acquisition {
  source: string;
  medium: string;
  campaign: string;
  content: string;
  term: string;
  channel: Channel;
  /** The referrer's host ("" when none or internal). */
  referrerHost: string;
  /** gclid | fbclid | msclkid | ttclid | "" */
  clickIdType: string;
}

/** Click ids we recognise, and what an untagged click with one means. */
const CLICK_IDS: Array<[string, string, string]> = [
  ["gclid", "Google", "cpc"],
  ["gbraid", "Google", "cpc"],
  ["wbraid", "Google", "cpc"],
  ["msclkid", "Bing", "cpc"],
  ["ttclid", "TikTok", "cpc"],
  ["twclid", "X", "cpc"],
  ["li_fat_id", "LinkedIn", "cpc"],
  // Facebook adds fbclid to every outbound link, paid or not.
  ["fbclid", "Facebook", "referral"],
];

const clip = (v: string | null | undefined, n = 200) => (v ?? "").trim().slice(0, n);

/** True when `host` is the site itself (or one of its hosts): a self-referral, not a source. */
export function isInternalHost(host: string, siteHosts: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/^www\./, "");
  return siteHosts.some((s) => {
    const d = s.toLowerCase().replace(/^www\./, "").replace(/:\d+$/, "");
    return h === d || h.endsWith("." + d);
  });
}

/**
 * Classifies one landing: `params` are the page URL's query parameters, `referrer` the
 * document referrer (may be an `android-app://` URL), `siteHosts` the site's own hosts.
 */
export function classifySource(
  params: URLSearchParams,
  referrer: string,
  siteHosts: readonly string[] = [],
): Acquisition {
  let referrerHost = "";
  let fromReferrer: { name: string; category: SourceCategory; medium: string } | null = null;
  if (referrer) {
    let url: URL | null = null;
    try {
      url = new URL(referrer);
    } catch {
      url = null;
    }
    if (url?.protocol === "android-app:") {
      const pkg = url.hostname;
      const known = sourceForApp(pkg);
      referrerHost = pkg;
      fromReferrer = known
        ? { ...known, medium: known.category === "search" ? "organic" : "referral" }
        : { name: pkg, category: "", medium: "app" };
    } else if (url && (url.protocol === "http:" || url.protocol === "https:")) {
      const host = url.hostname.toLowerCase().replace(/^www\./, "");
      if (host && !isInternalHost(host, siteHosts)) {
        referrerHost = host;
        const known = sourceForHost(host);
        fromReferrer = known
          ? { ...known, medium: known.category === "search" ? "organic" : "referral" }
          : { name: host, category: "", medium: "referral" };
      }
    }
  }

  let clickIdType = "";
  let clickSource: (typeof CLICK_IDS)[number] | undefined;
  for (const c of CLICK_IDS) {
    if (params.get(c[0])) {
      clickIdType = c[0];
      clickSource = c;
      break;
    }
  }

  const tagged = clip(params.get("utm_source")) || clip(params.get("ref")) ||
    clip(params.get("via")) || clip(params.get("source"));
  let medium = clip(params.get("utm_medium")).toLowerCase();
  const campaign = clip(params.get("utm_campaign"));
  const content = clip(params.get("utm_content"));
  const term = clip(params.get("utm_term"));

  let source = "";
  let category: SourceCategory = "";
  if (tagged) {
    const n = normalizeSourceValue(tagged);
    source = n.name;
    category = n.category;
    // ?ref=producthunt with no medium: a link someone shared.
    if (!medium && fromReferrer) medium = fromReferrer.medium;
  } else if (clickSource) {
    const fromClick = normalizeSourceValue(clickSource[1]);
    source = fromClick.name;
    category = fromClick.category;
    medium ||= clickSource[0] === "fbclid" ? "referral" : clickSource[2];
  } else if (fromReferrer) {
    source = fromReferrer.name;
    category = fromReferrer.category;
    medium ||= fromReferrer.medium;
  }
  // An untagged referral from a known brand keeps the brand's category even when a medium
  // was given ("?utm_medium=cpc" on a Google referral is Paid Search).
  if (!category && fromReferrer && source === fromReferrer.name) category = fromReferrer.category;

  return {
    source,
    medium,
    campaign,
    content,
    term,
    channel: channelFor({ source, category, medium, campaign }),
    referrerHost,
    clickIdType,
  };
}
