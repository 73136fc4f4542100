/**
 * The dashboard in Chromium: clicking a row filters everything without a reload and the back
 * button undoes it; headers re-sort in place; phones get no sideways scrolling; and with script
 * off the page still shows its numbers.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import { seedTraffic, signedInTenant } from "../testing/tenants.ts";
import { createSiteWithOwner, insertSession } from "../testing/journeys.ts";
import { refreshRollups } from "../db/rollups.ts";

Deno.test({
  name: "in a browser the dashboard filters by click, keeps the URL and back button, fits 375 px",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp();
    const browser = await launchBrowser();
    try {
      const t = await signedInTenant(app.db.sql, "gamma.example");
      await seedTraffic(app.db.sql, t.site.id, 500);
      const host = new URL(app.url).hostname;
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.setCookie({
        name: "sextant_session",
        value: t.cookie.split("=")[1],
        domain: host,
        path: "/",
      });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`${app.url}/sites/${t.site.id}`, { waitUntil: "networkidle0" });
      await page.waitForSelector(".chart.chart-ready");
      // The SVG gives way once Chart.js is ready: the canvas must then hold a drawn chart
      // (a configuration Chart.js rejects would leave it blank, with the error swallowed).
      await page.waitForFunction(() => {
        const c = document.querySelector<HTMLCanvasElement>(".chart canvas")!;
        const px = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
        return px.some((v, i) => i % 4 === 3 && v > 0);
      });
      await page.evaluate(() => (globalThis as unknown as { marker: number }).marker = 1);

      // Click the first channel row: the whole dashboard filters, the panel drills down.
      const label = await page.$eval(".panel .bar-label", (a) => a.textContent!.trim());
      await page.click(".panel a.bar-label");
      await page.waitForFunction(() => location.search.includes("f=channel"));
      await page.waitForFunction(() => !document.querySelector(".dashboard.is-loading"));
      const chip = await page.$eval(".chips .chip", (a) => a.textContent!);
      assert.match(chip, new RegExp(`Channel is ${label}`));
      const tab = await page.$eval(".panel .tabs a[aria-current=true]", (a) => a.textContent);
      assert.equal(tab, "Sources", "the acquisition panel drilled down to sources");
      assert.equal(
        await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker),
        1,
        "no full page load",
      );

      await page.goBack();
      await page.waitForFunction(() => !location.search.includes("f=channel"));
      await page.waitForFunction(() => document.querySelectorAll(".chips .chip").length === 0);

      // Re-sort a panel by revenue from its header button (keyboard reachable: it is a button).
      await page.focus(".panel .sort-button:nth-of-type(1)");
      const buttons = await page.$$(".panel .sort-button");
      await buttons[1].click();
      await page.waitForFunction(() =>
        document.querySelector(".panel th[aria-sort=descending]")?.textContent?.includes("Revenue")
      );
      assert.deepEqual(errors, []);

      // Phones: nothing scrolls sideways, on the overview or a breakdown page.
      await page.setViewport({ width: 375, height: 800 });
      for (const path of [`/sites/${t.site.id}`, `/sites/${t.site.id}/breakdown/page`]) {
        await page.goto(`${app.url}${path}`, { waitUntil: "networkidle0" });
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert(width <= 375, `${path} is ${width}px wide at 375`);
      }

      // Script off: the numbers and the rows are still there.
      const plain = await browser.newPage();
      await plain.setJavaScriptEnabled(false);
      await plain.setCookie({
        name: "sextant_session",
        value: t.cookie.split("=")[1],
        domain: host,
        path: "/",
      });
      await plain.goto(`${app.url}/sites/${t.site.id}?period=7d`);
      const cards = await plain.$$eval(
        ".cards .metric .value",
        (els) => els.map((e) => e.textContent),
      );
      assert(cards.length >= 7 && cards.every((c) => c && c !== "—"), cards.join(","));
      assert((await plain.$$(".panel a.bar-label")).length > 5);
    } finally {
      await browser.close();
      await app.stop();
    }
  },
});

Deno.test({
  name: "in a browser a visit not yet in the totals shows as updating until the cards count it",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp();
    const browser = await launchBrowser();
    try {
      const sql = app.db.sql;
      const owner = await createSiteWithOwner(sql);
      await insertSession(sql, owner.site.id, { visitorId: "first", startedAt: new Date() });
      const page = await browser.newPage();
      await page.setCookie({ name: "sextant_session", value: owner.token, url: app.url });
      await page.goto(`${app.url}/sites/${owner.site.id}?period=today`, { waitUntil: "load" });
      await page.waitForSelector("[data-island][data-hydrated]");
      const visitors = () => page.$eval(".cards .metric .value", (v) => v.textContent!.trim());
      assert.equal(await visitors(), "0");
      assert.match(await page.$eval(".updating-note", (n) => n.textContent!), /Updating/);
      // The page looks again by itself: once the rollups catch up, the count is right and the
      // note has gone, with no reload.
      await refreshRollups(sql);
      await page.waitForFunction(() =>
        !document.querySelector(".updating-note") &&
        document.querySelector(".cards .metric .value")?.textContent?.trim() === "1"
      );
    } finally {
      await browser.close();
      await app.stop();
    }
  },
});
