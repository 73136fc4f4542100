import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { FakePolar } from "../testing/fake_polar.ts";
import { createSiteWithOwner, daysBefore, insertSession } from "../testing/journeys.ts";
import { syncDone } from "../testing/platform_sync.ts";
import { connectPlatform } from "./connection.ts";
import { findSiteIntegration } from "./store.ts";
import { Invalid } from "../lib/errors.ts";
import { revenueReport, subscriptionMetrics } from "../attribution/report.ts";
import { MODELS } from "../attribution/models.ts";

async function withApp(fn: (app: TestApp, fake: FakePolar) => Promise<void>) {
  const fake = await FakePolar.start();
  const app = await startTestApp({ env: { POLAR_API_URL: fake.url } });
  try {
    await fn(app, fake);
  } finally {
    await app.stop();
    await fake.close();
  }
}

Deno.test("Polar tokens are checked with test calls; the webhook endpoint is registered raw", async () => {
  await withApp(async (app, fake) => {
    const owner = await createSiteWithOwner(app.ctx.db.sql);
    const refusal = (fields: Record<string, string>) =>
      connectPlatform(app.ctx, owner.site.id, "polar", fields).then(
        () => "accepted",
        (e) => (e instanceof Invalid ? e.message : `not a sentence: ${e}`),
      );
    assert.match(
      await refusal({ apiKey: "polar_oat_nosuchtoken" }),
      /^Polar didn't accept these credentials \(The access token provided is expired/,
    );
    assert.match(await refusal({ apiKey: "polar_whs_abc" }), /That's a webhook secret/);
    fake.addKey("polar_oat_narrow", ["webhooks:write"]);
    assert.match(
      await refusal({ apiKey: "polar_oat_narrow" }),
      /^Polar doesn't allow these credentials to read orders \(The request requires higher privileges/,
    );
    assert.equal(await findSiteIntegration(app.ctx.db.sql, owner.site.id, "polar"), null);

    const integration = await connectPlatform(app.ctx, owner.site.id, "polar", {
      apiKey: fake.addKey("polar_oat_good"),
    });
    await syncDone(app, integration.id);
    assert.equal(integration.account_name, "Indie Org");
    assert.equal(integration.key_hint, "polar_oat_…good");
    assert.equal(integration.webhook_mode, "auto");
    assert.equal(fake.endpoints.length, 1);
    const ep = fake.endpoints[0];
    assert.equal(ep.url, `${app.url}/api/webhooks/polar/${integration.id}`);
    assert.equal(ep.organization_id, fake.organizations[0].id);
    assert.ok(ep.events.includes("order.paid") && ep.events.includes("refund.created"));
    assert.equal(integration.webhook_endpoint_id, ep.id);
  });
});

Deno.test("Polar webhooks: purchase, renewal, partial refund; forged, tampered, stale and replayed refused", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const now = new Date();
    await insertSession(sql, siteId, {
      visitorId: "v-polar",
      startedAt: daysBefore(now, 2),
      source: "Reddit",
    });
    const integration = await connectPlatform(app.ctx, siteId, "polar", {
      apiKey: fake.addKey("polar_oat_hooks"),
    });
    await syncDone(app, integration.id);
    const secret = fake.endpoints[0].secret;

    const sub = fake.subscription({ amount: 1900, email: "sam@example.com" });
    const first = fake.order({
      amount: 1900,
      billingReason: "subscription_create",
      subscriptionId: sub.id,
      email: "sam@example.com",
      product: "Pro",
      metadata: { sextant_visitor_id: "v-polar" },
    });
    assert.deepEqual(await fake.emit("subscription.created", sub), [200]);
    assert.deepEqual(await fake.emit("order.paid", first), [200]);
    await fake.emit(
      "order.paid",
      fake.order({
        amount: 1900,
        billingReason: "subscription_cycle",
        subscriptionId: sub.id,
        email: "sam@example.com",
      }),
    );
    await fake.emit("refund.created", fake.refund(first, 700));

    const rows =
      await sql`select kind, amount_minor, visitor_id, parent_purchase_id is not null as p
      from purchases where site_id = ${siteId} order by ts, amount_minor desc, kind`;
    assert.deepEqual(rows.map((r) => [r.kind, r.amount_minor, r.visitor_id, r.p]), [
      ["subscription_start", 1900, "v-polar", false],
      ["renewal", 1900, "v-polar", true],
      ["refund", -700, "v-polar", true],
    ]);
    const to = new Date(Date.now() + 60_000);
    assert.equal((await subscriptionMetrics(sql, siteId, daysBefore(now, 1), to)).mrr, 1900);
    for (const model of MODELS) {
      const report = await revenueReport(sql, { siteId, model, from: daysBefore(now, 30), to });
      assert.deepEqual(
        report.rows.filter((r) => r.revenue !== 0).map((r) => [r.key, r.revenue]),
        [["Reddit", 1900 + 1900 - 700]],
        model,
      );
    }

    const url = `/api/webhooks/polar/${integration.id}`;
    const post = async (body: string, headers: Record<string, string>) => {
      const res = await app.fetch(url, { method: "POST", headers, body });
      return { status: res.status, body: await res.json() };
    };
    const body = fake.payload("order.paid", fake.order({ amount: 500 }));
    const forged = await post(body, await fake.sign(body, "polar_whs_guessed"));
    assert.equal(forged.status, 400);
    assert.match(forged.body.error, /signature does not match/);
    const tampered = await post(body.replace('"total_amount":500', '"total_amount":50000'), {
      ...await fake.sign(body, secret),
    });
    assert.equal(tampered.status, 400);
    const stale = await post(
      body,
      await fake.sign(body, secret, "msg_stale", new Date(Date.now() - 10 * 60_000)),
    );
    assert.equal(stale.status, 400);
    assert.match(stale.body.error, /more than 5 minutes/);
    const headers = await fake.sign(body, secret, "msg_once");
    assert.deepEqual(await post(body, headers), { status: 200, body: { received: true } });
    assert.deepEqual(await post(body, headers), {
      status: 200,
      body: { received: true, duplicate: true },
    });
    const [n] = await sql`select count(*)::int as n from purchases
      where site_id = ${siteId} and amount_minor = 500`;
    assert.equal(n.n, 1);
  });
});

