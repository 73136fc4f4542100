/**
 * Segments and automations over /api/v1 with an API key: listed, read, counted, previewed and
 * paged; automations read without their secrets, switched off and on, their runs listed; all
 * in the OpenAPI document.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../../testing/app.ts";
import { createSiteWithOwner } from "../../testing/journeys.ts";
import { recordPurchase } from "../../attribution/record.ts";
import { createApiKey } from "../../accounts/api_keys.ts";
import { createSegment, parseRule } from "../../customers/segments.ts";
import { createAutomation, runAllAutomations } from "../../customers/automations.ts";

Deno.test("segments and automations are read, counted and switched through the API", async () => {
  const app = await startTestApp({ env: { OUTBOUND_ALLOW_PRIVATE: "1" } });
  try {
    const sql = app.ctx.db.sql;
    const { site } = await createSiteWithOwner(sql);
    const buy = (email: string, amountMinor: number) =>
      recordPurchase(app.ctx, {
        siteId: site.id,
        provider: "stripe",
        key: `k-${crypto.randomUUID()}`,
        ts: new Date(),
        kind: "one_time",
        amountMinor,
        currency: "USD",
        email,
        origin: "webhook",
      });
    for (let i = 0; i < 55; i++) await buy(`big${i}@example.com`, 20_000 + i);
    await buy("small@example.com", 500);
    const rule = { match: "all", conditions: [{ field: "revenue", op: "gt", value: 10_000 }] };
    const segment = await createSegment(sql, site.id, { name: "Big", rule: parseRule(rule) });
    const automation = await createAutomation(app.ctx, site, {
      name: "Welcome",
      trigger: "purchase",
      note: "Welcome {{email}}",
      slackUrl: "http://127.0.0.1:9/services/T0/B0/secret-path",
      slackText: "{{email}} bought",
      webhookUrl: "http://127.0.0.1:9/hook",
    });
    const [{ org_id }] = await sql<{ org_id: number }[]>`
      select org_id from sites where id = ${site.id}`;
    const { secret } = await createApiKey(sql, { orgId: org_id, name: "crm" });
    const get = async (path: string, method = "GET") => {
      const res = await app.fetch(`/api/v1/sites/${site.id}${path}`, {
        method,
        headers: { authorization: `Bearer ${secret}` },
      });
      return { status: res.status, body: await res.json() };
    };

    const list = await get("/segments");
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.segments.map((s: { name: string }) => s.name), ["Big"]);
    assert.equal((await get(`/segments/${segment.id}`)).body.segment.rule.match, "all");
    assert.deepEqual((await get(`/segments/${segment.id}/count`)).body, { count: 55 });
    const preview = await get(
      `/segments/preview?rule=${encodeURIComponent(JSON.stringify({ ...rule, match: "any" }))}`,
    );
    assert.deepEqual(preview.body, { count: 55 });
    const bad = await get(`/segments/preview?rule=${encodeURIComponent('{"match":"most"}')}`);
    assert.equal(bad.status, 400);
    assert.equal(typeof bad.body.error, "string");
    const page1 = await get(`/segments/${segment.id}/members?sort=revenue`);
    assert.equal(page1.body.total, 55);
    assert.equal(page1.body.customers.length, 50);
    assert.equal(page1.body.customers[0].email, "big54@example.com");
    const page2 = await get(`/segments/${segment.id}/members?sort=revenue&page=2`);
    assert.equal(page2.body.customers.length, 5);
    assert.equal((await get(`/segments/${segment.id}/members?sort=height`)).status, 400);
    assert.equal((await get(`/segments/999999`)).status, 404);

    const autos = await get("/automations");
    assert.equal(autos.status, 200);
    const text = JSON.stringify(autos.body);
    assert.ok(!text.includes("secret-path") && !/Sealed/.test(text), "no secrets in the API");
    assert.deepEqual(
      autos.body.automations[0].actions.map((a: { kind: string }) => a.kind),
      ["note", "slack", "webhook"],
    );
    const off = await get(`/automations/${automation.id}/disable`, "POST");
    assert.equal(off.body.automation.enabled, false);
    assert.equal((await get(`/automations/${automation.id}`)).body.automation.enabled, false);
    const on = await get(`/automations/${automation.id}/enable`, "POST");
    assert.equal(on.body.automation.enabled, true);
    await buy("late@example.com", 900);
    await runAllAutomations(app.ctx);
    const runs = await get(`/automations/${automation.id}/runs?limit=10`);
    assert.deepEqual(runs.body.runs.map((r: { email: string }) => r.email), ["late@example.com"]);
    assert.equal((await get(`/automations/${automation.id}/runs?limit=0`)).status, 400);

    const doc = await (await app.fetch("/api/openapi.json")).json();
    for (
      const p of [
        "/api/v1/sites/{siteId}/segments",
        "/api/v1/sites/{siteId}/segments/preview",
        "/api/v1/sites/{siteId}/segments/{segmentId}",
        "/api/v1/sites/{siteId}/segments/{segmentId}/count",
        "/api/v1/sites/{siteId}/segments/{segmentId}/members",
        "/api/v1/sites/{siteId}/automations",
        "/api/v1/sites/{siteId}/automations/{automationId}",
        "/api/v1/sites/{siteId}/automations/{automationId}/enable",
        "/api/v1/sites/{siteId}/automations/{automationId}/disable",
        "/api/v1/sites/{siteId}/automations/{automationId}/runs",
      ]
    ) assert.ok(doc.paths[p], `${p} is in the OpenAPI document`);
  } finally {
    await app.stop();
  }
});
