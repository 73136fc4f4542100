/**
 * Work that must not overlap across instances, run on a connection of its own: migrations, and
 * the plain-PostgreSQL rollup refresh.
 */
import type { Sql } from "./connect.ts";

export type ReservedSql = Awaited<ReturnType<Sql["reserve"]>>;

/**
 * Runs `fn` on a reserved connection while holding the session-level advisory lock `key`. The
 * lock is taken before anything `fn` starts, so a transaction `fn` opens after waiting sees what
 * the previous holder committed.
 */
export async function withSessionLock<T>(
  sql: Sql,
  key: number,
  fn: (conn: ReservedSql) => Promise<T>,
): Promise<T> {
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${key})`;
    try {
      return await fn(conn);
    } finally {
      await conn`select pg_advisory_unlock(${key})`.catch(() => {});
    }
  } finally {
    conn.release();
  }
}

/** `fn` between `begin` (our own constant text, e.g. with an isolation level) and commit. */
export async function inTransaction<T>(
  conn: ReservedSql,
  fn: () => Promise<T>,
  begin = "begin",
): Promise<T> {
  await conn.unsafe(begin);
  try {
    const result = await fn();
    await conn`commit`;
    return result;
  } catch (e) {
    await conn`rollback`.catch(() => {});
    throw e;
  }
}
