import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { TestClient } from "../testing/http_client.ts";
import { signedInTenant } from "../testing/tenants.ts";
import { mailHeader, mailText, oneClickUnsubscribe, smtpSink } from "../testing/smtp.ts";
import { waitFor } from "../testing/wait.ts";
import { writeHours } from "../testing/alert_traffic.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import { HOUR_MS } from "../alerts/series.ts";
import { sendDueDigests } from "./schedule.ts";
import { computeDigest, digestEmail } from "./digest.ts";

const DAY = 24 * HOUR_MS;
/** Screenshots go to SCREENSHOT_DIR (docs/screenshots to refresh the committed ones), else tmp. */
const SHOTS = Deno.env.get("SCREENSHOT_DIR") ??
  await Deno.makeTempDir({ prefix: "sextant-digest-shots-" });

Deno.test("a daily digest goes out once at the member's hour, over SMTP, and unsubscribes without sign-in", async () => {
  const smtp = await smtpSink();
  const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
  const sql = app.db.sql;
  try {
    const tenant = await signedInTenant(sql, "digest.example", { timezone: "UTC" });
    const siteId = tenant.site.id;
    const today = Math.floor(Date.now() / DAY) * DAY;
    // Yesterday: 30 visitors and 2 purchases; the day before: 20 visitors.
    await writeHours(sql, siteId, [
      { at: today - DAY + 9 * HOUR_MS, visitors: 30, purchases: 2, amount: 4900 },
      { at: today - 2 * DAY + 9 * HOUR_MS, visitors: 20 },
    ]);
    const owner = new TestClient(app);
    owner.cookies.set("sextant_session", tenant.cookie.split("=")[1]);
    await owner.page(`/sites/${siteId}/alerts`);
    let res = await owner.post(`/sites/${siteId}/alerts/digests`, {
      daily: "on",
      hour: "8",
      timezone: "UTC",
    });
    assert.equal(res.status, 303);

    assert.equal(await sendDueDigests(app.ctx, new Date(today + 7 * HOUR_MS)), 0, "before 08:00");
    assert.equal(await sendDueDigests(app.ctx, new Date(today + 8 * HOUR_MS + 60_000)), 1);
    assert.equal(await sendDueDigests(app.ctx, new Date(today + 9 * HOUR_MS)), 0, "sent once");
    await waitFor(() => smtp.received.length === 1, 30_000, "the digest over SMTP");
    const text = mailText(smtp.received[0]);
    assert.match(smtp.received[0], /Subject: .*your daily report/);
    assert.match(text, /Visitors \| 30 \| \+50(\.0)?%/);
    assert.match(text, /Revenue \| \$98(\.00)?/);
    assert.match(text, /No open alerts/);
    const link = /https?:\/\/\S+\/digests\/unsubscribe\?s=\d+&t=[0-9a-f]+/.exec(text)![0];
    assert.equal(mailHeader(smtp.received[0], "List-Unsubscribe"), `<${link}>`);

    // A mail client's one-click unsubscribe: no cookie, no CSRF token; repeating it is harmless.
    for (let i = 0; i < 2; i++) {
      const oneClick = await oneClickUnsubscribe(smtp.received[0]);
      assert.equal(oneClick.status, 200);
      assert.match(await oneClick.text(), /won(&#39;|')t be sent to you any more/);
      assert.equal((await sql`select 1 from digest_subscriptions`).length, 0);
    }

    // Unsubscribing works signed out.
    const stranger = new TestClient(app);
    const path = new URL(link).pathname + new URL(link).search;
    const page = await stranger.page(path);
    assert.equal(page.res.status, 200);
    res = await stranger.post(path);
    assert.match(await res.text(), /won(&#39;|')t be sent to you any more/);
    assert.equal((await sql`select 1 from digest_subscriptions`).length, 0);
    res = await stranger.post(path.replace(/t=[0-9a-f]+/, "t=0000"));
    assert.equal(res.status, 404);
    await res.body?.cancel();

    // "Send me this now" mails the weekly report to the member asking.
    res = await owner.post(`/sites/${siteId}/alerts/digests`, { send_now: "weekly" });
    assert.equal(res.status, 303);
    const [mail] = await sql`select to_address, subject from email_outbox
      where kind = 'digest' order by id desc limit 1`;
    assert.match(mail.subject, /your weekly report/);
  } finally {
    await app.stop();
    await smtp.close();
  }
});

Deno.test({
  name: "the digest email fits a phone and a desktop mail window in Chromium",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp();
    const sql = app.db.sql;
    const browser = await launchBrowser();
    try {
      const tenant = await signedInTenant(sql, "digest.example", {
        timezone: "UTC",
        name: "Demo <shop>",
      });
      const today = Math.floor(Date.now() / DAY) * DAY;
      await writeHours(sql, tenant.site.id, [
        { at: today - DAY + 9 * HOUR_MS, visitors: 1234, purchases: 12, amount: 12900 },
        { at: today - 3 * DAY + 9 * HOUR_MS, visitors: 900, purchases: 7, amount: 12900 },
      ]);
      const digest = await computeDigest(sql, { ...tenant.site }, "weekly");
      digest.pages.push({
        name: "/a/very/long/path/that/should/wrap/instead/of/scrolling",
        visitors: 3,
      });
      const { html } = digestEmail(digest, {
        dashboard: "https://sextant.example/sites/1",
        settings: "https://sextant.example/sites/1/alerts",
        unsubscribe: "https://sextant.example/digests/unsubscribe?s=1&t=abc",
      });
      assert.doesNotMatch(html, /<shop>/, "user text escaped");
      const page = await browser.newPage();
      for (const width of [375, 800]) {
        await page.setViewport({ width, height: 900 });
        await page.setContent(html);
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.equal(overflow, 0, `no sideways scrolling at ${width} px`);
        await page.screenshot({ path: `${SHOTS}/digest-${width}.png`, fullPage: true });
      }
    } finally {
      await browser.close();
      await app.stop();
    }
  },
});
