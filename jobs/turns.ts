/**
 * Turns for jobs that must run once per interval whichever instance runs them (several instances
 * share a database and each schedules every job). A lock held during the run only keeps runs
 * from overlapping; instances started hours apart would still each run the job once per
 * interval. The claim is one statement on a row per job, so two instances never both win it.
 */
import type { Sql } from "../db/connect.ts";

/**
 * Claims this interval's turn of job `name`; false when another instance ran it less than an
 * interval ago. A little slack keeps the instance whose timer fires a few ms early its turn.
 */
export async function takeTurn(sql: Sql, name: string, intervalMs: number): Promise<boolean> {
  const since = `${Math.round(intervalMs * 0.9)} milliseconds`;
  const won = await sql`
    insert into job_turns (name, ran_at) values (${name}, now())
    on conflict (name) do update set ran_at = excluded.ran_at
      where job_turns.ran_at <= now() - ${since}::interval
    returning name`;
  return won.length > 0;
}
