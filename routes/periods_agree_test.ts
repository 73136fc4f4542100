/**
 * One label, one number: every period the sites list offers means the same calendar days in the
 * site's time zone (today included) on the sites list, the dashboard, its JSON and the stats API.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { seedTraffic, signedInTenant } from "../testing/tenants.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { formatCount, formatMoneyMinor } from "../components/format.ts";

function decode(html: string): string {
  return html.replace(/&amp;/g, "&").replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"');
}

Deno.test("the sites list, the dashboard and the stats API agree for every period", async () => {
  const app = await startTestApp();
  try {
    // A zone far from UTC, so "the last 168 hours" and "the last 7 local days" differ.
    const t = await signedInTenant(app.db.sql, "periods.example", {
      timezone: "America/Los_Angeles",
    });
    await seedTraffic(app.db.sql, t.site.id, 900, 45);
    const { secret } = await createApiKey(app.db.sql, { orgId: t.orgId, name: "periods" });
    const get = (path: string) => app.fetch(path, { headers: { cookie: t.cookie } });

    const list = decode(await (await get("/sites")).text());
    const offered = [...list.matchAll(/href="\/sites\?period=([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(offered, ["today", "7d", "30d", "90d"], "periods offered on the sites list");

    for (const period of offered) {
      const page = decode(await (await get(`/sites?period=${period}`)).text());
      const visitors = /<strong>([^<]+)<\/strong> visitors/.exec(page)?.[1];
      const revenue = /<strong>([^<]+)<\/strong> revenue/.exec(page)?.[1];

      const dash = await (await get(`/api/app/sites/${t.site.id}/dashboard?period=${period}`))
        .json();
      const card = (m: string) => dash.cards.find((c: { metric: string }) => c.metric === m).value;
      assert.equal(visitors, formatCount(card("visitors")), `${period}: visitors`);
      assert.equal(revenue, formatMoneyMinor(card("revenue"), "USD"), `${period}: revenue`);
      assert(
        page.includes(`Visitors · ${dash.period.label}`),
        `${period}: the sites list labels it "${dash.period.label}" like the dashboard`,
      );

      const api = await (await app.fetch(`/api/v1/sites/${t.site.id}/stats?period=${period}`, {
        headers: { authorization: `Bearer ${secret}` },
      })).json();
      assert.equal(api.totals.visitors, card("visitors"), `${period}: API visitors`);
      assert.equal(api.totals.revenue, card("revenue"), `${period}: API revenue`);

      const overview = decode(await (await get(`/sites/${t.site.id}?period=${period}`)).text());
      assert(overview.includes(`>${formatCount(card("visitors"))}<`), `${period}: dashboard page`);
    }
  } finally {
    await app.stop();
  }
});

Deno.test("12m and 12mo name the same period everywhere; links say 12mo", async () => {
  const app = await startTestApp();
  try {
    const t = await signedInTenant(app.db.sql, "months.example");
    await seedTraffic(app.db.sql, t.site.id, 200, 60);
    const { secret } = await createApiKey(app.db.sql, { orgId: t.orgId, name: "months" });
    const api = async (period: string) =>
      await (await app.fetch(`/api/v1/sites/${t.site.id}/stats?period=${period}`, {
        headers: { authorization: `Bearer ${secret}` },
      })).json();
    const [long, short] = await Promise.all([api("12mo"), api("12m")]);
    assert.deepEqual(short, long);
    assert.equal(short.period.name, "12mo");

    const get = (path: string) => app.fetch(path, { headers: { cookie: t.cookie } });
    for (
      const path of [`/sites/${t.site.id}?period=12m`, `/sites/${t.site.id}/revenue?period=12m`]
    ) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      const html = await res.text();
      assert(html.includes("Last 12 months"), `${path} shows the 12-month label`);
      assert(!/period=12m[^o]/.test(html), `${path} links with 12mo only`);
    }
  } finally {
    await app.stop();
  }
});
