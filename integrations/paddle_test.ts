import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { FakePaddle } from "../testing/fake_paddle.ts";
import { createSiteWithOwner, daysBefore, insertSession } from "../testing/journeys.ts";
import { syncDone } from "../testing/platform_sync.ts";
import { connectPlatform } from "./connection.ts";
import { findSiteIntegration } from "./store.ts";
import { Invalid } from "../lib/errors.ts";
import { revenueReport, subscriptionMetrics } from "../attribution/report.ts";
import { MODELS } from "../attribution/models.ts";
import { hmacSha256, toHex } from "../lib/crypto.ts";

async function withApp(fn: (app: TestApp, fake: FakePaddle) => Promise<void>) {
  const fake = await FakePaddle.start();
  const app = await startTestApp({ env: { PADDLE_API_URL: fake.url } });
  try {
    await fn(app, fake);
  } finally {
    await app.stop();
    await fake.close();
  }
}

Deno.test("Paddle keys are checked with a test call; the notification destination is registered", async () => {
  await withApp(async (app, fake) => {
    const owner = await createSiteWithOwner(app.ctx.db.sql);
    const refusal = (apiKey: string) =>
      connectPlatform(app.ctx, owner.site.id, "paddle", { apiKey }).then(
        () => "accepted",
        (e) => (e instanceof Invalid ? e.message : `not a sentence: ${e}`),
      );
    assert.match(
      await refusal("pdl_live_apikey_nosuchkey"),
      /^Paddle didn't accept these credentials \(API key is not valid\)/,
    );
    assert.match(await refusal("pdl_ntfset_abc"), /notification secret key/);
    assert.match(await refusal("pdl_sdbx_apikey_abc"), /That's a sandbox key/);
    assert.equal(await findSiteIntegration(app.ctx.db.sql, owner.site.id, "paddle"), null);

    const integration = await connectPlatform(app.ctx, owner.site.id, "paddle", {
      apiKey: fake.addKey("pdl_live_apikey_goodkey1234"),
    });
    await syncDone(app, integration.id);
    assert.equal(integration.key_hint, "pdl_live_apikey_…1234");
    assert.equal(integration.webhook_mode, "auto");
    assert.equal(fake.destinations.length, 1);
    const d = fake.destinations[0];
    assert.equal(d.destination, `${app.url}/api/webhooks/paddle/${integration.id}`);
    assert.ok(
      d.events.includes("transaction.completed") && d.events.includes("adjustment.created"),
    );
    assert.ok(
      fake.requests.every((r) => !r.startsWith("GET /transactions") || r.includes("per_page")),
    );
  });
});

Deno.test("Paddle webhooks: purchase, renewal, partial refund; forged, tampered, stale and replayed refused", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const now = new Date();
    await insertSession(sql, siteId, {
      visitorId: "v-paddle",
      startedAt: daysBefore(now, 2),
      source: "Product Hunt",
    });
    const integration = await connectPlatform(app.ctx, siteId, "paddle", {
      apiKey: fake.addKey("pdl_live_apikey_hooks"),
    });
    await syncDone(app, integration.id);
    const secret = fake.destinations[0].secret;

    const sub = fake.subscription({ amount: 2900 });
    const first = fake.transaction({
      amount: 2900,
      subscriptionId: sub.id,
      email: "kim@example.com",
      product: "Team plan",
      customData: { sextant_visitor_id: "v-paddle" },
    });
    assert.deepEqual(await fake.emit("subscription.created", sub), [200]);
    assert.deepEqual(await fake.emit("transaction.completed", first), [200]);
    await fake.emit(
      "transaction.completed",
      fake.transaction({
        amount: 2900,
        subscriptionId: sub.id,
        origin: "subscription_recurring",
        email: "kim@example.com",
      }),
    );
    await fake.emit("adjustment.created", fake.refund(first, 900));

    const rows = await sql`select kind, amount_minor, visitor_id, customer_email, product,
        parent_purchase_id is not null as p
      from purchases where site_id = ${siteId} order by ts, amount_minor desc, kind`;
    assert.deepEqual(rows.map((r) => [r.kind, r.amount_minor, r.visitor_id, r.p]), [
      ["subscription_start", 2900, "v-paddle", false],
      ["renewal", 2900, "v-paddle", true],
      ["refund", -900, "v-paddle", true],
    ]);
    assert.equal(rows[0].customer_email, "kim@example.com", "looked up from the customer id");
    assert.equal(rows[0].product, "Team plan");
    const to = new Date(Date.now() + 60_000);
    assert.equal((await subscriptionMetrics(sql, siteId, daysBefore(now, 1), to)).mrr, 2900);
    for (const model of MODELS) {
      const report = await revenueReport(sql, { siteId, model, from: daysBefore(now, 30), to });
      assert.deepEqual(
        report.rows.filter((r) => r.revenue !== 0).map((r) => [r.key, r.revenue]),
        [["Product Hunt", 2900 + 2900 - 900]],
        model,
      );
    }

    const url = `/api/webhooks/paddle/${integration.id}`;
    const post = async (body: string, signature: string) => {
      const res = await app.fetch(url, {
        method: "POST",
        headers: { "paddle-signature": signature },
        body,
      });
      return { status: res.status, body: await res.json() };
    };
    const body = fake.payload("transaction.completed", fake.transaction({ amount: 700 }));
    const forged = await post(body, await fake.sign(body, "pdl_ntfset_guessed"));
    assert.equal(forged.status, 400);
    assert.match(forged.body.error, /doesn't match/);
    // Paddle signs ts:body with a colon; a dot-joined signature is not Paddle's.
    const ts = Math.floor(Date.now() / 1000);
    const dotted = `ts=${ts};h1=${toHex(await hmacSha256(secret, `${ts}.${body}`))}`;
    assert.equal((await post(body, dotted)).status, 400);
    const tampered = body.replace('"grand_total":"700"', '"grand_total":"70000"');
    assert.notEqual(tampered, body);
    assert.equal((await post(tampered, await fake.sign(body, secret))).status, 400);
    const stale = await post(body, await fake.sign(body, secret, new Date(Date.now() - 600_000)));
    assert.equal(stale.status, 400);
    assert.match(stale.body.error, /more than 5 minutes/);
    const signature = await fake.sign(body, secret);
    assert.deepEqual(await post(body, signature), { status: 200, body: { received: true } });
    assert.deepEqual(await post(body, signature), {
      status: 200,
      body: { received: true, duplicate: true },
    });
    const [n] = await sql`select count(*)::int as n from purchases
      where site_id = ${siteId} and amount_minor = 700`;
    assert.equal(n.n, 1);
  });
});

