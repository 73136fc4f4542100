import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../../testing/app.ts";
import { TestClient } from "../../testing/http_client.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertIdentify,
  insertSession,
} from "../../testing/journeys.ts";
import { recordPurchase } from "../../attribution/record.ts";
import { applySubscriptionState } from "../../attribution/subscriptions.ts";
import { createApiKey } from "../../accounts/api_keys.ts";
import { setMembership } from "../../accounts/orgs.ts";
import { createUser } from "../../accounts/users.ts";
import { createLoginSession, SESSION_COOKIE } from "../../accounts/sessions.ts";

const now = new Date();

async function world(app: TestApp) {
  const sql = app.ctx.db.sql;
  const owner = await createSiteWithOwner(sql);
  const siteId = owner.site.id;
  const buy = (email: string, amount: number, ts: Date, provider = "stripe") =>
    recordPurchase(app.ctx, {
      siteId,
      provider,
      key: `k-${crypto.randomUUID()}`,
      ts,
      kind: "one_time",
      amountMinor: amount,
      currency: "USD",
      email,
      origin: "webhook",
    });
  await insertSession(sql, siteId, {
    visitorId: "ann-phone",
    startedAt: daysBefore(now, 5),
    source: "Newsletter",
    campaign: "autumn",
    pages: ["/", "/pricing"],
  });
  await insertIdentify(sql, siteId, "ann-phone", "ann@example.com", daysBefore(now, 5));
  await buy("ann@example.com", 12000, daysBefore(now, 4));
  await buy("bob@example.com", 3000, daysBefore(now, 3), "kajabi");
  await buy("cy@example.com", 500, daysBefore(now, 20));
  await insertIdentify(sql, siteId, "dee-v", "dee@example.com", daysBefore(now, 1));
  const client = new TestClient(app);
  client.cookies.set(SESSION_COOKIE, owner.token);
  const [ann] = await sql<{ id: number }[]>`
    select id from customers where site_id = ${siteId} and email = 'ann@example.com'`;
  return { sql, owner, siteId, client, annId: ann.id };
}

Deno.test("the revenue column reads alike: cents everywhere once one amount has them", async () => {
  const app = await startTestApp();
  try {
    const { sql, siteId, client } = await world(app);
    await recordPurchase(app.ctx, {
      siteId,
      provider: "stripe",
      key: `k-${crypto.randomUUID()}`,
      ts: daysBefore(now, 2),
      kind: "one_time",
      amountMinor: 21977,
      currency: "USD",
      email: "eve@example.com",
      origin: "webhook",
    });
    await sql`update sites set currency = 'USD' where id = ${siteId}`;
    const { html } = await client.page(`/sites/${siteId}/customers?sort=revenue`);
    const cells = [...html.matchAll(/<td class="num">([^<]+)<\/td>/g)].map((m) => m[1]);
    assert.deepEqual(cells, ["$219.77", "$120.00", "$30.00", "$5.00", "$0.00"]);
  } finally {
    await app.stop();
  }
});

