import assert from "node:assert/strict";
import type { Browser, Page } from "puppeteer-core";
import { startTestApp } from "../testing/app.ts";
import { chromiumPath, hasChromium, launchBrowser } from "../testing/browser.ts";
import { signedInTenant } from "../testing/tenants.ts";
import { CHROME_UA, waitFor } from "../ingest/test_support.ts";
import { requestScreenshots, runScreenshots } from "../jobs/screenshots.ts";

// Fixed elements, the same in every layout: a call to action, a link, text that does nothing
// and a box that does nothing visible (rage bait). The page is 3000 px tall.
const CTA = { left: 40, top: 400, width: 300, height: 60 };
const PAGE = (snippet: string) =>
  `<!doctype html><html><head><title>Pricing</title>${snippet}</head>
<body style="margin:0;height:3000px;position:relative;font:16px sans-serif;background:#fff">
<button id="cta" style="position:absolute;left:${CTA.left}px;top:${CTA.top}px;width:${CTA.width}px;height:${CTA.height}px">Start</button>
<a id="secondary" href="#plans" style="position:absolute;left:40px;top:600px">Plans</a>
<p id="plain" style="position:absolute;left:40px;top:800px;margin:0;width:300px">Just text</p>
<div id="rage" onclick="void 0" style="position:absolute;left:40px;top:1000px;width:300px;height:60px;background:#eee">Slow</div>
</body></html>`;

interface Visitor {
  width: number;
  actions: Array<"cta" | "secondary" | "plain" | "rage3">;
  /** Where the visitor scrolls to (scrollY); depth = (scrollY + 800) / 3000. */
  scrollY: number;
}

const VISITORS: Visitor[] = [
  { width: 1440, actions: ["cta", "cta", "secondary"], scrollY: 700 },
  { width: 1440, actions: ["cta", "cta", "rage3", "plain"], scrollY: 2200 },
  { width: 820, actions: ["cta"], scrollY: 2200 },
  { width: 390, actions: ["cta", "secondary"], scrollY: 700 },
];

async function visit(browser: Browser, url: string, v: Visitor): Promise<Page> {
  const context = await browser.createBrowserContext();
  const tab = await context.newPage();
  await tab.setUserAgent(CHROME_UA);
  await tab.setViewport({ width: v.width, height: 800 });
  await tab.evaluateOnNewDocument(() => {
    Object.defineProperty(navigator, "webdriver", { get: () => false });
  });
  await tab.goto(url, { waitUntil: "load" });
  await tab.waitForFunction(() => (window as never as { sextant: { h?: number } }).sextant?.h);
  for (const a of v.actions) {
    if (a === "rage3") {
      const rage = (await tab.$("#rage"))!;
      for (let i = 0; i < 3; i++) await rage.click();
    } else await tab.click(`#${a}`);
  }
  await tab.evaluate((y) => scrollTo(0, y), v.scrollY);
  await tab.waitForFunction((y) => scrollY === y, {}, v.scrollY);
  return tab;
}

