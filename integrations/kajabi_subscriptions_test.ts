/**
 * Kajabi subscriptions feed MRR and churn: a subscription purchase's charge starts it (monthly
 * price from the purchase's price and interval), and since Kajabi sends no event when one ends,
 * the refresh job reads the purchase again and a deactivated purchase is the churn. The backfill
 * states each subscription as its purchase stands.
 */
import assert from "node:assert/strict";
import type { TestApp } from "../testing/app.ts";
import { FakeKajabi } from "../testing/fake_kajabi.ts";
import { daysBefore, type SiteOwner } from "../testing/journeys.ts";
import { connectPlatform } from "./connection.ts";
import { stopBackground } from "./background.ts";
import { syncDone, withFakePlatform } from "../testing/platform_sync.ts";
import { subscriptionMetrics } from "../attribution/report.ts";
import { REFRESH_JOB, refreshSubscriptions } from "./refresh.ts";
import { scheduleSubscriptionRefresh } from "./jobs.ts";
import { createScheduler } from "../jobs/scheduler.ts";
import { silentLogger } from "../lib/log.ts";

async function withKajabi(
  fn: (app: TestApp, owner: SiteOwner, kajabi: FakeKajabi) => Promise<void>,
): Promise<void> {
  await withFakePlatform(await FakeKajabi.start(), "KAJABI_API_URL", fn);
}

/** The last 30 days' subscription metrics. */
const metrics = (app: TestApp, siteId: number) =>
  subscriptionMetrics(app.ctx.db.sql, siteId, daysBefore(new Date(), 30), new Date());

Deno.test("Kajabi: a subscription charge starts MRR; a deactivated purchase found by the refresh is churn", async () => {
  await withKajabi(async (app, owner, kajabi) => {
    const siteId = owner.site.id;
    await connectPlatform(app.ctx, siteId, "kajabi", kajabi.addClient());
    await stopBackground(app.ctx);
    const member = kajabi.customer("member@example.com");
    const monthly = kajabi.purchase({
      customerId: member.id,
      offerId: kajabi.offer("Mastermind").id,
      paymentType: "subscription",
      amountInCents: 4900,
    });
    const yearly = kajabi.purchase({
      customerId: kajabi.customer("annual@example.com").id,
      offerId: kajabi.offer("Studio pass").id,
      paymentType: "subscription",
      amountInCents: 120000,
      interval: "year",
    });
    const once = kajabi.purchase({
      customerId: member.id,
      offerId: kajabi.offer("Workbook").id,
    });
    const items = [
      kajabi.transaction({ purchaseId: monthly.id, amountInCents: 4900 }),
      kajabi.transaction({ purchaseId: yearly.id, amountInCents: 120000 }),
      kajabi.transaction({ purchaseId: once.id, amountInCents: 1500 }),
    ].map((t) => kajabi.hookItem(t));
    const [res] = await kajabi.deliver("payment_succeeded", items);
    assert.equal(res.status, 200, res.body);

    let m = await metrics(app, siteId);
    assert.equal(m.activeSubscriptions, 2, "the one-time workbook is no subscription");
    assert.equal(m.mrr, 4900 + 10000, "the yearly price counts a twelfth a month");
    assert.equal(m.newMrr, 14900);
    assert.ok(m.churnedMrr === 0, "no churn yet");

    // Nothing changed at Kajabi: the refresh changes nothing.
    await refreshSubscriptions(app.ctx);
    assert.deepEqual(await metrics(app, siteId), m);

    kajabi.deactivate(monthly.id);
    await refreshSubscriptions(app.ctx);
    m = await metrics(app, siteId);
    assert.equal(m.mrr, 10000);
    assert.equal(m.activeSubscriptions, 1);
    assert.equal(m.churnedMrr, 4900);

    // Run again, and the same delivery replayed under a new id: churned once, not revived.
    await refreshSubscriptions(app.ctx);
    await kajabi.deliver("payment_succeeded", [items[0]]);
    assert.deepEqual(await metrics(app, siteId), m);
    const [sub] = await app.ctx.db.sql`select status, canceled_at from subscriptions
      where site_id = ${siteId} and subscription_id = ${`purchase:${monthly.id}`}`;
    assert.equal(sub.status, "canceled");
    assert.ok(sub.canceled_at);
  });
});

