/**
 * `deno task screenshots`: boots Sextant on a throwaway database with a month of realistic
 * traffic and revenue, and saves the dashboard, the live view and the revenue page at 1440 px and
 * 375 px, light and dark, to docs/screenshots/ as `<page>-<width>-<theme>.png`. Uses
 * TEST_DATABASE_URL when set, else the embedded database.
 */
import type { Page } from "puppeteer-core";
import { startTestApp } from "../testing/app.ts";
import { launchBrowser } from "../testing/browser.ts";
import { seedTraffic, signedInTenant } from "../testing/tenants.ts";
import { refreshRollups } from "../db/rollups.ts";
import { createAnnotation } from "../analytics/annotations.ts";
import { dayOf } from "../analytics/period.ts";
import { insertSession } from "../testing/journeys.ts";

const OUT = new URL("../docs/screenshots/", import.meta.url);

const app = await startTestApp();
const browser = await launchBrowser();
try {
  const t = await signedInTenant(app.db.sql, "coursestudio.example", {
    name: "Course Studio",
    timezone: "America/New_York",
  });
  // Two months, so "change vs the previous period" compares like with like.
  await seedTraffic(app.db.sql, t.site.id, 16000, 60);
  const day = (n: number) => dayOf(new Date(Date.now() - n * 86_400_000), "America/New_York");
  await createAnnotation(app.db.sql, {
    siteId: t.site.id,
    day: day(18),
    category: "launch",
    body: "Launched the Pro course",
  });
  await createAnnotation(app.db.sql, {
    siteId: t.site.id,
    day: day(6),
    category: "campaign",
    body: "YouTube collab video went live",
  });
  // A few people on the site right now, so the live view has someone to show.
  const places = [["US", "New York"], ["GB", "London"], ["DE", "Berlin"], ["BR", "São Paulo"]];
  for (let i = 0; i < 9; i++) {
    const [country, city] = places[i % places.length];
    await insertSession(app.db.sql, t.site.id, {
      visitorId: `live-${i}`,
      startedAt: new Date(Date.now() - (i + 1) * 25_000),
      source: ["YouTube", "Google", "Newsletter"][i % 3],
      country,
      city,
      pages: ["/", "/courses/pro"],
    });
  }
  await refreshRollups(app.db.sql);

  const pages: Array<
    { name: string; path: string; ready: (page: Page, width: number) => Promise<unknown> }
  > = [
    {
      name: "dashboard",
      path: "",
      ready: (page) => page.waitForSelector(".chart.chart-ready", { timeout: 10_000 }),
    },
    {
      name: "live",
      path: "/live",
      ready: async (page, width) => {
        await page.waitForSelector(".live-status.live", { timeout: 20_000 });
        if (width > 640) {
          await page.waitForSelector(".globe canvas", { timeout: 30_000 });
          await page.waitForFunction(() => !document.querySelector(".globe-loading"), {
            timeout: 30_000,
          });
        }
      },
    },
    { name: "revenue", path: "/revenue", ready: () => Promise.resolve() },
  ];
  const host = new URL(app.url).hostname;
  for (const theme of ["light", "dark"] as const) {
    for (const width of [1440, 375]) {
      for (const shot of pages) {
        const page = await browser.newPage();
        // Motion off keeps the globe still for the picture.
        await page.emulateMediaFeatures([{ name: "prefers-reduced-motion", value: "reduce" }]);
        await page.setViewport({ width, height: width > 800 ? 900 : 812, deviceScaleFactor: 1 });
        await page.setCookie(
          { name: "sextant_session", value: t.cookie.split("=")[1], domain: host, path: "/" },
          { name: "sextant_theme", value: theme, domain: host, path: "/" },
        );
        await page.goto(`${app.url}/sites/${t.site.id}${shot.path}`, {
          waitUntil: shot.name === "live" ? "load" : "networkidle0",
        });
        await shot.ready(page, width);
        const file = new URL(`${shot.name}-${width}-${theme}.png`, OUT).pathname;
        // The whole page, up to a height that keeps each picture small enough for the README.
        const height = await page.evaluate(() => document.documentElement.scrollHeight);
        await page.screenshot({
          path: file as `${string}.png`,
          clip: { x: 0, y: 0, width, height: Math.min(height, width > 800 ? 1500 : 2400) },
          captureBeyondViewport: true,
        });
        console.log(`saved ${file}`);
        await page.close();
      }
    }
  }
} finally {
  await browser.close();
  await app.stop();
}
