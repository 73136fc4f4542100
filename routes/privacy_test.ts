import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { TestClient } from "../testing/http_client.ts";
import { signedInTenant } from "../testing/tenants.ts";
import { daysBefore, insertIdentify, insertSession } from "../testing/journeys.ts";
import { createUser } from "../accounts/users.ts";
import { setMembership } from "../accounts/orgs.ts";
import { createApiKey } from "../accounts/api_keys.ts";

Deno.test("owners export and erase a visitor from the settings page; viewers cannot", async () => {
  const app = await startTestApp();
  const sql = app.db.sql;
  try {
    const tenant = await signedInTenant(sql, "privacy.example");
    const siteId = tenant.site.id;
    await insertSession(sql, siteId, { visitorId: "vid-1", startedAt: daysBefore(new Date(), 1) });
    await insertIdentify(sql, siteId, "vid-1", "ana@example.com", daysBefore(new Date(), 1));
    const owner = new TestClient(app);
    owner.cookies.set("sextant_session", tenant.cookie.split("=")[1]);
    const { html } = await owner.page(`/sites/${siteId}/settings`);
    assert.match(html, /<h2 id="privacy-title">Privacy<\/h2>/);
    assert.match(html, /The default is 2 years/);

    const bad = await owner.post(`/sites/${siteId}/privacy`, { email: "nope", action: "export" });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /doesn(&#39;|')t look like an email/);

    const file = await owner.post(`/sites/${siteId}/privacy`, {
      email: "ANA@example.com",
      action: "export",
    });
    assert.equal(file.status, 200);
    assert.match(file.headers.get("content-disposition")!, /^attachment; filename=".+\.json"$/);
    const data = await file.json();
    assert.deepEqual(data.visitor_ids, ["vid-1"]);
    assert.equal(data.events.length, 1);

    const erased = await owner.post(`/sites/${siteId}/privacy`, {
      visitor_id: "vid-1",
      action: "erase",
    });
    assert.equal(erased.status, 200);
    assert.match(await erased.text(), /Erased 1 event, 1 visit and 1 identity/);
    assert.equal((await sql`select 1 from events where site_id = ${siteId}`).length, 0);
    const log = await owner.page(`/sites/${siteId}/settings`);
    assert.match(log.html, /Erasure by .+@owner\.example/);
    assert.match(log.html, /Export by .+@owner\.example/);

    // Without the CSRF token the form post is refused.
    const forged = await owner.fetch(`/sites/${siteId}/privacy`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "visitor_id=vid-1&action=erase",
    });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();

    const viewer = await createUser(sql, {
      email: "viewer@example.com",
      password: "long enough pw",
    });
    await setMembership(sql, tenant.orgId, viewer.id, "viewer");
    const asViewer = new TestClient(app);
    await asViewer.signIn("viewer@example.com", "long enough pw");
    const settings = await asViewer.page(`/sites/${siteId}/settings`);
    assert.doesNotMatch(settings.html, /privacy-title/);
    const denied = await asViewer.post(`/sites/${siteId}/privacy`, {
      visitor_id: "vid-1",
      action: "erase",
    });
    assert.equal(denied.status, 403);
    await denied.body?.cancel();
  } finally {
    await app.stop();
  }
});

Deno.test("the API erases and exports a visitor with a key of the site's organization", async () => {
  const app = await startTestApp();
  const sql = app.db.sql;
  try {
    const tenant = await signedInTenant(sql, "api-privacy.example");
    const siteId = tenant.site.id;
    await insertSession(sql, siteId, { visitorId: "vid-2", startedAt: daysBefore(new Date(), 1) });
    const key = (await createApiKey(sql, { orgId: tenant.orgId, name: "gdpr" })).secret;
    const call = (path: string, init: RequestInit = {}) =>
      app.fetch(path, { ...init, headers: { authorization: `Bearer ${key}` } });

    const exported = await call(`/api/v1/sites/${siteId}/export?visitor_id=vid-2`);
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get("content-disposition")!, /^attachment;/);
    assert.equal((await exported.json()).sessions.length, 1);

    const missing = await call(`/api/v1/sites/${siteId}/export`);
    assert.equal(missing.status, 400);
    assert.match(JSON.stringify(await missing.json()), /visitor id/);

    const notJson = await call(`/api/v1/sites/${siteId}/erasure`, { method: "POST", body: "[" });
    assert.equal(notJson.status, 400);
    await notJson.body?.cancel();

    const erased = await call(`/api/v1/sites/${siteId}/erasure`, {
      method: "POST",
      body: JSON.stringify({ visitor_id: "vid-2" }),
    });
    assert.equal(erased.status, 200);
    const body = await erased.json();
    assert.equal(body.erased.events, 1);
    assert.equal(body.erased.sessions, 1);
    const [audit] = await sql`
      select actor_api_key_id, action from audit_log where site_id = ${siteId}
      order by id desc limit 1`;
    assert.equal(audit.action, "privacy.erasure");
    assert.ok(audit.actor_api_key_id);
  } finally {
    await app.stop();
  }
});