Deno.test("a Paddle backfill follows the cursor through 30 days of transactions", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const now = new Date();
    fake.transaction({ amount: 999, created: daysBefore(now, 45) });
    let total = 0;
    for (let i = 0; i < 230; i++) {
      total += 500 + i;
      fake.transaction({ amount: 500 + i, created: daysBefore(now, 29 - 29 * i / 230) });
    }
    const refunded = fake.transaction({ amount: 4000, created: daysBefore(now, 3) });
    fake.refund(refunded, 1000, daysBefore(now, 2));
    fake.subscription({ amount: 1500 });
    const integration = await connectPlatform(app.ctx, owner.site.id, "paddle", {
      apiKey: fake.addKey("pdl_live_apikey_backfill"),
    });
    const sync = await syncDone(app, integration.id);
    assert.equal(sync.status, "done", sync.error);
    assert.equal(sync.total, 230 + 1 + 1);
    const pages = fake.requests.filter((r) =>
      r.startsWith("GET /transactions?") && r.includes("status=")
    );
    assert.equal(pages.length, 3, "100 + 100 + 31 transactions");
    assert.ok(pages.slice(1).every((r) => r.includes("after=txn_")), "later pages use the cursor");
    const [sums] = await sql`select
        sum(amount_minor) filter (where kind = 'one_time')::int as sales,
        sum(amount_minor) filter (where kind = 'refund')::int as refunds,
        count(*) filter (where customer_email = 'buyer@example.com')::int as with_email
      from purchases where site_id = ${owner.site.id}`;
    assert.deepEqual({ ...sums }, { sales: total + 4000, refunds: -1000, with_email: 231 });
    const m = await subscriptionMetrics(sql, owner.site.id, daysBefore(now, 30), new Date());
    assert.equal(m.mrr, 1500);
  });
});
