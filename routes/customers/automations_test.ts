import assert from "node:assert/strict";
import { startTestApp } from "../../testing/app.ts";
import { TestClient } from "../../testing/http_client.ts";
import { createSiteWithOwner } from "../../testing/journeys.ts";
import { recordPurchase } from "../../attribution/record.ts";
import { SESSION_COOKIE } from "../../accounts/sessions.ts";
import { setMembership } from "../../accounts/orgs.ts";
import { createUser } from "../../accounts/users.ts";
import { createLoginSession } from "../../accounts/sessions.ts";
import { runAllAutomations } from "../../customers/automations.ts";

Deno.test("automations are made, dry-run, switched and read through the pages", async () => {
  const app = await startTestApp();
  try {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const client = new TestClient(app);
    client.cookies.set(SESSION_COOKIE, owner.token);
    const base = `/sites/${siteId}/customers/automations`;
    const empty = await client.page(base);
    assert.equal(empty.res.status, 200);
    assert.match(empty.html, /None yet/);

    let res = await client.post(base, { name: "Welcome", trigger: "purchase", addTag: "" });
    assert.equal(res.status, 400);
    await res.body?.cancel();
    res = await client.post(base, {
      name: "Welcome <b>",
      trigger: "purchase",
      rule: JSON.stringify({ match: "all", conditions: [] }),
      addTag: "Customer",
      webhookUrl: "https://example.com/hooks",
    });
    assert.equal(res.status, 303);
    const at = res.headers.get("location")!;
    const page = await client.page(at);
    assert.match(page.html, /Welcome &lt;b>/);
    assert.match(page.html, /Add tag “Customer”, Send a signed webhook to example.com/);
    assert.match(page.html, /<code>whsec_[A-Za-z0-9+/=]+<\/code>/);
    assert.match(page.html, /It has not run yet/);

    await recordPurchase(app.ctx, {
      siteId,
      provider: "stripe",
      key: "k1",
      ts: new Date(),
      kind: "one_time",
      amountMinor: 1000,
      currency: "USD",
      email: "ann@example.com",
      origin: "webhook",
    });
    const dry = await client.page(`${at}?dry=1`);
    assert.match(dry.html, /1 would get Add tag “Customer”/);
    assert.match(dry.html, /ann@example.com/);
    const [{ n }] = await sql<{ n: number }[]>`
      select count(*)::int as n from customer_automation_runs where site_id = ${siteId}`;
    assert.equal(n, 0, "a dry run changes nothing");

    res = await client.post(`${at}/toggle`);
    assert.equal(res.status, 303);
    assert.match((await client.page(at)).html, /Turn on/);
    res = await client.post(`${at}/toggle`);
    await runAllAutomations(app.ctx);
    const after = await client.page(at);
    // Switched back on after the purchase: it starts from then.
    assert.match(after.html, /It has not run yet/);

    // Members and viewers read automations but do not change them.
    const member = await createUser(sql, {
      email: `m-${crypto.randomUUID().slice(0, 6)}@example.com`,
      password: "correct horse battery",
    });
    const [{ org_id }] = await sql<{ org_id: number }[]>`
      select org_id from sites where id = ${siteId}`;
    await setMembership(sql, org_id, member.id, "member");
    const m = new TestClient(app);
    m.cookies.set(SESSION_COOKIE, (await createLoginSession(sql, member.id, "test")).token);
    const seen = await m.page(at);
    assert.equal(seen.res.status, 200);
    assert.ok(!seen.html.includes("whsec_"), "the secret is for admins");
    res = await m.post(`${at}/delete`);
    assert.equal(res.status, 403);
    await res.body?.cancel();
    res = await client.post(`${at}/delete`);
    assert.equal(res.status, 303);
    assert.match((await client.page(base)).html, /None yet/);
  } finally {
    await app.stop();
  }
});
