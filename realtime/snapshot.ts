/** Builds a live snapshot (active visitors, latest purchases) from the database. */
import type { Sql, TransactionSql } from "../db/connect.ts";
import {
  ACTIVE_WINDOW_MS,
  FEED_SIZE,
  type FeedPurchase,
  type LiveSnapshot,
  type LiveVisitor,
  SNAPSHOT_VISITOR_LIMIT,
} from "./live_state.ts";
import {
  activeVisitors,
  type PurchaseRow,
  recentPurchases,
  sessionStats,
  visitorsWithPurchases,
} from "./live_queries.ts";

/** A purchase row as a feed line. */
export function purchaseLine(r: PurchaseRow): FeedPurchase {
  return {
    id: r.id,
    ts: r.ts.toISOString(),
    kind: r.kind,
    amountMinor: r.amount_minor,
    currency: r.currency,
    amountSiteMinor: r.amount_site_minor,
    product: r.product,
    visitorId: r.visitor_id,
    source: r.source,
    channel: r.channel,
    country: r.country,
    city: r.city,
    lat: r.lat,
    lon: r.lon,
  };
}

/** Active visitors and the purchase feed of one site, as of now. */
export async function loadSnapshot(
  sql: Sql | TransactionSql,
  site: { id: number; currency: string },
  opts: { visitorLimit?: number } = {},
): Promise<LiveSnapshot> {
  const [{ now }] = await sql<{ now: Date }[]>`select now() as now`;
  const rows = await activeVisitors(
    sql,
    site.id,
    ACTIVE_WINDOW_MS,
    opts.visitorLimit ?? SNAPSHOT_VISITOR_LIMIT,
  );
  const [stats, buyers, purchases] = await Promise.all([
    sessionStats(sql, site.id, [...new Set(rows.map((r) => r.session_id))]),
    visitorsWithPurchases(sql, site.id, rows.map((r) => r.visitor_id)),
    recentPurchases(sql, site.id, FEED_SIZE),
  ]);
  const bySession = new Map(stats.map((s) => [s.session_id, s]));
  const visitors: LiveVisitor[] = rows.map((r) => {
    const s = bySession.get(r.session_id);
    return {
      visitorId: r.visitor_id,
      sessionId: r.session_id,
      startedAt: (s?.started_at ?? r.ts).toISOString(),
      lastSeenAt: r.ts.toISOString(),
      hostname: s?.hostname ?? r.hostname,
      page: s?.page ?? r.pathname,
      title: s?.title ?? r.title,
      pages: s?.pages ?? 0,
      source: r.source,
      channel: r.channel,
      country: r.country,
      region: r.region,
      city: r.city,
      lat: r.lat,
      lon: r.lon,
      device: r.device,
      browser: r.browser,
      os: r.os,
      goals: s?.goals ?? [],
      purchased: buyers.has(r.visitor_id),
    };
  });
  const activeCount = rows[0]?.total ?? 0;
  return {
    siteId: site.id,
    at: now.toISOString(),
    activeCount,
    truncated: activeCount > visitors.length,
    visitors,
    purchases: purchases.map(purchaseLine),
    currency: site.currency,
  };
}
