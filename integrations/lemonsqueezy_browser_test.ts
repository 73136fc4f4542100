import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser, SCREENSHOT_DIR } from "../testing/browser.ts";
import { FakeLemonSqueezy } from "../testing/fake_lemonsqueezy.ts";
import { createSiteWithOwner, daysBefore } from "../testing/journeys.ts";
import { waitFor } from "../testing/wait.ts";

const SHOTS = SCREENSHOT_DIR;

Deno.test({
  name: "connecting Lemon Squeezy in the browser shows the backfill's progress page by page",
  ignore: !hasChromium(),
  async fn() {
    const fake = await FakeLemonSqueezy.start();
    const app = await startTestApp({ env: { LEMONSQUEEZY_API_URL: fake.url } });
    const browser = await launchBrowser();
    try {
      const owner = await createSiteWithOwner(app.ctx.db.sql);
      const now = new Date();
      for (let i = 0; i < 250; i++) {
        fake.order({ total: 2500, created: daysBefore(now, 28 * i / 250) });
      }
      fake.pageDelayMs = 600;
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.setCookie({ name: "sextant_session", value: owner.token, url: app.url });
      await page.goto(`${app.url}/sites/${owner.site.id}/integrations`, {
        waitUntil: "networkidle0",
      });
      await page.click("#lemonsqueezy .integration-more > summary");
      await page.type("#f-lemonsqueezy-apiKey", fake.addKey("ls_test_browser"));
      await Promise.all([page.waitForNavigation(), page.click("#lemonsqueezy .connect-button")]);
      const seen: string[] = [];
      await waitFor(
        async () => {
          const text = await page.$eval("#lemonsqueezy .sync-status", (el) => el.textContent ?? "")
            .catch(() => "");
          if (text && seen.at(-1) !== text) seen.push(text);
          return /250 synced/.test(text) && text.includes("Connected");
        },
        60_000,
        "the sync summary",
      );
      console.log("status texts seen:", seen);
      assert.ok(
        seen.some((t) => /Finding purchases from the last 30 days… (100|200) found/.test(t)),
        "the count grew page by page while listing",
      );
      assert.match(seen.at(-1)!, /250 synced, 0 matched to visitors/);
      await Deno.mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}/lemonsqueezy-synced.png`, fullPage: true });
      // The integrations page shows the checkout snippet for Lemon Squeezy once connected.
      const snippet = await page.$eval(
        "details.linking-platform[open]",
        (el) => el.textContent ?? "",
      );
      assert.match(snippet, /checkout\[custom\]\[sextant_visitor_id\]/);
    } finally {
      await browser.close();
      await app.stop();
      await fake.close();
    }
  },
});
