/**
 * Kajabi, Teachable and Whop through the whole app: connect with the local fakes, deliveries over
 * HTTP to the webhook endpoint, and purchases attributed like Stripe's.
 */
import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { FakeWhop } from "../testing/fake_whop.ts";
import { FakeTeachable } from "../testing/fake_teachable.ts";
import { FakeKajabi } from "../testing/fake_kajabi.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertIdentify,
  insertSession,
  type SiteOwner,
} from "../testing/journeys.ts";
import { connectPlatform, disconnectPlatform, webhookUrl } from "./connection.ts";
import { findSiteIntegration } from "./store.ts";
import { stopBackground } from "./background.ts";
import { Invalid } from "../lib/errors.ts";
import { waitFor } from "../testing/wait.ts";
import { TestClient } from "../testing/http_client.ts";
import { deliverTwice } from "../testing/platform_sync.ts";

interface Fakes {
  whop: FakeWhop;
  teachable: FakeTeachable;
  kajabi: FakeKajabi;
}

async function withApp(fn: (app: TestApp, owner: SiteOwner, fakes: Fakes) => Promise<void>) {
  const fakes = {
    whop: await FakeWhop.start(),
    teachable: await FakeTeachable.start(),
    kajabi: await FakeKajabi.start(),
  };
  const app = await startTestApp({
    env: {
      WHOP_API_URL: fakes.whop.url,
      TEACHABLE_API_URL: fakes.teachable.url,
      KAJABI_API_URL: fakes.kajabi.url,
    },
  });
  try {
    await fn(app, await createSiteWithOwner(app.ctx.db.sql), fakes);
  } finally {
    await app.stop();
    await Promise.all([fakes.whop.close(), fakes.teachable.close(), fakes.kajabi.close()]);
  }
}

type Row = Record<string, unknown>;
const purchases = (app: TestApp, siteId: number) =>
  app.ctx.db.sql<Row[]>`select * from purchases where site_id = ${siteId} order by ts, kind`;
const deliveries = (app: TestApp, siteId: number) =>
  app.ctx.db.sql<Row[]>`select * from webhook_deliveries where site_id = ${siteId} order by id`;

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof Invalid, String(e));
    return e.message;
  }
  throw new Error("the connect was accepted");
}

Deno.test("connecting each course platform tests the credentials and stores them encrypted", async () => {
  await withApp(async (app, owner, { whop, teachable, kajabi }) => {
    const siteId = owner.site.id;
    assert.equal(
      await refusal(connectPlatform(app.ctx, siteId, "teachable", { apiKey: "wrong-key-123456" })),
      "That Teachable API key was refused — copy it again from Settings → API.",
    );
    const w = whop.addKey();
    assert.match(
      await refusal(
        connectPlatform(app.ctx, siteId, "whop", {
          apiKey: "apik_" + "z".repeat(30),
          companyId: w.companyId,
        }),
      ),
      /^That Whop API key was refused — copy it again/,
    );
    const k = kajabi.addClient();
    assert.match(
      await refusal(
        connectPlatform(app.ctx, siteId, "kajabi", { clientId: k.clientId, clientSecret: "nope" }),
      ),
      /^Kajabi refused that client id and secret/,
    );
    assert.equal(
      (await app.ctx.db.sql`select 1 from integrations where site_id = ${siteId}`).length,
      0,
    );

    const tKey = teachable.addKey();
    const t = await connectPlatform(app.ctx, siteId, "teachable", { apiKey: tKey });
    const wi = await connectPlatform(app.ctx, siteId, "whop", {
      apiKey: w.key,
      companyId: w.companyId,
    });
    const ki = await connectPlatform(app.ctx, siteId, "kajabi", k);
    await stopBackground(app.ctx);
    const rows = await app.ctx.db.sql<Row[]>`select provider, api_key_enc, webhook_secret_enc,
      webhook_mode, account_name from integrations where site_id = ${siteId} order by provider`;
    for (const r of rows) {
      for (const secret of [tKey, w.key, k.clientSecret]) {
        assert.ok(!String(r.api_key_enc).includes(secret), `${r.provider}: credentials encrypted`);
      }
    }
    // Whop: webhook created through the API, its secret kept encrypted.
    assert.equal(whop.webhooks.length, 1);
    assert.equal(whop.webhooks[0].url, `${app.ctx.config.PUBLIC_URL}/api/webhooks/whop/${wi.id}`);
    assert.equal(wi.webhook_mode, "auto");
    // Kajabi: hook registered on a URL that ends with the integration's unguessable token.
    assert.equal(kajabi.hooks.length, 1);
    const kUrl = await webhookUrl(app.ctx, ki);
    assert.equal(kajabi.hooks[0].target_url, kUrl);
    assert.match(kUrl, new RegExp(`/api/webhooks/kajabi/${ki.id}/[A-Za-z0-9_-]{24,}$`));
    assert.equal(ki.account_name, "Fake Academy");
    // Teachable: set up by hand, on a tokened URL.
    assert.equal(t.webhook_mode, "manual");
    assert.match(
      await webhookUrl(app.ctx, t),
      /\/api\/webhooks\/teachable\/\d+\/[A-Za-z0-9_-]{24,}$/,
    );
  });
});

