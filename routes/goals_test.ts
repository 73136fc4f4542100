/**
 * Goals over HTTP: members add, edit and delete them in site settings → Goals (mistakes come
 * back as sentences beside the form), the dashboard's Goals panel shows them and filters by
 * them, and the public API lists them with the panel's numbers and manages them.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { TestClient } from "../testing/http_client.ts";
import { seedTraffic } from "../testing/tenants.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { goalStats } from "../analytics/goals.ts";
import { checkQuery } from "../analytics/query.ts";
import { findSiteById } from "../accounts/sites.ts";

Deno.test("goals: settings pages, the dashboard panel and filter, the API", async (t) => {
  const app = await startTestApp();
  try {
    const client = new TestClient(app);
    await client.signUp(`goals-${crypto.randomUUID().slice(0, 6)}@example.com`);
    await client.page("/sites/new");
    const made = await client.post("/sites/new", { domain: "goals.example", timezone: "UTC" });
    const siteId = Number(/\/sites\/(\d+)\//.exec(made.headers.get("location")!)![1]);
    await seedTraffic(app.db.sql, siteId);
    // Table statistics, as autovacuum keeps them: without any, goal filters plan badly.
    await app.db.sql`analyze`;
    const site = (await findSiteById(app.db.sql, siteId))!;

    await t.step("settings link to goals; the empty list says what to do", async () => {
      const { html } = await client.page(`/sites/${siteId}/settings`);
      assert.ok(html.includes(`/sites/${siteId}/goals`));
      const goals = await client.page(`/sites/${siteId}/goals`);
      assert.equal(goals.res.status, 200);
      assert.match(goals.html, /No goals yet/);
    });

    await t.step("a bad goal is a sentence beside the form, a good one is listed", async () => {
      await client.page(`/sites/${siteId}/goals`);
      const bad = await client.post(`/sites/${siteId}/goals`, {
        name: "Blog",
        kind: "page",
        path_pattern: "blog",
      });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /starting with \//);
      const ok = await client.post(`/sites/${siteId}/goals`, {
        name: "Blog <readers>",
        kind: "page",
        path_pattern: "/blog/**",
      });
      assert.equal(ok.status, 303);
      const { html } = await client.page(`/sites/${siteId}/goals?done=created`);
      assert.ok(html.includes("Blog &lt;readers"), "names are escaped");
      assert.ok(!html.includes("Blog <readers>"));
      assert.match(html, /Visits \/blog\/\*\*/);
      const dup = await client.post(`/sites/${siteId}/goals`, {
        name: "Blog <readers>",
        kind: "purchase",
      });
      assert.equal(dup.status, 409);
      assert.match(await dup.text(), /already a goal called/);
    });

    const [goal] = await app.db.sql`select id from goals where site_id = ${siteId}`;

    await t.step("editing a goal changes it", async () => {
      const { res } = await client.page(`/sites/${siteId}/goals/${goal.id}`);
      assert.equal(res.status, 200);
      const saved = await client.post(`/sites/${siteId}/goals/${goal.id}`, {
        name: "Blog readers",
        kind: "page",
        path_pattern: "/blog/**",
      });
      assert.equal(saved.status, 303);
      const missing = await client.fetch(`/sites/${siteId}/goals/999999`);
      assert.equal(missing.status, 404);
    });

    await t.step("the dashboard's Goals panel shows the goal's numbers", async () => {
      const { html } = await client.page(`/sites/${siteId}`);
      const [stat] = await goalStats(app.db.sql, site, checkQuery({ period: "30d" }));
      assert.ok(stat.visitors > 0);
      assert.ok(html.includes("Blog readers"));
      assert.ok(html.includes(`>${stat.visitors.toLocaleString("en-US")}<`));
      assert.ok(html.includes("f=goal%3Ais%3ABlog+readers") || html.includes("goal:is:Blog"));
      const json = await client.fetch(
        `/api/app/sites/${siteId}/dashboard?f=goal:is:Blog%20readers`,
      );
      assert.equal(json.status, 200);
      const data = await json.json();
      const visitors = data.cards.find((c: { metric: string }) => c.metric === "visitors").value;
      assert.equal(visitors, stat.visitors, "filtered to the converting visitors");
    });

    await t.step("the API lists goals with numbers and manages them", async () => {
      const { secret } = await createApiKey(app.db.sql, { orgId: site.org_id, name: "goals" });
      const api = (path: string, init: RequestInit = {}) =>
        app.fetch(path, {
          ...init,
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        });
      const list = await (await api(`/api/v1/sites/${siteId}/goals?period=30d`)).json();
      const [stat] = await goalStats(app.db.sql, site, checkQuery({ period: "30d" }));
      assert.equal(list.goals[0].name, "Blog readers");
      assert.equal(list.goals[0].visitors, stat.visitors);
      assert.equal(list.goals[0].conversion_rate, stat.conversion_rate);
      const body = JSON.stringify({ name: "Signup", kind: "event", event_name: "Signup" });
      const created = await api(`/api/v1/sites/${siteId}/goals`, { method: "POST", body });
      assert.equal(created.status, 201);
      const again = await api(`/api/v1/sites/${siteId}/goals`, { method: "POST", body });
      const id = (await created.json()).id;
      assert.equal((await again.json()).id, id, "a retried create is the same goal");
      const bad = await api(`/api/v1/sites/${siteId}/goals`, {
        method: "POST",
        body: JSON.stringify({ name: "x", kind: "duration" }),
      });
      assert.equal(bad.status, 400);
      assert.match((await bad.json()).error, /how many seconds/);
      const notJson = await api(`/api/v1/sites/${siteId}/goals`, { method: "POST", body: "[" });
      assert.equal(notJson.status, 400);
      const put = await api(`/api/v1/sites/${siteId}/goals/${id}`, {
        method: "PUT",
        body: JSON.stringify({
          name: "Pro signup",
          kind: "event",
          event_name: "Signup",
          prop_key: "plan",
          prop_value: "pro",
        }),
      });
      assert.equal((await put.json()).description, "Signup with plan = pro");
      const del = await api(`/api/v1/sites/${siteId}/goals/${id}`, { method: "DELETE" });
      assert.deepEqual(await del.json(), { deleted: true });
      const gone = await api(`/api/v1/sites/${siteId}/goals/${id}`);
      assert.equal(gone.status, 404);
    });

    await t.step("the OpenAPI document describes the goals endpoints", async () => {
      const doc = await (await app.fetch("/api/openapi.json")).json();
      const goals = doc.paths["/api/v1/sites/{siteId}/goals"];
      assert.ok(goals.get && goals.post);
      assert.ok(doc.paths["/api/v1/sites/{siteId}/goals/{goalId}"].put);
      assert.deepEqual(doc.components.schemas.GoalInput.properties.kind.enum, [
        "page",
        "event",
        "duration",
        "pages",
        "purchase",
      ]);
    });

    await t.step("deleting from the page removes it", async () => {
      await client.page(`/sites/${siteId}/goals`);
      const res = await client.post(`/sites/${siteId}/goals/${goal.id}/delete`);
      assert.equal(res.status, 303);
      const { html } = await client.page(`/sites/${siteId}/goals`);
      assert.match(html, /No goals yet/);
    });
  } finally {
    await app.stop();
  }
});
