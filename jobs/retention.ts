/**
 * The retention job: applies every site's data retention a few times a day. Every instance
 * schedules it; one of them runs it per interval (`takeTurn`), as the work is the same whoever
 * does it. The lock also keeps a run that outlasts an interval from overlapping the next.
 */
import type { Sql } from "../db/connect.ts";
import type { Logger } from "../lib/log.ts";
import type { Scheduler } from "./scheduler.ts";
import { takeTurn } from "./turns.ts";
import { applyRetention, type RetentionCounts } from "../privacy/retention.ts";

/** The job's name. */
export const RETENTION_JOB = "retention";
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

/** Schedules retention on this instance; instances take turns, so it runs once per interval. */
export function scheduleRetention(scheduler: Scheduler, sql: Sql, log: Logger): void {
  scheduler.every(RETENTION_JOB, RETENTION_INTERVAL_MS, async () => {
    if (await takeTurn(sql, RETENTION_JOB, RETENTION_INTERVAL_MS)) await runRetention(sql, log);
  });
}
