import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import type { Page } from "puppeteer-core";
import { CHROME_UA, createTestSite, waitFor } from "../ingest/test_support.ts";

/** A page on another origin (localhost) that embeds the snippet from the app (127.0.0.1). */
function servePage(appUrl: string, publicId: string, attrs = "") {
  const html = `<!doctype html><html><head><title>Course landing</title>
<script>window.sextant=window.sextant||function(){(sextant.q=sextant.q||[]).push(arguments)}</script>
<script>sextant('event', 'Queued before load', { early: true })</script>
<script defer data-site="${publicId}" ${attrs} src="${appUrl}/s.js"></script></head>
<body style="height:3000px">
<h1>Learn to sell courses</h1>
<a id="out" href="https://partner.example.org/deal" onclick="event.preventDefault()">Partner</a>
<button id="signup" data-sextant-goal="Signup">Sign up</button>
</body></html>`;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () => new Response(html, { headers: { "content-type": "text/html" } }),
  );
  return { port: server.addr.port, close: () => server.shutdown() };
}

/**
 * Keeps the current page in view until the page's own clock — the one the tracker measures
 * engagement with — has moved 600 ms on, so a busy test machine can't make the visit shorter.
 */
async function stayInView(tab: Page) {
  const since = await tab.evaluate(() => performance.now());
  await tab.waitForFunction((t: number) => performance.now() - t > 600, { polling: 50 }, since);
}

Deno.test({
  name:
    "a visit with UTM tags, two SPA navigations, an outbound click, a goal and identify is stored exactly",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp();
    const sql = app.ctx.db.sql;
    const site = await createTestSite(sql, {}, "localhost");
    const page = servePage(app.url, site.public_id);
    const browser = await launchBrowser();
    try {
      const tab = await browser.newPage();
      await tab.setUserAgent(CHROME_UA);
      // A real visitor's browser is not automated; puppeteer's is, and the tracker reports it.
      await tab.evaluateOnNewDocument(() => {
        Object.defineProperty(navigator, "webdriver", { get: () => false });
      });
      const base = `http://localhost:${page.port}`;
      await tab.goto(`${base}/?utm_source=newsletter&utm_medium=email&utm_campaign=spring`, {
        waitUntil: "load",
      });
      await tab.waitForFunction(() =>
        typeof (window as never as { sextant: { v?: number } }).sextant.v === "number"
      );
      await stayInView(tab);
      await tab.evaluate(() => history.pushState({}, "", "/pricing"));
      await stayInView(tab);
      await tab.evaluate(() => history.pushState({}, "", "/checkout"));
      await tab.click("#out");
      await tab.click("#signup");
      const visitorId = await tab.evaluate(() => {
        const sx = (window as never as {
          sextant: ((...a: unknown[]) => void) & { visitorId(): string };
        }).sextant;
        sx("identify", "Buyer@Example.com", { plan: "pro" });
        return sx.visitorId();
      });
      await stayInView(tab);
      await tab.close({ runBeforeUnload: true });

      type Row = {
        type: string;
        name: string;
        pathname: string;
        visitor_id: string;
        session_id: string;
        source: string;
        medium: string;
        campaign: string;
        channel: string;
        device: string;
        browser: string;
        engaged_ms: number | null;
      };
      let rows: Row[] = [];
      await waitFor(async () => {
        rows = await sql<Row[]>`
          select type, name, pathname, visitor_id, session_id::text, source, medium, campaign,
                 channel, device, browser, engaged_ms
          from events where site_id = ${site.id} order by ts, type`;
        return rows.filter((r) => r.type === "engagement").length >= 3;
      }, 15_000);
      const summary = rows.filter((r) => r.type !== "engagement").map((r) =>
        `${r.type}:${r.type === "pageview" ? r.pathname : r.name}`
      ).sort();
      assert.deepEqual(summary, [
        "event:Queued before load",
        "event:Signup",
        "identify:",
        "outbound:https://partner.example.org/deal",
        "pageview:/",
        "pageview:/checkout",
        "pageview:/pricing",
      ]);
      const engagements = rows.filter((r) => r.type === "engagement");
      assert.deepEqual(engagements.map((r) => r.pathname).sort(), ["/", "/checkout", "/pricing"]);
      assert.ok(engagements.every((r) => (r.engaged_ms ?? 0) > 500));
      assert.equal(new Set(rows.map((r) => r.session_id)).size, 1, "one session");
      assert.deepEqual([...new Set(rows.map((r) => r.visitor_id))], [visitorId]);
      for (const r of rows) {
        assert.equal(r.source, "newsletter");
        assert.equal(r.medium, "email");
        assert.equal(r.campaign, "spring");
        assert.equal(r.channel, "Email");
        assert.equal(r.device, "Desktop");
        assert.equal(r.browser, "Chrome");
      }
      await waitFor(async () => (await sql`select 1 from identities`).length === 1);
      const [ident] = await sql`select * from identities where site_id = ${site.id}`;
      assert.equal(ident.identifier, "buyer@example.com");
      assert.equal(ident.email, "buyer@example.com");
      assert.equal(ident.visitor_id, visitorId);
      assert.deepEqual(ident.traits, { plan: "pro" });
      const [session] = await sql`select * from sessions where site_id = ${site.id}`;
      assert.equal(session.pageviews, 3);
      assert.equal(session.entry_page, "/");
      assert.equal(session.exit_page, "/checkout");
      assert.equal(session.channel, "Email");
    } finally {
      await browser.close();
      await page.close();
      await app.stop();
    }
  },
});
