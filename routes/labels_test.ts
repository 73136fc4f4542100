/** Labels read the same on every page: one spelling for visits without a source. */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { seedTraffic, signedInTenant } from "../testing/tenants.ts";

Deno.test("the dashboard, its breakdown and the revenue report spell Direct / none alike", async () => {
  const app = await startTestApp();
  try {
    const t = await signedInTenant(app.db.sql, "labels.example");
    await seedTraffic(app.db.sql, t.site.id, 300);
    for (const path of [`/sites/${t.site.id}/breakdown/source`, `/sites/${t.site.id}/revenue`]) {
      const html = await (await app.fetch(path, { headers: { cookie: t.cookie } })).text();
      assert(html.includes("Direct / none"), `${path} names visits without a source`);
      assert(!html.includes("Direct / None"), `${path} uses one spelling`);
      assert(!/>[^<]*\((direct|unmatched)\)/.test(html), `${path} shows no raw "(direct)" label`);
    }
  } finally {
    await app.stop();
  }
});
