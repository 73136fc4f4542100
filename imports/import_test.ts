import assert from "node:assert/strict";
import { ALL_DB_MODES, inDbMode } from "../testing/db.ts";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { TestClient } from "../testing/http_client.ts";
import { signedInTenant, type Tenant } from "../testing/tenants.ts";
import { waitFor } from "../testing/wait.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { refreshRollups } from "../db/rollups.ts";
import { createImport, IMPORT_STALE_MS, runImport } from "./run.ts";

const DAY = 86_400_000;
const PAGES = ["/", "/pricing", "/blog/a, b"];

/** A Plausible pages export over 90 days, and the daily totals it stands for. */
function plausibleExport(now: number) {
  const today = Math.floor(now / DAY) * DAY;
  const lines = ["date,hostname,page,visits,visitors,pageviews,exits,time_on_page"];
  const days: { day: string; visitors: number; pageviews: number }[] = [];
  for (let d = 90; d >= 1; d--) {
    const day = new Date(today - d * DAY).toISOString().slice(0, 10);
    let visitors = 0, pageviews = 0;
    PAGES.forEach((page, i) => {
      const v = 1 + (d + i * 3) % 5;
      const pv = v + (d % 3);
      visitors += v;
      pageviews += pv;
      lines.push(`${day},import.example,"${page}",${v},${v},${pv},${v},12`);
    });
    days.push({ day, visitors, pageviews });
  }
  return { csv: lines.join("\r\n") + "\r\n", days };
}

for (const mode of ALL_DB_MODES) {
  Deno.test({
    name:
      `[${mode}] a Plausible export imports with progress, matches day by day, and twice adds nothing`,
    ...inDbMode(mode),
    async fn() {
      const app = await startTestApp({ dbMode: mode });
      const sql = app.db.sql;
      try {
        const tenant = await signedInTenant(sql, "import.example", { timezone: "UTC" });
        const siteId = tenant.site.id;
        const owner = new TestClient(app);
        owner.cookies.set("sextant_session", tenant.cookie.split("=")[1]);
        const { html } = await owner.page(`/sites/${siteId}/import`);
        assert.match(html, /No imports yet/);
        const upload = async (name: string, csv: string) => {
          const form = new FormData();
          form.set("_csrf", await owner.csrfToken());
          form.set("file", new File([csv], name, { type: "text/csv" }));
          return owner.fetch(`/sites/${siteId}/import`, { method: "POST", body: form });
        };

        let res = await upload("bad.csv", "date,page,pageviews\n2026-13-45,/,3\n");
        assert.equal(res.status, 400);
        assert.match(await res.text(), /Line 2: the date should look like 2026-03-01/);

        const { csv, days } = plausibleExport(Date.now());
        const total = days.reduce((s, d) => s + d.pageviews, 0);
        const stored = async () =>
          (await sql`select count(*)::int as n from events where site_id = ${siteId}`)[0].n;
        const imported = async (n: number) =>
          (await sql`select count(*)::int as n from site_imports
            where site_id = ${siteId} and status = 'done'`)[0].n === n;

        res = await upload("plausible-pages.csv", csv);
        assert.equal(res.status, 303);
        await waitFor(() => imported(1), 60_000, "the import done");
        const page = await owner.page(`/sites/${siteId}/import`);
        assert.match(page.html, /plausible-pages\.csv<\/strong> · Imported/);
        assert.match(page.html, new RegExp(`270 of 270 rows, ${total.toLocaleString("en-US")}`));
        await waitFor(async () => await stored() === total, 60_000, "the page views stored");

        // The same file again: the import runs, nothing new is stored.
        res = await upload("plausible-pages.csv", csv);
        await res.body?.cancel();
        await waitFor(() => imported(2), 60_000, "the second import done");
        const { secret } = await createApiKey(sql, { orgId: tenant.orgId, name: "marker" });
        res = await app.fetch("/api/v1/events", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
          body: JSON.stringify({
            site: tenant.site.public_id,
            events: [{ type: "pageview", visitor_id: "marker-1", url: "https://import.example/" }],
          }),
        });
        await res.body?.cancel();
        await waitFor(async () => await stored() === total + 1, 60_000, "the marker stored");
        await refreshRollups(sql);

        res = await app.fetch(
          `/api/v1/sites/${siteId}/stats?period=custom&from=${days[0].day}` +
            `&to=${days.at(-1)!.day}&dimension=time:day&metrics=visitors,pageviews`,
          { headers: { authorization: `Bearer ${secret}` } },
        );
        const body = await res.json();
        const got = (body.results as { time: string; visitors: number; pageviews: number }[])
          .map((r) => ({ day: r.time.slice(0, 10), visitors: r.visitors, pageviews: r.pageviews }));
        assert.deepEqual(got, days);
      } finally {
        await app.stop();
      }
    },
  });
}

