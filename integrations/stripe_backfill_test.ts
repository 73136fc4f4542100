import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { FakeStripe } from "../testing/fake_stripe.ts";
import { createSiteWithOwner, daysBefore, insertSession } from "../testing/journeys.ts";
import { connectPlatform, resync } from "./connection.ts";
import { findSiteIntegration, latestSync, type Sync } from "./store.ts";
import { subscriptionMetrics } from "../attribution/report.ts";

const DAY_S = 86_400;
const nowS = () => Math.floor(Date.now() / 1000);

async function syncDone(app: TestApp, integrationId: number, after = 0): Promise<Sync> {
  for (let i = 0; i < 300; i++) {
    const s = await latestSync(app.ctx.db.sql, integrationId);
    if (s && s.id > after && (s.status === "done" || s.status === "failed")) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the sync did not finish");
}

Deno.test("connecting backfills 30 days once, whichever way each purchase is seen", async () => {
  const fake = await FakeStripe.start();
  const app = await startTestApp({ env: { STRIPE_API_URL: fake.url } });
  try {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const now = new Date();
    await insertSession(sql, siteId, {
      visitorId: "v-a",
      startedAt: daysBefore(now, 12),
      source: "YouTube",
    });
    await insertSession(sql, siteId, {
      visitorId: "v-b",
      startedAt: daysBefore(now, 6),
      source: "Google",
    });

    // One-time sales: one linked by visitor id, one refunded in part, one 40 days old.
    const linked = fake.checkoutSession({
      amount: 9900,
      clientReferenceId: "v-a",
      email: "a@example.com",
      created: nowS() - 11 * DAY_S,
      product: "Masterclass",
    });
    const refunded = fake.checkoutSession({
      amount: 5000,
      email: "c@example.com",
      created: nowS() - 9 * DAY_S,
    });
    fake.checkoutSession({ amount: 7777, email: "old@example.com", created: nowS() - 40 * DAY_S });
    fake.refund({
      paymentIntent: refunded.payment_intent as string,
      amount: 2000,
      created: nowS() - 8 * DAY_S,
    });

    // A subscription bought through Checkout: the session and its first invoice are one purchase.
    const sub = fake.subscription({ unitAmount: 2000, created: nowS() - 5 * DAY_S });
    const firstInvoice = fake.invoice({
      amount: 2000,
      billingReason: "subscription_create",
      subscription: sub.id,
      email: "b@example.com",
      created: nowS() - 5 * DAY_S,
      product: "Pro monthly",
    });
    fake.checkoutSession({
      amount: 2000,
      mode: "subscription",
      subscription: sub.id,
      invoice: firstInvoice.id,
      clientReferenceId: "v-b",
      email: "b@example.com",
      created: nowS() - 5 * DAY_S,
    });
    // A yearly plan cancelled within the window: $120/year is $10 MRR, gained then lost.
    fake.subscription({
      unitAmount: 12000,
      interval: "year",
      status: "canceled",
      created: nowS() - 20 * DAY_S,
      canceledAt: nowS() - 2 * DAY_S,
    });

    const integration = await connectPlatform(
      app.ctx,
      siteId,
      "stripe",
      fake.addKey("rk_test_backfill"),
    );
    const sync = await syncDone(app, integration.id);
    assert.equal(sync.status, "done", sync.error);
    assert.equal(sync.total, 4, "two sales, one refund and one subscription start");
    assert.equal(sync.synced, 4);
    assert.equal(sync.matched, 2, "the refund follows its sale, which has no visitor");

    const rows = await sql`
      select provider_event_id, kind, amount_minor, visitor_id, match_method, product
      from purchases where site_id = ${siteId} order by ts`;
    assert.deepEqual(rows.map((r) => [r.kind, r.amount_minor, r.visitor_id]), [
      ["one_time", 9900, "v-a"],
      ["one_time", 5000, null],
      ["refund", -2000, null],
      ["subscription_start", 2000, "v-b"],
    ]);
    assert.equal(rows[0].product, "Masterclass");
    assert.equal(rows[3].provider_event_id, `invoice:${firstInvoice.id}`);

    const metrics = await subscriptionMetrics(
      sql,
      siteId,
      new Date(Date.now() - 30 * 86_400_000),
      new Date(),
    );
    assert.equal(metrics.mrr, 2000);
    assert.equal(metrics.activeSubscriptions, 1);
    assert.equal(metrics.newMrr, 3000);
    assert.equal(metrics.churnedMrr, 1000);
    assert.equal((await findSiteIntegration(sql, siteId, "stripe"))?.status, "connected");

    // The same checkout arriving by webhook now, and the renewal a month later.
    const payload = JSON.stringify(fake.event("checkout.session.completed", linked));
    const res = await app.fetch(`/api/webhooks/stripe/${integration.id}`, {
      method: "POST",
      headers: { "stripe-signature": await fake.sign(payload, fake.endpoints[0].secret) },
      body: payload,
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const renewal = fake.invoice({
      amount: 2000,
      billingReason: "subscription_cycle",
      subscription: sub.id,
      email: "b@example.com",
    });
    await fake.emit("invoice.paid", renewal);
    const [r] = await sql`select visitor_id, parent_purchase_id is not null as linked from purchases
      where site_id = ${siteId} and kind = 'renewal'`;
    assert.deepEqual({ ...r }, { visitor_id: "v-b", linked: true });

    // Syncing again stores nothing twice; a second click while it runs is refused politely.
    const current = (await findSiteIntegration(sql, siteId, "stripe"))!;
    fake.pageDelayMs = 300; // long enough for the second click to find it running
    await resync(app.ctx, current);
    await assert.rejects(() => resync(app.ctx, current), /already running/);
    const second = await syncDone(app, integration.id, sync.id);
    assert.equal(second.status, "done");
    const [count] = await sql`select count(*)::int as n from purchases where site_id = ${siteId}`;
    assert.equal(count.n, 5);
    const again = await subscriptionMetrics(
      sql,
      siteId,
      new Date(Date.now() - 30 * 86_400_000),
      new Date(),
    );
    assert.equal(again.newMrr, 3000, "MRR movements are not repeated either");
  } finally {
    await app.stop();
    await fake.close();
  }
});

Deno.test("subscription webhooks move MRR: new, expansion, churn; late events change nothing", async () => {
  const fake = await FakeStripe.start();
  const app = await startTestApp({ env: { STRIPE_API_URL: fake.url } });
  try {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const integration = await connectPlatform(
      app.ctx,
      owner.site.id,
      "stripe",
      fake.addKey("rk_test_subs"),
    );
    await syncDone(app, integration.id);
    const sub = fake.subscription({ unitAmount: 1500 });
    await fake.emit("customer.subscription.created", sub);
    const upgraded = structuredClone(sub);
    (upgraded.items as { data: { quantity: number }[] }).data[0].quantity = 3;
    await fake.emit("customer.subscription.updated", upgraded);
    const metrics = () =>
      subscriptionMetrics(
        sql,
        owner.site.id,
        new Date(Date.now() - 86_400_000),
        new Date(Date.now() + 60_000),
      );
    let m = await metrics();
    assert.deepEqual([m.mrr, m.newMrr, m.expansionMrr], [4500, 1500, 3000]);

    // An older "created" event delivered late does not roll the state back.
    const late = fake.event("customer.subscription.updated", sub, nowS() - 3600);
    const payload = JSON.stringify(late);
    const res = await app.fetch(
      `/api/webhooks/stripe/${(await findSiteIntegration(sql, owner.site.id, "stripe"))!.id}`,
      {
        method: "POST",
        headers: { "stripe-signature": await fake.sign(payload, fake.endpoints[0].secret) },
        body: payload,
      },
    );
    await res.body?.cancel();
    assert.equal((await metrics()).mrr, 4500);

    await fake.emit("customer.subscription.deleted", {
      ...upgraded,
      status: "canceled",
      canceled_at: nowS(),
      ended_at: nowS(),
    });
    m = await metrics();
    assert.deepEqual([m.mrr, m.arr, m.churnedMrr, m.activeSubscriptions], [0, 0, 4500, 0]);
  } finally {
    await app.stop();
    await fake.close();
  }
});
