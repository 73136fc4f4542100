import assert from "node:assert/strict";
import { ALL_DB_MODES, inDbMode } from "../testing/db.ts";
import { startTestApp } from "../testing/app.ts";
import { TestClient } from "../testing/http_client.ts";
import { signedInTenant } from "../testing/tenants.ts";
import { waitFor } from "../testing/wait.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { refreshRollups } from "../db/rollups.ts";

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
