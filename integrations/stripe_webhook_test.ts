import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { FakeStripe } from "../testing/fake_stripe.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertSession,
  type SiteOwner,
} from "../testing/journeys.ts";
import { connectPlatform } from "./connection.ts";
import { findSiteIntegration, type Integration } from "./store.ts";
import { RETRY_DELAYS_MS, retryDueDeliveries, SIGNATURE_ALERT_AFTER } from "./webhooks.ts";
import { stopBackground } from "./background.ts";
import { TestClient } from "../testing/http_client.ts";
import { SESSION_COOKIE } from "../accounts/sessions.ts";

interface Ctx {
  app: TestApp;
  fake: FakeStripe;
  owner: SiteOwner;
  integration: Integration;
  url: string;
}

async function withStripe(fn: (t: Ctx) => Promise<void>) {
  const fake = await FakeStripe.start();
  const app = await startTestApp({ env: { STRIPE_API_URL: fake.url } });
  try {
    const owner = await createSiteWithOwner(app.ctx.db.sql);
    const key = fake.addKey("rk_test_webhooks1");
    const integration = await connectPlatform(app.ctx, owner.site.id, "stripe", key);
    await stopBackground(app.ctx); // the (empty) backfill is not what these tests are about
    const url = `${app.url}/api/webhooks/stripe/${integration.id}`;
    await fn({ app, fake, owner, integration, url });
  } finally {
    await app.stop();
    await fake.close();
  }
}

async function post(url: string, body: string, signature: string): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": signature },
    body,
  });
}

async function count(app: TestApp, table: "purchases" | "webhook_deliveries", siteId: number) {
  const [r] = await app.ctx.db.sql`select count(*)::int as n from ${app.ctx.db.sql(table)}
    where site_id = ${siteId}`;
  return r.n as number;
}

Deno.test("connecting registers Sextant's webhook endpoint with the events it needs", async () => {
  await withStripe(async ({ fake, integration, url, app }) => {
    assert.equal(fake.endpoints.length, 1);
    assert.equal(fake.endpoints[0].url, url);
    assert.ok(fake.endpoints[0].enabled_events.includes("checkout.session.completed"));
    assert.equal(integration.webhook_mode, "auto");
    assert.equal(integration.status === "connected" || integration.status === "syncing", true);
    const [row] = await app.ctx.db.sql`select api_key_enc, webhook_secret_enc from integrations
      where id = ${integration.id}`;
    assert.ok(!String(row.api_key_enc).includes("rk_test"), "the key is encrypted at rest");
    assert.ok(!String(row.webhook_secret_enc).includes("whsec_"), "the secret is encrypted too");
  });
});

Deno.test("a signed checkout webhook is stored and attributed; a replay duplicates nothing", async () => {
  await withStripe(async ({ app, fake, owner, url }) => {
    const siteId = owner.site.id;
    await insertSession(app.ctx.db.sql, siteId, {
      visitorId: "vis-1",
      startedAt: daysBefore(new Date(), 2),
      source: "YouTube",
      channel: "Organic Video",
    });
    const session = fake.checkoutSession({
      amount: 12900,
      email: "buyer@example.com",
      clientReferenceId: "vis-1",
      product: "Video course",
    });
    const payload = JSON.stringify(fake.event("checkout.session.completed", session));
    const signature = await fake.sign(payload, fake.endpoints[0].secret);
    const first = await post(url, payload, signature);
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { received: true });

    const [p] = await app.ctx.db.sql`select * from purchases where site_id = ${siteId}`;
    assert.equal(p.amount_minor, 12900);
    assert.equal(p.currency, "USD");
    assert.equal(p.product, "Video course");
    assert.equal(p.visitor_id, "vis-1");
    assert.equal(p.match_method, "checkout_id");
    const credits = await app.ctx.db.sql`select source, amount_site_minor from attribution_credits
      where purchase_id = ${p.id} and model = 'last_touch'`;
    assert.deepEqual(credits.map((c) => [c.source, c.amount_site_minor]), [["YouTube", 12900]]);

    // Stripe retries the same event (same id, same body, fresh signature), and the event also
    // shows up again in a later backfill: one purchase either way.
    const again = await post(url, payload, await fake.sign(payload, fake.endpoints[0].secret));
    assert.equal(again.status, 200);
    assert.equal(await count(app, "purchases", siteId), 1);
    assert.equal(await count(app, "webhook_deliveries", siteId), 2, "every delivery is kept raw");
    const [raw] = await app.ctx.db.sql`select body, status from webhook_deliveries
      where site_id = ${siteId} order by id limit 1`;
    assert.equal(raw.body, payload);
    assert.equal(raw.status, "processed");
  });
});

