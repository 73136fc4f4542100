import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { FakeStripe } from "../testing/fake_stripe.ts";
import { createSiteWithOwner, type SiteOwner } from "../testing/journeys.ts";
import { connectPlatform, disconnectPlatform } from "./connection.ts";
import { findSiteIntegration } from "./store.ts";
import { stopBackground } from "./background.ts";
import { Invalid } from "../lib/errors.ts";
import { setMembership } from "../accounts/orgs.ts";
import { createUser } from "../accounts/users.ts";
import { createLoginSession, SESSION_COOKIE } from "../accounts/sessions.ts";

async function withApp(fn: (app: TestApp, fake: FakeStripe, owner: SiteOwner) => Promise<void>) {
  const fake = await FakeStripe.start();
  const app = await startTestApp({ env: { STRIPE_API_URL: fake.url } });
  try {
    await fn(app, fake, await createSiteWithOwner(app.ctx.db.sql));
  } finally {
    await app.stop();
    await fake.close();
  }
}

async function refusal(app: TestApp, siteId: number, key: string): Promise<string> {
  try {
    await connectPlatform(app.ctx, siteId, "stripe", key);
  } catch (e) {
    assert.ok(e instanceof Invalid, `expected a sentence, got ${e}`);
    return e.message;
  }
  throw new Error("the key was accepted");
}

/** The page's CSRF token for a signed-in user. */
async function csrfFor(app: TestApp, cookie: string, siteId: number): Promise<string> {
  const html = await (await app.fetch(`/sites/${siteId}/integrations`, { headers: { cookie } }))
    .text();
  return /name="_csrf" value="([^"]+)"/.exec(html)![1];
}

