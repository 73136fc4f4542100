import assert from "node:assert/strict";
import { createPolarPlatform } from "./polar/mod.ts";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { FakePolar } from "../testing/fake_polar.ts";
import { createSiteWithOwner, type SiteOwner } from "../testing/journeys.ts";
import { csrfFor, syncDone } from "../testing/platform_sync.ts";
import { findSiteIntegration, type Integration, latestSync, saveCredentials } from "./store.ts";
import { credentialsOf, openCredentials, sealCredentials } from "./apply.ts";
import { platformFor } from "./platforms.ts";
import { resync } from "./connection.ts";

async function withApp(
  fn: (app: TestApp, fake: FakePolar) => Promise<void>,
  env: Record<string, string> = {},
) {
  const fake = await FakePolar.start();
  const app = await startTestApp({
    env: {
      POLAR_API_URL: fake.url,
      POLAR_CLIENT_ID: fake.clientId,
      POLAR_CLIENT_SECRET: fake.clientSecret,
      ...env,
    },
  });
  try {
    await fn(app, fake);
  } finally {
    await app.stop();
    await fake.close();
  }
}

/** "Connect with Polar": answers the authorize URL Sextant sends the owner to. */
async function startApproval(app: TestApp, owner: SiteOwner): Promise<URL> {
  const res = await app.fetch(`/sites/${owner.site.id}/integrations/polar/authorize`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: owner.cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: await csrfFor(app, owner.cookie, owner.site.id) }),
  });
  assert.equal(res.status, 303);
  return new URL(res.headers.get("location")!);
}

/** Polar's screen approves and sends the owner back: answers the callback path. */
async function approveAtPolar(authorize: URL): Promise<URL> {
  const polar = await fetch(authorize, { redirect: "manual" });
  assert.equal(polar.status, 302);
  return new URL(polar.headers.get("location")!);
}

async function callback(app: TestApp, owner: SiteOwner, url: URL): Promise<Response> {
  return await app.fetch(url.pathname + url.search, {
    redirect: "manual",
    headers: { cookie: owner.cookie },
  });
}

async function connectWithPolar(app: TestApp, owner: SiteOwner): Promise<Integration> {
  const done = await callback(app, owner, await approveAtPolar(await startApproval(app, owner)));
  assert.equal(done.status, 302);
  assert.equal(
    done.headers.get("location"),
    `/sites/${owner.site.id}/integrations?notice=connected&p=polar`,
  );
  const integration = (await findSiteIntegration(app.ctx.db.sql, owner.site.id, "polar"))!;
  await syncDone(app, integration.id);
  return integration;
}

Deno.test("Connect with Polar: the approval's code becomes sealed tokens, a webhook and a sync", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const page = await app.fetch(`/sites/${owner.site.id}/integrations`, {
      headers: { cookie: owner.cookie },
    });
    const html = await page.text();
    assert.match(html, /Connect with Polar/);
    assert.match(html, /polar_oat_/, "the token form stays beside it");
    // The approval button is a form answered by a redirect to Polar: the page's CSP must allow it.
    const formAction = (page.headers.get("content-security-policy") ?? "").split("; ")
      .find((d) => d.startsWith("form-action"));
    assert.ok(formAction?.split(" ").includes(fake.url), String(formAction));
    const live = createPolarPlatform("https://api.polar.sh", { clientId: "a", clientSecret: "b" });
    assert.equal(live.oauth?.approvalSource(), "https://polar.sh");

    const authorize = await startApproval(app, owner);
    assert.equal(authorize.origin + authorize.pathname, `${fake.url}/oauth2/authorize`);
    const q = authorize.searchParams;
    assert.equal(q.get("client_id"), fake.clientId);
    assert.equal(q.get("response_type"), "code");
    assert.equal(q.get("sub_type"), "organization");
    assert.equal(q.get("redirect_uri"), `${app.url}/integrations/oauth/polar/callback`);
    const scopes = q.get("scope")!.split(" ");
    for (const s of ["openid", "orders:read", "refunds:read", "subscriptions:read"]) {
      assert.ok(scopes.includes(s), s);
    }
    assert.ok(scopes.includes("webhooks:write"));

    fake.order({ amount: 4900, created: new Date(Date.now() - 86_400_000) });
    const done = await callback(app, owner, await approveAtPolar(authorize));
    assert.equal(done.status, 302);
    const integration = (await findSiteIntegration(sql, owner.site.id, "polar"))!;
    await syncDone(app, integration.id);
    assert.equal(integration.account_name, "Indie Org");
    assert.equal(integration.webhook_mode, "auto");
    assert.equal(fake.endpoints.length, 1);
    assert.equal(fake.endpoints[0].url, `${app.url}/api/webhooks/polar/${integration.id}`);
    assert.equal(fake.endpoints[0].organization_id, fake.organizations[0].id);
    const [row] = await sql`select api_key_enc from integrations where id = ${integration.id}`;
    assert.ok(!/polar_(at|rt)_/.test(String(row.api_key_enc)), "tokens are encrypted at rest");
    const fields = await openCredentials(app.ctx, String(row.api_key_enc));
    assert.match(fields.apiKey, /^polar_at_/);
    assert.match(fields.refreshToken, /^polar_rt_/);
    const [n] = await sql`select count(*)::int as n from purchases
      where site_id = ${owner.site.id} and provider = 'polar'`;
    assert.equal(n.n, 1, "the backfill ran with the OAuth token");
  });
});

