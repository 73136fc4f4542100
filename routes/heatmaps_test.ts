import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { signedInTenant } from "../testing/tenants.ts";
import { recordHeatmapVisits } from "../testing/heatmap_data.ts";
import { createApiKey } from "../accounts/api_keys.ts";

Deno.test("heatmap page: empty states, then the page's heatmap, elements, CSV and the API", async () => {
  const app = await startTestApp();
  const sql = app.ctx.db.sql;
  try {
    const t = await signedInTenant(sql, "heat.example");
    const get = (path: string) => app.fetch(path, { headers: { cookie: t.cookie } });

    const off = await get(`/sites/${t.site.id}/heatmaps`);
    assert.equal(off.status, 200);
    const offHtml = await off.text();
    assert.match(offHtml, /Heatmaps are off for this site/);
    assert.match(offHtml, /No heatmap data yet/);
    assert.match(offHtml, new RegExp(`href="/sites/${t.site.id}/settings"`));

    await sql`update sites set heatmaps_enabled = true where id = ${t.site.id}`;
    const site = { ...t.site, heatmaps_enabled: true };
    const hostile = `div.<script>alert(1)</script>`;
    await recordHeatmapVisits(sql, site, [
      {
        v: "visitor-one1",
        url: "https://heat.example/pricing",
        width: 1440,
        clicks: [{ x: 700, y: 300, sel: "button#buy" }, { x: 702, y: 301, sel: "button#buy" }, {
          x: 100,
          y: 900,
          sel: hostile,
          f: 2,
        }],
        scrolls: [{ sd: 60, at: [2, 2, 1, 0, 0, 0, 0, 0, 0, 0] }],
      },
      {
        v: "visitor-two2",
        url: "https://heat.example/",
        width: 390,
        clicks: [{ x: 20, y: 20, sel: "nav>a" }],
      },
    ]);

    const page = await get(`/sites/${t.site.id}/heatmaps`);
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.doesNotMatch(html, /Heatmaps are off/);
    // The most clicked page is shown first, with its elements; user strings are escaped.
    assert.match(html, /<option value="\/pricing" selected/);
    assert.match(html, /button#buy/);
    assert.ok(!html.includes("<script>alert(1)</script>"));
    assert.match(html, /No screenshot of this page yet/);
    assert.match(html, /data-island="HeatmapView"/);

    const mobile = await get(`/sites/${t.site.id}/heatmaps?page=/&layout=mobile&mode=dead`);
    assert.equal(mobile.status, 200);
    assert.match(await mobile.text(), /<option value="\/" selected/);

    const csv = await get(`/sites/${t.site.id}/heatmaps.csv?page=/pricing`);
    assert.equal(csv.status, 200);
    const lines = (await csv.text()).replace(/^\uFEFF/, "").trim().split("\r\n");
    assert.deepEqual(lines, [
      "selector,clicks,share_of_clicks,rage_clicks,dead_clicks,error_clicks",
      "button#buy,2,0.6667,0,0,0",
      `div.<script>alert(1)</script>,1,0.3333,0,1,0`,
    ]);

    const bad = await get(`/sites/${t.site.id}/heatmaps?page=/pricing&layout=watch`);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /desktop, tablet or mobile/);

    const { secret } = await createApiKey(sql, { orgId: t.orgId, name: "heat" });
    const api = (path: string) =>
      app.fetch(path, { headers: { authorization: `Bearer ${secret}` } });
    const res = await api(`/api/v1/sites/${t.site.id}/heatmaps?page=/pricing&kind=clicks`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.width, 1440);
    assert.equal(body.totals.clicks, 3);
    assert.equal(body.pageViews, 1);
    assert.deepEqual(body.elements.map((e: { selector: string }) => e.selector), [
      "button#buy",
      hostile,
    ]);
    assert.deepEqual(body.screenshots, []);
    const noPage = await api(`/api/v1/sites/${t.site.id}/heatmaps`);
    assert.equal(noPage.status, 400);
    assert.match((await noPage.json()).error, /Choose a page/);

    const doc = await (await app.fetch("/api/openapi.json")).json();
    assert.ok(doc.paths["/api/v1/sites/{siteId}/heatmaps"].get);
  } finally {
    await app.stop();
  }
});