Deno.test("Kajabi backfill: a subscription cancelled within the window is one start and one churn", async () => {
  await withKajabi(async (app, owner, kajabi) => {
    const siteId = owner.site.id;
    const p = kajabi.purchase({
      customerId: kajabi.customer("gone@example.com").id,
      offerId: kajabi.offer("Mastermind").id,
      paymentType: "subscription",
      amountInCents: 4900,
      createdAt: daysBefore(new Date(), 20),
    });
    kajabi.transaction({
      purchaseId: p.id,
      amountInCents: 4900,
      createdAt: daysBefore(new Date(), 20),
    });
    kajabi.deactivate(p.id, daysBefore(new Date(), 2));
    const stays = kajabi.purchase({
      customerId: kajabi.customer("stays@example.com").id,
      offerId: kajabi.offer("Membership").id,
      paymentType: "subscription",
      amountInCents: 2900,
      createdAt: daysBefore(new Date(), 40),
    });
    for (const days of [40, 10]) {
      kajabi.transaction({
        purchaseId: stays.id,
        amountInCents: 2900,
        createdAt: daysBefore(new Date(), days),
      });
    }

    const integration = await connectPlatform(app.ctx, siteId, "kajabi", kajabi.addClient());
    const sync = await syncDone(app, integration.id);
    assert.equal(sync.status, "done", sync.error);
    const m = await metrics(app, siteId);
    assert.equal(m.mrr, 2900, "the member who stays");
    assert.equal(m.activeSubscriptions, 1);
    assert.equal(m.churnedMrr, 4900);
    const kinds = await app.ctx.db.sql<{ kind: string }[]>`
      select kind from purchases where site_id = ${siteId} order by ts`;
    assert.deepEqual(kinds.map((k) => k.kind), ["subscription_start", "renewal"]);
  });
});

Deno.test("two instances scheduling the subscription refresh on one database run it once per interval", async () => {
  await withKajabi(async (app, owner, kajabi) => {
    await connectPlatform(app.ctx, owner.site.id, "kajabi", kajabi.addClient());
    await stopBackground(app.ctx);
    const purchase = kajabi.purchase({
      customerId: kajabi.customer("member@example.com").id,
      offerId: kajabi.offer("Mastermind").id,
      paymentType: "subscription",
      amountInCents: 4900,
    });
    const charge = kajabi.transaction({ purchaseId: purchase.id, amountInCents: 4900 });
    const [res] = await kajabi.deliver("payment_succeeded", [kajabi.hookItem(charge)]);
    assert.equal(res.status, 200, res.body);
    const reads = () =>
      kajabi.requests.filter((r) => r === `GET /v1/purchases/${purchase.id}`).length;
    const before = reads();

    const instances = [createScheduler(silentLogger), createScheduler(silentLogger)];
    for (const s of instances) scheduleSubscriptionRefresh(app.ctx, s);
    try {
      await Promise.all(instances.map((s) => s.runNow(REFRESH_JOB)));
      assert.equal(reads() - before, 1, "both due at once: one of them refreshes");
      // The other instance's timer, started later, fires within the same interval.
      await instances[1].runNow(REFRESH_JOB);
      assert.equal(reads() - before, 1, "not again within the interval");

      // An interval later, whichever instance comes first takes the turn.
      await app.ctx.db.sql`update job_turns set ran_at = ran_at - interval '6 hours'
        where name = ${REFRESH_JOB}`;
      await Promise.all(instances.map((s) => s.runNow(REFRESH_JOB)));
      assert.equal(reads() - before, 2);
    } finally {
      await Promise.all(instances.map((s) => s.stop()));
    }
  });
});
