/**
 * The live view in Chromium, fed only through public paths: visits from three countries and a
 * purchase (a tracker revenue event) posted to POST /api/collect appear on the open page — three
 * dots, three visitors, the sale in the feed — at desktop width (globe) and at 375 px (flat map).
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import { collect, createMember, IP_IN } from "../testing/live.ts";

/** Screenshots go to SCREENSHOT_DIR (docs/screenshots to refresh the committed ones), else tmp. */
const SHOTS = Deno.env.get("SCREENSHOT_DIR") ??
  `${Deno.env.get("TMPDIR") ?? "/tmp"}/sextant-live-screenshots`;

const VISITS = [
  { ip: IP_IN.GB, path: "/?utm_source=youtube&utm_medium=video", ref: "" },
  { ip: IP_IN.ES, path: "/courses/design", ref: "https://www.instagram.com/" },
  { ip: IP_IN.SE, path: "/pricing", ref: "https://www.google.com/" },
];

async function watchSiteLive(app: TestApp, page: Page, width: number) {
  const owner = await createMember(app.db.sql, { domain: `courses-${width}.example.com` });
  await app.db.sql`update sites set name = 'Ada Courses' where id = ${owner.site.id}`;
  await page.setCookie({ name: "sextant_session", value: owner.token, url: app.url });
  // Tall enough that the desktop page needs no resize for its screenshot.
  await page.setViewport({ width, height: width > 640 ? 960 : 900 });
  await page.goto(`${app.url}/sites/${owner.site.id}/live`, { waitUntil: "load" });
  await page.waitForSelector(".live-status.live", { timeout: 20_000 });
  return owner;
}

async function postVisitsAndPurchase(app: TestApp, site: Parameters<typeof collect>[1]) {
  const visitors: string[] = [];
  for (const [i, v] of VISITS.entries()) {
    const visitorId = `visitor-${i}-${crypto.randomUUID().slice(0, 8)}`;
    visitors.push(visitorId);
    const r = await collect(app.url, site, [{ t: "pageview", path: v.path, r: v.ref }], {
      visitorId,
      ip: v.ip,
    });
    assert.deepEqual(r, { accepted: 1, dropped: 0 });
  }
  // The Spanish visitor buys: the tracker's revenue call, in major units.
  await collect(app.url, site, [{
    t: "revenue",
    path: "/checkout/thanks",
    p: { amount: 149, currency: "USD", product: "Design course", transaction_id: "tx-live-1" },
  }], { visitorId: visitors[1], ip: IP_IN.ES });
}

const countText = (page: Page) =>
  page.$eval(".live-count strong", (el) => el.textContent?.trim() ?? "");

Deno.test({
  name: "the live view shows three countries' visitors and the purchase as they happen",
  ignore: !hasChromium(),
  async fn() {
    await Deno.mkdir(SHOTS, { recursive: true });
    // Jobs on: tracker revenue becomes a purchase through the revenue job, as in production.
    const app = await startTestApp({
      jobs: true,
      env: { TRUST_PROXY: "1", COLLECT_RATE_LIMIT: "0" },
    });
    const browser = await launchBrowser();
    try {
      for (const width of [1280, 375]) {
        const page = await browser.newPage();
        // Motion off keeps the globe still for the screenshot; motion is covered by reading it.
        await page.emulateMediaFeatures([{ name: "prefers-reduced-motion", value: "reduce" }]);
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push((e as Error).message));
        const owner = await watchSiteLive(app, page, width);
        assert.equal(await countText(page), "0");
        if (width > 640) {
          await page.waitForSelector(".globe canvas", { timeout: 30_000 });
          await page.waitForFunction(() => !document.querySelector(".globe-loading"), {
            timeout: 30_000,
          });
        }

        // Note every purchase pulse the page shows (each lasts six seconds).
        await page.evaluate(() => {
          const seen: string[] = [];
          (window as unknown as { pulses: string[] }).pulses = seen;
          new MutationObserver(() => {
            for (const el of document.querySelectorAll(".purchase > span")) {
              seen.push(el.textContent ?? "");
            }
          }).observe(document.body, { childList: true, subtree: true });
        });
        await postVisitsAndPurchase(app, owner.site);

        await page.waitForFunction(
          () => document.querySelector(".live-count strong")?.textContent?.trim() === "3",
          { timeout: 30_000 },
        );
        // The sale pulses on the map with its amount and slides into the feed.
        await page.waitForFunction(
          () => (window as unknown as { pulses: string[] }).pulses.includes("$149"),
          { timeout: 30_000 },
        );
        // Look while the pulse is still there.
        const file = `${SHOTS}/live-${width > 640 ? "desktop" : "375"}.png`;
        await page.screenshot({ path: file, fullPage: width <= 640 });
        const places = await page.$$eval(".v-place-name", (els) => els.map((e) => e.textContent));
        // The offline database knows a city for some addresses and only the country for others.
        assert.deepEqual([...places].sort(), ["Plymouth, United Kingdom", "Spain", "Sweden"]);
        const flags = await page.$$eval(".v-place .flag", (els) => els.map((e) => e.textContent));
        assert.deepEqual([...flags].sort(), ["🇪🇸", "🇬🇧", "🇸🇪"]);
        // A long place name stays on the flag's line (cut short), not wrapped under it.
        const sameLine = await page.$$eval(".v-place", (els) =>
          els.every((el) => {
            const flag = el.querySelector(".flag")!.getBoundingClientRect();
            const name = el.querySelector(".v-place-name")!.getBoundingClientRect();
            return Math.abs(flag.top + flag.height / 2 - (name.top + name.height / 2)) < 4;
          }));
        assert.ok(sameLine, "each place name sits beside its flag");
        const sale = await page.$eval(".feed-item", (li) => li.textContent ?? "");
        assert.match(sale, /\$149/);
        assert.match(sale, /Design course/);
        assert.match(sale, /Instagram/, "the sale is credited to the buyer's source");
        const sources = await page.$$eval(".v-source", (els) => els.map((e) => e.textContent));
        assert.deepEqual([...sources].sort(), ["Google", "Instagram", "YouTube"]);

        if (width > 640) {
          const label = await page.$eval(".globe", (el) => el.getAttribute("aria-label"));
          assert.equal(label, "Globe of active visitors: 3 places");
          // On a light page a lit atmosphere showed as a pale crescent off the globe's edge.
          const glow = await page.evaluate(() =>
            getComputedStyle(document.documentElement).getPropertyValue("--map-atmosphere").trim()
          );
          assert.equal(glow, "0", "no atmosphere round the globe on a light page");
          // Keyboard: a row opens the journey with focus on Close; Escape returns to the row.
          await page.focus(".visitor-row");
          await page.evaluate(() => {
            (window as unknown as { opened: Element | null }).opened = document.activeElement;
          });
          await page.keyboard.press("Enter");
          // The journey takes focus in an effect, just after it first paints.
          await page.waitForFunction(
            () => document.activeElement?.textContent?.trim() === "Close",
            { timeout: 5_000 },
          );
          await page.keyboard.press("Escape");
          await page.waitForFunction(() => !document.querySelector(".journey"));
          await page.waitForFunction(
            () =>
              document.activeElement === (window as unknown as { opened: Element | null }).opened,
            { timeout: 5_000 },
          );
        } else {
          assert.equal(await page.$$eval(".flatmap-dot", (els) => els.length), 3);
          assert.equal(await page.$(".globe"), null, "phones get the light map");
        }
        assert.deepEqual(errors, []);
        await page.close();
      }
    } finally {
      await browser.close();
      await app.stop();
    }
  },
});
