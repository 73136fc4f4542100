/**
 * `deno task screenshots`: boots Sextant on a throwaway database with a month of realistic
 * traffic and revenue, and saves the dashboard at 1440 px and 375 px, light and dark, to
 * docs/screenshots/. Uses TEST_DATABASE_URL when set, else the embedded database.
 */
import { startTestApp } from "../testing/app.ts";
import { launchBrowser } from "../testing/browser.ts";
import { seedTraffic, signedInTenant } from "../testing/tenants.ts";
import { createAnnotation } from "../analytics/annotations.ts";
import { dayOf } from "../analytics/period.ts";

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
  const host = new URL(app.url).hostname;
  for (const theme of ["light", "dark"] as const) {
    for (const width of [1440, 375]) {
      const page = await browser.newPage();
      await page.setViewport({ width, height: width > 800 ? 900 : 812, deviceScaleFactor: 1 });
      await page.setCookie(
        { name: "sextant_session", value: t.cookie.split("=")[1], domain: host, path: "/" },
        { name: "sextant_theme", value: theme, domain: host, path: "/" },
      );
      await page.goto(`${app.url}/sites/${t.site.id}`, { waitUntil: "networkidle0" });
      await page.waitForSelector(".chart.chart-ready", { timeout: 10_000 });
      const file = new URL(`dashboard-${width}-${theme}.png`, OUT).pathname;
      await page.screenshot({ path: file as `${string}.png`, fullPage: true });
      console.log(`saved ${file}`);
      await page.close();
    }
  }
} finally {
  await browser.close();
  await app.stop();
}