Deno.test("the customer list searches, sorts, pages and exports what it shows", async () => {
  const app = await startTestApp();
  try {
    const { siteId, client } = await world(app);
    const base = `/sites/${siteId}/customers`;
    const order = (html: string) =>
      [...html.matchAll(/class="customer-link">([^<]+)</g)].map((m) => m[1]);

    const all = await client.page(`${base}?sort=revenue`);
    assert.equal(all.res.status, 200);
    assert.deepEqual(order(all.html), [
      "ann@example.com",
      "bob@example.com",
      "cy@example.com",
      "dee@example.com",
    ]);
    assert.match(all.html, /4 customers/);
    const joined = await client.page(`${base}?sort=joined&dir=asc`);
    assert.deepEqual(order(joined.html), [
      "cy@example.com",
      "ann@example.com",
      "bob@example.com",
      "dee@example.com",
    ]);
    const found = await client.page(`${base}?q=BOB`);
    assert.deepEqual(order(found.html), ["bob@example.com"]);
    const leads = await client.page(`${base}?status=lead`);
    assert.deepEqual(order(leads.html), ["dee@example.com"]);

    const csv = await client.fetch(`${base}.csv?sort=revenue`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type") ?? "", /text\/csv/);
    const lines = (await csv.text()).replace(/^\uFEFF/, "").trim().split("\r\n");
    assert.equal(lines.length, 5);
    assert.match(lines[0], /^email,name,status,joined,lifetime_revenue_usd,payments/);
    assert.match(lines[1], /^ann@example.com,,One-time buyer,[^,]+,120\.00,1,/);

    for (const bad of ["sort=price", "status=vip", "page=0", "tag=x", "dir=up"]) {
      const res = await client.fetch(`${base}?${bad}`, { headers: { accept: "text/html" } });
      assert.equal(res.status, 400, bad);
      await res.body?.cancel();
    }
  } finally {
    await app.stop();
  }
});

Deno.test("a profile shows the person, takes tags and notes, and escapes what people typed", async () => {
  const app = await startTestApp();
  try {
    const { siteId, client, annId, sql } = await world(app);
    const profile = `/sites/${siteId}/customers/${annId}`;
    const first = await client.page(profile);
    assert.equal(first.res.status, 200);
    assert.match(first.html, /One-time buyer/);
    assert.match(first.html, /Newsletter/);
    assert.match(first.html, /campaign autumn/);
    assert.match(first.html, /Visit from Newsletter/);
    assert.match(first.html, /Purchase: \$120/);

    let res = await client.post(`${profile}/tags`, { name: "VIP <b>", color: "purple" });
    assert.equal(res.status, 303);
    res = await client.post(`${profile}/notes`, {
      body: "Called **today** <script>alert(1)</script> [x](javascript:alert(1))",
    });
    assert.equal(res.status, 303);
    const after = await client.page(profile);
    assert.match(after.html, /class="tag tag-purple"[^>]*>VIP &lt;b></);
    assert.match(after.html, /Called <strong>today<\/strong> &lt;script>alert\(1\)&lt;\/script>/);
    assert.ok(!after.html.includes("<script>alert"));
    assert.ok(!after.html.includes('href="javascript'));
    assert.match(after.html, /Note by Owner/);

    const [tag] = await sql<{ id: number }[]>`
      select id from customer_tags where site_id = ${siteId}`;
    const tagged = await client.page(`/sites/${siteId}/customers?tag=${tag.id}`);
    assert.match(tagged.html, /1 customer/);
    assert.match(tagged.html, /ann@example.com/);

    res = await client.post(`/sites/${siteId}/customers/tags/${tag.id}`, {
      name: "Champion",
      color: "gold",
    });
    assert.equal(res.status, 400);
    await res.body?.cancel();
    res = await client.post(`/sites/${siteId}/customers/tags/${tag.id}`, {
      name: "Champion",
      color: "green",
    });
    assert.equal(res.status, 303);
    assert.match((await client.page(profile)).html, /class="tag tag-green"[^>]*>Champion</);

    const [note] = await sql<{ id: number }[]>`
      select id from customer_notes where site_id = ${siteId}`;
    res = await client.post(`${profile}/notes/${note.id}`, { body: "Edited" });
    assert.equal(res.status, 303);
    assert.match((await client.page(profile)).html, /<p>Edited<\/p>/);
    res = await client.post(`${profile}/notes`, { body: "   " });
    assert.equal(res.status, 400);
    await res.body?.cancel();
    res = await client.post(`${profile}/notes/${note.id}/delete`);
    assert.equal(res.status, 303);
    res = await client.post(`${profile}/tags/${tag.id}/remove`);
    assert.equal(res.status, 303);
    await client.post(`${profile}/tags`, { name: "Short-lived" });
    const [doomed] = await sql<{ id: number }[]>`
      select id from customer_tags where site_id = ${siteId} and name = 'Short-lived'`;
    res = await client.post(`/sites/${siteId}/customers/tags/${doomed.id}/delete`);
    assert.equal(res.status, 303);
    const [{ n }] = await sql<{ n: number }[]>`
      select (select count(*) from customer_notes where site_id = ${siteId})
        + (select count(*) from customer_taggings where site_id = ${siteId}) as n`;
    assert.equal(Number(n), 0);

    // A viewer reads but does not write.
    const viewer = await createUser(sql, {
      email: `viewer-${crypto.randomUUID().slice(0, 6)}@example.com`,
      password: "correct horse battery",
      name: "Viewer",
    });
    await setMembership(sql, await orgOf(sql, siteId), viewer.id, "viewer");
    const v = new TestClient(app);
    v.cookies.set(SESSION_COOKIE, (await createLoginSession(sql, viewer.id, "test")).token);
    const seen = await v.page(profile);
    assert.equal(seen.res.status, 200);
    assert.ok(!seen.html.includes("Add note"));
    res = await v.post(`${profile}/notes`, { body: "no" });
    assert.equal(res.status, 403);
    await res.body?.cancel();
  } finally {
    await app.stop();
  }
});

async function orgOf(sql: TestApp["ctx"]["db"]["sql"], siteId: number): Promise<number> {
  const [row] = await sql<{ org_id: number }[]>`select org_id from sites where id = ${siteId}`;
  return row.org_id;
}

Deno.test("the timeline pages 20 at a time in time order, and filters by type", async () => {
  const app = await startTestApp();
  try {
    const { siteId, client, annId, sql } = await world(app);
    // 30 more visits, several in the same second, so the cursor must be exact.
    for (let i = 0; i < 30; i++) {
      await insertSession(sql, siteId, {
        visitorId: "ann-phone",
        startedAt: new Date(daysBefore(now, 2).getTime() - Math.floor(i / 3) * 1000 - i),
        source: `S${i}`,
      });
    }
    const seen: string[] = [];
    let url: string | null = `/api/app/sites/${siteId}/customers/${annId}/timeline`;
    let pages = 0;
    let last = Infinity;
    while (url) {
      const res = await client.fetch(url);
      assert.equal(res.status, 200);
      const page = await res.json() as {
        items: { ts: string; key: string; type: string }[];
        next: string | null;
      };
      assert.ok(page.items.length <= 20);
      for (const item of page.items) {
        const t = Date.parse(item.ts);
        assert.ok(t <= last, "newest first");
        last = t;
        seen.push(item.key);
      }
      pages++;
      url = page.next
        ? `/api/app/sites/${siteId}/customers/${annId}/timeline?before=${
          encodeURIComponent(page.next)
        }`
        : null;
    }
    // 31 visits, 1 identify, 1 purchase.
    assert.equal(seen.length, 33);
    assert.equal(new Set(seen).size, 33);
    assert.equal(pages, 2);

    const purchases = await client.fetch(
      `/api/app/sites/${siteId}/customers/${annId}/timeline?type=purchase,refund`,
    );
    const only = await purchases.json() as { items: { type: string }[] };
    assert.deepEqual(only.items.map((i) => i.type), ["purchase"]);
    await applySubscriptionState(app.ctx, {
      siteId,
      provider: "stripe",
      subscriptionId: "sub_late",
      status: "past_due",
      mrrMinor: 900,
      currency: "USD",
      email: "ann@example.com",
      startedAt: daysBefore(now, 30),
      canceledAt: null,
      stateAt: daysBefore(now, 1),
    });
    const failed = await client.fetch(
      `/api/app/sites/${siteId}/customers/${annId}/timeline?type=payment_failed`,
    );
    const late = await failed.json() as {
      items: { type: string; detail: { amount_minor: number } }[];
    };
    assert.deepEqual(late.items.map((i) => [i.type, i.detail.amount_minor]), [[
      "payment_failed",
      900,
    ]]);
    const bad = await client.fetch(
      `/api/app/sites/${siteId}/customers/${annId}/timeline?type=shopping`,
    );
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /kind of timeline item/);
    for (const cursor of ["999999999999999999~v:x", "12~", "soon~v:x"]) {
      const far = await client.fetch(
        `/api/app/sites/${siteId}/customers/${annId}/timeline?before=${encodeURIComponent(cursor)}`,
      );
      assert.equal(far.status, 400, cursor);
      await far.body?.cancel();
    }
  } finally {
    await app.stop();
  }
});

