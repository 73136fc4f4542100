/**
 * Paths, cohorts and event properties over HTTP: the pages show the module's numbers and say
 * what to do when empty, bad parameters are sentences, and the public API answers the same.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { seedTraffic, signedInTenant } from "../testing/tenants.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { createGoal, parseGoalInput } from "../analytics/goals.ts";
import { nextPages, pathsToGoal } from "../analytics/paths.ts";
import { cohortGrid, gridsBySource } from "../analytics/cohorts.ts";
import { propertyValues } from "../analytics/properties.ts";
import { queryPeriod } from "../analytics/stats.ts";
import { checkQuery } from "../analytics/query.ts";

Deno.test("paths, cohorts and event properties: pages and API", async (t) => {
  const app = await startTestApp();
  try {
    const sql = app.db.sql;
    const a = await signedInTenant(sql, "explore.example", { timezone: "UTC" });
    await seedTraffic(sql, a.site.id, 500);
    await sql`update events set props = jsonb_build_object('variant',
        case when get_byte(decode(md5(visitor_id), 'hex'), 0) % 2 = 0 then 'A' else 'B' end)
      where site_id = ${a.site.id} and type = 'event'`;
    await sql`analyze`;
    const goal = await createGoal(
      sql,
      a.site.id,
      parseGoalInput({ name: "Signup", kind: "event", event_name: "Signup" }),
    );
    const period = queryPeriod(a.site, checkQuery({ period: "30d" }));
    const get = (path: string) => app.fetch(path, { headers: { cookie: a.cookie } });
    const base = `/sites/${a.site.id}`;

    await t.step("paths", async () => {
      const res = await get(`${base}/paths?period=30d&page_path=/pricing&goal=${goal.id}`);
      assert.equal(res.status, 200);
      const html = await res.text();
      const [top] = await nextPages(sql, a.site.id, period, "/pricing", "next");
      assert.ok(html.includes(`>${top.count.toLocaleString("en-US")}<`));
      const [path] = await pathsToGoal(sql, a.site.id, period, goal.id);
      assert.ok(html.includes(path.pages.join(" → ")));
      assert.equal((await get(`${base}/paths?page_path=pricing`)).status, 400);
      assert.equal((await get(`${base}/paths?goal=999999`)).status, 400);
    });

    await t.step("cohorts", async () => {
      const res = await get(`${base}/cohorts?unit=week`);
      assert.equal(res.status, 200);
      const html = await res.text();
      const rows = await cohortGrid(sql, a.site, { unit: "week", by: "first_visit", periods: 8 });
      assert.ok(rows.length > 0);
      for (const r of rows) assert.ok(html.includes(r.cohort), r.cohort);
      assert.equal((await get(`${base}/cohorts?unit=day`)).status, 400);
      assert.equal((await get(`${base}/cohorts?split=city`)).status, 400);
      // A grid per first source: each of the top sources with its own cohorts.
      const split = await (await get(`${base}/cohorts?unit=week&split=source`)).text();
      const blocks = gridsBySource(
        await cohortGrid(sql, a.site, {
          unit: "week",
          by: "first_visit",
          periods: 8,
          split: "source",
        }),
      );
      assert.ok(blocks.length > 1, "several first sources");
      for (const b of blocks) {
        const label = `First source: ${b.source || "Direct / none"}`;
        const at = split.indexOf(`aria-label="${label}"`);
        assert.ok(at >= 0, label);
        const section = split.slice(at, split.indexOf("</section>", at));
        for (const r of b.rows) {
          assert.ok(section.includes(`>${r.cohort}<`), `${label} ${r.cohort}`);
          assert.ok(section.includes(`>${r.size.toLocaleString("en-US")}<`), `${label} size`);
        }
      }
    });

    await t.step("event properties", async () => {
      const res = await get(
        `${base}/properties?period=30d&event=Signup&key=variant&goal=${goal.id}`,
      );
      assert.equal(res.status, 200);
      const html = await res.text();
      const values = await propertyValues(
        sql,
        a.site,
        checkQuery({ period: "30d" }),
        "Signup",
        "variant",
        {
          goalId: goal.id,
        },
      );
      assert.equal(values.length, 2);
      for (const v of values) assert.ok(html.includes(`>${v.value}<`));
    });

    await t.step("the API answers the same", async () => {
      const { secret } = await createApiKey(sql, { orgId: a.orgId, name: "explore" });
      const api = (path: string) =>
        app.fetch(path, { headers: { authorization: `Bearer ${secret}` } });
      const paths = await (await api(
        `/api/v1/sites/${a.site.id}/paths?period=30d&page_path=/pricing`,
      )).json();
      assert.deepEqual(paths.next, await nextPages(sql, a.site.id, period, "/pricing", "next"));
      assert.equal((await api(`/api/v1/sites/${a.site.id}/paths`)).status, 400);
      const cohorts = await (await api(`/api/v1/sites/${a.site.id}/cohorts?unit=month`)).json();
      assert.deepEqual(
        cohorts.cohorts,
        await cohortGrid(sql, a.site, { unit: "month", by: "first_visit", periods: 12 }),
      );
      const props = await (await api(
        `/api/v1/sites/${a.site.id}/properties?period=30d&event=Signup&key=variant`,
      )).json();
      assert.deepEqual(
        props.values,
        await propertyValues(sql, a.site, checkQuery({ period: "30d" }), "Signup", "variant"),
      );
      const keys = await (await api(`/api/v1/sites/${a.site.id}/properties?event=Signup`)).json();
      assert.deepEqual(keys.keys.map((k: { key: string }) => k.key), ["variant"]);
      const doc = await (await app.fetch("/api/openapi.json")).json();
      for (const p of ["paths", "cohorts", "properties"]) {
        assert.ok(doc.paths[`/api/v1/sites/{siteId}/${p}`].get, p);
      }
    });
  } finally {
    await app.stop();
  }
});