Deno.test("each failed invoice attempt is one failure on the customer's timeline", async () => {
  await withStripe(async ({ app, fake, owner, url }) => {
    const siteId = owner.site.id;
    const send = async (type: string, object: unknown) => {
      const payload = JSON.stringify(fake.event(type, object));
      const res = await post(url, payload, await fake.sign(payload, fake.endpoints[0].secret));
      assert.equal(res.status, 200);
      await res.body?.cancel();
      return payload;
    };
    assert.ok(fake.endpoints[0].enabled_events.includes("invoice.payment_failed"));
    const first = fake.failedInvoice({
      id: "in_fail",
      amount: 2900,
      email: "Card@Example.com",
      subscription: "sub_card",
      attempt: 1,
    });
    const payload = await send("invoice.payment_failed", first);
    // The subscription falls past due too: the same failure, not another one.
    const sub = fake.subscription({ unitAmount: 2900, status: "past_due" });
    sub.id = "sub_card";
    await send("customer.subscription.updated", sub);
    await send("invoice.payment_failed", { ...first, attempt_count: 2 });
    // Stripe redelivers the first event (same id): stored once.
    const again = await post(url, payload, await fake.sign(payload, fake.endpoints[0].secret));
    assert.equal(again.status, 200);
    await again.body?.cancel();

    const [c] = await app.ctx.db.sql<{ id: number }[]>`
      select id from customers where site_id = ${siteId} and email = 'card@example.com'`;
    const client = new TestClient(app);
    client.cookies.set(SESSION_COOKIE, owner.token);
    const res = await client.fetch(
      `/api/app/sites/${siteId}/customers/${c.id}/timeline?type=payment_failed`,
    );
    const body = await res.json() as {
      items: { type: string; detail: { amount_minor: number; reason: string } }[];
    };
    assert.deepEqual(body.items.map((i) => [i.detail.amount_minor, i.detail.reason]), [
      [2900, "Attempt 2"],
      [2900, ""],
    ]);
    const profile = await client.page(`/sites/${siteId}/customers/${c.id}`);
    assert.match(profile.html, /Payment failed: \$29</);
  });
});

Deno.test("a tampered body, a wrong secret or a stale signature gets 400 and stores nothing", async () => {
  await withStripe(async ({ app, fake, owner, url }) => {
    const siteId = owner.site.id;
    const session = fake.checkoutSession({ amount: 5000, email: "x@example.com" });
    const payload = JSON.stringify(fake.event("checkout.session.completed", session));
    const secret = fake.endpoints[0].secret;

    const tampered = payload.replace('"amount_total":5000', '"amount_total":1');
    const r1 = await post(url, tampered, await fake.sign(payload, secret));
    assert.equal(r1.status, 400);
    assert.match((await r1.json()).error, /signature/);

    const r2 = await post(url, payload, await fake.sign(payload, "whsec_not_the_right_one"));
    assert.equal(r2.status, 400);
    await r2.body?.cancel();

    const old = Math.floor(Date.now() / 1000) - 3600;
    const r3 = await post(url, payload, await fake.sign(payload, secret, old));
    assert.equal(r3.status, 400);
    assert.match((await r3.json()).error, /too old/);

    const r4 = await fetch(url, { method: "POST", body: payload });
    assert.equal(r4.status, 400);
    await r4.body?.cancel();

    assert.equal(await count(app, "purchases", siteId), 0);
    assert.equal(await count(app, "webhook_deliveries", siteId), 0);
    const [i] = await app.ctx.db
      .sql`select signature_failures from integrations where site_id = ${siteId}`;
    assert.equal(i.signature_failures, 4);
  });
});

