import assert from "node:assert/strict";
import { createTestDatabase } from "../testing/db.ts";
import { silentLogger } from "../lib/log.ts";
import { createSiteWithOwner, daysBefore, insertSession } from "../testing/journeys.ts";
import { createScheduler } from "./scheduler.ts";
import { RETENTION_JOB, runRetention, scheduleRetention } from "./retention.ts";

Deno.test("the retention job runs on one instance at a time and deletes what is past retention", async () => {
  const db = await createTestDatabase();
  const sql = db.sql;
  try {
    const { site } = await createSiteWithOwner(sql);
    await insertSession(sql, site.id, {
      visitorId: "gone",
      startedAt: daysBefore(new Date(), 731),
    });
    await insertSession(sql, site.id, {
      visitorId: "kept",
      startedAt: daysBefore(new Date(), 729),
    });

    // Another instance in the middle of a run holds the lock: this one skips its turn.
    const other = await sql.reserve();
    try {
      await other`select pg_advisory_lock(7295075)`;
      assert.equal(await runRetention(sql, silentLogger), null);
      await other`select pg_advisory_unlock(7295075)`;
    } finally {
      other.release();
    }

    const counts = await runRetention(sql, silentLogger);
    assert.equal(counts?.sessions, 1);
    assert.equal(counts?.events, 1);
    const left = await sql`select visitor_id from sessions where site_id = ${site.id}`;
    assert.deepEqual(left.map((r) => r.visitor_id), ["kept"]);
  } finally {
    await db.close();
  }
});

Deno.test("refused ingest batches are kept 30 days for an operator, then deleted", async () => {
  const db = await createTestDatabase();
  const sql = db.sql;
  try {
    const payload = new TextEncoder().encode('{"v":"visitor-1"}');
    await sql`insert into ingest_rejects (created_at, error, payload)
      values (now() - interval '31 days', 'old', ${payload}),
             (now() - interval '29 days', 'recent', ${payload})`;
    const counts = await runRetention(sql, silentLogger);
    assert.equal(counts?.ingest_rejects, 1);
    const left = await sql`select error from ingest_rejects`;
    assert.deepEqual(left.map((r) => r.error), ["recent"]);
  } finally {
    await db.close();
  }
});

Deno.test("two instances scheduling retention on one database run it once per interval", async () => {
  const db = await createTestDatabase();
  const sql = db.sql;
  const instances = [createScheduler(silentLogger), createScheduler(silentLogger)];
  try {
    const { site } = await createSiteWithOwner(sql);
    const expired = (visitorId: string) =>
      insertSession(sql, site.id, { visitorId, startedAt: daysBefore(new Date(), 731) });
    const left = async () =>
      (await sql`select visitor_id from sessions where site_id = ${site.id} order by 1`)
        .map((r) => r.visitor_id);
    for (const s of instances) scheduleRetention(s, sql, silentLogger);

    await expired("first");
    await Promise.all(instances.map((s) => s.runNow(RETENTION_JOB)));
    assert.deepEqual(await left(), [], "both due at once: one of them applies retention");

    // The other instance, started hours later, comes due within the same interval: it skips.
    await expired("second");
    await instances[1].runNow(RETENTION_JOB);
    assert.deepEqual(await left(), ["second"], "not again within the interval");

    // An interval later, whichever instance comes first takes the turn.
    await sql`update job_turns set ran_at = ran_at - interval '6 hours'
      where name = ${RETENTION_JOB}`;
    await instances[1].runNow(RETENTION_JOB);
    assert.deepEqual(await left(), []);
  } finally {
    await Promise.all(instances.map((s) => s.stop()));
    await db.close();
  }
});
