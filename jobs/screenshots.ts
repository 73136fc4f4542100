/**
 * Page screenshots for heatmaps: full-page WebP images of a site's page at each layout width
 * (1440, 820 and 390 px), rendered by the system Chromium through puppeteer-core and stored in
 * DATA_DIR/screenshots. Requested from the heatmap page and refreshed weekly.
 *
 * Limits: one browser per run, at most two pages at once, 30 s per page, the height capped at
 * 16,000 px. Only the site's own domains are rendered, and every request the page makes —
 * redirects and subresources included — goes through the outbound guard (no private, loopback
 * or metadata addresses unless OUTBOUND_ALLOW_PRIVATE). The page's own Sextant tracker is told
 * to ignore the visit. A failure is stored with its reason and retried later.
 */
import type { Browser, HTTPRequest } from "puppeteer-core";
import type { Sql } from "../db/connect.ts";
import type { Site } from "../accounts/sites.ts";
import { checkOutboundUrl, OutboundRefused } from "../lib/outbound.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { type Layout, LAYOUT_WIDTHS, LAYOUTS } from "../lib/layout.ts";
import type { Logger } from "../lib/log.ts";
import { chromiumInstalled, launchChromium } from "../lib/chromium.ts";

export const SCREENSHOT_JOB = "screenshots";
/** How often the job looks for due screenshots. */
export const SCREENSHOT_INTERVAL_MS = 60_000;
/** Screenshots are taken again after this long. */
export const REFRESH_MS = 7 * 86_400_000;
export const PAGE_TIMEOUT_MS = 30_000;
export const MAX_HEIGHT = 16_000;
const CONCURRENCY = 2;
/** Screenshots claimed per run. */
const BATCH = 6;

/** One stored screenshot request and its outcome. */
export interface ScreenshotRow {
  site_id: number;
  pathname: string;
  layout: Layout;
  url: string;
  status: "pending" | "rendering" | "done" | "failed";
  error: string;
  file: string;
  width: number;
  height: number;
  bytes: number;
  attempts: number;
  taken_at: Date | null;
  /** Boxes of the clicked elements found on the page: selector → [x, y, width, height]. */
  rects: Record<string, ElementRect>;
}

/** An element's box in screenshot pixels: x, y, width, height. */
export type ElementRect = [number, number, number, number];

/** How many of a page's most clicked selectors are measured (the elements table shows 50). */
export const MEASURED_SELECTORS = 50;

/** What the job needs to know about its environment. */
export interface ScreenshotEnv {
  sql: Sql;
  dataDir: string;
  chromiumPath: string;
  allowPrivate: boolean;
  log?: Logger;
  timeoutMs?: number;
}

/** The hosts a site's pages may be rendered from: its domain, subdomains, allowed hosts. */
export function onSiteDomains(site: Pick<Site, "domain" | "allowed_hosts">, host: string) {
  const h = host.toLowerCase();
  return [site.domain, ...site.allowed_hosts].some((d) => {
    const base = d.toLowerCase();
    return h === base || h.endsWith("." + base);
  });
}

/** Asks for screenshots of a page at every layout (again, if they exist); runs soon. */
export async function requestScreenshots(
  sql: Sql,
  site: Pick<Site, "id" | "domain" | "allowed_hosts">,
  pathname: string,
  url: string,
): Promise<void> {
  const parsed = URL.parse(url);
  if (!parsed || !onSiteDomains(site, parsed.hostname)) {
    throw new OutboundRefused(
      `Screenshots are taken only of pages on ${site.domain} and its allowed hosts.`,
    );
  }
  for (const layout of LAYOUTS) {
    await sql`
      insert into heatmap_screenshots (site_id, pathname, layout, url)
      values (${site.id}, ${pathname}, ${layout}, ${url})
      on conflict (site_id, pathname, layout) do update set
        url = excluded.url, requested_at = now(), next_attempt_at = now(), attempts = 0,
        status = case when heatmap_screenshots.status = 'rendering' then 'rendering'
                      else 'pending' end`;
  }
}

