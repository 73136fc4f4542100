import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { FakeLemonSqueezy } from "../testing/fake_lemonsqueezy.ts";
import { FakeStripe } from "../testing/fake_stripe.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertIdentify,
  insertSession,
} from "../testing/journeys.ts";
import { syncDone } from "../testing/platform_sync.ts";
import { waitFor } from "../testing/wait.ts";
import { connectPlatform, resync } from "./connection.ts";
import { findSiteIntegration, latestSync } from "./store.ts";
import { subscriptionMetrics } from "../attribution/report.ts";
import { setRate } from "../attribution/rates.ts";
import { formatMoney } from "../attribution/currency.ts";

const HOUR = 3_600_000;

Deno.test("a Lemon Squeezy backfill pages through 30 days, stops at the cutoff, and waits when throttled", async () => {
  const fake = await FakeLemonSqueezy.start();
  const app = await startTestApp({ env: { LEMONSQUEEZY_API_URL: fake.url } });
  try {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const now = new Date();
    // 230 orders over the last 29 days, then 150 older ones the backfill must not fetch.
    let recentTotal = 0;
    for (let i = 0; i < 230; i++) {
      const total = 1000 + i;
      recentTotal += total;
      fake.order({ total, email: `buyer${i}@example.com`, created: daysBefore(now, 29 * i / 230) });
    }
    for (let i = 0; i < 150; i++) {
      fake.order({ total: 500, created: daysBefore(now, 31 + i / 10) });
    }
    // Ten buyers identified themselves on the site before buying.
    for (let i = 0; i < 10; i++) {
      const at = daysBefore(now, 29 * i / 230);
      await insertSession(sql, siteId, {
        visitorId: `v-${i}`,
        startedAt: new Date(at.getTime() - 2 * HOUR),
        source: "Google",
      });
      await insertIdentify(
        sql,
        siteId,
        `v-${i}`,
        `buyer${i}@example.com`,
        new Date(at.getTime() - HOUR),
      );
    }
    // A refunded order, and a subscription with its renewal.
    const refunded = fake.order({ total: 3000, created: daysBefore(now, 5) });
    fake.refund(refunded, 1200, daysBefore(now, 4));
    const subOrder = fake.order({ total: 2000, created: daysBefore(now, 20), product: "Club" });
    const sub = fake.subscription({ order: subOrder, unitPrice: 2000 });
    fake.invoice({
      subscription: sub,
      total: 2000,
      reason: "initial",
      created: daysBefore(now, 20),
    });
    fake.invoice({ subscription: sub, total: 2000, created: daysBefore(now, 1) });

    fake.throttleNext = 1; // The first call is told to wait a second, and waits.
    fake.pageDelayMs = 150;
    const integration = await connectPlatform(app.ctx, siteId, "lemonsqueezy", {
      apiKey: fake.addKey("ls_test_backfill"),
    });
    // Progress is saved while listing, page by page.
    const listed: number[] = [];
    await waitFor(
      async () => {
        const s = await latestSync(sql, integration.id);
        if (s?.status === "running" && s.phase === "listing" && s.total > 0) listed.push(s.total);
        return s?.status === "done" || s?.status === "failed";
      },
      60_000,
      "the backfill",
    );
    const sync = await syncDone(app, integration.id);
    assert.equal(sync.status, "done", sync.error);
    assert.ok(listed.includes(100), `progress after the first page (saw ${listed})`);

    // 230 + refunded + subscription orders, the refund and the renewal.
    assert.equal(sync.total, 230 + 2 + 1 + 1);
    assert.equal(sync.synced, 234);
    assert.equal(sync.matched, 10);
    const orderPages = fake.requests.filter((r) => r.startsWith("GET /v1/orders?"));
    assert.deepEqual(
      orderPages.map((r) => new URL(`http://x${r.slice(4)}`).searchParams.get("page[number]")),
      ["1", "2", "3"],
      "the fourth page is all older than 30 days, so it is never asked for",
    );
    assert.ok(orderPages.every((r) => r.includes("filter%5Bstore_id%5D=")), "scoped to the store");

    const [sums] = await sql`
      select sum(amount_minor) filter (where kind = 'one_time')::int as sales,
        sum(amount_minor) filter (where kind = 'subscription_start')::int as starts,
        sum(amount_minor) filter (where kind = 'refund')::int as refunds,
        count(*) filter (where kind = 'renewal')::int as renewals
      from purchases where site_id = ${siteId}`;
    assert.deepEqual({ ...sums }, {
      sales: recentTotal + 3000,
      starts: 2000,
      refunds: -1200,
      renewals: 1,
    });
    const metrics = await subscriptionMetrics(sql, siteId, daysBefore(now, 30), new Date());
    assert.equal(metrics.mrr, 2000);

    // Syncing again stores nothing twice.
    await resync(app.ctx, (await findSiteIntegration(sql, siteId, "lemonsqueezy"))!);
    const second = await syncDone(app, integration.id, sync.id);
    assert.equal(second.status, "done");
    const [n] = await sql`select count(*)::int as n from purchases where site_id = ${siteId}`;
    assert.equal(n.n, 234);
  } finally {
    await app.stop();
    await fake.close();
  }
});

