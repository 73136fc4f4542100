/**
 * A course creator's first minutes, in a real browser: sign up, add the site, pick Teachable on
 * the integrations page, paste the key, watch the 30-day sync, copy the snippet onto the site,
 * and open a dashboard that already shows the month's revenue (unmatched, since nobody had
 * visited yet). Reports how long it took.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser, SCREENSHOT_DIR } from "../testing/browser.ts";
import { CHROME_UA } from "../ingest/test_support.ts";
import { FakeTeachable } from "../testing/fake_teachable.ts";
import { formatMoney } from "../attribution/currency.ts";

const SHOTS = SCREENSHOT_DIR;

async function submit(tab: Page, selector: string) {
  await Promise.all([tab.waitForNavigation({ waitUntil: "load" }), tab.click(selector)]);
}

Deno.test({
  name:
    "course creator: sign up → Teachable key → sync → snippet → dashboard with 30 days of revenue",
  ignore: !hasChromium(),
  async fn() {
    const teachable = await FakeTeachable.start();
    const app = await startTestApp({ env: { TEACHABLE_API_URL: teachable.url } });
    const browser = await launchBrowser();
    let siteServer: Deno.HttpServer<Deno.NetAddr> | undefined;
    try {
      const key = teachable.addKey();
      const course = teachable.course("Knitting for beginners");
      const plan = teachable.plan({ courseId: course.id, price: 3900 });
      const count = 45;
      for (let i = 0; i < count; i++) {
        const buyer = teachable.user(`knitter${i}@example.com`);
        teachable.transaction({
          userId: buyer.id,
          planId: plan.id,
          createdAt: new Date(Date.now() - (i + 1) * 15 * 3600_000),
        });
      }
      await browser.defaultBrowserContext().overridePermissions(app.url, [
        "clipboard-read",
        "clipboard-write",
        "clipboard-sanitized-write",
      ]);
      const tab = await browser.newPage();
      await tab.setViewport({ width: 1280, height: 900 });
      const started = performance.now();

      await tab.goto(app.url, { waitUntil: "load" });
      assert.equal(new URL(tab.url()).pathname, "/signup");
      await tab.type("#f-name", "Ada Maker");
      await tab.type("#f-email", "ada@example.com");
      await tab.type("#f-password", "a long and lovely passphrase");
      await submit(tab, "main form button[type=submit]");
      await tab.type("#f-domain", "http://localhost/");
      await submit(tab, "main form button[type=submit]");
      const siteId = Number(/\/sites\/(\d+)\/install$/.exec(new URL(tab.url()).pathname)![1]);

      // Pick Teachable from the install page's next steps, then paste the key.
      await submit(tab, `a[href="/sites/${siteId}/integrations"]`);
      await tab.click("#teachable .integration-more > summary");
      await tab.type("#f-teachable-apiKey", key);
      await submit(tab, "#teachable .connect-button");
      let summary = "";
      await tab.waitForFunction(
        () =>
          /synced, \d+ matched/.test(
            document.querySelector("#teachable .sync-status")?.textContent ?? "",
          ),
        { timeout: 60_000, polling: 200 },
      );
      summary = await tab.$eval("#teachable .sync-status", (el) => el.textContent ?? "");
      assert.match(summary, new RegExp(`${count} synced, 0 matched to visitors`));
      await tab.screenshot({ path: `${SHOTS}/onboarding-teachable-synced.png`, fullPage: false });

      // Back to the install page for the snippet, onto the creator's site.
      await tab.goto(`${app.url}/sites/${siteId}/install`, { waitUntil: "load" });
      await tab.waitForFunction(() => document.querySelector("[data-island=CopyButton] button"));
      await tab.click("[data-island=CopyButton] button");
      await tab.waitForFunction(() =>
        document.querySelector("[data-island=CopyButton] button")?.textContent?.includes("Copied")
      );
      const snippet = await tab.evaluate(() => navigator.clipboard.readText());
      const html = `<!doctype html><html><head><title>Knitting school</title>${snippet}</head>` +
        `<body><h1>Learn to knit</h1></body></html>`;
      siteServer = Deno.serve(
        { port: 0, hostname: "127.0.0.1", onListen: () => {} },
        () => new Response(html, { headers: { "content-type": "text/html" } }),
      );
      const visitor = await browser.newPage();
      await visitor.setUserAgent(CHROME_UA);
      await visitor.evaluateOnNewDocument(() => {
        Object.defineProperty(navigator, "webdriver", { get: () => false });
      });
      await visitor.goto(`http://localhost:${siteServer.addr.port}/`, { waitUntil: "load" });
      await tab.bringToFront();
      await tab.waitForSelector("[data-state=receiving]", { timeout: 20_000 });

      // The dashboard over 30 days: the month's Teachable revenue is already there.
      await tab.goto(`${app.url}/sites/${siteId}?period=30d`, { waitUntil: "networkidle0" });
      const cards = await tab.$$eval(".cards .metric", (els) =>
        els.map((e) => [
          e.querySelector(".label")?.textContent ?? "",
          e.querySelector(".value")?.textContent ?? "",
        ]));
      const revenueCard = cards.find(([label]) => label === "Revenue");
      assert.ok(revenueCard, `a revenue card among ${JSON.stringify(cards)}`);
      const total = count * 3900;
      const data = await tab.evaluate(
        async (id: number) =>
          await (await fetch(`/api/app/sites/${id}/dashboard?period=30d`)).json(),
        siteId,
      );
      assert.equal(
        data.cards.find((c: { metric: string }) => c.metric === "revenue").value,
        total,
      );
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `sign-up → Teachable synced → dashboard with ${formatMoney(total, "USD")} took ` +
          `${seconds.toFixed(1)} s in a real browser`,
      );
      await tab.screenshot({
        path: `${SHOTS}/onboarding-teachable-dashboard.png`,
        fullPage: false,
      });
      await tab.goto(`${app.url}/sites/${siteId}/revenue?period=30d`, { waitUntil: "load" });
      const unmatched = await tab.$eval(
        'tr[data-key="(unmatched)"] .amount',
        (el) => el.textContent ?? "",
      );
      assert.equal(unmatched, formatMoney(total, "USD"));
      await visitor.close();
    } finally {
      await browser.close();
      await siteServer?.shutdown();
      await app.stop();
      await teachable.close();
    }
  },
});
