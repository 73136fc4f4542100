import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { FakeShopify } from "../testing/fake_shopify.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertSession,
  type SiteOwner,
} from "../testing/journeys.ts";
import { csrfFor, postDisconnect, syncDone } from "../testing/platform_sync.ts";
import { findSiteIntegration, type Integration } from "./store.ts";
import { revenueReport } from "../attribution/report.ts";
import { MODELS } from "../attribution/models.ts";
import { createShopifyPlatform } from "./shopify/mod.ts";

async function withApp(
  fn: (app: TestApp, fake: FakeShopify) => Promise<void>,
  env: Record<string, string> = {},
) {
  const fake = await FakeShopify.start();
  const app = await startTestApp({
    env: {
      SHOPIFY_CLIENT_ID: fake.clientId,
      SHOPIFY_CLIENT_SECRET: fake.clientSecret,
      SHOPIFY_SHOP_URL: fake.url,
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

/** Submits the connect form; answers the response (a redirect to Shopify when accepted). */
async function startConnect(app: TestApp, owner: SiteOwner, shop: string): Promise<Response> {
  return await app.fetch(`/sites/${owner.site.id}/integrations/shopify/connect`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: owner.cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: await csrfFor(app, owner.cookie, owner.site.id), shop }),
  });
}

/** Runs the whole approval: the form, Shopify's screen, the callback. */
async function approve(app: TestApp, owner: SiteOwner): Promise<Integration> {
  const start = await startConnect(app, owner, "indie-store");
  assert.equal(start.status, 303);
  const authorize = new URL(start.headers.get("location")!);
  assert.equal(authorize.pathname, "/admin/oauth/authorize");
  assert.equal(authorize.searchParams.get("scope"), "read_orders");
  const shopify = await fetch(authorize, { redirect: "manual" });
  assert.equal(shopify.status, 302);
  const callback = new URL(shopify.headers.get("location")!);
  assert.equal(callback.pathname, "/integrations/oauth/shopify/callback");
  const done = await app.fetch(callback.pathname + callback.search, {
    redirect: "manual",
    headers: { cookie: owner.cookie },
  });
  assert.equal(done.status, 302);
  assert.equal(
    done.headers.get("location"),
    `/sites/${owner.site.id}/integrations?notice=connected&p=shopify`,
  );
  return (await findSiteIntegration(app.ctx.db.sql, owner.site.id, "shopify"))!;
}

Deno.test("Shopify connects through its approval screen; the callback is checked", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const bad = await startConnect(app, owner, "https://evil.example.com");
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /myshopify\.com address/);

    // A callback whose state this user never started is refused with a sentence.
    const forged = await app.fetch(
      `/integrations/oauth/shopify/callback?code=x&shop=${fake.shop}&state=made-up&hmac=00`,
      { headers: { cookie: owner.cookie } },
    );
    assert.equal(forged.status, 400);
    assert.match(await forged.text(), /expired or wasn(&#x27;|')t started by you/);

    // A tampered callback (the code swapped) fails its hmac.
    const start = await startConnect(app, owner, "indie-store.myshopify.com");
    const shopify = await fetch(start.headers.get("location")!, { redirect: "manual" });
    const callback = new URL(shopify.headers.get("location")!);
    callback.searchParams.set("code", "someone-elses-code");
    const tampered = await app.fetch(callback.pathname + callback.search, {
      redirect: "manual",
      headers: { cookie: owner.cookie },
    });
    assert.equal(tampered.status, 302);
    const back = await app.fetch(tampered.headers.get("location")!, {
      headers: { cookie: owner.cookie },
    });
    assert.match(await back.text(), /wasn(&#x27;|')t signed by Sextant(&#x27;|')s app/);
    assert.equal(await findSiteIntegration(sql, owner.site.id, "shopify"), null);

    const integration = await approve(app, owner);
    await syncDone(app, integration.id);
    assert.equal(integration.account_name, "Indie Store");
    assert.equal(integration.key_hint, fake.shop);
    assert.equal(integration.webhook_mode, "auto");
    assert.deepEqual(fake.subscriptions.map((s) => s.topic).sort(), [
      "ORDERS_CREATE",
      "ORDERS_PAID",
      "REFUNDS_CREATE",
    ]);
    assert.ok(
      fake.subscriptions.every((s) =>
        s.callbackUrl === `${app.url}/api/webhooks/shopify/${integration.id}`
      ),
    );
    const [row] = await sql`select api_key_enc from integrations where id = ${integration.id}`;
    assert.ok(!String(row.api_key_enc).includes("shpat_"), "the token is encrypted at rest");
  });
});

Deno.test("without a Shopify app configured, connecting says what the administrator must set", async () => {
  await withApp(async (app) => {
    const owner = await createSiteWithOwner(app.ctx.db.sql);
    const res = await startConnect(app, owner, "indie-store");
    assert.equal(res.status, 400);
    assert.match(await res.text(), /SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET/);
  }, { SHOPIFY_CLIENT_ID: "", SHOPIFY_CLIENT_SECRET: "" });
});

Deno.test("Shopify webhooks: orders and partial refunds in decimal amounts; forged and replayed refused", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const now = new Date();
    await insertSession(sql, siteId, {
      visitorId: "v-shop",
      startedAt: daysBefore(now, 1),
      source: "Instagram",
    });
    const integration = await approve(app, owner);
    await syncDone(app, integration.id);

    const order = fake.order({
      total: "49.90",
      email: "ana@example.com",
      title: "Hoodie",
      noteAttributes: { sextant_visitor_id: "v-shop" },
    });
    assert.deepEqual(await fake.emit("orders/create", order), [200]);
    assert.deepEqual(await fake.emit("orders/paid", order), [200], "the same order once");
    assert.deepEqual(await fake.emit("refunds/create", fake.refund(order, "10.00")), [200]);
    // Zero-decimal currencies have no minor digits.
    await fake.emit("orders/create", fake.order({ total: "1200", currency: "JPY" }));

    const rows = await sql`select kind, amount_minor, currency, visitor_id, product
      from purchases where site_id = ${siteId} order by ts, amount_minor desc`;
    assert.deepEqual(rows.map((r) => [r.kind, r.amount_minor, r.currency.trim()]), [
      ["one_time", 4990, "USD"],
      ["refund", -1000, "USD"],
      ["one_time", 1200, "JPY"],
    ]);
    assert.equal(rows[0].visitor_id, "v-shop");
    assert.equal(rows[0].product, "Hoodie");
    const to = new Date(Date.now() + 60_000);
    for (const model of MODELS) {
      const report = await revenueReport(sql, { siteId, model, from: daysBefore(now, 30), to });
      assert.deepEqual(
        report.rows.filter((r) => r.revenue !== 0).map((r) => [r.key, r.revenue]),
        [["Instagram", 4990 - 1000]],
        model,
      );
    }

    const url = `/api/webhooks/shopify/${integration.id}`;
    const body = JSON.stringify(fake.order({ total: "5.00" }));
    const headers = await fake.headers("orders/create", body, "delivery-1");
    const post = async (b: string, h: Record<string, string>) => {
      const res = await app.fetch(url, { method: "POST", headers: h, body: b });
      return { status: res.status, body: await res.json() };
    };
    const forged = await post(body, {
      ...headers,
      "x-shopify-hmac-sha256": await fake.sign(body, "not-the-secret"),
    });
    assert.equal(forged.status, 400);
    assert.equal((await post(body.replace('"5.00"', '"500.00"'), headers)).status, 400);
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

Deno.test("a Shopify backfill follows Link headers without resending its filters", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const now = new Date();
    let total = 0;
    for (let i = 0; i < 300; i++) {
      total += 1000 + i;
      fake.order({ total: ((1000 + i) / 100).toFixed(2), created: daysBefore(now, 29 * i / 300) });
    }
    fake.order({ total: "99.00", created: daysBefore(now, 40) });
    const refunded = fake.order({ total: "30.00", created: daysBefore(now, 2) });
    fake.refund(refunded, "12.50", daysBefore(now, 1));
    const integration = await approve(app, owner);
    const sync = await syncDone(app, integration.id);
    assert.equal(sync.status, "done", sync.error);
    assert.equal(sync.total, 300 + 1 + 1);
    const pages = fake.requests.filter((r) => r.startsWith("GET /admin/api/2024-10/orders.json"));
    assert.equal(pages.length, 2, "250 + 52 orders");
    assert.ok(pages[1].includes("page_info=") && !pages[1].includes("created_at_min"));
    const [sums] = await sql`select
        sum(amount_minor) filter (where kind = 'one_time')::int as sales,
        sum(amount_minor) filter (where kind = 'refund')::int as refunds
      from purchases where site_id = ${owner.site.id}`;
    assert.deepEqual({ ...sums }, { sales: total + 3000, refunds: -1250 });
  });
});

