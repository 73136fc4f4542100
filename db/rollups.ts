/**
 * Keeps the hourly rollups current. With TimescaleDB the continuous aggregates are refreshed
 * (needed where no background workers run, e.g. embedded, and for late data); on plain
 * PostgreSQL the dirty buckets recorded by triggers are recomputed, and with them the daily
 * rollups in each site's time zone.
 */
import type { Sql } from "./connect.ts";
import { usesTimescale } from "./migrate.ts";
import { inTransaction, withSessionLock } from "./session_lock.ts";

/** The session-level advisory lock refreshes on plain PostgreSQL take turns on. */
const REFRESH_LOCK = 7295014;

/** Brings every rollup up to date with the raw tables; returns buckets or views refreshed. */
export async function refreshRollups(sql: Sql): Promise<number> {
  if (await usesTimescale(sql)) {
    const views = await sql<{ name: string }[]>`
      select view_name as name from timescaledb_information.continuous_aggregates
      where view_schema = current_schema() order by view_name`;
    for (const { name } of views) {
      await sql`call refresh_continuous_aggregate(${name}::regclass, null, null)`;
    }
    return views.length;
  }
  // Refreshes queue on a session lock taken before their transaction starts: at repeatable read
  // (below), one that waited inside would work from a snapshot older than the rows the other
  // just changed, and fail to serialize.
  return await withSessionLock(sql, REFRESH_LOCK, (conn) =>
    // One transaction: readers never see daily rows that disagree with the hourly ones.
    // Repeatable read gives both halves one snapshot: at read committed, a visit stored between
    // them marked its day for the daily half, which then rebuilt that day from hourly rows
    // without it and consumed the mark, so the day stayed short until something else touched it.
    inTransaction(conn, async () => {
      const [row] = await conn<{ n: number }[]>`select refresh_rollups() as n`;
      await conn`select refresh_day_rollups()`;
      return row.n;
    }, "begin isolation level repeatable read"));
}
