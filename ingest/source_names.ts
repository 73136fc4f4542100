/**
 * Normalized source names: referrer hosts, android-app referrers and common utm_source
 * spellings all become the one name a person expects ("t.co" → "X"), together with the
 * category GA4's channel rules ask about (search, social, video, shopping, email).
 */

export type SourceCategory = "search" | "social" | "video" | "shopping" | "email" | "ai" | "";

interface Known {
  name: string;
  category: SourceCategory;
  /** Hosts, matched on the registrable part and any subdomain ("l.facebook.com"). */
  hosts?: string[];
  /** Android package names seen in `android-app://…` referrers. */
  apps?: string[];
  /** utm_source / ref spellings, lower case. */
  aliases?: string[];
}

const KNOWN: Known[] = [
  // Search engines.
  {
    name: "Google",
    category: "search",
    hosts: ["google", "googleadservices.com", "googlesyndication.com"],
    apps: ["com.google.android.googlequicksearchbox", "com.google.android.gm.lite"],
    aliases: ["google", "adwords", "google ads", "googleads", "gads"],
  },
  {
    name: "Bing",
    category: "search",
    hosts: ["bing.com", "msn.com", "cn.bing.com"],
    aliases: ["bing", "microsoft", "msads"],
  },
  { name: "DuckDuckGo", category: "search", hosts: ["duckduckgo.com"], aliases: ["duckduckgo"] },
  { name: "Yahoo!", category: "search", hosts: ["yahoo.com", "yahoo.co.jp"], aliases: ["yahoo"] },
  { name: "Yandex", category: "search", hosts: ["yandex", "ya.ru"], aliases: ["yandex"] },
  { name: "Baidu", category: "search", hosts: ["baidu.com"], aliases: ["baidu"] },
  { name: "Ecosia", category: "search", hosts: ["ecosia.org"], aliases: ["ecosia"] },
  { name: "Brave", category: "search", hosts: ["search.brave.com"], aliases: ["brave"] },
  { name: "Startpage", category: "search", hosts: ["startpage.com"], aliases: ["startpage"] },
  { name: "Qwant", category: "search", hosts: ["qwant.com"], aliases: ["qwant"] },
  { name: "Naver", category: "search", hosts: ["naver.com"], aliases: ["naver"] },
  { name: "Kagi", category: "search", hosts: ["kagi.com"], aliases: ["kagi"] },
  // AI assistants (GA4 has no channel for them; they land in Referral).
  {
    name: "ChatGPT",
    category: "ai",
    hosts: ["chatgpt.com", "chat.openai.com"],
    aliases: ["chatgpt", "chatgpt.com", "openai"],
  },
  { name: "Perplexity", category: "ai", hosts: ["perplexity.ai"], aliases: ["perplexity"] },
  { name: "Claude", category: "ai", hosts: ["claude.ai"], aliases: ["claude"] },
  { name: "Gemini", category: "ai", hosts: ["gemini.google.com"], aliases: ["gemini"] },
  // Social networks.
  {
    name: "Facebook",
    category: "social",
    hosts: ["facebook.com", "fb.com", "fb.me", "messenger.com"],
    apps: ["com.facebook.katana", "com.facebook.lite", "com.facebook.orca"],
    aliases: ["facebook", "fb", "facebook.com", "meta", "fb_ad", "facebook_ads"],
  },
  {
    name: "Instagram",
    category: "social",
    hosts: ["instagram.com"],
    apps: ["com.instagram.android"],
    aliases: ["instagram", "ig", "insta", "instagram.com"],
  },
  {
    name: "X",
    category: "social",
    hosts: ["t.co", "twitter.com", "x.com"],
    apps: ["com.twitter.android"],
    aliases: ["twitter", "x", "tw", "t.co", "x.com", "twitter.com"],
  },
  {
    name: "LinkedIn",
    category: "social",
    hosts: ["linkedin.com", "lnkd.in"],
    apps: ["com.linkedin.android"],
    aliases: ["linkedin", "li", "linkedin.com"],
  },
  {
    name: "Reddit",
    category: "social",
    hosts: ["reddit.com", "redd.it"],
    apps: ["com.reddit.frontpage"],
    aliases: ["reddit", "reddit.com"],
  },
  {
    name: "Pinterest",
    category: "social",
    hosts: ["pinterest.com", "pin.it"],
    apps: ["com.pinterest"],
    aliases: ["pinterest"],
  },
  {
    name: "TikTok",
    category: "social",
    hosts: ["tiktok.com"],
    apps: ["com.zhiliaoapp.musically", "com.ss.android.ugc.trill"],
    aliases: ["tiktok", "tt", "tiktok.com"],
  },
  {
    name: "Threads",
    category: "social",
    hosts: ["threads.net", "threads.com"],
    aliases: ["threads"],
  },
  { name: "Bluesky", category: "social", hosts: ["bsky.app"], aliases: ["bluesky", "bsky"] },
  { name: "Mastodon", category: "social", hosts: ["mastodon.social"], aliases: ["mastodon"] },
  {
    name: "Hacker News",
    category: "social",
    hosts: ["news.ycombinator.com"],
    aliases: ["hackernews", "hacker news", "hn", "ycombinator"],
  },
  {
    name: "Product Hunt",
    category: "social",
    hosts: ["producthunt.com"],
    aliases: ["producthunt"],
  },
  { name: "Quora", category: "social", hosts: ["quora.com"], aliases: ["quora"] },
  {
    name: "Discord",
    category: "social",
    hosts: ["discord.com", "discord.gg"],
    aliases: ["discord"],
  },
  {
    name: "WhatsApp",
    category: "social",
    hosts: ["whatsapp.com", "wa.me"],
    apps: ["com.whatsapp"],
    aliases: ["whatsapp"],
  },
  {
    name: "Telegram",
    category: "social",
    hosts: ["t.me", "telegram.org"],
    apps: ["org.telegram.messenger"],
    aliases: ["telegram"],
  },
  {
    name: "Slack",
    category: "social",
    hosts: ["slack.com"],
    apps: ["com.slack"],
    aliases: ["slack"],
  },
  { name: "Substack", category: "social", hosts: ["substack.com"], aliases: ["substack"] },
  { name: "Medium", category: "social", hosts: ["medium.com"], aliases: ["medium.com"] },
  // Video.
  {
    name: "YouTube",
    category: "video",
    hosts: ["youtube.com", "youtu.be", "youtube-nocookie.com"],
    apps: ["com.google.android.youtube"],
    aliases: ["youtube", "yt", "youtube.com"],
  },
  { name: "Vimeo", category: "video", hosts: ["vimeo.com"], aliases: ["vimeo"] },
  { name: "Twitch", category: "video", hosts: ["twitch.tv"], aliases: ["twitch"] },
  // Shopping.
  { name: "Amazon", category: "shopping", hosts: ["amazon"], aliases: ["amazon"] },
  { name: "eBay", category: "shopping", hosts: ["ebay"], aliases: ["ebay"] },
  { name: "Etsy", category: "shopping", hosts: ["etsy.com"], aliases: ["etsy"] },
  {
    name: "Shopify",
    category: "shopping",
    hosts: ["shopify.com", "shop.app"],
    aliases: ["shopify"],
  },
  // Email clients and newsletters.
  {
    name: "Gmail",
    category: "email",
    hosts: ["mail.google.com"],
    apps: ["com.google.android.gm"],
    aliases: ["gmail"],
  },
  {
    name: "Outlook",
    category: "email",
    hosts: ["outlook.live.com", "outlook.office.com", "outlook.office365.com"],
    apps: ["com.microsoft.office.outlook"],
    aliases: ["outlook"],
  },
  { name: "Yahoo! Mail", category: "email", hosts: ["mail.yahoo.com"] },
  { name: "GitHub", category: "", hosts: ["github.com"], aliases: ["github"] },
];