Deno.test("the API lists customers, reads a profile and adds tags and notes with a key", async () => {
  const app = await startTestApp();
  try {
    const { siteId, owner, annId, sql } = await world(app);
    const [{ org_id }] = await sql<{ org_id: number }[]>`
      select org_id from sites where id = ${siteId}`;
    const { secret } = await createApiKey(sql, { orgId: org_id, name: "crm" });
    const auth = { authorization: `Bearer ${secret}` };
    const list = await app.fetch(`/api/v1/sites/${siteId}/customers?q=ann`, { headers: auth });
    assert.equal(list.status, 200);
    const body = await list.json();
    assert.equal(body.total, 1);
    assert.equal(body.customers[0].email, "ann@example.com");
    assert.equal(body.customers[0].revenue, 12000);

    const tag = await app.fetch(`/api/v1/sites/${siteId}/customers/${annId}/tags`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ name: "Champion", color: "green" }),
    });
    assert.equal(tag.status, 201);
    const tagId = (await tag.json()).tag.id;
    const note = await app.fetch(`/api/v1/sites/${siteId}/customers/${annId}/notes`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ body: "From the API" }),
    });
    assert.equal(note.status, 201);
    const profile = await app.fetch(`/api/v1/sites/${siteId}/customers/${annId}`, {
      headers: auth,
    });
    const p = await profile.json();
    assert.equal(p.customer.status, "one_time");
    assert.deepEqual(p.tags.map((t: { name: string }) => t.name), ["Champion"]);
    assert.equal(p.notes[0].body, "From the API");
    assert.equal(p.notes[0].author, "");

    const wrong = await app.fetch(`/api/v1/sites/${siteId}/customers/${annId}/tags`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ name: "x", color: "chartreuse" }),
    });
    assert.equal(wrong.status, 400);
    await wrong.body?.cancel();
    const removed = await app.fetch(
      `/api/v1/sites/${siteId}/customers/${annId}/tags/${tagId}`,
      { method: "DELETE", headers: auth },
    );
    assert.equal((await removed.json()).removed, true);
    // The owner's session is no key.
    const cookie = await app.fetch(`/api/v1/sites/${siteId}/customers`, {
      headers: { cookie: owner.cookie },
    });
    assert.equal(cookie.status, 401);
    await cookie.body?.cancel();
  } finally {
    await app.stop();
  }
});
