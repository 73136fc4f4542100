/** Why events were dropped, in words a site owner can act on (the install page shows them). */
import type { AppContext } from "../http/context.ts";
import type { DropReason } from "./types.ts";
import { dropCounts } from "./store.ts";
import { ingestorFor } from "./ingestor.ts";

const WHY: Record<DropReason, string> = {
  bot: "sent by a bot or crawler (its user agent says so)",
  automation:
    "sent by an automated or headless browser (Puppeteer, Playwright, Selenium…), which counts as a bot: open your site in an ordinary browser window",
  datacenter: "sent from a cloud or datacenter address, which counts as a bot",
  opt_out: "sent by a browser that opted out of tracking",
  dnt: "sent by a browser with Do Not Track on, which this site respects",
  excluded_ip: "sent from an IP address excluded in this site's settings",
  excluded_path: "on a page path excluded in this site's settings",
  heatmaps_off: "heatmap clicks, which are off for this site",
  browser_revenue_off: "revenue sent from the browser, which this site does not accept",
  wrong_origin:
    "sent from a page whose host is not in this site's allowed hosts (add it in the site's settings)",
};

/** The sentence fragment saying why events with this reason were dropped. */
export function whyDropped(reason: string): string {
  return WHY[reason as DropReason] ?? `dropped (${reason})`;
}

export interface DropSummary {
  reason: string;
  count: number;
  /** whyDropped(reason) */
  why: string;
}

/**
 * A site's dropped events of the last 7 days, by reason: what is stored plus what this instance
 * has counted but not yet written (written every few seconds).
 */
export async function recentDrops(ctx: AppContext, siteId: number): Promise<DropSummary[]> {
  const since = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
  const counts = new Map<string, number>();
  for (const { reason, count } of await dropCounts(ctx.db.sql, siteId, since)) {
    counts.set(reason, Number(count));
  }
  for (const [reason, n] of Object.entries(ingestorFor(ctx).drops.pendingFor(siteId))) {
    counts.set(reason, (counts.get(reason) ?? 0) + (n ?? 0));
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([reason, count]) => ({
    reason,
    count,
    why: whyDropped(reason),
  }));
}