Deno.test("keys are checked with a test call and refusals say what to fix", async () => {
  await withApp(async (app, fake, owner) => {
    const site = owner.site.id;
    assert.match(await refusal(app, site, "pk_live_abc123"), /publishable key/);
    assert.match(await refusal(app, site, "whsec_abc123"), /webhook signing secret/);
    assert.match(await refusal(app, site, "hello"), /doesn't look like a Stripe key/);
    assert.match(await refusal(app, site, "rk_live_unknown1"), /didn't accept this key/);
    fake.addKey("rk_test_narrow", { read: ["checkout_sessions"] });
    assert.equal(
      await refusal(app, site, "rk_test_narrow"),
      "This key can't read Invoices, Subscriptions and Refunds — add Read access to them in the " +
        "key's permissions (Stripe Dashboard → Developers → API keys → edit the restricted key), " +
        "then paste it again.",
    );
    assert.equal(await findSiteIntegration(app.ctx.db.sql, site, "stripe"), null);
    assert.equal(fake.endpoints.length, 0);
  });
});

Deno.test("the connect form shows the refusal beside the field, never a status code", async () => {
  await withApp(async (app, _fake, owner) => {
    const page = await app.fetch(`/sites/${owner.site.id}/integrations/stripe/connect`, {
      method: "POST",
      headers: { cookie: owner.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        _csrf: await csrfFor(app, owner.cookie, owner.site.id),
        apiKey: "rk_test_nosuchkey",
      }),
    });
    assert.equal(page.status, 400);
    const html = await page.text();
    assert.match(
      html,
      /id="f-stripe-apiKey-error"[^>]*>Stripe didn&#x27;t accept this key|id="f-stripe-apiKey-error"[^>]*>Stripe didn't accept this key/,
    );
    assert.doesNotMatch(html, /401/);
  });
});

Deno.test("without webhook permission the owner gets instructions and pastes the secret", async () => {
  await withApp(async (app, fake, owner) => {
    const key = fake.addKey("rk_test_readonly", { read: "all", writeWebhooks: false });
    const integration = await connectPlatform(app.ctx, owner.site.id, "stripe", key);
    await stopBackground(app.ctx);
    assert.equal(integration.webhook_mode, "manual");
    assert.match(integration.webhook_note, /can't create webhook endpoints/);
    const html = await (await app.fetch(`/sites/${owner.site.id}/integrations`, {
      headers: { cookie: owner.cookie },
    })).text();
    assert.ok(html.includes(`/api/webhooks/stripe/${integration.id}`), "the URL to paste is shown");
    assert.ok(html.includes("checkout.session.completed"), "the events to pick are listed");

    const csrf = await csrfFor(app, owner.cookie, owner.site.id);
    const post = (secret: string) =>
      app.fetch(`/sites/${owner.site.id}/integrations/stripe/webhook-secret`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: owner.cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: csrf, webhookSecret: secret }),
      });
    const bad = await post("sk_test_oops");
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /isn(&#x27;|')t a webhook signing secret/);
    const secret = "whsec_pastedByTheOwner123";
    const ok = await post(secret);
    assert.equal(ok.status, 303);
    await ok.body?.cancel();

    const session = fake.checkoutSession({ amount: 700, email: "m@example.com" });
    const payload = JSON.stringify(fake.event("checkout.session.completed", session));
    const res = await app.fetch(`/api/webhooks/stripe/${integration.id}`, {
      method: "POST",
      headers: { "stripe-signature": await fake.sign(payload, secret) },
      body: payload,
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const [n] = await app.ctx.db.sql`select count(*)::int as n from purchases
      where site_id = ${owner.site.id}`;
    assert.equal(n.n, 1);
  });
});

Deno.test("an address Stripe can't reach falls back to instructions that say why", async () => {
  await withApp(async (app, fake, owner) => {
    fake.rejectEndpointUrls = true;
    const integration = await connectPlatform(
      app.ctx,
      owner.site.id,
      "stripe",
      fake.addKey("rk_test_local"),
    );
    await stopBackground(app.ctx);
    assert.equal(integration.webhook_mode, "manual");
    assert.match(integration.webhook_note, /Set PUBLIC_URL to an address Stripe can reach/);
  });
});

Deno.test("disconnecting removes the endpoint and the key; reconnecting keeps the same URL", async () => {
  await withApp(async (app, fake, owner) => {
    const key = fake.addKey("rk_test_cycle");
    const first = await connectPlatform(app.ctx, owner.site.id, "stripe", key);
    await stopBackground(app.ctx);
    assert.equal(fake.endpoints.length, 1);
    await disconnectPlatform(app.ctx, first);
    assert.equal(fake.endpoints.length, 0);
    const off = await findSiteIntegration(app.ctx.db.sql, owner.site.id, "stripe");
    assert.equal(off?.status, "disconnected");
    assert.equal(off?.api_key_enc, null);
    const res = await app.fetch(`/api/webhooks/stripe/${first.id}`, { method: "POST", body: "{}" });
    assert.equal(res.status, 404);
    await res.body?.cancel();

    const again = await connectPlatform(app.ctx, owner.site.id, "stripe", key);
    assert.equal(again.id, first.id);
    assert.equal(fake.endpoints.length, 1);
    assert.equal(fake.endpoints[0].url, `${app.url}/api/webhooks/stripe/${first.id}`);
    // Replacing the key replaces the endpoint rather than adding a second one.
    await connectPlatform(app.ctx, owner.site.id, "stripe", fake.addKey("rk_test_cycle2"));
    assert.equal(fake.endpoints.length, 1);
  });
});

Deno.test("other organizations can't see or change a site's integrations; viewers can't connect", async () => {
  await withApp(async (app, fake, owner) => {
    const sql = app.ctx.db.sql;
    const other = await createSiteWithOwner(sql);
    await connectPlatform(app.ctx, owner.site.id, "stripe", fake.addKey("rk_test_private"));
    await stopBackground(app.ctx);
    for (
      const path of [
        `/sites/${owner.site.id}/integrations`,
        `/sites/${owner.site.id}/revenue`,
        `/sites/${owner.site.id}/revenue.csv`,
        `/api/app/sites/${owner.site.id}/integrations/stripe/status`,
      ]
    ) {
      const res = await app.fetch(path, { headers: { cookie: other.cookie } });
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    const res = await app.fetch(`/sites/${owner.site.id}/integrations/stripe/disconnect`, {
      method: "POST",
      headers: {
        cookie: other.cookie,
        "x-csrf-token": await csrfFor(app, other.cookie, other.site.id),
      },
    });
    assert.equal(res.status, 404);
    await res.body?.cancel();

    const viewer = await createUser(sql, {
      email: `viewer-${crypto.randomUUID()}@example.com`,
      password: "correct horse battery",
    });
    await setMembership(sql, owner.site.org_id, viewer.id, "viewer");
    const cookie = `${SESSION_COOKIE}=${(await createLoginSession(sql, viewer.id)).token}`;
    const view = await app.fetch(`/sites/${owner.site.id}/integrations`, { headers: { cookie } });
    assert.equal(view.status, 200);
    assert.doesNotMatch(await view.text(), /Disconnect Stripe/);
    const denied = await app.fetch(`/sites/${owner.site.id}/integrations/stripe/disconnect`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": await csrfFor(app, cookie, owner.site.id) },
    });
    assert.equal(denied.status, 403);
    await denied.body?.cancel();
    const still = await findSiteIntegration(sql, owner.site.id, "stripe");
    assert.notEqual(still?.status, "disconnected");
  });
});
