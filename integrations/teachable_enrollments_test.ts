/**
 * Teachable enrollments: from `Enrollment.*` webhooks and the backfill's enrollment lists into
 * `course_enrollments`, stored once however often they arrive, and shown on the learner's
 * customer timeline and as a count on the revenue page.
 */
import assert from "node:assert/strict";
import type { TestApp } from "../testing/app.ts";
import { FakeTeachable } from "../testing/fake_teachable.ts";
import { daysBefore, type SiteOwner } from "../testing/journeys.ts";
import { connectPlatform } from "./connection.ts";
import { stopBackground } from "./background.ts";
import {
  deliverTwice,
  localWebhookUrl,
  syncDone,
  withFakePlatform,
} from "../testing/platform_sync.ts";
import { waitFor } from "../testing/wait.ts";

async function withTeachable(
  fn: (app: TestApp, owner: SiteOwner, teachable: FakeTeachable) => Promise<void>,
): Promise<void> {
  await withFakePlatform(await FakeTeachable.start(), "TEACHABLE_API_URL", fn);
}

const enrollments = async (app: TestApp, siteId: number) => [
  ...await app.ctx.db.sql<
    { enrollment_key: string; email: string; course: string; ended: boolean }[]
  >`
    select enrollment_key, email, course, ended_at is not null as ended
    from course_enrollments where site_id = ${siteId} order by enrolled_at`,
];

/** The customer's timeline items of one type, through the API. */
async function timeline(app: TestApp, owner: SiteOwner, email: string, type: string) {
  const [c] = await app.ctx.db.sql<{ id: number }[]>`
    select id from customers where site_id = ${owner.site.id} and email = ${email}`;
  assert.ok(c, `a customer for ${email}`);
  const res = await fetch(
    `${app.url}/api/app/sites/${owner.site.id}/customers/${c.id}/timeline?type=${type}`,
    { headers: { cookie: `sextant_session=${owner.token}` } },
  );
  assert.equal(res.status, 200);
  return (await res.json()).items as { type: string; detail: Record<string, unknown> }[];
}

Deno.test("a Teachable enrollment by webhook is stored once, ends when disabled, and is on the learner's timeline", async () => {
  await withTeachable(async (app, owner, teachable) => {
    const siteId = owner.site.id;
    const integration = await connectPlatform(app.ctx, siteId, "teachable", {
      apiKey: teachable.addKey(),
    });
    await stopBackground(app.ctx);
    const url = await localWebhookUrl(app, integration);
    const course = teachable.course("Free clay basics");
    const learner = teachable.user("Potter@Example.com");
    const e = teachable.enroll({ userId: learner.id, courseId: course.id });

    // Delivered, replayed byte for byte, and sent again as a new event: one enrollment.
    const body = JSON.stringify(teachable.event("Enrollment.created", e));
    await deliverTwice(url, body);
    assert.equal((await teachable.deliver(url, "Enrollment.created", e)).status, 200);
    // The replay was stored once; both events were processed.
    await waitFor(async () => {
      const [d] = await app.ctx.db.sql`
        select count(*)::int as n from webhook_deliveries
        where site_id = ${siteId} and event_type = 'Enrollment.created' and status = 'processed'`;
      return d.n === 2;
    });
    assert.deepEqual(await enrollments(app, siteId), [{
      enrollment_key: `course:${course.id}:user:${learner.id}`,
      email: "potter@example.com",
      course: "Free clay basics",
      ended: false,
    }]);
    const started = await timeline(app, owner, "potter@example.com", "enrollment");
    assert.deepEqual(started.map((i) => [i.detail.course, i.detail.ended]), [
      ["Free clay basics", false],
    ]);

    teachable.unenroll(e.id);
    assert.equal((await teachable.deliver(url, "Enrollment.disabled", e)).status, 200);
    await waitFor(async () => (await enrollments(app, siteId))[0].ended);
    const both = await timeline(app, owner, "potter@example.com", "enrollment");
    assert.deepEqual(both.map((i) => [i.detail.course, i.detail.ended]), [
      ["Free clay basics", true],
      ["Free clay basics", false],
    ]);

    // The profile page names both, in words.
    const [c] = await app.ctx.db.sql`select id from customers
      where site_id = ${siteId} and email = 'potter@example.com'`;
    const page = await (await fetch(`${app.url}/sites/${siteId}/customers/${c.id}`, {
      headers: { cookie: `sextant_session=${owner.token}` },
    })).text();
    assert.match(page, /Enrolled: Free clay basics/);
    assert.match(page, /Enrollment ended: Free clay basics/);
  });
});

Deno.test("a Teachable backfill brings the last 30 days of enrollments; a webhook for one of them adds nothing", async () => {
  await withTeachable(async (app, owner, teachable) => {
    const siteId = owner.site.id;
    const pottery = teachable.course("Pottery at home");
    const glazing = teachable.course("Glazing");
    const plan = teachable.plan({ courseId: pottery.id, price: 15900 });
    const buyer = teachable.user("buyer@example.com");
    teachable.transaction({
      userId: buyer.id,
      planId: plan.id,
      createdAt: daysBefore(new Date(), 3),
    });
    const recent = teachable.enroll({
      userId: buyer.id,
      courseId: pottery.id,
      at: daysBefore(new Date(), 3),
    });
    for (let i = 0; i < 3; i++) {
      const learner = teachable.user(`learner${i}@example.com`);
      teachable.enroll({
        userId: learner.id,
        courseId: glazing.id,
        at: daysBefore(new Date(), i + 1),
      });
    }
    // Older than the window: not synced.
    teachable.enroll({
      userId: teachable.user("old@example.com").id,
      courseId: glazing.id,
      at: daysBefore(new Date(), 45),
    });

    const integration = await connectPlatform(app.ctx, siteId, "teachable", {
      apiKey: teachable.addKey(),
    });
    const sync = await syncDone(app, integration.id);
    assert.equal(sync.status, "done", sync.error ?? "");
    assert.equal(sync.total, 1, "progress counts purchases only");
    const rows = await enrollments(app, siteId);
    assert.equal(rows.length, 4, JSON.stringify(rows));
    assert.deepEqual(
      rows.map((r) => r.course).sort(),
      ["Glazing", "Glazing", "Glazing", "Pottery at home"],
    );
    assert.ok(!rows.some((r) => r.email === "old@example.com"));

    const url = await localWebhookUrl(app, integration);
    assert.equal((await teachable.deliver(url, "Enrollment.created", recent)).status, 200);
    await waitFor(async () => {
      const [d] = await app.ctx.db.sql`select status from webhook_deliveries
        where site_id = ${siteId} order by id desc limit 1`;
      return d?.status === "processed";
    });
    assert.equal((await enrollments(app, siteId)).length, 4, "the same enrollment, stored once");

    // The buyer's timeline has the purchase and the enrollment; the revenue page counts four.
    const items = await timeline(app, owner, "buyer@example.com", "purchase,enrollment");
    assert.deepEqual(items.map((i) => i.type).sort(), ["enrollment", "purchase"]);
    const html = await (await fetch(`${app.url}/sites/${siteId}/revenue?period=30d`, {
      headers: { cookie: `sextant_session=${owner.token}` },
    })).text();
    assert.match(html, /data-enrollments="4"[^>]*>4 course enrollments began in this period/);
  });
});
