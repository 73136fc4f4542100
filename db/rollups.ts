/**
 * Keeps the hourly rollups current. With TimescaleDB the continuous aggregates are refreshed
 * (needed where no background workers run, e.g. embedded, and for late data); on plain
 * PostgreSQL the dirty buckets recorded by triggers are recomputed, and with them the daily
 * rollups in each site's time zone.
 */
import type { Sql } from "./connect.ts";
import { usesTimescale } from "./migrate.ts";

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
  // One transaction: readers never see daily rows that disagree with the hourly ones.
  return await sql.begin(async (tx) => {
    const [row] = await tx<{ n: number }[]>`select refresh_rollups() as n`;
    await tx`select refresh_day_rollups()`;
    return row.n;
  });
}
