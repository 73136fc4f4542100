import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import { CHROME_UA, createTestSite, waitFor } from "../ingest/test_support.ts";

type Sextant = ((...a: unknown[]) => void) & { visitorId(): string | undefined; v?: number };

function servePages(appUrl: string, sites: Record<string, string>) {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    const attrs = sites[url.hostname] ?? "";
    const html = `<!doctype html><html><head><title>Shop</title>
<script defer ${attrs} src="${appUrl}/s.js"></script></head>
<body style="margin:0;height:2000px">
<div class="hero"><button id="buy" class="cta primary" style="margin:40px">Buy</button></div>
<a id="shop" href="https://shop.example.net/cart" onclick="event.preventDefault()">Cart</a>
<a id="guide" href="/files/guide.pdf" onclick="event.preventDefault()">Guide</a>
</body></html>`;
    return new Response(html, { headers: { "content-type": "text/html" } });
  });
  return { port: server.addr.port, close: () => server.shutdown() };
}

async function openTab(browser: Awaited<ReturnType<typeof launchBrowser>>) {
  const tab = await browser.newPage();
  await tab.setUserAgent(CHROME_UA);
  await tab.evaluateOnNewDocument(() => {
    Object.defineProperty(navigator, "webdriver", { get: () => false });
  });
  return tab;
}

const ready = (tab: Page) =>
  tab.waitForFunction(() =>
    typeof (window as never as { sextant: Sextant }).sextant?.v === "number"
  );

Deno.test({
  name:
    "tracker: heatmap clicks, downloads, revenue, cross-domain ids, a returning visitor, opt-out and cookieless mode",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp();
    const sql = app.ctx.db.sql;
    const shop = await createTestSite(sql, { heatmaps_enabled: true }, "localhost");
    const anon = await createTestSite(sql, { cookieless: true }, "127.0.0.1");
    const pages = servePages(app.url, {
      localhost: `data-site="${shop.public_id}" data-heatmaps data-domains="shop.example.net"`,
      "127.0.0.1": `data-site="${anon.public_id}" data-cookieless`,
    });
    const browser = await launchBrowser();
    try {
      const tab = await openTab(browser);
      await tab.goto(`http://localhost:${pages.port}/`, { waitUntil: "load" });
      await ready(tab);
      await tab.waitForFunction(() => (window as never as { sextant: { h?: number } }).sextant.h);
      await tab.click("#buy");
      await tab.click("#guide");
      await tab.click("#shop");
      const decorated = await tab.$eval("#shop", (a) => (a as HTMLAnchorElement).href);
      const visitorId = await tab.evaluate(() => {
        const sx = (window as never as { sextant: Sextant }).sextant;
        sx("revenue", {
          amount: 129.5,
          currency: "EUR",
          product: "Course",
          transaction_id: "tx_9",
        });
        return sx.visitorId();
      });
      assert.ok(visitorId && /^[\w-]{16}$/.test(visitorId));
      assert.equal(decorated, `https://shop.example.net/cart?_sx=${visitorId}`);

      // Heatmap clicks wait a second (to tell dead clicks) and go with the next batch.
      await waitFor(async () => (await sql`select 1 from heatmap_clicks`).length >= 1);

      // A returning visitor keeps their id (cookie and localStorage).
      await tab.reload({ waitUntil: "load" });
      await ready(tab);
      assert.equal(
        await tab.evaluate(() => (window as never as { sextant: Sextant }).sextant.visitorId()),
        visitorId,
      );
      const cookie = (await tab.cookies()).find((c) => c.name === "sx_id");
      assert.equal(cookie?.value, visitorId);

      await waitFor(async () =>
        (await sql`select 1 from events where site_id = ${shop.id} and type = 'pageview'`)
          .length === 2
      );
      // Opting out stops everything from this browser.
      await tab.evaluate(() => localStorage.setItem("sextant_ignore", "1"));
      await tab.reload({ waitUntil: "load" });
      await new Promise((r) => setTimeout(r, 800));
      await tab.close({ runBeforeUnload: true });

      const rows = await sql<
        { type: string; name: string; props: Record<string, unknown> | null; visitor_id: string }[]
      >`
        select type, name, props, visitor_id from events where site_id = ${shop.id}
        and type <> 'engagement' order by ts, type`;
      assert.deepEqual(rows.map((r) => `${r.type}:${r.name}`).sort(), [
        "download:http://localhost:" + pages.port + "/files/guide.pdf",
        "outbound:https://shop.example.net/cart",
        "pageview:",
        "pageview:",
        "revenue:",
      ]);
      assert.ok(rows.every((r) => r.visitor_id === visitorId));
      const revenue = rows.find((r) => r.type === "revenue")!;
      assert.deepEqual(revenue.props, {
        amount: 12950,
        currency: "EUR",
        product: "Course",
        transaction_id: "tx_9",
        via: "browser",
      });
      await waitFor(async () => (await sql`select 1 from heatmap_clicks`).length >= 1);
      const clicks = await sql`select * from heatmap_clicks where site_id = ${shop.id} order by ts`;
      const buy = clicks.find((c) => c.selector.endsWith("button#buy"));
      assert.ok(buy, JSON.stringify(clicks.map((c) => c.selector)));
      assert.equal(buy.pathname, "/");
      assert.ok(buy.x >= 40 && buy.y >= 40);
      assert.ok(buy.page_width > 0 && buy.page_height >= 2000);

      // Cookieless: nothing stored in the browser, a server-side daily id instead.
      const plain = await openTab(browser);
      await plain.goto(`http://127.0.0.1:${pages.port}/private`, { waitUntil: "load" });
      await ready(plain);
      const stored = await plain.evaluate(() => [
        document.cookie,
        localStorage.getItem("sx_id"),
        (window as never as { sextant: Sextant }).sextant.visitorId() ?? null,
      ]);
      assert.deepEqual(stored, ["", null, null]);
      await waitFor(async () =>
        (await sql`select 1 from events where site_id = ${anon.id}`).length >= 1
      );
      const [anonRow] = await sql`select visitor_id from events where site_id = ${anon.id}`;
      assert.match(anonRow.visitor_id, /^[\w-]{22}$/);
      await plain.close();
    } finally {
      await browser.close();
      await pages.close();
      await app.stop();
    }
  },
});

