/**
 * The dashboard over HTTP: the page answers with its numbers before any script, filters live
 * in the URL, exports carry the filters, other organizations' sites stay invisible, the stats API
 * agrees with the dashboard, and shared links honour passwords, expiry and revocation.
 */
import assert from "node:assert/strict";
import { strFromU8, unzipSync } from "fflate";
import { startTestApp } from "../testing/app.ts";
import { seedTraffic, signedInTenant } from "../testing/tenants.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { createShare, revokeShare } from "../accounts/shares.ts";
import { aggregate } from "../analytics/stats.ts";
import { checkQuery } from "../analytics/query.ts";
import { metricsFor } from "../analytics/dimensions.ts";
import { API_RATE_LIMIT } from "./stats_api.ts";
import { createSiteWithOwner, insertSession } from "../testing/journeys.ts";
import { refreshRollups } from "../db/rollups.ts";

Deno.test("the dashboard over HTTP: page, filters, exports, isolation, API, shares", async (t) => {
  const app = await startTestApp();
  try {
    const a = await signedInTenant(app.db.sql, "alpha.example");
    const b = await signedInTenant(app.db.sql, "beta.example");
    await seedTraffic(app.db.sql, a.site.id);
    await seedTraffic(app.db.sql, b.site.id, 50);
    const get = (path: string, cookie = a.cookie) => app.fetch(path, { headers: { cookie } });

    await t.step("the page answers with numbers and panels before any script runs", async () => {
      const res = await get(`/sites/${a.site.id}`);
      assert.equal(res.status, 200);
      const html = await res.text();
      const totals = await aggregate(app.db.sql, a.site, checkQuery({ period: "30d" }));
      const visitors = totals.totals.visitors!.toLocaleString("en-US");
      assert(html.includes(`>${visitors}<`), `visitors card shows ${visitors}`);
      for (const text of ["Acquisition", "Organic Search", "Top pages", "Countries", "Goals"]) {
        assert(html.includes(text), `page mentions ${text}`);
      }
      assert(html.includes("🇺🇸 United States"), "countries by flag and name, not code");
      assert(html.includes('data-slot="live-summary"'), "slot for the live summary");
      assert(html.includes("<svg"), "a chart drawn on the server");
      assert.match(res.headers.get("content-security-policy") ?? "", /script-src/);
    });

    await t.step("filters and periods live in the URL; bad ones get a sentence", async () => {
      const res = await get(`/sites/${a.site.id}?period=7d&f=source:is:YouTube&acq=source`);
      assert.equal(res.status, 200);
      const html = await res.text();
      assert(html.includes("Source is YouTube"), "filter chip");
      assert(html.includes("Last 7 days"));
      const bad = await get(`/sites/${a.site.id}?period=fortnight`);
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /period must be one of/);
      const json = await get(`/api/app/sites/${a.site.id}/dashboard?f=bogus`);
      assert.equal(json.status, 400);
      assert.match((await json.json()).error, /dimension:op:value/);
    });

    await t.step("the island's JSON matches the stats module", async () => {
      const res = await get(`/api/app/sites/${a.site.id}/dashboard?period=7d&f=device:is:Mobile`);
      assert.equal(res.status, 200);
      const data = await res.json();
      const want = await aggregate(
        app.db.sql,
        a.site,
        checkQuery({ period: "7d", filters: [{ dimension: "device", op: "is", value: "Mobile" }] }),
      );
      const card = data.cards.find((c: { metric: string }) => c.metric === "visitors");
      assert.equal(card.value, want.totals.visitors);
      const panel = await get(
        `/api/app/sites/${a.site.id}/breakdown?dimension=source&sort=revenue:desc&limit=3`,
      );
      const p = await panel.json();
      assert.equal(p.rows.length, 3);
      assert.equal(p.sort.metric, "revenue");
    });

    await t.step(
      "another organization's site is not found, in pages, JSON and exports",
      async () => {
        for (
          const path of [
            `/sites/${b.site.id}`,
            `/api/app/sites/${b.site.id}/dashboard`,
            `/api/app/sites/${b.site.id}/export.zip`,
            `/api/app/sites/${b.site.id}/export/source.csv`,
            `/sites/${b.site.id}/breakdown/page`,
          ]
        ) {
          const res = await get(path);
          assert.equal(res.status, 404, path);
          await res.body?.cancel();
        }
        const anon = await app.fetch(`/api/app/sites/${a.site.id}/dashboard`);
        assert.equal(anon.status, 401);
        await anon.body?.cancel();
      },
    );

    await t.step("breakdown pages sort by any column and page through 50 rows", async () => {
      const res = await get(`/sites/${a.site.id}/breakdown/city?sort=revenue:asc`);
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /aria-sort="ascending"/);
      assert(html.includes("Export CSV"));
    });

    await t.step(
      "pages' scroll and engaged time: on the overview, its JSON, the details page and CSV",
      async () => {
        const overview = await (await get(`/sites/${a.site.id}`)).text();
        assert.match(overview, />Scroll</);
        assert.match(overview, />Engaged</);
        const panel = await (await get(
          `/api/app/sites/${a.site.id}/breakdown?dimension=page&limit=3`,
        )).json();
        assert.deepEqual(panel.metrics, metricsFor("page"));
        assert(panel.rows.length > 0 && "scroll_depth" in panel.rows[0].values);
        const details = await (await get(`/sites/${a.site.id}/breakdown/page`)).text();
        assert.match(details, />Scroll/);
        assert.match(details, />Engaged/);
        const csv = await (await get(`/api/app/sites/${a.site.id}/export/page.csv`)).text();
        assert.match(csv.split("\r\n")[0], /Scroll depth \(%\),Engaged time \(s\)/);
      },
    );

    await t.step("CSV and zip exports carry the active filters", async () => {
      const all = await get(`/api/app/sites/${a.site.id}/export/source.csv`);
      assert.equal(all.status, 200);
      assert.match(all.headers.get("content-disposition") ?? "", /attachment; filename=".*source/);
      const text = await all.text();
      const lines = text.trim().split("\r\n");
      assert.match(lines[0], /^\uFEFF?Source,Visitors,Visits/);
      assert(lines.some((l) => l.startsWith("YouTube,")), "YouTube row");
      const filtered = await get(
        `/api/app/sites/${a.site.id}/export/source.csv?f=source:is:YouTube`,
      );
      const rows = (await filtered.text()).trim().split("\r\n");
      assert.equal(rows.length, 2, "header and the one filtered source");
      assert.match(rows[1], /^YouTube,/);
      const zip = await get(`/api/app/sites/${a.site.id}/export.zip?f=device:is:Mobile`);
      assert.equal(zip.headers.get("content-type"), "application/zip");
      const bytes = new Uint8Array(await zip.arrayBuffer());
      assert.deepEqual([...bytes.slice(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
      const files = unzipSync(bytes);
      for (
        const n of ["summary.csv", "source.csv", "country.csv", "annotations.csv", "filters.csv"]
      ) {
        assert(files[n], n);
      }
      const countries = strFromU8(files["country.csv"]).trim().split("\r\n");
      assert(countries.some((l) => l.startsWith("US,")), "exports keep country codes");
      const devices = strFromU8(files["device.csv"]).trim().split("\r\n");
      assert.equal(devices.length, 2, "the filter applies inside the zip too");
      assert.match(devices[1], /^Mobile,/);
    });

    await t.step("annotations are added by members and appear on the chart", async () => {
      const page = await (await get(`/sites/${a.site.id}`)).text();
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1];
      const today = new Date().toISOString().slice(0, 10);
      const res = await app.fetch(`/sites/${a.site.id}/annotations`, {
        method: "POST",
        headers: { cookie: a.cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          _csrf: csrf,
          day: today,
          category: "launch",
          body: "Launched <b>v2</b>",
          back: `/sites/${a.site.id}?period=7d`,
        }),
        redirect: "manual",
      });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), `/sites/${a.site.id}?period=7d`);
      const html = await (await get(`/sites/${a.site.id}`)).text();
      assert(html.includes("Launched &lt;b>v2&lt;/b>") || html.includes("Launched &lt;b&gt;v2"));
      assert(!html.includes("<b>v2</b>"), "user text is escaped");
    });

    await t.step(
      "the stats API: keys, scoping, answers equal to the dashboard, rate limit",
      async () => {
        const { secret } = await createApiKey(app.db.sql, { orgId: a.orgId, name: "ci" });
        const { secret: limited } = await createApiKey(app.db.sql, {
          orgId: b.orgId,
          name: "one site",
          siteId: b.site.id,
        });
        const api = (path: string, key = secret) =>
          app.fetch(path, { headers: { authorization: `Bearer ${key}` } });
        const none = await app.fetch(`/api/v1/sites/${a.site.id}/stats`);
        assert.equal(none.status, 401);
        assert.match((await none.json()).error, /Bearer/);
        const other = await api(`/api/v1/sites/${b.site.id}/stats`);
        assert.equal(other.status, 404);
        await other.body?.cancel();
        const cross = await api(`/api/v1/sites/${a.site.id}/stats`, limited);
        assert.equal(cross.status, 404);
        await cross.body?.cancel();

        const totals = await (await api(`/api/v1/sites/${a.site.id}/stats?period=7d`)).json();
        const want = await aggregate(app.db.sql, a.site, checkQuery({ period: "7d" }));
        assert.deepEqual(totals.totals, want.totals);
        const series = await (await api(
          `/api/v1/sites/${a.site.id}/stats?period=7d&dimension=time:day&metrics=visitors,revenue`,
        )).json();
        assert.equal(series.results.length, 7);
        assert.deepEqual(Object.keys(series.results[0]).sort(), ["revenue", "time", "visitors"]);
        const bySource = await (await api(
          `/api/v1/sites/${a.site.id}/stats?dimension=source&filter=device:is:Mobile&sort=revenue`,
        )).json();
        assert(bySource.results.length > 0 && "source" in bySource.results[0]);
        const bad = await api(`/api/v1/sites/${a.site.id}/stats?dimension=page&metrics=revenue`);
        assert.equal(bad.status, 400);
        assert.match((await bad.json()).error, /revenue is not available by page/);
        // Scroll and engaged time are read from raw events: only when named.
        const pages = await (await api(`/api/v1/sites/${a.site.id}/stats?dimension=page`)).json();
        assert(pages.results.length > 0 && !("scroll_depth" in pages.results[0]));
        const named = await (await api(
          `/api/v1/sites/${a.site.id}/stats?dimension=page&metrics=visitors,scroll_depth,engaged_time`,
        )).json();
        assert.deepEqual(Object.keys(named.results[0]).sort(), [
          "engaged_time",
          "page",
          "scroll_depth",
          "visitors",
        ]);

        // The limit counts per minute-long window; on a slow machine the loop may straddle one
        // window's end, so it keeps going until the limit answers (at most three windows' worth).
        let last: Response | undefined;
        for (let i = 0; i < API_RATE_LIMIT * 3; i++) {
          last = await api(`/api/v1/sites/${a.site.id}/stats?period=nope`);
          await last.body?.cancel();
          if (last.status === 429) break;
        }
        assert.equal(last!.status, 429);
        assert(Number(last!.headers.get("retry-after")) > 0);
      },
    );

    await t.step("the OpenAPI document describes the stats endpoint from the schemas", async () => {
      const res = await app.fetch("/api/openapi.json");
      const doc = await res.json();
      assert.equal(doc.openapi, "3.1.0");
      const op = doc.paths["/api/v1/sites/{siteId}/stats"].get;
      const names = op.parameters.map((p: { name: string }) => p.name);
      for (const n of ["period", "filter", "dimension", "metrics", "sort", "page", "limit"]) {
        assert(names.includes(n), n);
      }
      const period = op.parameters.find((p: { name: string }) => p.name === "period");
      assert(period.schema.enum.includes("12mo"));
      assert(doc.components.schemas.StatsResponse.properties.results);
    });

    await t.step("shared links: read-only page, password, expiry and revocation", async () => {
      const { share, token } = await createShare(app.db.sql, app.ctx.secrets, {
        siteId: a.site.id,
        label: "investors",
      });
      const page = await app.fetch(`/share/${token}`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert(html.includes("Shared · read-only"));
      assert(!html.includes("Add a note"), "no editing on shared pages");
      const data = await app.fetch(`/share/${token}/api/dashboard?period=7d`);
      assert.equal(data.status, 200);
      await data.body?.cancel();

      const locked = await createShare(app.db.sql, app.ctx.secrets, {
        siteId: a.site.id,
        password: "open sesame 123",
      });
      const ask = await app.fetch(`/share/${locked.token}`);
      assert.equal(ask.status, 401);
      const form = await ask.text();
      assert(form.includes("password protected"));
      const json = await app.fetch(`/share/${locked.token}/api/dashboard`);
      assert.equal(json.status, 401);
      await json.body?.cancel();
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form)![1];
      const anonCookie = (ask.headers.get("set-cookie") ?? "").split(";")[0];
      const unlock = (password: string) =>
        app.fetch(`/share/${locked.token}/unlock`, {
          method: "POST",
          headers: { cookie: anonCookie, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ _csrf: csrf, password }),
          redirect: "manual",
        });
      const wrong = await unlock("guess guess guess");
      assert.equal(wrong.status, 401);
      assert.match(await wrong.text(), /not right/);
      const right = await unlock("open sesame 123");
      assert.equal(right.status, 303);
      const unlocked = (right.headers.get("set-cookie") ?? "").split(";")[0];
      const after = await app.fetch(`/share/${locked.token}`, { headers: { cookie: unlocked } });
      assert.equal(after.status, 200);
      await after.body?.cancel();

      const expired = await createShare(app.db.sql, app.ctx.secrets, {
        siteId: a.site.id,
        expiresAt: new Date(Date.now() - 1000),
      });
      const gone = await app.fetch(`/share/${expired.token}`);
      assert.equal(gone.status, 404);
      await gone.body?.cancel();
      await revokeShare(app.db.sql, a.site.id, share.id);
      const revoked = await app.fetch(`/share/${token}/api/dashboard`);
      assert.equal(revoked.status, 404);
      await revoked.body?.cancel();
    });
  } finally {
    await app.stop();
  }
});