/** The screenshots of a page, one per layout that has been requested. */
export function screenshotsOf(sql: Sql, siteId: number, pathname: string) {
  return sql<ScreenshotRow[]>`
    select site_id, pathname, layout, url, status, error, file, width, height, bytes, attempts,
           taken_at, rects
    from heatmap_screenshots where site_id = ${siteId} and pathname = ${pathname}
    order by layout`;
}

/** The file a screenshot is stored in, relative to DATA_DIR. */
async function fileName(siteId: number, pathname: string, layout: Layout): Promise<string> {
  return `screenshots/${siteId}/${(await sha256Hex(pathname)).slice(0, 24)}-${layout}.webp`;
}

/** Reads a stored screenshot's bytes, or null when there is none. */
export async function readScreenshot(dataDir: string, row: ScreenshotRow) {
  if (!row.file || row.file.includes("..")) return null;
  return await Deno.readFile(`${dataDir}/${row.file}`).catch(() => null);
}

/** Why a render failed, in words for the heatmap page. */
function reasonOf(e: unknown): string {
  if (e instanceof OutboundRefused) return `Blocked: ${e.message}`;
  const err = e as Error;
  if (err?.name === "TimeoutError") {
    return "Timed out: the page took longer than 30 seconds to load.";
  }
  return `The page could not be rendered: ${String(err?.message ?? e).slice(0, 300)}`;
}

/** A refused request of the page, remembered so the failure can name it. */
interface Guard {
  blocked: string | null;
}

/** Checks every request of a page: navigations stay on the site, nothing reaches private ones. */
async function guardRequest(
  req: HTTPRequest,
  site: Pick<Site, "domain" | "allowed_hosts">,
  allowPrivate: boolean,
  guard: Guard,
) {
  if (req.isInterceptResolutionHandled()) return;
  const url = req.url();
  if (/^(data|blob|about):/.test(url)) return req.continue();
  try {
    const parsed = await checkOutboundUrl(url, { allowPrivate });
    if (req.isNavigationRequest() && req.frame()?.parentFrame() === null) {
      if (!onSiteDomains(site, parsed.hostname)) {
        throw new OutboundRefused(`${parsed.hostname} is not one of the site's domains.`);
      }
    }
    await req.continue();
  } catch (e) {
    if (req.isNavigationRequest() && req.frame()?.parentFrame() === null) {
      guard.blocked = e instanceof OutboundRefused ? e.message : String(e);
    }
    await req.abort("blockedbyclient").catch(() => {});
  }
}

/**
 * Renders one page at one width into WebP bytes, measuring the boxes of `selectors` (those the
 * page has); throws with a reason on failure.
 */