Deno.test("Whop deliveries: a purchase, a renewal and a partial refund; forged ones refused; replays stored once", async () => {
  await withApp(async (app, owner, { whop }) => {
    const siteId = owner.site.id;
    const { key, companyId } = whop.addKey();
    const integration = await connectPlatform(app.ctx, siteId, "whop", { apiKey: key, companyId });
    await stopBackground(app.ctx);
    await insertSession(app.ctx.db.sql, siteId, {
      visitorId: "fan-1",
      startedAt: daysBefore(new Date(), 3),
      source: "YouTube",
      channel: "Organic Video",
    });
    await insertIdentify(
      app.ctx.db.sql,
      siteId,
      "fan-1",
      "fan@example.com",
      daysBefore(new Date(), 3),
    );
    const plan = whop.plan({ companyId, renewalPrice: 29.99, billingPeriod: 30 });
    const m = whop.membership({ companyId, planId: plan.id, email: "fan@example.com" });
    const first = whop.payment({
      companyId,
      total: 29.99,
      email: "fan@example.com",
      billingReason: "subscription_create",
      membershipId: m.id,
      product: "Inner circle",
    });
    assert.deepEqual(await whop.emit(companyId, "payment.succeeded", first), [200]);
    assert.deepEqual(await whop.emit(companyId, "membership.activated", m), [200]);
    const renewal = whop.payment({
      companyId,
      total: 29.99,
      email: "fan@example.com",
      billingReason: "subscription_cycle",
      membershipId: m.id,
    });
    assert.deepEqual(await whop.emit(companyId, "payment.succeeded", renewal), [200]);
    const refund = whop.refund({ paymentId: String(renewal.id), amount: 10 });
    assert.deepEqual(await whop.emit(companyId, "refund.updated", refund), [200]);

    const rows = await purchases(app, siteId);
    assert.deepEqual(
      rows.map((r) => [r.kind, r.amount_minor, r.currency, r.match_method, r.visitor_id]),
      [
        ["subscription_start", 2999, "USD", "email", "fan-1"],
        ["renewal", 2999, "USD", "email", "fan-1"],
        ["refund", -1000, "USD", "email", "fan-1"],
      ],
    );
    assert.equal(rows[0].product, "Inner circle");
    assert.equal(rows[2].parent_purchase_id, rows[1].id, "the refund follows its payment");
    const [sub] = await app.ctx.db.sql<Row[]>`select status, mrr_minor from subscriptions
      where site_id = ${siteId} and provider = 'whop'`;
    assert.deepEqual([sub.status, sub.mrr_minor], ["active", 2999]);
    const [credit] = await app.ctx.db.sql<Row[]>`select source from attribution_credits
      where purchase_id = ${String(rows[0].id)} and model = 'last_touch'`;
    assert.equal(credit.source, "YouTube", "attributed to the visit of the buyer who identified");

    // A replay (same webhook-id, fresh signature) is acknowledged and stored once.
    const url = `${app.ctx.config.PUBLIC_URL}/api/webhooks/whop/${integration.id}`;
    const appUrl = url.replace(app.ctx.config.PUBLIC_URL!, app.url);
    const body = JSON.stringify(whop.event("payment.succeeded", first));
    const secret = whop.webhooks[0].webhook_secret;
    const headers = await whop.sign(body, secret, { id: "msg_replayed" });
    const before = (await deliveries(app, siteId)).length;
    await deliverTwice(appUrl, body, headers);
    assert.equal((await deliveries(app, siteId)).length, before + 1, "one delivery row");
    assert.equal((await purchases(app, siteId)).length, 3, "one purchase per payment");

    // Forged: signed with another secret; unsigned; stale.
    const forged = await fetch(appUrl, {
      method: "POST",
      headers: await whop.sign(body, "ws_not_the_secret_at_all"),
      body,
    });
    assert.equal(forged.status, 400);
    assert.match((await forged.json()).error, /signature does not match/);
    const unsigned = await fetch(appUrl, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    assert.equal(unsigned.status, 400);
    await unsigned.body?.cancel();
    const stale = await fetch(appUrl, {
      method: "POST",
      headers: await whop.sign(body, secret, { timestamp: Math.floor(Date.now() / 1000) - 900 }),
      body,
    });
    assert.equal(stale.status, 400);
    await stale.body?.cancel();
    assert.equal((await deliveries(app, siteId)).length, before + 1, "refused ones are not stored");
  });
});

Deno.test("Teachable deliveries on the tokened URL: a sale, a renewal, a refund; a wrong token or signature refused", async () => {
  await withApp(async (app, owner, { teachable }) => {
    const siteId = owner.site.id;
    const integration = await connectPlatform(app.ctx, siteId, "teachable", {
      apiKey: teachable.addKey(),
    });
    await stopBackground(app.ctx);
    const url = (await webhookUrl(app.ctx, integration)).replace(
      app.ctx.config.PUBLIC_URL!,
      app.url,
    );
    await insertSession(app.ctx.db.sql, siteId, {
      visitorId: "student-1",
      startedAt: daysBefore(new Date(), 2),
      source: "Instagram",
      channel: "Organic Social",
    });
    await insertIdentify(
      app.ctx.db.sql,
      siteId,
      "student-1",
      "baker@example.com",
      daysBefore(new Date(), 2),
    );
    const course = teachable.course("Bread academy");
    const monthly = teachable.plan({ courseId: course.id, price: 2900, type: "subscription" });
    const buyer = teachable.user("baker@example.com");
    const first = teachable.transaction({
      userId: buyer.id,
      planId: monthly.id,
      createdAt: daysBefore(new Date(), 31),
    });
    const renewal = teachable.transaction({
      userId: buyer.id,
      planId: monthly.id,
      saleId: Number(first.sale_id),
    });
    assert.equal((await teachable.deliver(url, "Transaction.created", first)).status, 200);
    assert.equal((await teachable.deliver(url, "Transaction.created", renewal)).status, 200);
    teachable.refund(renewal.id);
    assert.equal((await teachable.deliver(url, "Transaction.refunded", renewal)).status, 200);
    const rows = await purchases(app, siteId);
    assert.deepEqual(rows.map((r) => [r.kind, r.amount_minor, r.product, r.match_method]), [
      ["subscription_start", 2900, "Bread academy", "email"],
      ["renewal", 2900, "Bread academy", "email"],
      ["refund", -2900, "", "email"],
    ]);
    assert.equal(rows[1].parent_purchase_id, rows[0].id, "the renewal follows its start");

    // The same event delivered twice is stored once.
    const body = JSON.stringify(teachable.event("Transaction.created", first));
    const before = (await deliveries(app, siteId)).length;
    await deliverTwice(url, body);
    assert.equal((await deliveries(app, siteId)).length, before + 1);

    const wrong = url.replace(/\/[^/]+$/, "/not-the-token-at-all-000000");
    const bad = await fetch(wrong, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    const bare = url.replace(/\/[^/]+$/, "");
    const none = await fetch(bare, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    assert.equal(none.status, 400);
    await none.body?.cancel();

    // With a signing secret saved, deliveries must carry a matching signature as well.
    await connectPlatform(app.ctx, siteId, "teachable", {
      apiKey: teachable.addKey(),
      signingSecret: "shared-signing-secret",
    });
    await stopBackground(app.ctx);
    const again = await findSiteIntegration(app.ctx.db.sql, siteId, "teachable");
    assert.equal(
      (await webhookUrl(app.ctx, again!)).replace(app.ctx.config.PUBLIC_URL!, app.url),
      url,
      "the URL survives a reconnect",
    );
    const sale = teachable.transaction({
      userId: buyer.id,
      planId: teachable.plan({ courseId: course.id, price: 9900 }).id,
    });
    assert.equal(
      (await teachable.deliver(url, "Transaction.created", sale)).status,
      400,
      "unsigned",
    );
    assert.equal(
      (await teachable.deliver(url, "Transaction.created", sale, "a-guessed-secret")).status,
      400,
    );
    assert.equal(
      (await teachable.deliver(url, "Transaction.created", sale, "shared-signing-secret")).status,
      200,
    );
    assert.equal((await purchases(app, siteId)).length, 4);
  });
});

Deno.test("Kajabi hooks on the tokened URL record payments; disconnecting removes the hook", async () => {
  await withApp(async (app, owner, { kajabi }) => {
    const siteId = owner.site.id;
    const syncsDone = (n: number) =>
      waitFor(async () =>
        (await app.ctx.db.sql`select 1 from integration_syncs
          where site_id = ${siteId} and status = 'done'`).length === n
      );
    const integration = await connectPlatform(app.ctx, siteId, "kajabi", kajabi.addClient());
    await syncsDone(1);
    const customer = kajabi.customer("member@example.com");
    const offer = kajabi.offer("Mastermind");
    const p = kajabi.purchase({
      customerId: customer.id,
      offerId: offer.id,
      paymentType: "subscription",
    });
    const t = kajabi.transaction({ purchaseId: p.id, amountInCents: 4900 });
    const [res] = await kajabi.deliver("payment_succeeded", [kajabi.hookItem(t)], { id: "d-1" });
    assert.equal(res.status, 200, res.body);
    const [again] = await kajabi.deliver("payment_succeeded", [kajabi.hookItem(t)], { id: "d-1" });
    assert.equal(again.status, 200);
    assert.match(again.body, /duplicate/);
    const rows = await purchases(app, siteId);
    assert.deepEqual(rows.map((r) => [r.kind, r.amount_minor, r.customer_email, r.product]), [
      ["subscription_start", 4900, "member@example.com", "Mastermind"],
    ]);
    assert.equal((await deliveries(app, siteId)).length, 1);

    const url = (await webhookUrl(app.ctx, integration)).replace(
      app.ctx.config.PUBLIC_URL!,
      app.url,
    );
    const forged = await fetch(url.replace(/\/[^/]+$/, "/guessed-token-aaaaaaaaaaaaaaaa"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "x", event: "payment_succeeded", payload: [] }),
    });
    assert.equal(forged.status, 400);
    await forged.body?.cancel();

    await disconnectPlatform(
      app.ctx,
      (await findSiteIntegration(app.ctx.db.sql, siteId, "kajabi"))!,
    );
    assert.equal(kajabi.hooks.length, 0);
    // Reconnecting syncs again without duplicating what is already there.
    await connectPlatform(app.ctx, siteId, "kajabi", kajabi.addClient());
    await syncsDone(2);
    assert.equal((await purchases(app, siteId)).length, 1);
  });
});

Deno.test("a leaked secret address is replaced from the page: the old token stops working, Kajabi's hook moves", async () => {
  await withApp(async (app, owner, { teachable, kajabi }) => {
    const siteId = owner.site.id;
    const t = await connectPlatform(app.ctx, siteId, "teachable", { apiKey: teachable.addKey() });
    const k = await connectPlatform(app.ctx, siteId, "kajabi", kajabi.addClient());
    await stopBackground(app.ctx);
    const local = async (i: typeof t) =>
      (await webhookUrl(app.ctx, (await findSiteIntegration(app.ctx.db.sql, siteId, i.provider))!))
        .replace(app.ctx.config.PUBLIC_URL!, app.url);
    const oldTeachable = await local(t);
    const oldKajabi = await local(k);

    const client = new TestClient(app);
    client.cookies.set("sextant_session", owner.token);
    const { html } = await client.page(`/sites/${siteId}/integrations`);
    assert.equal(html.match(/New secret address/g)?.length, 2, "a button per tokened platform");
    for (const provider of ["teachable", "kajabi"]) {
      const res = await client.post(`/sites/${siteId}/integrations/${provider}/webhook-token`);
      assert.equal(res.status, 303);
      await res.body?.cancel();
    }
    const newTeachable = await local(t);
    const newKajabi = await local(k);
    assert.notEqual(newTeachable, oldTeachable);
    assert.notEqual(newKajabi, oldKajabi);
    assert.deepEqual(
      kajabi.hooks.map((h) => h.target_url.replace(app.ctx.config.PUBLIC_URL!, app.url)),
      [
        newKajabi,
      ],
    );

    const course = teachable.course("Calligraphy");
    const buyer = teachable.user("ink@example.com");
    const tx = teachable.transaction({
      userId: buyer.id,
      planId: teachable.plan({ courseId: course.id, price: 5900 }).id,
    });
    assert.equal((await teachable.deliver(oldTeachable, "Transaction.created", tx)).status, 400);
    assert.equal((await teachable.deliver(newTeachable, "Transaction.created", tx)).status, 200);
    const c = kajabi.customer("ink@example.com");
    const p = kajabi.purchase({ customerId: c.id, offerId: kajabi.offer("Ink club").id });
    const [delivered] = await kajabi.deliver("payment_succeeded", [
      kajabi.hookItem(kajabi.transaction({ purchaseId: p.id, amountInCents: 1500 })),
    ]);
    assert.equal(delivered.status, 200, "Kajabi delivers to the new address");
    assert.equal((await purchases(app, siteId)).length, 2);
  });
});
