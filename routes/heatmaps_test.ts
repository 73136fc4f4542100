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
    const ok = doc.paths["/api/v1/sites/{siteId}/heatmaps"].get.responses["200"];
    const schema = ok.content["application/json"].schema;
    // The documented response names exactly the fields the endpoint returns, at every level.
    assertDocumented(doc, schema, body, "response");
    await sql`
      insert into heatmap_screenshots (site_id, pathname, layout, url, status, error, taken_at)
      values (${t.site.id}, '/pricing', 'desktop', 'https://example.com/pricing', 'done', '',
              now()),
             (${t.site.id}, '/pricing', 'mobile', 'https://example.com/pricing', 'failed',
              'The page took longer than 30 s.', null)`;
    for (const mode of ["clicks", "scroll"]) {
      const res = await api(`/api/v1/sites/${t.site.id}/heatmaps?page=/pricing&kind=${mode}`);
      const answer = await res.json();
      assert.equal(answer.screenshots.length, 2);
      assertDocumented(doc, schema, answer, mode);
    }
  } finally {
    await app.stop();
  }
});

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
};

/** Walks a JSON answer beside its OpenAPI schema: object keys must be the documented ones. */
function assertDocumented(
  doc: { components: { schemas: Record<string, Schema> } },
  schema: Schema,
  value: unknown,
  at: string,
): void {
  if (schema.$ref) {
    return assertDocumented(doc, doc.components.schemas[schema.$ref.split("/").pop()!], value, at);
  }
  if (value === null) return;
  if (schema.anyOf) {
    const s = schema.anyOf.find((s) => s.type !== "null") ?? schema.anyOf[0];
    return assertDocumented(doc, s, value, at);
  }
  if (Array.isArray(value)) {
    assert.ok(schema.items, `${at}: an array the schema has no items for`);
    value.forEach((v, i) => assertDocumented(doc, schema.items!, v, `${at}[${i}]`));
    return;
  }
  if (typeof value === "object") {
    const documented = Object.keys(schema.properties ?? {}).sort();
    assert.deepEqual(Object.keys(value!).sort(), documented, `${at}: fields`);
    assert.deepEqual([...(schema.required ?? [])].sort(), documented, `${at}: required`);
    for (const [k, v] of Object.entries(value!)) {
      assertDocumented(doc, schema.properties![k], v, `${at}.${k}`);
    }
  }
}
