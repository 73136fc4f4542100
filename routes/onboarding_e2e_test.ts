/**
 * The first five minutes, in a real browser: sign up, confirm the email from the outbox, add a
 * site, copy the snippet with the Copy button, put it on a local page, load that page, and watch
 * the install page say "Receiving data ✓". Reports how long it took.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import { CHROME_UA } from "../ingest/test_support.ts";

// SCREENSHOTS=1 refreshes the checked-in images; otherwise they go to a temporary folder.
const SHOTS = Deno.env.get("SCREENSHOTS")
  ? new URL("../docs/screenshots/", import.meta.url).pathname
  : `${await Deno.makeTempDir({ prefix: "sextant-shots-" })}/`;

async function submit(tab: Page, selector = "main form button[type=submit]") {
  await Promise.all([tab.waitForNavigation({ waitUntil: "load" }), tab.click(selector)]);
}

Deno.test({
  name: "sign up → confirm email → add site → copy snippet → first event: Receiving data ✓",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp({ env: { MAIL_PREVIEW: "on" } });
    const browser = await launchBrowser();
    let siteServer: Deno.HttpServer<Deno.NetAddr> | undefined;
    try {
      await browser.defaultBrowserContext().overridePermissions(app.url, [
        "clipboard-read",
        "clipboard-write",
        "clipboard-sanitized-write",
      ]);
      const tab = await browser.newPage();
      await tab.setViewport({ width: 1280, height: 900 });
      const started = performance.now();

      // A fresh install sends the first visitor to sign up.
      await tab.goto(app.url, { waitUntil: "load" });
      assert.equal(new URL(tab.url()).pathname, "/signup");
      await tab.type("#f-name", "Grace Founder");
      await tab.type("#f-email", "grace@example.com");
      await tab.type("#f-password", "a long and lovely passphrase");
      await submit(tab);
      assert.equal(new URL(tab.url()).pathname, "/sites/new");

      // The confirmation email, read from the outbox page.
      await tab.goto(`${app.url}/dev/mail`, { waitUntil: "load" });
      await submitLink(tab, "Confirm your email for Sextant");
      await submitLink(tab, "/verify?token=");
      assert.match(await tab.content(), /Email confirmed/);
      const [user] = await app.db.sql`select email_verified_at from users`;
      assert.ok(user.email_verified_at);

      // Add the site; the form leads straight to the install page.
      await tab.goto(`${app.url}/sites/new`, { waitUntil: "load" });
      await tab.type("#f-domain", "http://localhost/");
      await submit(tab);
      assert.match(new URL(tab.url()).pathname, /^\/sites\/\d+\/install$/);
      assert.match(
        await tab.$eval("[data-state]", (e) => e.textContent ?? ""),
        /Waiting for your first event/,
      );

      // Copy the snippet with the button, as a person would.
      await tab.waitForFunction(() => document.querySelector("[data-island=CopyButton] button"));
      await tab.click("[data-island=CopyButton] button");
      await tab.waitForFunction(() =>
        document.querySelector("[data-island=CopyButton] button")?.textContent?.includes("Copied")
      );
      const snippet = await tab.evaluate(() => navigator.clipboard.readText());
      assert.match(
        snippet,
        /^<script defer data-site="[a-z2-9]{12}" src="http:\/\/127\.0\.0\.1:\d+\/s\.js"><\/script>$/,
      );
      await tab.screenshot({ path: `${SHOTS}accounts-install-waiting.png`, fullPage: false });

      // The user's own site: a local page with the snippet pasted into its head.
      const html = `<!doctype html><html><head><title>My course</title>${snippet}</head>` +
        `<body><h1>Learn to sell courses</h1></body></html>`;
      siteServer = Deno.serve(
        { port: 0, hostname: "127.0.0.1", onListen: () => {} },
        () => new Response(html, { headers: { "content-type": "text/html" } }),
      );
      const visitor = await browser.newPage();
      await visitor.setUserAgent(CHROME_UA);
      // puppeteer's browser says it is automated (and gets dropped as a bot); a visitor's doesn't.
      await visitor.evaluateOnNewDocument(() => {
        Object.defineProperty(navigator, "webdriver", { get: () => false });
      });
      await visitor.goto(`http://localhost:${siteServer.addr.port}/`, { waitUntil: "load" });

      await tab.bringToFront();
      await tab.waitForSelector("[data-state=receiving]", { timeout: 20_000 });
      const seconds = (performance.now() - started) / 1000;
      assert.match(await tab.$eval("[data-state]", (e) => e.textContent ?? ""), /Receiving data ✓/);
      console.log(`signup → "Receiving data ✓" took ${seconds.toFixed(1)} s in a real browser`);
      await tab.screenshot({ path: `${SHOTS}accounts-install-receiving.png`, fullPage: false });
      const [site] = await app.db.sql`select first_event_at from sites`;
      assert.ok(site.first_event_at);
      await visitor.close();
    } finally {
      await browser.close();
      await siteServer?.shutdown();
      await app.stop();
    }
  },
});

/** Clicks the first link whose text or href contains `text` and waits for the page. */
async function submitLink(tab: Page, text: string) {
  const href = await tab.$$eval(
    "a",
    (links, t) => links.find((a) => a.textContent?.includes(t) || a.href.includes(t))?.href ?? "",
    text,
  );
  assert.ok(href, `no link with "${text}"`);
  await tab.goto(href, { waitUntil: "load" });
}
