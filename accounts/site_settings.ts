/** Validating and saving a site's settings; every rule has a sentence for the person typing. */
import type { Sql } from "../db/connect.ts";
import { Conflict, Invalid } from "../lib/errors.ts";
import { type BrowserRevenue, normalizeDomain, type Site, SITE_COLUMNS } from "./sites.ts";
import { isCurrencyCode } from "../attribution/currency.ts";

export interface SiteSettingsInput {
  name: string;
  domain: string;
  timezone: string;
  currency: string;
  attribution_window_days: string | number;
  allowed_hosts: string;
  excluded_ips: string;
  excluded_paths: string;
  retention_days: string | number | null;
  cookieless: boolean;
  respect_dnt: boolean;
  heatmaps_enabled: boolean;
  /** auto | on | off; the site's current choice when absent. */
  browser_revenue?: string;
  /** Major units; the site's current limit when absent. */
  revenue_max_major?: string | number;
}

/** Every IANA time zone the runtime knows, for pickers. */
export function timeZones(): string[] {
  const zones = Intl.supportedValuesOf("timeZone");
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

/** Currencies offered in pickers: the common ones first, then every ISO code. */
export function currencies(): string[] {
  const common = [
    "USD",
    "EUR",
    "GBP",
    "CAD",
    "AUD",
    "INR",
    "BRL",
    "JPY",
    "CHF",
    "SEK",
    "NZD",
    "SGD",
  ];
  const all = Intl.supportedValuesOf("currency");
  return [...common, ...all.filter((c) => !common.includes(c))];
}

/** Throws unless `tz` is a time zone name we can apply. */
export function assertTimeZone(tz: string): string {
  const value = tz.trim();
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    if (value) return value === "Etc/UTC" ? "UTC" : value;
  } catch { /* reported below */ }
  throw new Invalid(
    "timezone",
    `"${tz}" isn't a time zone we know. Pick one from the list, like Europe/Paris.`,
  );
}

/** Throws unless `code` is an ISO 4217 currency. */
export function assertCurrency(code: string): string {
  const value = code.trim().toUpperCase();
  if (!isCurrencyCode(value)) {
    throw new Invalid(
      "currency",
      `"${code}" isn't a currency code we know. Use one like USD or EUR.`,
    );
  }
  return value;
}

/** Splits a textarea into its non-empty lines (commas also separate). */
export function lines(text: string): string[] {
  return text.split(/[\n,]+/).map((l) => l.trim()).filter(Boolean);
}

/** Parses allowed hosts: domains, optionally `*.example.com` for every subdomain. */
export function parseAllowedHosts(text: string): string[] {
  const out = new Set<string>();
  for (const line of lines(text)) {
    const wildcard = line.startsWith("*.");
    const host = normalizeDomain(wildcard ? line.slice(2) : line, "allowed_hosts");
    out.add(wildcard ? `*.${host}` : host);
  }
  if (out.size > 50) throw new Invalid("allowed_hosts", "List at most 50 allowed hosts.");
  return [...out];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for an IPv4 or IPv6 address, optionally with a /prefix. */
export function isIpOrCidr(value: string): boolean {
  const [addr, prefix, extra] = value.split("/");
  if (extra !== undefined) return false;
  const v6 = addr.includes(":");
  if (v6) {
    try {
      new URL(`http://[${addr}]/`);
    } catch {
      return false;
    }
  } else if (!IPV4.test(addr)) return false;
  if (prefix === undefined) return true;
  const n = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && n >= 0 && n <= (v6 ? 128 : 32);
}

/** Parses excluded IPs (addresses or CIDR ranges). */
export function parseExcludedIps(text: string): string[] {
  const out = lines(text);
  for (const ip of out) {
    if (!isIpOrCidr(ip)) {
      throw new Invalid(
        "excluded_ips",
        `"${ip}" isn't an IP address or range. Use forms like 203.0.113.7 or 203.0.113.0/24.`,
      );
    }
  }
  if (out.length > 100) throw new Invalid("excluded_ips", "List at most 100 addresses or ranges.");
  return [...new Set(out)];
}

/** Parses excluded paths: each starts with "/", `*` matches within a segment, `**` across. */
export function parseExcludedPaths(text: string): string[] {
  const out = lines(text);
  for (const p of out) {
    if (!p.startsWith("/") || p.length > 200 || /\s/.test(p)) {
      throw new Invalid(
        "excluded_paths",
        `"${p}" isn't a path. Paths start with "/", like /admin or /preview/*.`,
      );
    }
  }
  if (out.length > 100) throw new Invalid("excluded_paths", "List at most 100 paths.");
  return [...new Set(out)];
}

/** Parses the attribution window (whole days, 1–90). */
export function parseAttributionWindow(value: string | number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 90) {
    throw new Invalid(
      "attribution_window_days",
      "The attribution window must be a whole number of days from 1 to 90.",
    );
  }
  return n;
}

