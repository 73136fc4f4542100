/**
 * End to end in Chromium: a course creator connects Teachable (the local fake), watches the
 * 30-day backfill of 300 transactions progress live, and finds them on the revenue report, the
 * ones whose buyers identified themselves attributed to their source.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import { FakeTeachable } from "../testing/fake_teachable.ts";
import { createSiteWithOwner, insertIdentify, insertSession } from "../testing/journeys.ts";
import { formatMoney } from "../attribution/currency.ts";

const SHOTS = Deno.env.get("SCREENSHOT_DIR") ??
  `${Deno.env.get("TMPDIR") ?? "/tmp"}/sextant-revenue-screenshots`;

Deno.test({
  name: "connecting Teachable in the browser backfills 300 sales with live progress",
  ignore: !hasChromium(),
  async fn() {
    const fake = await FakeTeachable.start();
    const app = await startTestApp({ env: { TEACHABLE_API_URL: fake.url } });
    const browser = await launchBrowser();
    try {
      const sql = app.ctx.db.sql;
      const owner = await createSiteWithOwner(sql);
      const siteId = owner.site.id;
      const key = fake.addKey();
      fake.pageDelayMs = 700;
      const course = fake.course("Sourdough masterclass");
      const plan = fake.plan({ courseId: course.id, price: 4900 });

      // 300 sales two hours apart; every third buyer identified on the site before buying.
      const now = Date.now();
      let identified = 0;
      for (let i = 0; i < 300; i++) {
        const ts = now - (i + 1) * 2 * 3600_000;
        const email = `student${i}@example.com`;
        const buyer = fake.user(email);
        fake.transaction({ userId: buyer.id, planId: plan.id, createdAt: new Date(ts) });
        if (i % 3 === 0) {
          identified++;
          const visitor = `visitor-${i}`;
          await insertSession(sql, siteId, {
            visitorId: visitor,
            startedAt: new Date(ts - 3600_000),
            source: "Pinterest",
            channel: "Organic Social",
          });
          await insertIdentify(sql, siteId, visitor, email, new Date(ts - 3000_000));
        }
      }

      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.setCookie({ name: "sextant_session", value: owner.token, url: app.url });
      await page.goto(`${app.url}/sites/${siteId}/integrations`, { waitUntil: "networkidle0" });

      await page.type("#f-teachable-apiKey", "not-the-right-key-000");
      await Promise.all([page.waitForNavigation(), page.click("#teachable .connect-button")]);
      const refusal = await page.$eval("#f-teachable-apiKey-error", (el) => el.textContent ?? "");
      assert.equal(
        refusal.trim(),
        "That Teachable API key was refused — copy it again from Settings → API.",
      );

      await page.type("#f-teachable-apiKey", key);
      await Promise.all([page.waitForNavigation(), page.click("#teachable .connect-button")]);
      const seen: string[] = [];
      const deadline = Date.now() + 90_000;
      let summary = "";
      while (Date.now() < deadline) {
        const text = await page.$eval("#teachable .sync-status", (el) => el.textContent ?? "")
          .catch(() => "");
        if (text && seen.at(-1) !== text) seen.push(text);
        if (/synced, \d+ matched/.test(text) && text.includes("Connected")) {
          summary = text;
          break;
        }
        await new Promise((r) => setTimeout(r, 150));
      }
      console.log("status texts seen:", seen);
      assert.ok(
        seen.some((t) => /Syncing 300 purchases… \d+\/300/.test(t)),
        "progress was visible while syncing",
      );
      assert.match(summary, new RegExp(`300 synced, ${identified} matched to visitors`));
      const manual = await page.$eval("#teachable .webhook-manual", (el) => el.textContent ?? "");
      assert.match(manual, /secret token/);
      assert.match(manual, /Transaction\.created/);
      await Deno.mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}/teachable-integrations.png`, fullPage: true });

      await page.goto(`${app.url}/sites/${siteId}/revenue`, { waitUntil: "networkidle0" });
      const rows = await page.$$eval(".revenue-table tbody tr", (trs) =>
        trs.map((tr) => ({
          key: tr.getAttribute("data-key"),
          revenue: tr.querySelector(".amount")?.textContent ?? "",
        })));
      const bySource = Object.fromEntries(rows.map((r) => [r.key, r.revenue]));
      assert.equal(bySource["Pinterest"], formatMoney(identified * 4900, "USD"));
      assert.equal(bySource["(unmatched)"], formatMoney((300 - identified) * 4900, "USD"));
      await page.screenshot({ path: `${SHOTS}/teachable-revenue.png`, fullPage: true });
    } finally {
      await browser.close();
      await app.stop();
      await fake.close();
    }
  },
});
