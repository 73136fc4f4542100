/**
 * End to end in Chromium: a course creator connects Teachable (the local fake), watches the
 * 30-day backfill of 300 transactions progress live, and finds them on the revenue report, the
 * ones whose buyers identified themselves attributed to their source.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser, SCREENSHOT_DIR } from "../testing/browser.ts";
import { FakeTeachable } from "../testing/fake_teachable.ts";
import { FakeWhop } from "../testing/fake_whop.ts";
import { FakeKajabi } from "../testing/fake_kajabi.ts";
import type { Page } from "puppeteer-core";
import { createSiteWithOwner, insertIdentify, insertSession } from "../testing/journeys.ts";
import { formatMoney } from "../attribution/currency.ts";

const SHOTS = SCREENSHOT_DIR;

Deno.test({
  name: "connecting Teachable in the browser backfills 300 sales with live progress",
  ignore: !hasChromium(),
  async fn() {
    const fake = await FakeTeachable.start();
    const app = await startTestApp({ env: { TEACHABLE_API_URL: fake.url } });
    const browser = await launchBrowser();
    try {
      const sql = app.ctx.db.sql;
      const owner = await createSiteWithOwner(sql);
      const siteId = owner.site.id;
      const key = fake.addKey();
      fake.pageDelayMs = 700;
      const course = fake.course("Sourdough masterclass");
      const plan = fake.plan({ courseId: course.id, price: 4900 });

      // 300 sales two hours apart; every third buyer identified on the site before buying.
      const now = Date.now();
      let identified = 0;
      for (let i = 0; i < 300; i++) {
        const ts = now - (i + 1) * 2 * 3600_000;
        const email = `student${i}@example.com`;
        const buyer = fake.user(email);
        fake.transaction({ userId: buyer.id, planId: plan.id, createdAt: new Date(ts) });
        if (i % 3 === 0) {
          identified++;
          const visitor = `visitor-${i}`;
          await insertSession(sql, siteId, {
            visitorId: visitor,
            startedAt: new Date(ts - 3600_000),
            source: "Pinterest",
            channel: "Organic Social",
          });
          await insertIdentify(sql, siteId, visitor, email, new Date(ts - 3000_000));
        }
      }

      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.setCookie({ name: "sextant_session", value: owner.token, url: app.url });
      await page.goto(`${app.url}/sites/${siteId}/integrations`, { waitUntil: "networkidle0" });

      await page.click("#teachable .integration-more > summary");
      await page.type("#f-teachable-apiKey", "not-the-right-key-000");
      await Promise.all([page.waitForNavigation(), page.click("#teachable .connect-button")]);
      const refusal = await page.$eval("#f-teachable-apiKey-error", (el) => el.textContent ?? "");
      assert.equal(
        refusal.trim(),
        "That Teachable API key was refused — copy it again from Settings → API.",
      );

      await page.type("#f-teachable-apiKey", key);
      await Promise.all([page.waitForNavigation(), page.click("#teachable .connect-button")]);
      const summary = await watchSync(page, "teachable", 300);
      assert.match(summary, new RegExp(`300 synced, ${identified} matched to visitors`));
      const manual = await page.$eval("#teachable .webhook-manual", (el) => el.textContent ?? "");
      assert.match(manual, /secret token/);
      assert.match(manual, /Transaction\.created/);
      await Deno.mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}/teachable-integrations.png`, fullPage: true });

      await page.goto(`${app.url}/sites/${siteId}/revenue`, { waitUntil: "networkidle0" });
      const rows = await page.$$eval(".revenue-table tbody tr", (trs) =>
        trs.map((tr) => ({
          key: tr.getAttribute("data-key"),
          revenue: tr.querySelector(".amount")?.textContent ?? "",
        })));
      const bySource = Object.fromEntries(rows.map((r) => [r.key, r.revenue]));
      assert.equal(bySource["Pinterest"], formatMoney(identified * 4900, "USD"));
      assert.equal(bySource["(unmatched)"], formatMoney((300 - identified) * 4900, "USD"));
      await page.screenshot({ path: `${SHOTS}/teachable-revenue.png`, fullPage: true });
    } finally {
      await browser.close();
      await app.stop();
      await fake.close();
    }
  },
});

/** Reads the platform's live sync status until it is done; asserts progress was shown. */
async function watchSync(page: Page, platform: string, total: number): Promise<string> {
  const seen: string[] = [];
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const text = await page.$eval(`#${platform} .sync-status`, (el) => el.textContent ?? "")
      .catch(() => "");
    if (text && seen.at(-1) !== text) seen.push(text);
    if (/synced, \d+ matched/.test(text) && text.includes("Connected")) break;
    await new Promise((r) => setTimeout(r, 150));
  }
  console.log(`${platform} status texts seen:`, seen);
  assert.ok(
    seen.some((t) => new RegExp(`Syncing ${total} purchases… \\d+/${total}`).test(t)),
    "progress was visible while syncing",
  );
  return seen.at(-1) ?? "";
}