const byHost = new Map<string, Known>();
const byLabel = new Map<string, Known>();
const byApp = new Map<string, Known>();
const byAlias = new Map<string, Known>();
const byName = new Map<string, Known>();
for (const k of KNOWN) {
  byName.set(k.name.toLowerCase(), k);
  for (const h of k.hosts ?? []) (h.includes(".") ? byHost : byLabel).set(h, k);
  for (const a of k.apps ?? []) byApp.set(a, k);
  for (const a of k.aliases ?? []) byAlias.set(a, k);
}

export interface SourceName {
  name: string;
  category: SourceCategory;
}

/** The known source for a host ("l.facebook.com" → Facebook), or null. */
export function sourceForHost(host: string): SourceName | null {
  const h = host.toLowerCase().replace(/^www\./, "").replace(/^m\./, "");
  // Longest suffix first: "mail.google.com" before "google.com".
  const parts = h.split(".");
  for (let i = 0; i < parts.length - 1; i++) {
    const k = byHost.get(parts.slice(i).join("."));
    if (k) return k;
  }
  // Country-spread brands: google.de, google.co.uk, amazon.fr, yandex.ru.
  for (const p of parts.slice(0, -1)) {
    const k = byLabel.get(p);
    if (k) return k;
  }
  return null;
}

/** The known source for an android app package ("com.google.android.gm" → Gmail), or null. */
export function sourceForApp(pkg: string): SourceName | null {
  return byApp.get(pkg.toLowerCase()) ?? null;
}

/**
 * A utm_source / ref value as a display name: known spellings are normalized ("fb" →
 * Facebook, "youtube.com" → YouTube); anything else is kept as the site owner wrote it.
 */
export function normalizeSourceValue(value: string): SourceName {
  const v = value.trim();
  const lower = v.toLowerCase();
  const k = byAlias.get(lower) ?? byName.get(lower) ??
    (/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(lower) ? sourceForHost(lower) : null);
  if (k) return k;
  if (/^(e-?mail|e_mail|e mail|newsletter)$/.test(lower)) return { name: v, category: "email" };
  return { name: v.slice(0, 200), category: "" };
}
