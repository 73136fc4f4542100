/**
 * Course enrollments: who was enrolled in which course, and when it ended. Course platforms report
 * them apart from payments (free courses, bundles and manual enrollments have no charge), so they
 * are kept beside purchases and read by the customer timeline and the revenue page.
 */
import type { Sql } from "../db/connect.ts";

/** One enrollment statement from a platform. */
export interface EnrollmentInput {
  siteId: number;
  provider: string;
  /** Stable across webhooks and backfills (`course:<id>:user:<id>`): stored once. */
  key: string;
  email?: string;
  course: string;
  enrolledAt: Date;
  /** When it was disabled or expired; null while active. */
  endedAt: Date | null;
  /** When the platform stated this state; an older statement never overwrites a newer one. */
  stateAt: Date;
}

/**
 * Stores an enrollment, or updates the one with its key. Replays and overlapping syncs are no-ops;
 * a statement older than the stored one keeps the stored state (a late "created" never revives a
 * disabled enrollment) but may still fill in the email or course name.
 */
export async function recordEnrollment(sql: Sql, e: EnrollmentInput): Promise<void> {
  const email = (e.email ?? "").trim().toLowerCase();
  await sql`
    insert into course_enrollments as c (site_id, provider, enrollment_key, email, customer_id,
      course, enrolled_at, ended_at, state_at)
    values (${e.siteId}, ${e.provider}, ${e.key}, ${email},
      sextant_customer_for(${e.siteId}, ${email}, ${e.enrolledAt}), ${e.course}, ${e.enrolledAt},
      ${e.endedAt}, ${e.stateAt})
    on conflict (site_id, provider, enrollment_key) do update set
      email = case when excluded.email <> '' then excluded.email else c.email end,
      customer_id = coalesce(excluded.customer_id, c.customer_id),
      course = case when excluded.course <> '' then excluded.course else c.course end,
      enrolled_at = least(c.enrolled_at, excluded.enrolled_at),
      ended_at = case when excluded.state_at >= c.state_at then excluded.ended_at
        else c.ended_at end,
      state_at = greatest(c.state_at, excluded.state_at)`;
}

/** Enrollments that began in [from, to), and how many of them have ended since. */
export async function enrollmentCounts(
  sql: Sql,
  siteId: number,
  from: Date,
  to: Date,
): Promise<{ enrolled: number; ended: number }> {
  const [row] = await sql<{ enrolled: number; ended: number }[]>`
    select count(*)::int as enrolled, count(ended_at)::int as ended
    from course_enrollments
    where site_id = ${siteId} and enrolled_at >= ${from} and enrolled_at < ${to}`;
  return row ?? { enrolled: 0, ended: 0 };
}
