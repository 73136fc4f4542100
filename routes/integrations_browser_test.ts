/**
 * The integrations page is an overview: one compact card per platform, connected ones first,
 * each with its status, and its forms opening only when asked for.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser, SCREENSHOT_DIR } from "../testing/browser.ts";
import { FakeLemonSqueezy } from "../testing/fake_lemonsqueezy.ts";
import { createSiteWithOwner, daysBefore } from "../testing/journeys.ts";
import { waitFor } from "../testing/wait.ts";
import { findSiteIntegration, insertDelivery, saveAttempt } from "../integrations/store.ts";

const SHOTS = SCREENSHOT_DIR;

Deno.test({
  name: "the integrations page lists platforms connected first, forms open on demand, at any width",
  ignore: !hasChromium(),
  async fn() {
    const fake = await FakeLemonSqueezy.start();
    const app = await startTestApp({ env: { LEMONSQUEEZY_API_URL: fake.url } });
    const browser = await launchBrowser();
    try {
      const owner = await createSiteWithOwner(app.ctx.db.sql);
      for (let i = 1; i <= 3; i++) fake.order({ total: 4900, created: daysBefore(new Date(), i) });
      const page = await browser.newPage();
      await page.setViewport({ width: 1440, height: 900 });
      await page.setCookie({ name: "sextant_session", value: owner.token, url: app.url });
      const url = `${app.url}/sites/${owner.site.id}/integrations`;
      await page.goto(url, { waitUntil: "networkidle0" });

      // Nothing connected: every card is a closed summary, no form field is on screen.
      const visibleInputs = () =>
        page.$$eval(
          ".integration-list input:not([type=hidden])",
          (els) => els.filter((e) => (e as HTMLElement).checkVisibility()).length,
        );
      assert.equal(await visibleInputs(), 0, "no connect form is open at first");
      await page.click("#lemonsqueezy .integration-more > summary");
      assert.ok(
        await page.$eval("#f-lemonsqueezy-apiKey", (e) => (e as HTMLElement).checkVisibility()),
      );
      await page.type("#f-lemonsqueezy-apiKey", fake.addKey("ls_test_overview"));
      await Promise.all([page.waitForNavigation(), page.click("#lemonsqueezy .connect-button")]);
      await waitFor(
        async () =>
          /synced/.test(await page.$eval("#lemonsqueezy .sync-status", (e) => e.textContent ?? "")),
        30_000,
        "the Lemon Squeezy sync",
      );

      // A delivery that failed for good puts the platform in "needs attention".
      const sql = app.ctx.db.sql;
      const integration = (await findSiteIntegration(sql, owner.site.id, "lemonsqueezy"))!;
      const d = await insertDelivery(sql, {
        integration,
        eventId: "evt-1",
        eventType: "order_created",
        body: "{}",
      });
      await saveAttempt(sql, d!.id, { status: "failed", attempts: 3, error: "Boom." });

      await page.goto(url, { waitUntil: "networkidle0" });
      const cards = await page.$$eval(
        ".integration-list > .integration",
        (els) => els.map((e) => [e.id, e.getAttribute("data-state")]),
      );
      assert.deepEqual(cards[0], ["lemonsqueezy", "attention"], "the connected platform leads");
      assert.ok(cards.slice(1).every(([, s]) => s === "disconnected"));
      const row = await page.$eval("#lemonsqueezy .integration-row", (e) => e.textContent ?? "");
      assert.match(row, /Needs attention/);
      assert.match(row, /1 webhook delivery failed/);
      assert.match(row, /Last webhook \d{4}-\d\d-\d\d \d\d:\d\d UTC \(failed\)/);
      assert.equal(await visibleInputs(), 0, "the platform's panel opens without a form field");
      assert.match(
        await page.$eval("#lemonsqueezy .integration-more[open]", (e) => e.textContent ?? ""),
        /Replay/,
      );

      await Deno.mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}/integrations-1440.png`, fullPage: true });
      for (const [width, theme] of [[375, "dark"], [320, "light"]] as const) {
        await page.setCookie({ name: "sextant_theme", value: theme, url: app.url });
        await page.setViewport({ width, height: 800 });
        await page.goto(url, { waitUntil: "networkidle0" });
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.ok(overflow <= 1, `the page fits ${width} px (overflow ${overflow}px)`);
        await page.screenshot({
          path: `${SHOTS}/integrations-${width}-${theme}.png`,
          fullPage: true,
        });
      }
    } finally {
      await browser.close();
      await app.stop();
      await fake.close();
    }
  },
});
