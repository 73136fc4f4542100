import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { FakeLemonSqueezy } from "../testing/fake_lemonsqueezy.ts";
import { createSiteWithOwner, daysBefore, insertSession } from "../testing/journeys.ts";
import { ALL_DB_MODES, inDbMode } from "../testing/db.ts";
import { syncDone } from "../testing/platform_sync.ts";
import { connectPlatform } from "./connection.ts";
import { revenueReport, subscriptionMetrics } from "../attribution/report.ts";
import { MODELS } from "../attribution/models.ts";

async function post(app: TestApp, integrationId: number, body: string, signature?: string) {
  const res = await app.fetch(`/api/webhooks/lemonsqueezy/${integrationId}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(signature === undefined ? {} : { "x-signature": signature }),
    },
    body,
  });
  return { status: res.status, body: await res.json() };
}

for (const mode of ALL_DB_MODES) {
  Deno.test({
    name:
      `Lemon Squeezy webhooks: purchase, renewal, partial refunds; forged and replayed refused (${mode})`,
    ...inDbMode(mode),
    async fn() {
      const fake = await FakeLemonSqueezy.start();
      const app = await startTestApp({ dbMode: mode, env: { LEMONSQUEEZY_API_URL: fake.url } });
      try {
        const sql = app.ctx.db.sql;
        const owner = await createSiteWithOwner(sql);
        const siteId = owner.site.id;
        const now = new Date();
        await insertSession(sql, siteId, {
          visitorId: "v-ls",
          startedAt: daysBefore(now, 3),
          source: "Twitter",
        });
        await insertSession(sql, siteId, {
          visitorId: "v-ls",
          startedAt: daysBefore(now, 1),
          source: "Newsletter",
        });
        const integration = await connectPlatform(app.ctx, siteId, "lemonsqueezy", {
          apiKey: fake.addKey("ls_test_webhooks"),
        });
        assert.equal((await syncDone(app, integration.id)).status, "done");
        const secret = fake.webhooks[0].secret;

        // A subscription bought through a checkout carrying the visitor id.
        const order = fake.order({ total: 4900, email: "Pat@Example.com", product: "Pro" });
        const sub = fake.subscription({ order, unitPrice: 4900 });
        assert.deepEqual(await fake.emit("order_created", order, { sextant_visitor_id: "v-ls" }), [
          200,
        ]);
        assert.deepEqual(
          await fake.emit("subscription_created", sub, { sextant_visitor_id: "v-ls" }),
          [200],
        );
        // The first invoice is the order itself; the renewal a month later is new money.
        await fake.emit(
          "subscription_payment_success",
          fake.invoice({
            subscription: sub,
            total: 4900,
            reason: "initial",
          }),
        );
        await fake.emit(
          "subscription_payment_success",
          fake.invoice({
            subscription: sub,
            total: 4900,
          }),
        );
        // Two partial refunds of the order: Lemon Squeezy reports the running total.
        await fake.emit("order_refunded", fake.refund(order, 1000));
        await fake.emit("order_refunded", fake.refund(order, 1500));

        const rows = await sql`
          select kind, amount_minor, visitor_id, customer_email, subscription_id, product,
            parent_purchase_id is not null as has_parent
          from purchases where site_id = ${siteId} order by ts, amount_minor desc, kind`;
        assert.deepEqual(rows.map((r) => [r.kind, r.amount_minor, r.visitor_id, r.has_parent]), [
          ["one_time", 4900, "v-ls", false],
          // Renewals and refunds follow the sale they belong to, and so its visitor.
          ["renewal", 4900, "v-ls", true],
          ["refund", -1000, "v-ls", true],
          ["refund", -1500, "v-ls", true],
        ]);
        assert.equal(rows[0].subscription_id, sub.id);
        assert.equal(rows[0].customer_email, "pat@example.com");
        assert.equal(rows[0].product, "Pro");
        const metrics = await subscriptionMetrics(sql, siteId, daysBefore(now, 1), new Date());
        assert.equal(metrics.mrr, 4900);

        // Every model credits the visitor's sources, and only them.
        const from = daysBefore(now, 30);
        const to = new Date(Date.now() + 60_000);
        for (const model of MODELS) {
          const report = await revenueReport(sql, { siteId, model, from, to });
          const credited = report.rows.reduce((s, r) => s + r.revenue, 0);
          assert.equal(credited, 4900 + 4900 - 1000 - 1500, model);
          assert.deepEqual(
            report.rows.filter((r) => r.revenue !== 0).map((r) => r.key).sort(),
            model === "first_touch"
              ? ["Twitter"]
              : model === "last_touch"
              ? ["Newsletter"]
              : ["Newsletter", "Twitter"],
            model,
          );
          assert.equal(report.unmatched.revenue, 0, model);
        }

        // Forged, tampered and unsigned deliveries are refused and store nothing.
        const renewal = fake.invoice({ subscription: sub, total: 4900 });
        const body = fake.payload("subscription_payment_success", renewal);
        const forged = await post(app, integration.id, body, await fake.sign(body, "guessed"));
        assert.equal(forged.status, 400);
        assert.match(forged.body.error, /doesn't match/);
        const tampered = body.replace('"total":4900', '"total":99900');
        assert.notEqual(tampered, body);
        assert.equal(
          (await post(app, integration.id, tampered, await fake.sign(body, secret))).status,
          400,
        );
        const unsigned = await post(app, integration.id, body);
        assert.equal(unsigned.status, 400);
        assert.match(unsigned.body.error, /X-Signature header is missing/);

        // Lemon Squeezy signs no timestamp: a replayed delivery is acknowledged and stored once.
        const signature = await fake.sign(body, secret);
        assert.deepEqual(await post(app, integration.id, body, signature), {
          status: 200,
          body: { received: true },
        });
        assert.deepEqual(await post(app, integration.id, body, signature), {
          status: 200,
          body: { received: true, duplicate: true },
        });
        const [stored] = await sql`select count(*)::int as n from webhook_deliveries
          where integration_id = ${integration.id} and event_type = 'subscription_payment_success'
            and body = ${body}`;
        assert.equal(stored.n, 1);
        const [renewals] = await sql`select count(*)::int as n from purchases
          where site_id = ${siteId} and kind = 'renewal'`;
        assert.equal(renewals.n, 2);

        // Expiry ends the MRR.
        await fake.emit("subscription_expired", fake.setStatus(sub, "expired"));
        const after = await subscriptionMetrics(sql, siteId, daysBefore(now, 1), to);
        assert.deepEqual([after.mrr, after.churnedMrr], [0, 4900]);
      } finally {
        await app.stop();
        await fake.close();
      }
    },
  });
}