Deno.test("repeated bad signatures alert the site's owner once", async () => {
  await withStripe(async ({ app, fake, owner, url }) => {
    const payload = JSON.stringify(fake.event("invoice.paid", { id: "in_x" }));
    for (let i = 0; i < SIGNATURE_ALERT_AFTER + 2; i++) {
      const r = await post(url, payload, await fake.sign(payload, "whsec_forged"));
      await r.body?.cancel();
    }
    const mail = await app.ctx.db.sql`select to_address, subject, text from email_outbox
      where kind = 'alert'`;
    assert.equal(mail.length, 1);
    assert.equal(mail[0].to_address, owner.email);
    assert.match(mail[0].subject, /Integration trouble/);
    assert.match(mail[0].text, /rejected 5 webhook deliveries/);
  });
});

Deno.test("an absurd amount is stored as a failed delivery with the reason, not retried", async () => {
  await withStripe(async ({ app, fake, owner, url }) => {
    const siteId = owner.site.id;
    const session = fake.checkoutSession({ amount: 10 ** 15, email: "rich@example.com" });
    const payload = JSON.stringify(fake.event("checkout.session.completed", session));
    const res = await post(url, payload, await fake.sign(payload, fake.endpoints[0].secret));
    assert.equal(res.status, 200, "the delivery is stored and acknowledged");
    await res.body?.cancel();
    const [d] = await app.ctx.db.sql`select status, attempts, next_attempt_at, last_error
      from webhook_deliveries where site_id = ${siteId}`;
    assert.equal(d.status, "failed");
    assert.equal(d.attempts, 1, "retrying cannot make the amount sane");
    assert.equal(d.next_attempt_at, null);
    assert.match(d.last_error, /amount .* is larger than any purchase Sextant records/);
    assert.equal(await count(app, "purchases", siteId), 0);
  });
});

Deno.test("processing failures are retried with backoff, then kept for a replay", async () => {
  await withStripe(async ({ app, fake, owner, url, integration }) => {
    const siteId = owner.site.id;
    const session = fake.checkoutSession({ amount: 2500, email: "r@example.com" });
    const payload = JSON.stringify(fake.event("checkout.session.completed", session));
    // Stripe itself is down: the line items can't be read, so processing fails.
    fake.keys.delete("rk_test_webhooks1");
    fake.addKey("rk_test_webhooks1", { read: [] });
    const before = Date.now();
    const res = await post(url, payload, await fake.sign(payload, fake.endpoints[0].secret));
    assert.equal(res.status, 200, "stored deliveries are acknowledged; retrying is our job");
    await res.body?.cancel();
    const state = async () => {
      const [d] = await app.ctx.db.sql`select id, status, attempts, next_attempt_at, last_error
        from webhook_deliveries where site_id = ${siteId}`;
      return d;
    };
    let d = await state();
    assert.equal(d.status, "retrying");
    assert.equal(d.attempts, 1);
    // The first retry is due one backoff step after the attempt, which fell inside this bracket.
    const due = d.next_attempt_at.getTime();
    assert.ok(due >= before + RETRY_DELAYS_MS[0] && due <= Date.now() + RETRY_DELAYS_MS[0]);
    assert.match(d.last_error, /isn't allowed to read Checkout Session line items/);

    const makeDue = () =>
      app.ctx.db
        .sql`update webhook_deliveries set next_attempt_at = now() where site_id = ${siteId}`;
    assert.equal(await retryDueDeliveries(app.ctx), 0, "nothing is due yet");
    await makeDue();
    assert.equal(await retryDueDeliveries(app.ctx), 1);
    assert.equal((await state()).attempts, 2);
    await makeDue();
    await retryDueDeliveries(app.ctx);
    d = await state();
    assert.equal(d.status, "failed");
    assert.equal(d.attempts, 3);
    const broken = await findSiteIntegration(app.ctx.db.sql, siteId, "stripe");
    assert.equal(broken?.status, "error");
    assert.match(
      broken?.last_error ?? "",
      /could not be recorded after 3 tries: This key isn't allowed/,
    );
    await makeDue();
    assert.equal(await retryDueDeliveries(app.ctx), 0, "three attempts in all");
    assert.equal(await count(app, "purchases", siteId), 0);

    // Access is back; the owner presses Replay on the integrations page.
    fake.addKey("rk_test_webhooks1");
    const replay = await app.fetch(
      `/sites/${siteId}/integrations/stripe/deliveries/${d.id}/replay`,
      {
        method: "POST",
        headers: { cookie: owner.cookie, "x-csrf-token": await csrf(app, owner) },
        redirect: "manual",
      },
    );
    assert.equal(replay.status, 303);
    assert.match(replay.headers.get("location") ?? "", /notice=replayed/);
    assert.equal((await state()).status, "processed");
    assert.equal(await count(app, "purchases", siteId), 1);
    const fixed = await findSiteIntegration(app.ctx.db.sql, siteId, "stripe");
    assert.equal(fixed?.id, integration.id);
    assert.equal(fixed?.status, "connected");
  });
});

/** The CSRF token the owner's pages carry. */
async function csrf(app: TestApp, owner: SiteOwner): Promise<string> {
  const page = await app.fetch(`/sites/${owner.site.id}/integrations`, {
    headers: { cookie: owner.cookie },
  });
  const html = await page.text();
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, "the integrations page has a form");
  return m[1];
}

