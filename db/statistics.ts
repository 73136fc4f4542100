/** Planner statistics for databases without autovacuum (the embedded one). */
import type { Sql } from "./connect.ts";

/** How often the embedded database's statistics are gathered again. */
export const STATISTICS_INTERVAL_MS = 15 * 60_000;

/** Gathers planner statistics for every table (what autovacuum's analyze does on a server). */
export async function gatherStatistics(sql: Sql): Promise<void> {
  await sql`analyze`;
}