Deno.test("disconnecting Shopify revokes the access token there; a refusal doesn't block it", async () => {
  await withApp(async (app, fake) => {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const disconnect = () => postDisconnect(app, owner, "shopify");

    const first = await approve(app, owner);
    await syncDone(app, first.id);
    assert.equal(fake.tokens.size, 1);
    const location = await disconnect();
    assert.equal(location, `/sites/${owner.site.id}/integrations?notice=disconnected&p=shopify`);
    assert.ok(fake.requests.includes("DELETE /admin/api_permissions/current.json"));
    assert.equal(fake.tokens.size, 0, "Shopify no longer honours the token");
    assert.equal(fake.subscriptions.length, 0, "the webhook subscriptions are gone");

    // Shopify refuses the revocation: Sextant forgets the token anyway and says so.
    const second = await approve(app, owner);
    await syncDone(app, second.id);
    fake.refuseRevoke = true;
    const refused = await disconnect();
    assert.equal(
      refused,
      `/sites/${owner.site.id}/integrations?notice=disconnected-unrevoked&p=shopify`,
    );
    const [row] = await sql`select status, api_key_enc from integrations where id = ${second.id}`;
    assert.equal(row.status, "disconnected");
    assert.equal(row.api_key_enc, null);
    const page = await (await app.fetch(refused, { headers: { cookie: owner.cookie } })).text();
    assert.match(page, /Shopify is disconnected, but Shopify didn(&#x27;|')t confirm/);
  });
});

Deno.test("the integrations page lets its connect form lead to Shopify's approval screen", async () => {
  // Browsers apply the page's CSP form-action to the redirect that answers the form.
  const shops = createShopifyPlatform({
    clientId: "a",
    clientSecret: "b",
    shopUrl: "https://{shop}",
  });
  assert.equal(shops.oauth?.approvalSource(), "https://*.myshopify.com");
  await withApp(async (app, fake) => {
    const owner = await createSiteWithOwner(app.ctx.db.sql);
    const res = await app.fetch(`/sites/${owner.site.id}/integrations`, {
      headers: { cookie: owner.cookie },
    });
    await res.body?.cancel();
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, new RegExp(`form-action 'self' ${fake.url.replaceAll(".", "\\.")}(;|$)`));
    const other = await app.fetch(`/sites/${owner.site.id}`, { headers: { cookie: owner.cookie } });
    await other.body?.cancel();
    assert.match(other.headers.get("content-security-policy") ?? "", /form-action 'self'(;|$)/);
  });
});