Deno.test("a correctly signed delivery that isn't a Stripe event is stored raw and answered 400", async () => {
  await withStripe(async ({ app, fake, owner, url }) => {
    const siteId = owner.site.id;
    const secret = fake.endpoints[0].secret;
    const bodies = [
      "{}",
      "[]",
      "this is not JSON",
      '{"id":"evt_nul\u0000","type":"invoice.paid"}',
      '{"id":"evt_escaped\\u0000","object":"event","type":"invoice.paid","data":{"object":{}}}',
    ];
    // More non-events than it takes to raise the bad-signature alert: none of them counts.
    for (const body of [...bodies, ...Array(SIGNATURE_ALERT_AFTER).fill("not JSON either")]) {
      const res = await post(url, body, await fake.sign(body, secret));
      assert.equal(res.status, 400, body);
      const { error } = await res.json();
      assert.match(error, /signature is valid, but .+\.$/, body);
    }
    const rows = await app.ctx.db.sql`select body, raw_body, status, last_error
      from webhook_deliveries where site_id = ${siteId} order by id`;
    assert.equal(rows.length, bodies.length + SIGNATURE_ALERT_AFTER, "every delivery is kept");
    bodies.forEach((body, i) => {
      const raw = rows[i].raw_body
        ? new TextDecoder().decode(rows[i].raw_body as Uint8Array)
        : rows[i].body;
      assert.equal(raw, body, "stored exactly as it came");
      assert.equal(rows[i].status, "malformed");
      assert.ok(rows[i].last_error);
    });
    const [i] = await app.ctx.db
      .sql`select signature_failures from integrations where site_id = ${siteId}`;
    assert.equal(i.signature_failures, 0);
    const alerts = await app.ctx.db
      .sql`select 1 from email_outbox where kind = 'alert'`;
    assert.equal(alerts.length, 0);
    assert.equal(await count(app, "purchases", siteId), 0);
  });
});

Deno.test("a signature dated more than 5 minutes in either direction is refused", async () => {
  await withStripe(async ({ app, fake, owner, url }) => {
    const secret = fake.endpoints[0].secret;
    const payload = JSON.stringify(fake.event("invoice.paid", { id: "in_future" }));
    const now = Math.floor(Date.now() / 1000);
    const ahead = await post(url, payload, await fake.sign(payload, secret, now + 3600));
    assert.equal(ahead.status, 400);
    assert.match((await ahead.json()).error, /in the future/);
    const justAhead = await post(url, payload, await fake.sign(payload, secret, now + 240));
    assert.equal(justAhead.status, 200, "clocks a little apart are fine");
    await justAhead.body?.cancel();
    const justBehind = await post(url, payload, await fake.sign(payload, secret, now - 240));
    assert.equal(justBehind.status, 200);
    await justBehind.body?.cancel();
    assert.equal(await count(app, "webhook_deliveries", owner.site.id), 2);
  });
});
