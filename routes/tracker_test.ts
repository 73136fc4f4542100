import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { createTestSite } from "../ingest/test_support.ts";

Deno.test("the tracker is served at /s.js with caching, CORS and gzip", async () => {
  const app = await startTestApp();
  try {
    const res = await app.fetch("/s.js", { headers: { "accept-encoding": "gzip" } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /javascript/);
    assert.equal(res.headers.get("cache-control"), "public, max-age=3600");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.ok(res.headers.get("etag"));
    const body = await res.text();
    assert.match(body, /api\/collect/);
    const again = await app.fetch("/s.js", {
      headers: { "if-none-match": res.headers.get("etag")! },
    });
    assert.equal(again.status, 304);
    await again.body?.cancel();
  } finally {
    await app.stop();
  }
});

Deno.test("the heatmap module is sent only to sites that turned heatmaps on", async () => {
  const app = await startTestApp();
  try {
    const off = await createTestSite(app.ctx.db.sql);
    const on = await createTestSite(app.ctx.db.sql, { heatmaps_enabled: true }, "heat.example");
    const empty = await app.fetch(`/s/heatmap.js?s=${off.public_id}`);
    assert.equal(empty.status, 200);
    assert.equal(await empty.text(), "");
    const unknown = await app.fetch(`/s/heatmap.js?s=nobody`);
    assert.equal(await unknown.text(), "");
    const module = await app.fetch(`/s/heatmap.js?s=${on.public_id}`);
    assert.equal(module.status, 200);
    assert.equal(module.headers.get("access-control-allow-origin"), "*");
    assert.match(await module.text(), /nth-of-type/);
  } finally {
    await app.stop();
  }
});
