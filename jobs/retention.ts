/**
 * The retention job: applies every site's data retention a few times a day. One instance runs
 * it at a time — the others find the lock taken and skip their turn, as the work is the same.
 */
import type { Sql } from "../db/connect.ts";
import type { Logger } from "../lib/log.ts";
import { applyRetention, type RetentionCounts } from "../privacy/retention.ts";

/** How often the job runs. */
export const RETENTION_INTERVAL_MS = 6 * 3_600_000;

/** The session-level advisory lock one instance holds while it applies retention. */
const RETENTION_LOCK = 7295075;

/** Runs retention unless another instance is; answers what it removed (null when skipped). */
export async function runRetention(sql: Sql, log: Logger): Promise<RetentionCounts | null> {
  const conn = await sql.reserve();
  try {
    const [{ ok }] = await conn<
      { ok: boolean }[]
    >`select pg_try_advisory_lock(${RETENTION_LOCK}) as ok`;
    if (!ok) return null;
    try {
      const counts = await applyRetention(conn);
      if (Object.values(counts).some((n) => n > 0)) log.info("retention applied", counts);
      return counts;
    } finally {
      await conn`select pg_advisory_unlock(${RETENTION_LOCK})`.catch(() => {});
    }
  } finally {
    conn.release();
  }
}
