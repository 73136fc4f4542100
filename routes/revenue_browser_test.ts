/**
 * End to end in Chromium: an owner connects Stripe (the local fake), watches the 30-day backfill
 * progress live, and lands on a revenue report whose numbers match what the test computed.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser, SCREENSHOT_DIR } from "../testing/browser.ts";
import { FakeStripe } from "../testing/fake_stripe.ts";
import { createSiteWithOwner, insertIdentify, insertSession } from "../testing/journeys.ts";
import { formatMoney } from "../attribution/currency.ts";

const SOURCES = ["YouTube", "Instagram", "Google", "Newsletter"];
const SHOTS = SCREENSHOT_DIR;
const shot = (name: string) => `${SHOTS}/${name}`;

Deno.test({
  name: "connecting Stripe in the browser backfills with live progress and shows the right report",
  ignore: !hasChromium(),
  async fn() {
    const fake = await FakeStripe.start();
    const app = await startTestApp({ env: { STRIPE_API_URL: fake.url } });
    const browser = await launchBrowser();
    try {
      const sql = app.ctx.db.sql;
      const owner = await createSiteWithOwner(sql);
      const siteId = owner.site.id;
      const key = fake.addKey("rk_test_browserflow");
      fake.pageDelayMs = 400;

      // 150 purchases four hours apart: 60 carry the visitor id, 40 an identified email,
      // 50 have no evidence at all. Each buyer visited once, two hours before buying.
      const expected = new Map<string, number>();
      let unmatched = 0;
      let total = 0;
      const now = Date.now();
      for (let i = 0; i < 150; i++) {
        const ts = now - (i + 1) * 4 * 3600_000;
        const amount = 1900 + i * 37;
        total += amount;
        const created = Math.floor(ts / 1000);
        if (i < 100) {
          const visitor = `visitor-${i}`;
          const source = SOURCES[i % SOURCES.length];
          await insertSession(sql, siteId, {
            visitorId: visitor,
            startedAt: new Date(ts - 2 * 3600_000),
            source,
            channel: "Referral",
          });
          expected.set(source, (expected.get(source) ?? 0) + amount);
          if (i < 60) {
            fake.checkoutSession({
              amount,
              created,
              clientReferenceId: visitor,
              product: "Course",
            });
          } else {
            const email = `buyer${i}@example.com`;
            await insertIdentify(sql, siteId, visitor, email, new Date(ts - 2 * 3600_000));
            fake.checkoutSession({ amount, created, email, product: "Course" });
          }
        } else {
          unmatched += amount;
          fake.checkoutSession({ amount, created, email: `stranger${i}@example.com` });
        }
      }

      // Subscriptions for the MRR cards: two monthly at $29 and one yearly at $290.
      fake.subscription({ unitAmount: 2900, created: Math.floor(now / 1000) - 10 * 86_400 });
      fake.subscription({ unitAmount: 2900, created: Math.floor(now / 1000) - 3 * 86_400 });
      fake.subscription({
        unitAmount: 29000,
        interval: "year",
        created: Math.floor(now / 1000) - 86_400,
      });

      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.setCookie({ name: "sextant_session", value: owner.token, url: app.url });
      await page.goto(`${app.url}/sites/${siteId}/integrations`, { waitUntil: "networkidle0" });
      assert.ok((await page.content()).includes("Not connected"));
      await Deno.mkdir(SHOTS, { recursive: true });
      await page.setViewport({ width: 375, height: 800 });
      await page.screenshot({ path: shot("revenue-connect-375.png"), fullPage: true });
      await page.setViewport({ width: 1280, height: 900 });

      // A publishable key is refused with a sentence, not a code.
      await page.click("#stripe .integration-more > summary");
      await page.type("#f-stripe-apiKey", "pk_test_wrongkind");
      await Promise.all([page.waitForNavigation(), page.click("#stripe .connect-button")]);
      const refusal = await page.$eval("#f-stripe-apiKey-error", (el) => el.textContent ?? "");
      assert.match(refusal, /publishable key/);

      await page.type("#f-stripe-apiKey", key);
      await Promise.all([page.waitForNavigation(), page.click("#stripe .connect-button")]);
      // Record every sentence the live status shows until the sync is done.
      const seen: string[] = [];
      const deadline = Date.now() + 60_000;
      let summary = "";
      while (Date.now() < deadline) {
        const text = await page.$eval(".sync-status", (el) => el.textContent ?? "").catch(() => "");
        if (text && seen.at(-1) !== text) seen.push(text);
        if (/synced, \d+ matched/.test(text) && text.includes("Connected")) {
          summary = text;
          break;
        }
        await new Promise((r) => setTimeout(r, 150));
      }
      console.log("status texts seen:", seen);
      assert.ok(
        seen.some((t) => /Finding purchases|Syncing 150 purchases… \d+\/150/.test(t)),
        "progress was visible while syncing",
      );
      assert.match(summary, /150 synced, 100 matched to visitors/);
      assert.match(summary, /Connected/);
      await Deno.mkdir(SHOTS, { recursive: true });
      await page.screenshot({
        path: shot("revenue-integrations.png"),
        fullPage: true,
      });

      await Promise.all([page.waitForNavigation(), page.click(".sync-status a")]);
      assert.ok(page.url().endsWith(`/sites/${siteId}/revenue`));
      const rows = await page.$$eval(".revenue-table tbody tr", (trs) =>
        trs.map((tr) => ({
          key: tr.getAttribute("data-key"),
          revenue: tr.querySelector(".amount")?.textContent ?? "",
        })));
      const bySource = Object.fromEntries(rows.map((r) => [r.key, r.revenue]));
      for (const [source, cents] of expected) {
        assert.equal(bySource[source], formatMoney(cents, "USD"), `revenue from ${source}`);
      }
      assert.equal(bySource["(unmatched)"], formatMoney(unmatched, "USD"));
      const totalText = await page.$eval(".total-row td:nth-child(3)", (el) => el.textContent);
      assert.equal(totalText, formatMoney(total, "USD"));
      assert.equal(
        await page.$eval("[data-reconciled]", (el) => el.getAttribute("data-reconciled")),
        "yes",
      );
      const mrr = await page.$$eval(
        ".metric",
        (els) => els.map((e) => e.textContent ?? "").find((t) => t.startsWith("MRR")),
      );
      assert.equal(mrr, `MRR${formatMoney(2900 * 2 + Math.round(29000 / 12), "USD")}`);
      await page.screenshot({
        path: shot("revenue-report.png"),
        fullPage: true,
      });

      // Drill into a source, then the same page dark and at phone width.
      await Promise.all([page.waitForNavigation(), page.click('tr[data-key="YouTube"] a')]);
      assert.match(await page.$eval("h2#by-source", (el) => el.textContent ?? ""), /YouTube/);
      await page.goto(`${app.url}/theme/dark?back=/sites/${siteId}/revenue`);
      await page.setViewport({ width: 375, height: 800 });
      await page.screenshot({
        path: shot("revenue-report-375-dark.png"),
        fullPage: true,
      });
      const overflow = await page.evaluate(() =>
        document.documentElement.scrollWidth - document.documentElement.clientWidth
      );
      assert.ok(overflow <= 1, `the page fits a 375 px screen (overflow ${overflow}px)`);
      await page.goto(`${app.url}/sites/${siteId}/integrations`, { waitUntil: "networkidle0" });
      await page.screenshot({
        path: shot("revenue-integrations-375-dark.png"),
        fullPage: true,
      });
    } finally {
      await browser.close();
      await app.stop();
      await fake.close();
    }
  },
});
