/**
 * Keeps the hourly rollups current. With TimescaleDB the continuous aggregates are refreshed
 * (needed where no background workers run, e.g. embedded, and for late data); on plain
 * PostgreSQL the dirty buckets recorded by triggers are recomputed, and with them the daily
 * rollups in each site's time zone.
 *
 * One refresh serves every tenant, so a failure is kept to what caused it: a continuous
 * aggregate that fails does not stop the others, and on plain PostgreSQL a site whose rollups
 * fail is logged by id and refreshed on its own from then on, while every other site goes on.
 */
import type { Sql } from "./connect.ts";
import type { Logger } from "../lib/log.ts";
import { usesTimescale } from "./migrate.ts";
import { inTransaction, type ReservedSql, withSessionLock } from "./session_lock.ts";

/**
 * The session-level advisory lock refreshes take turns on, in both modes: several instances on
 * one database refresh on the same schedule, and TimescaleDB refuses a second refresh of a
 * continuous aggregate while one runs ("due to a concurrent refresh").
 */
const REFRESH_LOCK = 7295014;

/** Per database: sites whose last refresh failed, kept out of the shared transaction. */
const failing = new WeakMap<Sql, Set<number>>();

/** Brings every rollup up to date with the raw tables; returns buckets or views refreshed. */
export async function refreshRollups(sql: Sql, log?: Logger): Promise<number> {
  if (await usesTimescale(sql)) return await refreshAggregates(sql, log);
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

/**
 * Refreshes each continuous aggregate on its own, so one that fails holds back no other, under
 * the session lock (a session lock, not a transaction: refresh_continuous_aggregate cannot run
 * inside one).
 */
function refreshAggregates(sql: Sql, log?: Logger): Promise<number> {
  return withSessionLock(sql, REFRESH_LOCK, async (conn) => {
    const views = await conn<{ name: string }[]>`
      select view_name as name from timescaledb_information.continuous_aggregates
      where view_schema = current_schema() order by view_name`;
    let n = 0;
    for (const { name } of views) {
      try {
        await conn`call refresh_continuous_aggregate(${name}::regclass, null, null)`;
        n++;
      } catch (error) {
        log?.error("continuous aggregate refresh failed", { view: name, error });
      }
    }
    return n;
  });
}

/**
 * Whether a site has stored rows its rollups do not count yet. On plain PostgreSQL these are the
 * hours and days marked dirty since the last refresh; TimescaleDB's continuous aggregates add
 * rows not yet materialized when read, so they are never behind.
 */
export async function rollupsBehind(sql: Sql, siteId: number): Promise<boolean> {
  if (await usesTimescale(sql)) return false;
  const [row] = await sql<{ behind: boolean }[]>`
    select exists (select 1 from rollup_dirty where site_id = ${siteId})
        or exists (select 1 from day_rollup_dirty where site_id = ${siteId}) as behind`;
  return row.behind;
}