/** An app with one signed-in tenant's site (UTC), stopped afterwards. */
async function withSite(
  fn: (app: TestApp, tenant: Tenant) => Promise<void>,
): Promise<void> {
  const app = await startTestApp();
  try {
    await fn(app, await signedInTenant(app.db.sql, "import.example", { timezone: "UTC" }));
  } finally {
    await app.stop();
  }
}

Deno.test("an import larger than the 1 MB form limit is accepted; past 50 MB it's a 413 sentence", () =>
  withSite(async (app, tenant) => {
    const sql = app.db.sql;
    const siteId = tenant.site.id;
    const owner = new TestClient(app);
    owner.cookies.set("sextant_session", tenant.cookie.split("=")[1]);
    const upload = async (csv: Blob) => {
      const form = new FormData();
      form.set("_csrf", await owner.csrfToken());
      form.set("file", new File([csv], "big.csv", { type: "text/csv" }));
      return owner.fetch(`/sites/${siteId}/import`, { method: "POST", body: form });
    };
    // 2 MB: 2,000 rows with a long hostname column, which the import ignores.
    const today = Math.floor(Date.now() / DAY) * DAY;
    const day = new Date(today - 3 * DAY).toISOString().slice(0, 10);
    const host = "h".repeat(1000);
    const lines = ["date,hostname,page,visits,visitors,pageviews,exits,time_on_page"];
    for (let i = 0; i < 2000; i++) lines.push(`${day},${host},/p${i},1,1,1,1,1`);
    const big = new Blob([lines.join("\n") + "\n"]);
    assert.ok(big.size > 1.5 * 1024 * 1024, "past the 1 MB form limit");
    let res = await upload(big);
    assert.equal(res.status, 303, await res.text());
    const [row] = await sql`select total_rows from site_imports where site_id = ${siteId}`;
    assert.equal(row.total_rows, 2000);

    res = await upload(new Blob([new Uint8Array(51 * 1024 * 1024).fill(0x61)]));
    assert.equal(res.status, 413);
    assert.match(await res.text(), /That file is larger than 50 MB: export a shorter date range/);

    // Other forms keep their 1 MB limit.
    const form = new FormData();
    form.set("_csrf", await owner.csrfToken());
    form.set("name", "x".repeat(2 * 1024 * 1024));
    res = await owner.fetch(`/sites/${siteId}/alerts/custom`, { method: "POST", body: form });
    assert.equal(res.status, 413);
    await res.body?.cancel();
  }));

Deno.test("an import left running by a crashed instance is resumed by the job, storing nothing twice", () =>
  withSite(async (app, tenant) => {
    const sql = app.db.sql;
    const siteId = tenant.site.id;
    const { csv, days } = plausibleExport(Date.now());
    const total = days.reduce((s, d) => s + d.pageviews, 0);
    const imp = await createImport(sql, tenant.site, {
      filename: "p.csv",
      text: csv,
      userId: tenant.userId,
    });
    // The first chunk goes through, then the instance dies mid-import: the row stays "running".
    let checks = 0;
    const afterOneChunk = {
      get aborted() {
        return ++checks > 1;
      },
    } as AbortSignal;
    await runImport(app.ctx, imp.id, afterOneChunk);
    await sql`update site_imports set status = 'running', heartbeat_at = now() where id = ${imp.id}`;

    // A live import (recent heartbeat) is left to its instance.
    await runImport(app.ctx);
    let [row] = await sql`select status, done_rows from site_imports where id = ${imp.id}`;
    assert.equal(row.status, "running");
    assert.ok(row.done_rows < 270);

    // Silent past the stale limit: the job picks it up and finishes it from its progress.
    await sql`update site_imports set heartbeat_at = now() - ${`${
      IMPORT_STALE_MS / 1000 + 60
    } seconds`}::interval
      where id = ${imp.id}`;
    await runImport(app.ctx);
    [row] = await sql`select status, done_rows from site_imports where id = ${imp.id}`;
    assert.deepEqual([row.status, row.done_rows], ["done", 270]);
    const stored = async () =>
      (await sql`select count(*)::int as n from events where site_id = ${siteId}`)[0].n;
    await waitFor(async () => await stored() === total, 60_000, "every page view stored once");

    // Resumed again (as if the crash came after the last chunk was sent): still nothing twice.
    await sql`update site_imports set status = 'running', done_rows = 100, heartbeat_at = null,
      body = ${csv} where id = ${imp.id}`;
    await runImport(app.ctx);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await stored(), total);
  }));
