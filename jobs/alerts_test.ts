import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { createSiteWithOwner } from "../testing/journeys.ts";
import { createScheduler } from "./scheduler.ts";
import { silentLogger } from "../lib/log.ts";
import { ALERT_EVALUATION_JOB, registerAlertJobs } from "./alerts.ts";

Deno.test("two instances scheduling alert evaluation on one database evaluate once per interval", async () => {
  const app = await startTestApp();
  const sql = app.db.sql;
  const instances = [createScheduler(silentLogger), createScheduler(silentLogger)];
  try {
    const { site } = await createSiteWithOwner(sql);
    await sql`update sites set first_event_at = now() - interval '1 day' where id = ${site.id}`;
    // Evaluating a site first gives it the built-in rules: how many it has tells a run happened.
    const rules = async () =>
      (await sql`select count(*)::int as n from alert_rules where site_id = ${site.id}`)[0].n;
    for (const s of instances) registerAlertJobs(app.ctx, s);

    await Promise.all(instances.map((s) => s.runNow(ALERT_EVALUATION_JOB)));
    assert.ok(await rules() > 0, "one of them evaluates");

    // The other instance, started later, comes due within the same interval: it skips.
    await sql`delete from alert_rules where site_id = ${site.id}`;
    await instances[1].runNow(ALERT_EVALUATION_JOB);
    assert.equal(await rules(), 0, "not again within the interval");

    // An interval later, whichever instance comes first takes the turn.
    await sql`update job_turns set ran_at = ran_at - interval '5 minutes'
      where name = ${ALERT_EVALUATION_JOB}`;
    await instances[1].runNow(ALERT_EVALUATION_JOB);
    assert.ok(await rules() > 0);
  } finally {
    await Promise.all(instances.map((s) => s.stop()));
    await app.stop();
  }
});