Deno.test("a bad Polar code gives a sentence and stores nothing; forged and other users' states are refused", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const other = await createSiteWithOwner(sql);

    const back = await approveAtPolar(await startApproval(app, owner));
    back.searchParams.set("code", "polar_ac_made_up");
    const bad = await callback(app, owner, back);
    assert.equal(bad.status, 302);
    assert.equal(fake.grants.at(-1), "authorization_code");
    const shown = await app.fetch(bad.headers.get("location")!, {
      headers: { cookie: owner.cookie },
    });
    assert.match(await shown.text(), /Polar didn(&#x27;|')t accept that approval/);
    assert.equal(await findSiteIntegration(sql, owner.site.id, "polar"), null);
    assert.equal(fake.endpoints.length, 0);

    const forged = await app.fetch("/integrations/oauth/polar/callback?code=x&state=made-up", {
      headers: { cookie: owner.cookie },
    });
    assert.equal(forged.status, 400);
    assert.match(await forged.text(), /expired or wasn(&#x27;|')t started by you/);

    // Another user brings back this owner's approval: the state is not theirs.
    const stolen = await approveAtPolar(await startApproval(app, owner));
    const theirs = await callback(app, other, stolen);
    assert.equal(theirs.status, 400);
    assert.match(await theirs.text(), /expired or wasn(&#x27;|')t started by you/);
    assert.equal(await findSiteIntegration(sql, other.site.id, "polar"), null);
    assert.equal(await findSiteIntegration(sql, owner.site.id, "polar"), null);
    assert.ok(!fake.grants.slice(1).length, "no code was traded for a refused state");
  });
});

Deno.test("an expired Polar access token is renewed once and the new pair stored; a refused renewal marks the integration", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const integration = await connectWithPolar(app, owner);
    const sealed = async () =>
      String(
        (await sql`select api_key_enc from integrations where id = ${integration.id}`)[0]
          .api_key_enc,
      );
    const before = await openCredentials(app.ctx, await sealed());

    fake.expireAccessTokens();
    fake.order({ amount: 1500 });
    const grants = fake.grants.length;
    const first = (await latestSync(sql, integration.id))!.id;
    await resync(app.ctx, integration);
    const second = await syncDone(app, integration.id, first);
    assert.equal(second.status, "done");
    assert.deepEqual(fake.grants.slice(grants), ["refresh_token"]);
    const after = await openCredentials(app.ctx, await sealed());
    assert.notEqual(after.apiKey, before.apiKey);
    assert.notEqual(after.refreshToken, before.refreshToken);
    assert.ok(Number(after.expiresAt) > Date.now() + 50 * 60_000);
    let row = (await findSiteIntegration(sql, owner.site.id, "polar"))!;
    assert.equal(row.status, "connected");
    const [n] = await sql`select count(*)::int as n from purchases
      where site_id = ${owner.site.id} and provider = 'polar'`;
    assert.equal(n.n, 1);

    // The owner revokes Sextant in Polar: the renewal is refused once and the page says so.
    fake.revokeApp();
    await resync(app.ctx, row);
    await syncDone(app, integration.id, second.id);
    row = (await findSiteIntegration(sql, owner.site.id, "polar"))!;
    assert.equal(row.status, "error");
    assert.equal(row.last_error, "Polar no longer accepts Sextant's access — connect again.");
    assert.deepEqual(fake.grants.slice(grants), ["refresh_token", "refresh_token"]);
    const page = await app.fetch(`/sites/${owner.site.id}/integrations`, {
      headers: { cookie: owner.cookie },
    });
    const html = await page.text();
    assert.match(html, /Polar no longer accepts Sextant(&#x27;|')s access/);
    assert.match(html, /id="polar"[^>]*data-state="attention"/, "the card needs attention");
  });
});

Deno.test("without a Polar OAuth app, only the token form is offered", async () => {
  await withApp(async (app) => {
    const owner = await createSiteWithOwner(app.ctx.db.sql);
    const page = await app.fetch(`/sites/${owner.site.id}/integrations`, {
      headers: { cookie: owner.cookie },
    });
    assert.doesNotMatch(await page.text(), /Connect with Polar/);
    const res = await app.fetch(`/sites/${owner.site.id}/integrations/polar/authorize`, {
      method: "POST",
      headers: { cookie: owner.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: await csrfFor(app, owner.cookie, owner.site.id) }),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /Polar connects with a key on this Sextant: paste one below/);
  }, { POLAR_CLIENT_ID: "", POLAR_CLIENT_SECRET: "" });
});

Deno.test("a Polar access token past its hour is renewed before the call, not after a refusal", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const integration = await connectWithPolar(app, owner);
    const [row] = await sql`select api_key_enc from integrations where id = ${integration.id}`;
    const fields = await openCredentials(app.ctx, String(row.api_key_enc));
    await saveCredentials(
      sql,
      integration.id,
      await sealCredentials(app.ctx, { ...fields, expiresAt: String(Date.now() - 1000) }),
    );
    const grants = fake.grants.length;
    const requests = fake.requests.length;
    const first = (await latestSync(sql, integration.id))!.id;
    await resync(app.ctx, integration);
    assert.equal((await syncDone(app, integration.id, first)).status, "done");
    assert.deepEqual(fake.grants.slice(grants), ["refresh_token"]);
    assert.equal(
      fake.requests.slice(requests)[0],
      "POST /v1/oauth2/token",
      "renewed before any call with the old token",
    );
  });
});

Deno.test("two Polar calls past the token's hour renew it once; the second uses the first's pair", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const integration = await connectWithPolar(app, owner);
    fake.expireAccessTokens();
    fake.order({ amount: 1500 });
    const grants = fake.grants.length;
    const polar = platformFor(app.ctx.config, "polar");
    // Two jobs (a backfill and a webhook's lookup, say) each read the credentials, then call.
    const row = (await findSiteIntegration(sql, owner.site.id, "polar"))!;
    const [a, b] = [await credentialsOf(app.ctx, row), await credentialsOf(app.ctx, row)];
    const progress = { listed: () => Promise.resolve() };
    const [one, two] = await Promise.all([
      polar.backfill(a, 30, progress),
      polar.backfill(b, 30, progress),
    ]);
    assert.equal(one.length, 1);
    assert.equal(two.length, 1);
    // A refresh token works once: a second renewal with the same one would lose the connection.
    assert.deepEqual(fake.grants.slice(grants), ["refresh_token"]);
    const after = (await findSiteIntegration(sql, owner.site.id, "polar"))!;
    assert.equal(after.status, "connected", after.last_error ?? "");
    assert.equal(after.id, integration.id);
  });
});