/** Signs the owner in on the integrations page. */
async function openIntegrations(
  browser: Awaited<ReturnType<typeof launchBrowser>>,
  appUrl: string,
  owner: { token: string; site: { id: number } },
): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.setCookie({ name: "sextant_session", value: owner.token, url: appUrl });
  await page.goto(`${appUrl}/sites/${owner.site.id}/integrations`, { waitUntil: "networkidle0" });
  return page;
}

Deno.test({
  name: "connecting Whop in the browser (key and company id) backfills 300 payments with progress",
  ignore: !hasChromium(),
  async fn() {
    const fake = await FakeWhop.start();
    const app = await startTestApp({ env: { WHOP_API_URL: fake.url } });
    const browser = await launchBrowser();
    try {
      const owner = await createSiteWithOwner(app.ctx.db.sql);
      const { key, companyId } = fake.addKey({ title: "Chess Club" });
      fake.pageDelayMs = 300;
      for (let i = 0; i < 300; i++) {
        fake.payment({
          companyId,
          total: 19.99,
          email: `member${i}@example.com`,
          createdAt: new Date(Date.now() - (i + 1) * 2 * 3600_000),
        });
      }
      const page = await openIntegrations(browser, app.url, owner);
      await page.click("#whop .integration-more > summary");
      await page.type("#f-whop-apiKey", key);
      await page.type("#f-whop-companyId", "biz_doesnotexist");
      await Promise.all([page.waitForNavigation(), page.click("#whop .connect-button")]);
      const refusal = await page.$eval("main", (el) => el.textContent ?? "");
      assert.match(refusal, /Whop doesn't know the company biz_doesnotexist/);
      await page.$eval("#f-whop-companyId", (el) => ((el as HTMLInputElement).value = ""));
      await page.$eval("#f-whop-apiKey", (el) => ((el as HTMLInputElement).value = ""));
      await page.type("#f-whop-apiKey", key);
      await page.type("#f-whop-companyId", companyId);
      await Promise.all([page.waitForNavigation(), page.click("#whop .connect-button")]);
      const summary = await watchSync(page, "whop", 300);
      assert.match(summary, /300 synced, 0 matched to visitors/);
      assert.match(await page.$eval("#whop", (el) => el.textContent ?? ""), /Chess Club/);
      const [sum] = await app.ctx.db.sql`select sum(amount_minor)::int as n from purchases
        where site_id = ${owner.site.id} and provider = 'whop'`;
      assert.equal(sum.n, 300 * 1999, "decimal dollars stored as cents");
      await page.screenshot({ path: `${SHOTS}/whop-integrations.png`, fullPage: true });
    } finally {
      await browser.close();
      await app.stop();
      await fake.close();
    }
  },
});

Deno.test({
  name: "connecting Kajabi in the browser (client id and secret) backfills 300 sales with progress",
  ignore: !hasChromium(),
  async fn() {
    const fake = await FakeKajabi.start();
    const app = await startTestApp({ env: { KAJABI_API_URL: fake.url } });
    const browser = await launchBrowser();
    try {
      const owner = await createSiteWithOwner(app.ctx.db.sql);
      const creds = fake.addClient();
      const offer = fake.offer("Yoga teacher training");
      for (let i = 0; i < 300; i++) {
        const at = new Date(Date.now() - (i + 1) * 2 * 3600_000);
        const c = fake.customer(`yogi${i}@example.com`);
        const p = fake.purchase({ customerId: c.id, offerId: offer.id, createdAt: at });
        fake.transaction({ purchaseId: p.id, amountInCents: 29700, createdAt: at });
      }
      const page = await openIntegrations(browser, app.url, owner);
      await page.click("#kajabi .integration-more > summary");
      await page.type("#f-kajabi-clientId", creds.clientId);
      await page.type("#f-kajabi-clientSecret", "not-the-secret");
      await Promise.all([page.waitForNavigation(), page.click("#kajabi .connect-button")]);
      assert.match(
        await page.$eval("main", (el) => el.textContent ?? ""),
        /Kajabi refused that client id and secret — copy both again/,
      );
      await page.$eval("#f-kajabi-clientId", (el) => ((el as HTMLInputElement).value = ""));
      await page.type("#f-kajabi-clientId", creds.clientId);
      await page.type("#f-kajabi-clientSecret", creds.clientSecret);
      await Promise.all([page.waitForNavigation(), page.click("#kajabi .connect-button")]);
      const summary = await watchSync(page, "kajabi", 300);
      assert.match(summary, /300 synced, 0 matched to visitors/);
      assert.equal(fake.hooks.length, 1, "the hook was registered");
      assert.match(
        await page.$eval("#kajabi", (el) => el.textContent ?? ""),
        /registered in Kajabi automatically/,
      );
      await page.screenshot({ path: `${SHOTS}/kajabi-integrations.png`, fullPage: true });
    } finally {
      await browser.close();
      await app.stop();
      await fake.close();
    }
  },
});