Deno.test({
  name:
    "heatmaps end to end: scripted visitors, a screenshot, and the overlay's hottest spot on the most clicked element",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp();
    const sql = app.db.sql;
    const t = await signedInTenant(sql, "localhost");
    await sql`update sites set heatmaps_enabled = true where id = ${t.site.id}`;
    const site = { ...t.site, heatmaps_enabled: true };
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen: () => {} },
      () =>
        new Response(
          PAGE(`<script defer data-site="${site.public_id}" data-heatmaps src="${app.url}/s.js">
</script>`),
          { headers: { "content-type": "text/html" } },
        ),
    );
    const pageUrl = `http://localhost:${server.addr.port}/pricing`;
    const browser = await launchBrowser();
    try {
      const tabs = await Promise.all(VISITORS.map((v) => visit(browser, pageUrl, v)));
      const clicks = VISITORS.reduce(
        (n, v) => n + v.actions.reduce((m, a) => m + (a === "rage3" ? 3 : 1), 0),
        0,
      );
      // Clicks leave after a second (dead-click detection) with the next batch.
      await waitFor(async () =>
        (await sql`select 1 from heatmap_clicks where kind = 'click'`).length === clicks
      );
      // Leaving the page sends the scroll records. (Dispatched here: a real navigation's last
      // beacon goes out without the test's user agent.)
      for (const tab of tabs) {
        await tab.evaluate(() => dispatchEvent(new PageTransitionEvent("pagehide")));
      }
      await waitFor(async () =>
        (await sql`select distinct page_view from heatmap_clicks where kind = 'scroll'`)
          .length === VISITORS.length
      );

      await requestScreenshots(sql, site, "/pricing", pageUrl);
      await runScreenshots({
        sql,
        dataDir: app.ctx.config.DATA_DIR,
        chromiumPath: chromiumPath(),
        allowPrivate: true,
      });

      const viewer = await browser.newPage();
      await viewer.setViewport({ width: 1280, height: 900 });
      await viewer.setCookie({
        name: "sextant_session",
        value: t.cookie.split("=")[1],
        url: app.url,
      });
      await viewer.goto(`${app.url}/sites/${site.id}/heatmaps?page=/pricing&layout=desktop`, {
        waitUntil: "load",
      });
      await viewer.waitForSelector(".heatmap-page canvas[data-drawn]");
      await viewer.waitForFunction(() =>
        (document.querySelector(".heatmap-page img") as HTMLImageElement | null)?.complete
      );
      const img = await viewer.$eval(".heatmap-page img", (i) => [
        (i as HTMLImageElement).naturalWidth,
        (i as HTMLImageElement).naturalHeight,
      ]);
      assert.deepEqual(img, [1440, 3000]);

      // The hottest colour of the overlay (pure red), read from the canvas pixels, sits on the
      // call to action — in screenshot pixels, which the canvas shares.
      const hot = await viewer.$eval(".heatmap-page canvas", (el) => {
        const c = el as HTMLCanvasElement;
        const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
        let best = -1;
        let sx = 0;
        let sy = 0;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (!d[i + 3]) continue;
          const score = d[i] - d[i + 1] - d[i + 2];
          if (score > best) {
            best = score;
            sx = sy = n = 0;
          }
          if (score === best) {
            const p = i / 4;
            sx += p % c.width;
            sy += Math.floor(p / c.width);
            n++;
          }
        }
        return { x: sx / n, y: sy / n, best };
      });
      assert.ok(hot.best > 200, `the hottest colour is red, not ${hot.best}`);
      assert.ok(
        hot.x >= CTA.left && hot.x <= CTA.left + CTA.width && hot.y >= CTA.top &&
          hot.y <= CTA.top + CTA.height,
        `hottest spot ${JSON.stringify(hot)} is not on the button ${JSON.stringify(CTA)}`,
      );

      // The elements table: desktop clicks, with the rage and dead ones.
      const rows = await viewer.$$eval(
        "table.heatmap-elements tbody tr",
        (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent!.trim())),
      );
      assert.deepEqual(rows.map((r) => [r[0], r[1], r[3], r[4]]), [
        ["button#cta", "4", "0", "0"],
        ["div#rage", "3", "3", "0"],
        ["a#secondary", "1", "0", "0"],
        ["p#plain", "1", "0", "1"],
      ]);
      const metrics = await viewer.$$eval(
        ".heatmap-metrics .metric",
        (ms) => ms.map((m) => m.textContent!.trim()),
      );
      assert.ok(metrics.includes("Rage clicks3"), metrics.join("|"));
      assert.ok(metrics.includes("Dead clicks1"), metrics.join("|"));
      assert.ok(metrics.includes("Page views2"), metrics.join("|"));

      // Scroll reach: desktop visitors stopped at 50 % and 100 % of the page.
      const api = await viewer.evaluate(async (url) => {
        const res = await fetch(url);
        return await res.json();
      }, `/sites/${site.id}/heatmaps/screenshots.json?page=/pricing`);
      assert.deepEqual(
        api.screenshots.map((s: { layout: string; status: string }) => `${s.layout}:${s.status}`)
          .sort(),
        ["desktop:done", "mobile:done", "tablet:done"],
      );
      await viewer.goto(
        `${app.url}/sites/${site.id}/heatmaps?page=/pricing&layout=desktop&mode=scroll`,
        { waitUntil: "load" },
      );
      await viewer.waitForSelector(".heatmap-page canvas[data-drawn]");
      const reach = await viewer.$eval(".heatmap-metrics", (m) => m.textContent);
      assert.match(reach!, /Reached half the page100%/);
      const { heatmapReport, parseHeatmapParams } = await import("../analytics/heatmaps.ts");
      const { checkQuery } = await import("../analytics/query.ts");
      const report = await heatmapReport(
        sql,
        site,
        checkQuery({ period: "7d" }),
        parseHeatmapParams(new URLSearchParams("page=/pricing")),
      );
      for (const s of report.scroll) {
        const expected = [50, 100].filter((d) => d >= s.depth).length;
        assert.equal(s.pageViews, expected, `depth ${s.depth}`);
      }

      // At 375 px the mobile layout is shown by default.
      const phone = await browser.newPage();
      await phone.setViewport({ width: 375, height: 800 });
      await phone.setCookie({
        name: "sextant_session",
        value: t.cookie.split("=")[1],
        url: app.url,
      });
      await phone.goto(`${app.url}/sites/${site.id}/heatmaps?page=/pricing`, { waitUntil: "load" });
      await phone.waitForFunction(() => location.search.includes("layout=mobile"));
      await phone.waitForSelector(".heatmap-page canvas[data-drawn]");
      const overflow = await phone.evaluate(() =>
        document.documentElement.scrollWidth - document.documentElement.clientWidth
      );
      assert.equal(overflow, 0);
      // For a person to look at: HEATMAP_SHOTS_DIR=dir keeps pictures of the page.
      const shots = Deno.env.get("HEATMAP_SHOTS_DIR");
      if (shots) {
        await phone.screenshot({ path: `${shots}/heatmap-375.png`, fullPage: true });
        await viewer.goto(`${app.url}/sites/${site.id}/heatmaps?page=/pricing&layout=desktop`, {
          waitUntil: "load",
        });
        await viewer.waitForSelector(".heatmap-page canvas[data-drawn]");
        await viewer.screenshot({ path: `${shots}/heatmap-1280.png`, fullPage: true });
        await viewer.goto(
          `${app.url}/theme/dark?back=${
            encodeURIComponent(`/sites/${site.id}/heatmaps?page=/pricing&mode=scroll`)
          }`,
          { waitUntil: "load" },
        );
        await viewer.waitForSelector(".heatmap-page canvas[data-drawn]");
        await viewer.screenshot({ path: `${shots}/heatmap-dark-scroll.png`, fullPage: true });
      }
    } finally {
      await browser.close();
      await server.shutdown();
      await app.stop();
    }
  },
});
