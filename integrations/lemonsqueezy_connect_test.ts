import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { FakeLemonSqueezy } from "../testing/fake_lemonsqueezy.ts";
import { csrfFor } from "../testing/platform_sync.ts";
import { createSiteWithOwner, type SiteOwner } from "../testing/journeys.ts";
import { ChoiceRequired, connectPlatform, disconnectPlatform } from "./connection.ts";
import { findSiteIntegration } from "./store.ts";
import { stopBackground } from "./background.ts";
import { Invalid } from "../lib/errors.ts";

async function withApp(
  fn: (app: TestApp, fake: FakeLemonSqueezy, owner: SiteOwner) => Promise<void>,
) {
  const fake = await FakeLemonSqueezy.start();
  const app = await startTestApp({ env: { LEMONSQUEEZY_API_URL: fake.url } });
  try {
    await fn(app, fake, await createSiteWithOwner(app.ctx.db.sql));
  } finally {
    await stopBackground(app.ctx);
    await app.stop();
    await fake.close();
  }
}

Deno.test("a Lemon Squeezy key is checked with a test call; a refusal is a sentence", async () => {
  await withApp(async (app, fake, owner) => {
    const refused = await connectPlatform(app.ctx, owner.site.id, "lemonsqueezy", {
      apiKey: "not-a-real-key",
    }).then(() => null, (e) => e);
    assert.ok(refused instanceof Invalid, `expected a sentence, got ${refused}`);
    assert.equal(refused.field, "apiKey");
    assert.match(
      refused.message,
      /^Lemon Squeezy didn't accept these credentials \(Unauthenticated\)/,
    );
    assert.match(refused.message, /Settings → API/);
    assert.equal(await findSiteIntegration(app.ctx.db.sql, owner.site.id, "lemonsqueezy"), null);
    assert.equal(fake.webhooks.length, 0);
    assert.ok(fake.requests.some((r) => r.startsWith("GET /v1/users/me")), "a real test call");

    // Through the form: the sentence sits beside the key field, never a status code.
    const res = await app.fetch(`/sites/${owner.site.id}/integrations/lemonsqueezy/connect`, {
      method: "POST",
      headers: { cookie: owner.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        _csrf: await csrfFor(app, owner.cookie, owner.site.id),
        apiKey: "still-wrong",
      }),
    });
    assert.equal(res.status, 400);
    const html = await res.text();
    assert.match(
      html,
      /id="f-lemonsqueezy-apiKey-error"[^>]*>Lemon Squeezy didn(&#x27;|')t accept/,
    );
    assert.doesNotMatch(html, /401/);
  });
});