export async function renderPage(
  browser: Browser,
  site: Pick<Site, "domain" | "allowed_hosts">,
  url: string,
  width: number,
  opts: { allowPrivate: boolean; timeoutMs?: number; selectors?: string[] },
): Promise<{ image: Uint8Array; height: number; rects: Record<string, ElementRect> }> {
  const parsed = await checkOutboundUrl(url, { allowPrivate: opts.allowPrivate });
  if (!onSiteDomains(site, parsed.hostname)) {
    throw new OutboundRefused(`${parsed.hostname} is not one of the site's domains.`);
  }
  const page = await browser.newPage();
  const guard: Guard = { blocked: null };
  try {
    await page.setViewport({ width, height: 900 });
    // The page's own Sextant tracker must not count this visit.
    await page.evaluateOnNewDocument(() => {
      try {
        localStorage.setItem("sextant_ignore", "1");
      } catch {
        // Storage may be blocked; the server drops automated browsers as bots anyway.
      }
    });
    await page.setRequestInterception(true);
    page.on("request", (req) => {
      guardRequest(req, site, opts.allowPrivate, guard).catch(() => {});
    });
    const timeout = opts.timeoutMs ?? PAGE_TIMEOUT_MS;
    let res;
    try {
      res = await page.goto(parsed.href, { waitUntil: "load", timeout });
    } catch (e) {
      if (guard.blocked) throw new OutboundRefused(guard.blocked);
      throw e;
    }
    if (guard.blocked) throw new OutboundRefused(guard.blocked);
    if (res && res.status() >= 400) throw new Error(`HTTP ${res.status()}.`);
    const height = Math.min(
      MAX_HEIGHT,
      Math.max(
        1,
        await page.evaluate(() =>
          Math.max(document.documentElement.scrollHeight, document.body?.scrollHeight ?? 0)
        ),
      ),
    );
    const image = await page.screenshot({
      type: "webp",
      quality: 80,
      clip: { x: 0, y: 0, width, height },
      captureBeyondViewport: true,
    });
    const rects = await page.evaluate((selectors: string[]) => {
      const found: Record<string, [number, number, number, number]> = {};
      for (const selector of selectors) {
        try {
          const r = document.querySelector(selector)?.getBoundingClientRect();
          if (!r || r.width <= 0 || r.height <= 0) continue;
          found[selector] = [r.left + scrollX, r.top + scrollY, r.width, r.height].map(
            Math.round,
          ) as [number, number, number, number];
        } catch {
          // A selector this browser cannot read: its clicks outline it instead.
        }
      }
      return found;
    }, opts.selectors ?? []);
    return { image, height, rects };
  } finally {
    await page.close().catch(() => {});
  }
}

/** The page's most clicked selectors at the screenshot's layout, from the daily rollups. */
async function clickedSelectors(sql: Sql, row: ScreenshotRow): Promise<string[]> {
  const rows = await sql<{ selector: string }[]>`
    select selector from heatmap_elements
    where site_id = ${row.site_id} and pathname = ${row.pathname} and layout = ${row.layout}
      and selector <> ''
    group by selector order by sum(clicks) desc, selector limit ${MEASURED_SELECTORS}`;
  return rows.map((r) => r.selector);
}

/** Claims due screenshots (so another instance skips them) and returns them with their site. */
async function claimDue(sql: Sql, limit: number) {
  return await sql<(ScreenshotRow & { domain: string; allowed_hosts: string[] })[]>`
    with due as (
      select site_id, pathname, layout from heatmap_screenshots
      where (status <> 'rendering' and next_attempt_at <= now())
         or (status = 'rendering' and claimed_at < now() - interval '10 minutes')
      order by next_attempt_at limit ${limit}
      for update skip locked
    )
    update heatmap_screenshots h set status = 'rendering', claimed_at = now(),
      attempts = h.attempts + 1
    from due, sites s
    where h.site_id = due.site_id and h.pathname = due.pathname and h.layout = due.layout
      and s.id = h.site_id
    returning h.site_id, h.pathname, h.layout, h.url, h.status, h.error, h.file, h.width,
      h.height, h.bytes, h.attempts, h.taken_at, h.rects, s.domain, s.allowed_hosts`;
}

/** Pages per site given a first screenshot without being asked. */
export const FIRST_SCREENSHOT_PAGES = 3;

/**
 * Asks for a first screenshot of each heatmap site's most clicked pages (last 30 days) that
 * have none, at the address they were last seen on; returns how many pages it asked for. A page
 * seen only off the site's domains gets failed rows saying so, so it is not asked for again.
 */
