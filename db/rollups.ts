/**
 * Keeps the rollups current, the same way in every mode (plain PostgreSQL, a TimescaleDB server,
 * embedded): writers mark the (site, hour) buckets they changed (markRollups, or rollup_mark()
 * in their own statements), and the refresh recomputes exactly those hours, then the daily
 * rollups in each site's time zone from the earliest changed day.
 *
 * One refresh serves every tenant, so a failure is kept to what caused it: a site whose rollups
 * fail is logged by id and refreshed on its own from then on, while every other site goes on.
 */
import type { Sql } from "./connect.ts";
import type { Logger } from "../lib/log.ts";
import { inTransaction, type ReservedSql, withSessionLock } from "./session_lock.ts";

/** The session-level advisory lock refreshes take turns on: several instances share a database. */
const REFRESH_LOCK = 7295014;

/**
 * What changed rows belong to: a raw table (hourly and daily rollups), or attribution credits
 * (daily revenue by dimension), which are marked by their purchase's time.
 */
export type RollupSource = "events" | "sessions" | "purchases" | "credits";

/** One changed row: its site and the time its table buckets it by. */
export interface RollupChange {
  siteId: number;
  at: Date | string;
}

/**
 * Marks the hours these rows of `source` fall in for the next refresh. Call it in the
 * transaction that wrote them, or after it committed — never before: a refresh in between would
 * take the mark and miss the rows.
 */
export async function markRollups(
  sql: Sql | ReservedSql,
  source: RollupSource,
  changes: readonly RollupChange[],
): Promise<void> {
  if (changes.length === 0) return;
  const sites = changes.map((c) => c.siteId);
  const times = changes.map((c) => new Date(c.at).toISOString());
  await sql`select rollup_mark(${source}, ${sites}::bigint[], ${times}::timestamptz[])`;
}

/** Marks every hour of a site's raw rows, after a bulk load that went around the writers. */
export async function markSiteRollups(sql: Sql, siteId: number): Promise<void> {
  await sql`select rollup_mark_site(${siteId})`;
}

/** Per database: sites whose last refresh failed, kept out of the shared transaction. */
const failing = new WeakMap<Sql, Set<number>>();

/** Brings every rollup up to date with the raw tables; returns how many hour marks it took. */
export async function refreshRollups(sql: Sql, log?: Logger): Promise<number> {
  let skip = failing.get(sql);
  if (!skip) failing.set(sql, skip = new Set());
  const quarantined = skip;
  // Refreshes queue on a session lock taken before their transactions start: at repeatable
  // read (below), one that waited inside would work from a snapshot older than the rows the
  // other just changed, and fail to serialize.
  return await withSessionLock(sql, REFRESH_LOCK, async (conn) => {
    let n = 0;
    try {
      n += await refreshSites(conn, null, [...quarantined]);
    } catch (error) {
      // Something in one site's rows fails the shared refresh: find it by going site by site.
      log?.warn("rollup refresh failed; refreshing site by site", { error });
      const rows = await conn<{ id: number }[]>`
        select s as id from rollup_pending_sites(${[...quarantined]}::bigint[]) s order by 1`;
      for (const { id } of rows) quarantined.add(id);
    }
    for (const siteId of [...quarantined].sort((a, b) => a - b)) {
      try {
        n += await refreshSites(conn, siteId, []);
        quarantined.delete(siteId);
      } catch (error) {
        log?.error("rollup refresh failed for a site", { siteId, error });
      }
    }
    return n;
  });
}

/**
 * One transaction over the hourly then the daily rollups of one site (`only`), or of every site
 * but `skip`: readers never see daily rows that disagree with the hourly ones. Repeatable read
 * gives both halves one snapshot: at read committed, a visit stored between them marked its
 * day for the daily half, which then rebuilt that day from hourly rows without it and consumed
 * the mark, so the day stayed short until something else touched it.
 */
function refreshSites(conn: ReservedSql, only: number | null, skip: number[]): Promise<number> {
  return inTransaction(conn, async () => {
    const [row] = await conn<{ n: number }[]>`
      select refresh_rollups(${only}::bigint, ${skip}::bigint[]) as n`;
    await conn`select refresh_day_rollups(${only}::bigint, ${skip}::bigint[])`;
    return row.n;
  }, "begin isolation level repeatable read");
}

/** Whether a site has stored rows its rollups do not count yet: hours or days marked since. */
export async function rollupsBehind(sql: Sql, siteId: number): Promise<boolean> {
  const [row] = await sql<{ behind: boolean }[]>`
    select exists (select 1 from rollup_dirty where site_id = ${siteId})
        or exists (select 1 from day_rollup_dirty where site_id = ${siteId}) as behind`;
  return row.behind;
}