Deno.test({
  name:
    "tracker: with data-consent=required nothing is stored until consent, and withdrawing it deletes the id",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp();
    const sql = app.ctx.db.sql;
    const site = await createTestSite(sql, {}, "localhost");
    const pages = servePages(app.url, {
      localhost: `data-site="${site.public_id}" data-consent="required"`,
    });
    const browser = await launchBrowser();
    const pageviews = () =>
      sql<{ visitor_id: string }[]>`
        select visitor_id from events where site_id = ${site.id} and type = 'pageview'
        order by ts`;
    try {
      const tab = await openTab(browser);
      const stored = () =>
        tab.evaluate(() => [
          (/(?:^|; )sx_id=([\w-]+)/.exec(document.cookie) || [])[1] ?? null,
          localStorage.getItem("sx_id"),
          (window as never as { sextant: Sextant }).sextant.visitorId() ?? null,
        ]);
      await tab.goto(`http://localhost:${pages.port}/`, { waitUntil: "load" });
      await ready(tab);
      assert.deepEqual(await stored(), [null, null, null]);
      await waitFor(async () => (await pageviews()).length === 1);
      // Before consent the server's cookieless daily id counts the visit.
      assert.match((await pageviews())[0].visitor_id, /^[\w-]{22}$/);

      const id = await tab.evaluate(() => {
        const sx = (window as never as { sextant: Sextant }).sextant;
        sx("consent", true);
        sx("event", "signup");
        return sx.visitorId();
      });
      assert.ok(id && /^[\w-]{16}$/.test(id), String(id));
      assert.deepEqual(await stored(), [id, id, id]);
      await waitFor(async () =>
        (await sql`
          select 1 from events where site_id = ${site.id} and name = 'signup'
            and visitor_id = ${id}`).length === 1
      );

      // Consent given once: the stored id is used again on the next page.
      await tab.reload({ waitUntil: "load" });
      await ready(tab);
      assert.deepEqual(await stored(), [id, id, id]);
      await waitFor(async () => (await pageviews()).length === 2);
      assert.equal((await pageviews())[1].visitor_id, id);

      // Withdrawn: the ids are deleted and the tracker is cookieless again.
      await tab.evaluate(() => (window as never as { sextant: Sextant }).sextant("consent", false));
      assert.deepEqual(await stored(), [null, null, null]);
      await tab.reload({ waitUntil: "load" });
      await ready(tab);
      assert.deepEqual(await stored(), [null, null, null]);
      await waitFor(async () => (await pageviews()).length === 3);
      assert.match((await pageviews())[2].visitor_id, /^[\w-]{22}$/);
      await tab.close();
    } finally {
      await browser.close();
      await pages.close();
      await app.stop();
    }
  },
});
