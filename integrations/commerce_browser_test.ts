/**
 * Connecting Polar, Paddle and Shopify from the integrations page in Chromium: each backfill's
 * progress grows page by page on the page itself and ends with the summary, as Lemon Squeezy's
 * does (lemonsqueezy_browser_test.ts).
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser, SCREENSHOT_DIR } from "../testing/browser.ts";
import { FakePaddle } from "../testing/fake_paddle.ts";
import { FakePolar } from "../testing/fake_polar.ts";
import { FakeShopify } from "../testing/fake_shopify.ts";
import { createSiteWithOwner, daysBefore } from "../testing/journeys.ts";
import { waitFor } from "../testing/wait.ts";

const ORDERS = 300;

/** Opens the platform's card, lets `connect` fill and submit its form, and watches the status. */
async function watchBackfill(
  app: TestApp,
  platform: string,
  connect: (page: Page) => Promise<void>,
): Promise<string[]> {
  const browser = await launchBrowser();
  try {
    const owner = await createSiteWithOwner(app.ctx.db.sql);
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.setCookie({ name: "sextant_session", value: owner.token, url: app.url });
    await page.goto(`${app.url}/sites/${owner.site.id}/integrations`, {
      waitUntil: "networkidle0",
    });
    await page.click(`#${platform} .integration-more > summary`);
    await connect(page);
    const seen: string[] = [];
    await waitFor(
      async () => {
        const text = await page.$eval(`#${platform} .sync-status`, (el) => el.textContent ?? "")
          .catch(() => "");
        if (text && seen.at(-1) !== text) seen.push(text);
        return new RegExp(`${ORDERS} synced`).test(text) && text.includes("Connected");
      },
      90_000,
      `the ${platform} sync summary`,
    );
    await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOT_DIR}/${platform}-synced.png`, fullPage: true });
    return seen;
  } finally {
    await browser.close();
  }
}

/** Progress must have been seen part way (listing or processing), then the summary. */
function assertGrew(seen: string[]): void {
  const partWay = seen.some((t) => {
    const found = t.match(/Finding purchases from the last 30 days… (\d+) found/);
    const done = t.match(/Syncing \d+ purchases… (\d+)\//);
    const n = Number((found ?? done)?.[1] ?? 0);
    return n > 0 && n < ORDERS;
  });
  assert.ok(partWay, `progress was seen part way (seen: ${JSON.stringify(seen)})`);
  assert.match(seen.at(-1)!, new RegExp(`${ORDERS} synced, 0 matched to visitors`));
}

const spread = (i: number) => daysBefore(new Date(), 28 * i / ORDERS);

Deno.test({
  name: "connecting Polar in the browser shows the backfill's progress page by page",
  ignore: !hasChromium(),
  async fn() {
    const fake = await FakePolar.start();
    const app = await startTestApp({ env: { POLAR_API_URL: fake.url } });
    try {
      for (let i = 0; i < ORDERS; i++) fake.order({ amount: 2500, created: spread(i) });
      fake.pageDelayMs = 500;
      const seen = await watchBackfill(app, "polar", async (page) => {
        await page.type("#f-polar-apiKey", fake.addKey("polar_oat_browser"));
        await Promise.all([page.waitForNavigation(), page.click("#polar .connect-button")]);
      });
      assertGrew(seen);
    } finally {
      await app.stop();
      await fake.close();
    }
  },
});

Deno.test({
  name: "connecting Paddle in the browser shows the backfill's progress page by page",
  ignore: !hasChromium(),
  async fn() {
    const fake = await FakePaddle.start();
    const app = await startTestApp({ env: { PADDLE_API_URL: fake.url } });
    try {
      for (let i = 0; i < ORDERS; i++) fake.transaction({ amount: 2500, created: spread(i) });
      fake.pageDelayMs = 500;
      const seen = await watchBackfill(app, "paddle", async (page) => {
        await page.type("#f-paddle-apiKey", fake.addKey("pdl_live_apikey_browser"));
        await Promise.all([page.waitForNavigation(), page.click("#paddle .connect-button")]);
      });
      assertGrew(seen);
    } finally {
      await app.stop();
      await fake.close();
    }
  },
});

Deno.test({
  name: "connecting Shopify in the browser goes through its approval and shows the backfill",
  ignore: !hasChromium(),
  async fn() {
    const fake = await FakeShopify.start();
    const app = await startTestApp({
      env: {
        SHOPIFY_CLIENT_ID: fake.clientId,
        SHOPIFY_CLIENT_SECRET: fake.clientSecret,
        SHOPIFY_SHOP_URL: fake.url,
      },
    });
    try {
      for (let i = 0; i < ORDERS; i++) fake.order({ total: "25.00", created: spread(i) });
      fake.pageDelayMs = 500;
      const seen = await watchBackfill(app, "shopify", async (page) => {
        await page.type("#f-shopify-shop", fake.shop);
        // The form leaves for Shopify's approval screen, which comes straight back.
        await Promise.all([
          page.waitForNavigation(),
          page.click("#shopify .connect-button"),
        ]);
        assert.match(page.url(), /\/integrations\?notice=connected/, "back from the approval");
      });
      assertGrew(seen);
    } finally {
      await app.stop();
      await fake.close();
    }
  },
});
