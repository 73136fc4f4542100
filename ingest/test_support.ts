/** Helpers for ingest tests: a site to send to, bodies the tracker would send, a wait. */
import type { Sql } from "../db/connect.ts";
import { type CollectSite, createSite, type Site } from "../accounts/sites.ts";
import { createMemoryBus } from "../bus/memory.ts";
import type { PipelineDeps } from "./pipeline.ts";
import type { DailySalts } from "./visitor.ts";

export const CHROME_UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
export const IPHONE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

/** An org with one site; `settings` overrides columns of the site (cookieless, exclusions…). */
export async function createTestSite(
  sql: Sql,
  settings: Partial<
    Pick<
      Site,
      | "cookieless"
      | "respect_dnt"
      | "heatmaps_enabled"
      | "excluded_ips"
      | "excluded_paths"
      | "allowed_hosts"
    >
  > = {},
  domain = "example.com",
): Promise<Site> {
  const [org] = await sql<
    { id: number }[]
  >`insert into orgs (name) values ('Test org') returning id`;
  const site = await createSite(sql, { orgId: org.id, domain });
  const merged = { ...site, ...settings };
  await sql`
    update sites set cookieless = ${merged.cookieless}, respect_dnt = ${merged.respect_dnt},
      heatmaps_enabled = ${merged.heatmaps_enabled}, excluded_ips = ${merged.excluded_ips},
      excluded_paths = ${merged.excluded_paths}, allowed_hosts = ${merged.allowed_hosts}
    where id = ${site.id}`;
  return merged;
}

/** A tracker body with one pageview (override anything). */
export function pageviewBody(
  site: Site,
  opts: { v?: string; url?: string; referrer?: string; title?: string } = {},
) {
  return {
    s: site.public_id,
    v: opts.v ?? "visitor-0001",
    sc: "1920x1080",
    l: "en-US",
    z: "Europe/Berlin",
    e: [{
      t: "pageview",
      u: opts.url ?? `https://${site.domain}/`,
      r: opts.referrer ?? "",
      ti: opts.title ?? "Home",
    }],
  };
}
export { waitFor } from "../testing/wait.ts";

/** A site as the database would return it, for tests of pure steps. */
export function siteFixture(overrides: Partial<CollectSite> = {}): CollectSite {
  return {
    id: 1,
    org_id: 1,
    public_id: "pub123",
    domain: "example.com",
    name: "Example",
    allowed_hosts: [],
    timezone: "UTC",
    currency: "USD",
    attribution_window_days: 30,
    cookieless: false,
    respect_dnt: false,
    heatmaps_enabled: false,
    browser_revenue: "auto",
    revenue_max_major: 100_000,
    platform_connected: false,
    excluded_ips: [],
    excluded_paths: [],
    retention_days: null,
    first_event_at: null,
    created_at: new Date(),
    ...overrides,
  };
}

/** A tracker request for `site` carrying `events` (the compact body shape). */
export function trackerRequest(
  site: Site,
  events: Array<Record<string, unknown>>,
  opts: { v?: string; ip?: string; ua?: string; now?: number; extra?: Record<string, unknown> } =
    {},
) {
  return {
    via: "tracker" as const,
    body: { s: site.public_id, v: opts.v ?? "visitor-0001", e: events, ...opts.extra },
    ip: opts.ip ?? "81.2.69.142",
    userAgent: opts.ua ?? CHROME_UA,
    origin: `https://${site.domain}`,
    now: opts.now ?? Date.now(),
  };
}

/** Pipeline dependencies for one site: an in-process session store and fixed salts. */
export function pipelineDeps(
  site: Site | CollectSite,
  salts: DailySalts = { today: "s", yesterday: null },
): PipelineDeps {
  return {
    sites: { byPublicId: () => Promise.resolve({ platform_connected: false, ...site }) },
    kv: createMemoryBus().kv,
    salts: { current: () => Promise.resolve(salts) },
  };
}
