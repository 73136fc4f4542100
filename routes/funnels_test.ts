/**
 * Funnels over HTTP: a member builds one from the form (mistakes come back as sentences), sees
 * its bars, breakdown and comparison, opens a drop-off list, exports CSV, edits, duplicates and
 * deletes it; the public API manages and reports funnels with the same numbers, and the
 * OpenAPI document describes it.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { TestClient } from "../testing/http_client.ts";
import { seedTraffic } from "../testing/tenants.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { findSiteById } from "../accounts/sites.ts";
import { droppedAt, funnelResult, getFunnel } from "../analytics/funnels.ts";
import { queryPeriod } from "../analytics/stats.ts";
import { checkQuery } from "../analytics/query.ts";
import { addDays } from "../analytics/period.ts";

Deno.test("funnels: build, read, break down, export, edit, duplicate, delete, API", async (t) => {
  const app = await startTestApp();
  try {
    const client = new TestClient(app);
    await client.signUp(`funnels-${crypto.randomUUID().slice(0, 6)}@example.com`);
    await client.page("/sites/new");
    const made = await client.post("/sites/new", { domain: "funnels.example", timezone: "UTC" });
    const siteId = Number(/\/sites\/(\d+)\//.exec(made.headers.get("location")!)![1]);
    await seedTraffic(app.db.sql, siteId, 600);
    await app.db.sql`analyze`;
    const site = (await findSiteById(app.db.sql, siteId))!;
    const base = `/sites/${siteId}/funnels`;
    let funnelId = 0;

    await t.step("the empty list says what to do; a bad funnel is a sentence", async () => {
      const { html } = await client.page(base);
      assert.match(html, /No funnels yet/);
      const bad = await client.post(base, {
        name: "Checkout",
        step1_type: "page",
        step1_value: "/",
      });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /at least 2 steps/);
      const badPath = await client.post(base, {
        name: "Checkout",
        step1_type: "page",
        step1_value: "/",
        step2_type: "page",
        step2_value: "pricing",
      });
      assert.equal(badPath.status, 400);
      assert.match(await badPath.text(), /Step 2: write a path starting with \//);
    });

    await t.step("a funnel built from the form shows its numbers", async () => {
      await client.page(base);
      const res = await client.post(base, {
        name: "Pricing <to> checkout",
        step1_type: "page",
        step1_value: "/**",
        step2_type: "page",
        step2_value: "/pricing",
        step3_type: "page",
        step3_value: "/checkout",
        window_kind: "session",
      });
      assert.equal(res.status, 303);
      funnelId = Number(/\/funnels\/(\d+)$/.exec(res.headers.get("location")!)![1]);
      const { res: page, html } = await client.page(`${base}/${funnelId}?period=30d`);
      assert.equal(page.status, 200);
      assert.ok(html.includes("Pricing &lt;to"), "names are escaped");
      const f = await getFunnel(app.db.sql, siteId, funnelId);
      const period = queryPeriod(site, checkQuery({ period: "30d" }));
      const result = await funnelResult(app.db.sql, siteId, f, period);
      assert.ok(result.steps[2].count > 0);
      for (const s of result.steps) {
        assert.ok(html.includes(`<strong>${s.count.toLocaleString("en-US")}</strong>`));
      }
      assert.ok(html.includes(`${base}/${funnelId}/dropoff?period=30d&amp;step=1`));
    });

    await t.step("breakdown, comparison, drop-off list and CSV", async () => {
      const by = await client.page(`${base}/${funnelId}?period=30d&by=channel&compare=1`);
      assert.equal(by.res.status, 200);
      assert.match(by.html, /Organic Search|Direct/);
      assert.match(by.html, /before:/);
      const badBy = await client.fetch(`${base}/${funnelId}?by=weather`);
      assert.equal(badBy.status, 400);
      const drop = await client.page(`${base}/${funnelId}/dropoff?period=30d&step=1`);
      assert.equal(drop.res.status, 200);
      assert.match(drop.html, /Left after step 1/);
      const f1 = await getFunnel(app.db.sql, siteId, funnelId);
      const lost = await droppedAt(
        app.db.sql,
        siteId,
        f1,
        queryPeriod(site, checkQuery({ period: "30d" })),
        1,
      );
      assert.ok(lost.length > 0, "people left after step 1");
      const dashboard = `/sites/${siteId}?period=30d&funnel=${funnelId}&dropped_at=1`;
      assert.ok(drop.html.includes(dashboard.replaceAll("&", "&amp;")), "links the dashboard");
      for (const x of lost) {
        const journey = `/sites/${siteId}/visitors/${
          encodeURIComponent(x.visitor_id)
        }?session=${x.session_id}`;
        assert.ok(drop.html.includes(journey), `links ${x.visitor_id}'s journey`);
      }
      // The journey shows the visit they entered in, with its pages.
      const journey = await client.page(
        `/sites/${siteId}/visitors/${encodeURIComponent(lost[0].visitor_id)}?session=${
          lost[0].session_id
        }`,
      );
      assert.equal(journey.res.status, 200);
      const [entry] = await app.db.sql`select pathname from events
        where site_id = ${siteId} and session_id = ${lost[0].session_id}::uuid
          and type = 'pageview' order by ts limit 1`;
      assert.ok(journey.html.includes(entry.pathname), "the entry page is on the journey");
      const unknown = await client.fetch(`/sites/${siteId}/visitors/nobody?session=nope`);
      assert.equal(unknown.status, 400);
      const filtered = await client.page(dashboard);
      assert.equal(filtered.res.status, 200);
      assert.match(filtered.html, /Left “Pricing &lt;to> checkout” after step 1/);
      const badDrop = await client.fetch(`/sites/${siteId}?funnel=${funnelId}&dropped_at=3`);
      assert.equal(badDrop.status, 400);
      const halfDrop = await client.fetch(`/sites/${siteId}?funnel=${funnelId}`);
      assert.equal(halfDrop.status, 400);
      const badStep = await client.fetch(`${base}/${funnelId}/dropoff?step=9`);
      assert.equal(badStep.status, 400);
      // Any two ranges: the last week against a week two weeks earlier.
      const f0 = await getFunnel(app.db.sql, siteId, funnelId);
      const last = queryPeriod(site, checkQuery({ period: "30d" })).lastDay;
      const ranges = `period=custom&from=${addDays(last, -6)}&to=${last}&compare_from=${
        addDays(last, -20)
      }&compare_to=${addDays(last, -13)}`;
      const other = queryPeriod(
        site,
        checkQuery({ period: "custom", from: addDays(last, -20), to: addDays(last, -13) }),
      );
      const then = await funnelResult(app.db.sql, siteId, f0, other);
      assert.ok(then.steps[0].count > 0, "the compared range has visits");
      const compared = await client.page(`${base}/${funnelId}?${ranges}&by=device`);
      assert.equal(compared.res.status, 200);
      for (const s of then.steps) {
        assert.ok(
          compared.html.includes(`(${other.label}: ${s.count.toLocaleString("en-US")})`),
          `step count of ${other.label}`,
        );
      }
      assert.ok(
        compared.html.includes(`by=channel&amp;compare_from=${addDays(last, -20)}`) ||
          compared.html.includes(`compare_from=${addDays(last, -20)}&amp;compare_to=`),
        "other links keep the comparison",
      );
      for (
        const bad of [
          `compare_from=${last}`,
          `compare_from=2026-13-45&compare_to=2026-13-46`,
          `compare_from=${last}&compare_to=${addDays(last, -3)}`,
        ]
      ) {
        const res = await client.fetch(`${base}/${funnelId}?period=30d&${bad}`);
        assert.equal(res.status, 400, bad);
        await res.body?.cancel();
      }
      const csv = await client.fetch(`${base}/${funnelId}/export.csv?period=30d`);
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get("content-type") ?? "", /text\/csv/);
      const lines = (await csv.text()).trim().split(/\r?\n/);
      assert.equal(lines[0], "step,definition,count,percent_of_first,dropoff,median_seconds");
      assert.equal(lines.length, 4);
      const f = await getFunnel(app.db.sql, siteId, funnelId);
      const period = queryPeriod(site, checkQuery({ period: "30d" }));
      const result = await funnelResult(app.db.sql, siteId, f, period);
      assert.equal(Number(lines[3].split(",")[2]), result.steps[2].count);
    });

    await t.step("edit, duplicate and delete", async () => {
      const { html } = await client.page(`${base}/${funnelId}/edit`);
      assert.ok(html.includes('value="/pricing"'));
      const saved = await client.post(`${base}/${funnelId}`, {
        name: "Pricing to checkout",
        step1_type: "page",
        step1_value: "/pricing",
        step2_type: "page",
        step2_value: "/checkout",
        window_kind: "days",
        window_days: "7",
        strict: "on",
      });
      assert.equal(saved.status, 303);
      const f = await getFunnel(app.db.sql, siteId, funnelId);
      assert.deepEqual([f.steps.length, f.window_kind, f.window_days, f.strict], [
        2,
        "days",
        7,
        true,
      ]);
      await client.page(`${base}/${funnelId}`);
      const dup = await client.post(`${base}/${funnelId}/duplicate`);
      assert.equal(dup.status, 303);
      const copyId = Number(/\/funnels\/(\d+)\/edit$/.exec(dup.headers.get("location")!)![1]);
      assert.equal(
        (await getFunnel(app.db.sql, siteId, copyId)).name,
        "Pricing to checkout (copy)",
      );
      const del = await client.post(`${base}/${copyId}/delete`);
      assert.equal(del.status, 303);
      assert.equal((await client.fetch(`${base}/${copyId}`)).status, 404);
    });

    await t.step("the API manages funnels and reports the same numbers", async () => {
      const { secret } = await createApiKey(app.db.sql, { orgId: site.org_id, name: "funnels" });
      const api = (path: string, init: RequestInit = {}) =>
        app.fetch(path, {
          ...init,
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        });
      const body = JSON.stringify({
        name: "API funnel",
        steps: [{ kind: "page", path_pattern: "/" }, { kind: "page", path_pattern: "/pricing" }],
      });
      const created = await api(`/api/v1/sites/${siteId}/funnels`, { method: "POST", body });
      assert.equal(created.status, 201);
      const id = (await created.json()).id;
      const again = await api(`/api/v1/sites/${siteId}/funnels`, { method: "POST", body });
      assert.equal((await again.json()).id, id, "a retried create is the same funnel");
      const report = await (await api(
        `/api/v1/sites/${siteId}/funnels/${id}?period=30d&by=device&compare=1`,
      )).json();
      const f = await getFunnel(app.db.sql, siteId, id);
      const period = queryPeriod(site, checkQuery({ period: "30d" }));
      assert.deepEqual(report.result, await funnelResult(app.db.sql, siteId, f, period));
      assert.equal(report.breakdown.by, "device");
      assert.ok(report.previous);
      const last = period.lastDay;
      const ranged = await (await api(
        `/api/v1/sites/${siteId}/funnels/${id}?period=7d&compare_from=${
          addDays(last, -27)
        }&compare_to=${addDays(last, -14)}`,
      )).json();
      const other = queryPeriod(
        site,
        checkQuery({ period: "custom", from: addDays(last, -27), to: addDays(last, -14) }),
      );
      assert.deepEqual(ranged.previous, await funnelResult(app.db.sql, siteId, f, other));
      assert.equal(ranged.compared_with.label, other.label);
      const list = await (await api(`/api/v1/sites/${siteId}/funnels`)).json();
      assert.ok(list.funnels.some((x: { id: number }) => x.id === id));
      const bad = await api(`/api/v1/sites/${siteId}/funnels`, {
        method: "POST",
        body: JSON.stringify({ name: "x", steps: "nope" }),
      });
      assert.equal(bad.status, 400);
      const put = await api(`/api/v1/sites/${siteId}/funnels/${id}`, {
        method: "PUT",
        body: JSON.stringify({
          name: "API funnel",
          window_kind: "days",
          window_days: 3,
          steps: [{ kind: "page", path_pattern: "/" }, { kind: "event", event_name: "Signup" }],
        }),
      });
      assert.equal((await put.json()).steps[1].event_name, "Signup");
      const del = await api(`/api/v1/sites/${siteId}/funnels/${id}`, { method: "DELETE" });
      assert.deepEqual(await del.json(), { deleted: true });
      assert.equal((await api(`/api/v1/sites/${siteId}/funnels/${id}`)).status, 404);
      const doc = await (await app.fetch("/api/openapi.json")).json();
      assert.ok(doc.paths["/api/v1/sites/{siteId}/funnels/{funnelId}"].get);
      assert.ok(doc.components.schemas.FunnelInput.properties.steps);
    });
  } finally {
    await app.stop();
  }
});