/** Parses data retention: empty keeps the default (two years), else 30–1825 days. */
export function parseRetention(value: string | number | null): number | null {
  if (value === null || value === "") return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 30 || n > 1825) {
    throw new Invalid(
      "retention_days",
      "Keep data for 30 to 1825 days, or leave it at the default of two years.",
    );
  }
  return n;
}

/**
 * Whether collect takes purchases the browser reports: "auto" means only until a payment
 * platform is connected (its verified records are better); "on" and "off" are the owner's word.
 */
export function browserRevenueOn(
  site: { browser_revenue: BrowserRevenue; platform_connected: boolean },
): boolean {
  return site.browser_revenue === "auto" ? !site.platform_connected : site.browser_revenue === "on";
}

/** Parses the browser revenue choice. */
export function parseBrowserRevenue(value: string): BrowserRevenue {
  if (value === "auto" || value === "on" || value === "off") return value;
  throw new Invalid("browser_revenue", "Choose automatic, always or never for browser revenue.");
}

/** Parses the most one reported purchase may be (whole units, 1 to 1,000,000,000). */
export function parseRevenueMax(value: string | number): number {
  const n = Number(String(value).replaceAll(",", "").trim());
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000_000) {
    throw new Invalid(
      "revenue_max_major",
      "The largest reported purchase must be a whole amount from 1 to 1,000,000,000.",
    );
  }
  return n;
}

/** Validates everything, then saves; answers the updated site. */
export async function updateSiteSettings(
  sql: Sql,
  site: Site,
  input: SiteSettingsInput,
): Promise<Site> {
  const name = input.name.trim() || site.domain;
  if (name.length > 100) throw new Invalid("name", "Keep the name under 100 characters.");
  const values = {
    name,
    domain: normalizeDomain(input.domain),
    timezone: assertTimeZone(input.timezone),
    currency: assertCurrency(input.currency),
    attribution_window_days: parseAttributionWindow(input.attribution_window_days),
    allowed_hosts: parseAllowedHosts(input.allowed_hosts),
    excluded_ips: parseExcludedIps(input.excluded_ips),
    excluded_paths: parseExcludedPaths(input.excluded_paths),
    retention_days: parseRetention(input.retention_days),
    cookieless: input.cookieless,
    respect_dnt: input.respect_dnt,
    heatmaps_enabled: input.heatmaps_enabled,
    browser_revenue: parseBrowserRevenue(input.browser_revenue ?? site.browser_revenue),
    revenue_max_major: parseRevenueMax(input.revenue_max_major ?? site.revenue_max_major),
  };
  if (values.domain !== site.domain) {
    const [taken] = await sql`
      select 1 from sites where org_id = ${site.org_id} and domain = ${values.domain} and id <> ${site.id}`;
    if (taken) throw new Conflict(`This organization already tracks ${values.domain}.`);
  }
  const [row] = await sql<Site[]>`
    update sites set ${sql(values)} where id = ${site.id} and org_id = ${site.org_id}
    returning ${sql(SITE_COLUMNS as unknown as string[])}`;
  return row;
}
