/**
 * Goals and funnels in Chromium, at 1440 and 375 px: create a goal from site settings, see it in
 * the dashboard's Goals panel and filter by it with a click; build a funnel from the form, read
 * its bars, open a drop-off list and download the CSV; visit paths, cohorts and event
 * properties — with nothing scrolling sideways.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import { seedTraffic, signedInTenant } from "../testing/tenants.ts";
import { funnelResult, getFunnel } from "../analytics/funnels.ts";
import { goalStats } from "../analytics/goals.ts";
import { queryPeriod } from "../analytics/stats.ts";
import { checkQuery } from "../analytics/query.ts";

/** Screenshots go to SCREENSHOT_DIR, else tmp. */
const SHOTS = Deno.env.get("SCREENSHOT_DIR") ??
  `${Deno.env.get("TMPDIR") ?? "/tmp"}/sextant-funnel-screenshots`;

async function fitsWidth(page: Page, width: number, what: string) {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width, `${what} is ${scroll}px wide at ${width}`);
}

Deno.test({
  name: "in a browser a member creates a goal and a funnel, filters by the goal, opens a drop-off",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp();
    const browser = await launchBrowser();
    await Deno.mkdir(SHOTS, { recursive: true });
    try {
      const t = await signedInTenant(app.db.sql, "delta.example", { timezone: "UTC" });
      await seedTraffic(app.db.sql, t.site.id, 500);
      await app.db.sql`update events set props = jsonb_build_object('plan', 'pro')
        where site_id = ${t.site.id} and type = 'event'`;
      await app.db.sql`analyze`;
      const page = await browser.newPage();
      await page.setCookie({
        name: "sextant_session",
        value: t.cookie.split("=")[1],
        url: app.url,
      });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      const site = `${app.url}/sites/${t.site.id}`;
      const period = queryPeriod(t.site, checkQuery({ period: "30d" }));

      for (const width of [1440, 375]) {
        await page.setViewport({ width, height: 900 });
        const goalName = `Pricing seen ${width}`;
        const funnelName = `Home to checkout ${width}`;

        // A goal, from site settings → Goals.
        await page.goto(`${site}/settings`, { waitUntil: "load" });
        await Promise.all([page.waitForNavigation(), page.click(`a[href$="/goals"]`)]);
        await page.type("#f-name", goalName);
        await page.select("#f-kind", "page");
        await page.type("#f-path_pattern", "/pricing");
        await Promise.all([page.waitForNavigation(), page.click(".goal-form button[type=submit]")]);
        assert.match(await page.$eval(".alert.success", (e) => e.textContent!), /Goal added/);
        await fitsWidth(page, width, "the goals page");
        await page.screenshot({ path: `${SHOTS}/goals-${width}.png`, fullPage: true });

        // The dashboard lists it with its numbers; a click filters everything to it.
        await page.goto(`${site}?period=30d`, { waitUntil: "networkidle0" });
        await page.waitForSelector("[data-island][data-hydrated]");
        const stats = await goalStats(app.db.sql, t.site, checkQuery({ period: "30d" }));
        const stat = stats.find((s) => s.name === goalName)!;
        const row = await page.$$eval(
          ".goals-panel tbody tr",
          (rows, name) =>
            rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent!.trim()))
              .find((cells) => cells[0] === name),
          goalName,
        );
        assert.ok(row, "the goal is in the panel");
        assert.equal(row![1], stat.visitors.toLocaleString("en-US"));
        await fitsWidth(page, width, "the dashboard");
        await page.screenshot({ path: `${SHOTS}/dashboard-goals-${width}.png`, fullPage: true });
        await page.evaluate(() => (globalThis as unknown as { marker: number }).marker = 1);
        const link = await page.$$(".goals-panel a.bar-label");
        const names = await page.$$eval(
          ".goals-panel a.bar-label",
          (as) => as.map((a) => a.textContent!.trim()),
        );
        await link[names.indexOf(goalName)].click();
        await page.waitForFunction(() => location.search.includes("f=goal"));
        await page.waitForFunction(() => !document.querySelector(".dashboard.is-loading"));
        assert.match(await page.$eval(".chips .chip", (a) => a.textContent!), /Goal is/);
        const visitors = await page.$eval(".cards .metric .value", (v) => v.textContent!.trim());
        assert.equal(visitors, stat.visitors.toLocaleString("en-US"));
        assert.equal(
          await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker),
          1,
          "filtered without a page load",
        );

        // A funnel, from the form.
        await page.goto(`${site}/funnels`, { waitUntil: "load" });
        await page.type("#f-name", funnelName);
        await page.type("input[name=step1_value]", "/**");
        await page.type("input[name=step2_value]", "/pricing");
        await page.type("input[name=step3_value]", "/checkout");
        await Promise.all([
          page.waitForNavigation(),
          page.click(".funnel-form button[type=submit]"),
        ]);
        const id = Number(/\/funnels\/(\d+)/.exec(page.url())![1]);
        const f = await getFunnel(app.db.sql, t.site.id, id);
        const result = await funnelResult(app.db.sql, t.site.id, f, period);
        await page.goto(`${site}/funnels/${id}?period=30d`, { waitUntil: "load" });
        const counts = await page.$$eval(
          ".funnel-bars .funnel-bar-head strong",
          (els) => els.map((e) => e.textContent!.trim()),
        );
        assert.deepEqual(counts, result.steps.map((s) => s.count.toLocaleString("en-US")));
        await fitsWidth(page, width, "the funnel");
        await page.screenshot({ path: `${SHOTS}/funnel-${width}.png`, fullPage: true });

        // CSV: the link answers with the steps.
        const csvHref = await page.$eval(
          "a[href*='export.csv']",
          (a) => (a as HTMLAnchorElement).href,
        );
        const csv = await page.evaluate(async (href) => {
          const res = await fetch(href);
          return { type: res.headers.get("content-type"), text: await res.text() };
        }, csvHref);
        assert.match(csv.type ?? "", /text\/csv/);
        assert.equal(csv.text.trim().split(/\r?\n/).length, f.steps.length + 1);

        // Breakdown by device, then a drop-off list.
        await Promise.all([page.waitForNavigation(), page.click("nav.tabs a[href*='by=device']")]);
        assert.ok((await page.$$("table.breakdown tbody tr")).length > 0);
        await fitsWidth(page, width, "the funnel by device");
        await Promise.all([page.waitForNavigation(), page.click("a.dropoff")]);
        assert.match(await page.$eval("h1", (h) => h.textContent!), /Left after step/);
        assert.ok((await page.$$("table.breakdown tbody tr")).length > 0);
        await fitsWidth(page, width, "the drop-off list");
        await page.screenshot({ path: `${SHOTS}/dropoff-${width}.png`, fullPage: true });

        // Paths, cohorts and event properties, one tab away.
        for (const tab of ["paths", "cohorts", "properties"]) {
          await page.goto(`${site}/funnels`, { waitUntil: "load" });
          await Promise.all([
            page.waitForNavigation(),
            page.click(`.explore-nav a[href$="/${tab}"]`),
          ]);
          assert.ok((await page.$$("table.breakdown tbody tr")).length > 0, `${tab} has rows`);
          await fitsWidth(page, width, `the ${tab} page`);
          await page.screenshot({ path: `${SHOTS}/${tab}-${width}.png`, fullPage: true });
        }
      }
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await app.stop();
    }
  },
});