Deno.test("a key reaching several stores asks which; the webhook is registered with a fresh secret", async () => {
  await withApp(async (app, fake, owner) => {
    const second = fake.store("Second Shop", "EUR");
    const key = fake.addKey("ls_test_key_two_stores");
    const choice = await connectPlatform(app.ctx, owner.site.id, "lemonsqueezy", { apiKey: key })
      .then(() => null, (e) => e);
    assert.ok(choice instanceof ChoiceRequired, `expected a choice, got ${choice}`);
    assert.equal(choice.field, "storeId");
    assert.deepEqual(choice.options.map((o) => o.label), [
      "Indie Shop (USD)",
      "Second Shop (EUR)",
    ]);

    // The form offers the stores as a list, keeping nothing secret in the page.
    const res = await app.fetch(`/sites/${owner.site.id}/integrations/lemonsqueezy/connect`, {
      method: "POST",
      headers: { cookie: owner.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        _csrf: await csrfFor(app, owner.cookie, owner.site.id),
        apiKey: key,
      }),
    });
    assert.equal(res.status, 400);
    const html = await res.text();
    assert.match(html, /<select id="f-lemonsqueezy-storeId" name="storeId"/);
    assert.match(html, /Second Shop \(EUR\)/);
    assert.ok(!html.includes(key), "the key is not echoed back");

    const integration = await connectPlatform(app.ctx, owner.site.id, "lemonsqueezy", {
      apiKey: key,
      storeId: second.id,
    });
    assert.equal(integration.status === "connected" || integration.status === "syncing", true);
    assert.equal(integration.account_name, "Second Shop");
    assert.equal(integration.livemode, false, "a test-mode key");
    assert.equal(integration.key_hint, "…ores");
    assert.equal(integration.webhook_mode, "auto");
    assert.equal(fake.webhooks.length, 1);
    const hook = fake.webhooks[0];
    assert.equal(hook.url, `${app.url}/api/webhooks/lemonsqueezy/${integration.id}`);
    assert.equal(hook.storeId, second.id);
    assert.ok(hook.events.includes("order_created") && hook.events.includes("order_refunded"));
    assert.ok(hook.secret.length >= 6 && hook.secret.length <= 40);
    assert.equal(integration.webhook_endpoint_id, hook.id);
    const [row] = await app.ctx.db.sql`select api_key_enc, webhook_secret_enc from integrations
      where id = ${integration.id}`;
    assert.ok(!String(row.api_key_enc).includes(key), "the key is encrypted at rest");
    assert.ok(!String(row.webhook_secret_enc).includes(hook.secret), "the secret too");

    // Disconnect removes the webhook; connecting again registers one, on the same URL.
    await stopBackground(app.ctx);
    await disconnectPlatform(app.ctx, integration);
    assert.equal(fake.webhooks.length, 0);
    const again = await connectPlatform(app.ctx, owner.site.id, "lemonsqueezy", {
      apiKey: key,
      storeId: second.id,
    });
    assert.equal(again.id, integration.id);
    assert.equal(fake.webhooks.length, 1);
    assert.notEqual(fake.webhooks[0].secret, hook.secret, "a fresh secret each time");
  });
});

Deno.test("when Lemon Squeezy refuses the webhook, the page shows the steps and takes the secret", async () => {
  await withApp(async (app, fake, owner) => {
    const key = fake.addKey("ls_test_key_manual");
    // Lemon Squeezy refuses URLs it can't reach; an instance on a private name gets the steps.
    fake.rejectWebhookUrls = true;
    const integration = await connectPlatform(app.ctx, owner.site.id, "lemonsqueezy", {
      apiKey: key,
    });
    await stopBackground(app.ctx);
    assert.equal(integration.webhook_mode, "manual");
    assert.equal(
      integration.webhook_note,
      "Lemon Squeezy refused to create a webhook (The url must be a valid URL). Add the webhook " +
        "in Lemon Squeezy yourself as shown here, or set PUBLIC_URL to an address Lemon Squeezy " +
        "can reach and connect again.",
    );
    const html = await (await app.fetch(`/sites/${owner.site.id}/integrations`, {
      headers: { cookie: owner.cookie },
    })).text();
    assert.match(html, /Add the webhook in Lemon Squeezy/);
    assert.ok(html.includes(`/api/webhooks/lemonsqueezy/${integration.id}`), "the URL to paste");
    assert.ok(html.includes("<code>subscription_payment_success</code>"), "the events to tick");
    const csrf = await csrfFor(app, owner.cookie, owner.site.id);
    const post = (secret: string) =>
      app.fetch(`/sites/${owner.site.id}/integrations/lemonsqueezy/webhook-secret`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: owner.cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: csrf, webhookSecret: secret }),
      });
    const short = await post("abc");
    assert.equal(short.status, 400);
    assert.match(await short.text(), /6 to 40 characters/);
    const ok = await post("my-own-secret-123");
    assert.equal(ok.status, 303);
    await ok.body?.cancel();

    const order = fake.order({ total: 1500, email: "manual@example.com" });
    const body = fake.payload("order_created", order);
    const res = await app.fetch(`/api/webhooks/lemonsqueezy/${integration.id}`, {
      method: "POST",
      headers: { "x-signature": await fake.sign(body, "my-own-secret-123") },
      body,
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const [n] = await app.ctx.db.sql`select count(*)::int as n from purchases
      where site_id = ${owner.site.id} and provider = 'lemonsqueezy'`;
    assert.equal(n.n, 1);
  });
});