Deno.test("with Stripe and Lemon Squeezy both connected, the revenue table shows each purchase once", async () => {
  const stripe = await FakeStripe.start();
  const ls = await FakeLemonSqueezy.start();
  const app = await startTestApp({
    env: { STRIPE_API_URL: stripe.url, LEMONSQUEEZY_API_URL: ls.url },
  });
  try {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const now = new Date();
    await insertSession(sql, siteId, {
      visitorId: "v-yt",
      startedAt: daysBefore(now, 6),
      source: "YouTube",
    });
    await insertSession(sql, siteId, {
      visitorId: "v-hn",
      startedAt: daysBefore(now, 2),
      source: "Hacker News",
    });
    await setRate(sql, siteId, "EUR", "1.1");
    stripe.checkoutSession({
      amount: 9900,
      clientReferenceId: "v-yt",
      email: "a@example.com",
      created: Math.floor(daysBefore(now, 5).getTime() / 1000),
    });
    const s = await connectPlatform(app.ctx, siteId, "stripe", stripe.addKey("rk_test_both"));
    const l = await connectPlatform(app.ctx, siteId, "lemonsqueezy", {
      apiKey: ls.addKey("ls_test_both"),
    });
    await syncDone(app, s.id);
    await syncDone(app, l.id);
    // A Lemon Squeezy sale in euros, linked by the checkout's custom data; delivered twice.
    const order = ls.order({ total: 4000, currency: "EUR", email: "b@example.com" });
    await ls.emit("order_created", order, { sextant_visitor_id: "v-hn" });
    const body = ls.payload("order_created", order, { sextant_visitor_id: "v-hn" });
    const again = await app.fetch(`/api/webhooks/lemonsqueezy/${l.id}`, {
      method: "POST",
      headers: { "x-signature": await ls.sign(body, ls.webhooks[0].secret) },
      body,
    });
    assert.equal(again.status, 200);
    await again.body?.cancel();

    const html = await (await app.fetch(`/sites/${siteId}/revenue?period=30d`, {
      headers: { cookie: owner.cookie },
    })).text();
    const tables = html.match(/<table class="revenue-table"/g) ?? [];
    assert.equal(tables.length, 1, "one revenue table");
    const row = (key: string) =>
      new RegExp(`data-key="${key}"[\\s\\S]*?class="amount[^"]*">([^<]+)<`).exec(html)?.[1];
    assert.equal(row("YouTube"), formatMoney(9900, "USD"));
    assert.equal(row("Hacker News"), formatMoney(4400, "USD"), "4,000 EUR cents at 1.1");
    assert.match(html, /data-reconciled="yes"/);
    const counts = await sql`select provider, count(*)::int as n from purchases
      where site_id = ${siteId} group by 1 order by 1`;
    assert.deepEqual(counts.map((r) => [r.provider, r.n]), [["lemonsqueezy", 1], ["stripe", 1]]);
  } finally {
    await app.stop();
    await stripe.close();
    await ls.close();
  }
});