Deno.test("a visit stored before the rollups refresh shows as updating, then in the cards", async () => {
  const app = await startTestApp();
  try {
    const sql = app.db.sql;
    const owner = await createSiteWithOwner(sql);
    const headers = { cookie: owner.cookie };
    const dashboard = async () => {
      const res = await app.fetch(`/api/app/sites/${owner.site.id}/dashboard?period=today`, {
        headers,
      });
      assert.equal(res.status, 200);
      const data = await res.json();
      const visitors = data.cards.find((c: { metric: string }) => c.metric === "visitors").value;
      return { updating: data.updating as boolean, visitors: visitors as number };
    };
    await insertSession(sql, owner.site.id, { visitorId: "first-visitor", startedAt: new Date() });

    // The rollups count it at the next refresh, and the dashboard says so meanwhile.
    assert.deepEqual(await dashboard(), { updating: true, visitors: 0 });
    const updating = await app.fetch(`/sites/${owner.site.id}?period=today`, { headers });
    assert.match(await updating.text(), /class="updating-note[^"]*" role="status">Updating…/);

    await refreshRollups(sql);
    assert.deepEqual(await dashboard(), { updating: false, visitors: 1 });
    const page = await app.fetch(`/sites/${owner.site.id}?period=today`, { headers });
    assert.doesNotMatch(await page.text(), /updating-note/);
  } finally {
    await app.stop();
  }
});
