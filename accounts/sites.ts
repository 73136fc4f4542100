/** Sites: the domains a user tracks, with their settings; lookups are always scoped. */
import type { Sql } from "../db/connect.ts";
import { Conflict, Invalid } from "../lib/errors.ts";
import type { Role } from "./orgs.ts";

export interface Site {
  id: number;
  org_id: number;
  public_id: string;
  domain: string;
  name: string;
  allowed_hosts: string[];
  timezone: string;
  currency: string;
  attribution_window_days: number;
  cookieless: boolean;
  respect_dnt: boolean;
  heatmaps_enabled: boolean;
  /** Whether purchases the browser reports are taken: auto = only while no platform is connected. */
  browser_revenue: BrowserRevenue;
  /** The most one purchase reported by the browser or the events API may be, in major units. */
  revenue_max_major: number;
  excluded_ips: string[];
  excluded_paths: string[];
  retention_days: number | null;
  first_event_at: Date | null;
  created_at: Date;
}

export type BrowserRevenue = "auto" | "on" | "off";

/** A site as collect sees it: with whether a payment platform is connected to it. */
export interface CollectSite extends Site {
  platform_connected: boolean;
}

export const SITE_COLUMNS = [
  "id",
  "org_id",
  "public_id",
  "domain",
  "name",
  "allowed_hosts",
  "timezone",
  "currency",
  "attribution_window_days",
  "cookieless",
  "respect_dnt",
  "heatmaps_enabled",
  "browser_revenue",
  "revenue_max_major",
  "excluded_ips",
  "excluded_paths",
  "retention_days",
  "first_event_at",
  "created_at",
] as const;

const HOSTNAME =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const LOCALHOST = /^localhost(:\d+)?$|^127\.0\.0\.1(:\d+)?$/;

/**
 * Turns what a user typed ("https://www.Example.com/pricing") into the bare host we store
 * ("example.com"); throws Invalid with a sentence when it is not a domain.
 */
export function normalizeDomain(input: string, field = "domain"): string {
  let v = input.trim().toLowerCase();
  if (!v) throw new Invalid(field, "Please enter your site's domain, like example.com.");
  v = v.replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
  v = v.split(/[/?#]/)[0];
  v = v.replace(/^www\./, "").replace(/\.$/, "");
  try {
    // Converts international names to their ASCII (punycode) form.
    v = new URL(`http://${v}`).host;
  } catch {
    throw new Invalid(field, `"${input.trim()}" doesn't look like a domain. Try example.com.`);
  }
  if (!HOSTNAME.test(v.replace(/:\d+$/, "")) && !LOCALHOST.test(v)) {
    throw new Invalid(field, `"${input.trim()}" doesn't look like a domain. Try example.com.`);
  }
  return v;
}

/** A public tracking id: 12 characters from an unambiguous alphabet. */
export function newPublicId(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}

/** Creates a site in an org; throws Conflict when the org already tracks that domain. */
export async function createSite(
  sql: Sql,
  input: { orgId: number; domain: string; name?: string; timezone?: string; currency?: string },
): Promise<Site> {
  const domain = normalizeDomain(input.domain);
  const rows = await sql<Site[]>`
    insert into sites (org_id, public_id, domain, name, timezone, currency)
    values (${input.orgId}, ${newPublicId()}, ${domain}, ${input.name?.trim() || domain},
            ${input.timezone ?? "UTC"}, ${(input.currency ?? "USD").toUpperCase()})
    on conflict (org_id, domain) do nothing
    returning ${sql(SITE_COLUMNS as unknown as string[])}`;
  if (rows.length === 0) throw new Conflict(`This organization already tracks ${domain}.`);
  return rows[0];
}

/** The site with this public tracking id, or null. */
export async function findSiteByPublicId(
  sql: Sql,
  publicId: string,
): Promise<CollectSite | null> {
  const [row] = await sql<CollectSite[]>`
    select ${sql(SITE_COLUMNS as unknown as string[])},
      sextant_platform_connected(id) as platform_connected
    from sites where public_id = ${publicId}`;
  return row ?? null;
}

/** The site if `userId` belongs to its org, with their role; otherwise null (callers 404). */
export async function findSiteForUser(
  sql: Sql,
  userId: number,
  siteId: number,
): Promise<{ site: Site; role: Role } | null> {
  if (!Number.isSafeInteger(siteId) || siteId <= 0) return null;
  const [row] = await sql<(Site & { role: Role })[]>`
    select ${sql(SITE_COLUMNS.map((c) => `s.${c}`) as unknown as string[])}, m.role
    from sites s join memberships m on m.org_id = s.org_id and m.user_id = ${userId}
    where s.id = ${siteId}`;
  if (!row) return null;
  const { role, ...site } = row;
  return { site: site as Site, role };
}

/** Sites of one org, by name. */
export function listSitesInOrg(sql: Sql, orgId: number): Promise<Site[]> {
  return sql<Site[]>`
    select ${sql(SITE_COLUMNS as unknown as string[])} from sites
    where org_id = ${orgId} order by name, id`;
}

/** Every site the user can see across their organizations. */
export function listSitesForUser(sql: Sql, userId: number): Promise<(Site & { role: Role })[]> {
  return sql<(Site & { role: Role })[]>`
    select ${sql(SITE_COLUMNS.map((c) => `s.${c}`) as unknown as string[])}, m.role
    from sites s join memberships m on m.org_id = s.org_id
    where m.user_id = ${userId}
    order by s.name, s.id`;
}

/** The site with this id, unscoped: only for callers that authorized access another way. */
export async function findSiteById(sql: Sql, siteId: number): Promise<Site | null> {
  if (!Number.isSafeInteger(siteId) || siteId <= 0) return null;
  const [row] = await sql<Site[]>`
    select ${sql(SITE_COLUMNS as unknown as string[])} from sites where id = ${siteId}`;
  return row ?? null;
}

/** Whether a payment platform is connected to the site. */
export async function platformConnected(sql: Sql, siteId: number): Promise<boolean> {
  const [row] = await sql<{ on: boolean }[]>`select sextant_platform_connected(${siteId}) as on`;
  return row.on;
}