export async function requestFirstScreenshots(sql: Sql): Promise<number> {
  const pages = await sql<{ site_id: number; pathname: string }[]>`
    select p.site_id, p.pathname from (
      select t.site_id, t.pathname,
        row_number() over (partition by t.site_id order by sum(t.count) desc, t.pathname) as n
      from heatmap_totals t join sites s on s.id = t.site_id and s.heatmaps_enabled
      where t.kind = 'click' and t.day >= current_date - 30
        and not exists (select 1 from heatmap_screenshots h
          where h.site_id = t.site_id and h.pathname = t.pathname)
      group by t.site_id, t.pathname
    ) p where p.n <= ${FIRST_SCREENSHOT_PAGES} order by p.site_id, p.n`;
  for (const p of pages) {
    const [site] = await sql<Pick<Site, "id" | "domain" | "allowed_hosts">[]>`
      select id, domain, allowed_hosts from sites where id = ${p.site_id}`;
    const [seen] = await sql<{ origin: string }[]>`
      select origin from heatmap_clicks
      where site_id = ${p.site_id} and pathname = ${p.pathname} and kind = 'click' and origin <> ''
      order by ts desc limit 1`;
    const url = (seen?.origin ?? `https://${site.domain}`) + p.pathname;
    try {
      await requestScreenshots(sql, site, p.pathname, url);
    } catch (e) {
      if (!(e instanceof OutboundRefused)) throw e;
      for (const layout of LAYOUTS) {
        await sql`
          insert into heatmap_screenshots (site_id, pathname, layout, url, status, error,
            next_attempt_at)
          values (${site.id}, ${p.pathname}, ${layout}, ${url}, 'failed',
            ${`Blocked: ${e.message}`}, 'infinity')
          on conflict (site_id, pathname, layout) do nothing`;
      }
    }
  }
  return pages.length;
}

/**
 * Renders every due screenshot, two at a time, with one browser, after asking for the first
 * ones of pages that have none; returns how many ran.
 */
export async function runScreenshots(env: ScreenshotEnv): Promise<number> {
  if (chromiumInstalled(env.chromiumPath)) await requestFirstScreenshots(env.sql);
  const rows = await claimDue(env.sql, BATCH);
  if (rows.length === 0) return 0;
  const fail = (row: ScreenshotRow, reason: string) =>
    env.sql`
      update heatmap_screenshots set status = 'failed', error = ${reason},
        next_attempt_at = now() + least(interval '1 day', interval '1 hour' * ${row.attempts})
      where site_id = ${row.site_id} and pathname = ${row.pathname} and layout = ${row.layout}`;
  if (!chromiumInstalled(env.chromiumPath)) {
    for (const row of rows) {
      await fail(
        row,
        `Chromium is not installed at ${env.chromiumPath}: install it or set CHROMIUM_PATH.`,
      );
    }
    return rows.length;
  }
  const browser = await launchChromium(env.chromiumPath);
  try {
    const queue = [...rows];
    const worker = async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        try {
          const width = LAYOUT_WIDTHS[row.layout];
          const shot = await renderPage(browser, row, row.url, width, {
            allowPrivate: env.allowPrivate,
            timeoutMs: env.timeoutMs,
            selectors: await clickedSelectors(env.sql, row),
          });
          const file = await fileName(row.site_id, row.pathname, row.layout);
          await Deno.mkdir(`${env.dataDir}/screenshots/${row.site_id}`, { recursive: true });
          await Deno.writeFile(`${env.dataDir}/${file}`, shot.image);
          await env.sql`
            update heatmap_screenshots set status = 'done', error = '', file = ${file},
              width = ${width}, height = ${shot.height}, bytes = ${shot.image.byteLength},
              rects = ${env.sql.json(shot.rects)},
              taken_at = now(), attempts = 0,
              next_attempt_at = now() + ${`${REFRESH_MS / 1000} seconds`}::interval
            where site_id = ${row.site_id} and pathname = ${row.pathname}
              and layout = ${row.layout}`;
        } catch (e) {
          env.log?.warn("screenshot failed", { url: row.url, layout: row.layout, error: e });
          await fail(row, reasonOf(e));
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    await browser.close().catch(() => {});
  }
  return rows.length;
}