Deno.test("a Polar backfill pages newest first and stops at the 30-day cutoff", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const now = new Date();
    let total = 0;
    for (let i = 0; i < 150; i++) {
      total += 1000 + i;
      fake.order({ amount: 1000 + i, created: daysBefore(now, 29 * i / 150) });
    }
    for (let i = 0; i < 120; i++) fake.order({ amount: 300, created: daysBefore(now, 31 + i / 4) });
    const refunded = fake.order({ amount: 4000, created: daysBefore(now, 3) });
    fake.refund(refunded, 1500, daysBefore(now, 2));
    fake.subscription({ amount: 12000, interval: "year", created: daysBefore(now, 40) });
    fake.pageDelayMs = 50;
    const integration = await connectPlatform(app.ctx, owner.site.id, "polar", {
      apiKey: fake.addKey("polar_oat_backfill"),
    });
    const sync = await syncDone(app, integration.id);
    assert.equal(sync.status, "done", sync.error);
    assert.equal(sync.total, 150 + 1 + 1);
    const pages = fake.requests.filter((r) =>
      r.startsWith("GET /v1/orders/?") && r.includes("sorting=")
    );
    assert.deepEqual(
      pages.map((r) => new URL(`http://x${r.slice(4)}`).searchParams.get("page")),
      ["1", "2"],
      "the third page is all older than 30 days, so it is never asked for",
    );
    const [sums] = await sql`select
        sum(amount_minor) filter (where kind = 'one_time')::int as sales,
        sum(amount_minor) filter (where kind = 'refund')::int as refunds
      from purchases where site_id = ${owner.site.id}`;
    assert.deepEqual({ ...sums }, { sales: total + 4000, refunds: -1500 });
    const m = await subscriptionMetrics(sql, owner.site.id, daysBefore(now, 30), new Date());
    assert.equal(m.mrr, 1000, "12,000 a year is 1,000 a month");
  });
});
