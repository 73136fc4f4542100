import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import { CHROME_UA, createTestSite, waitFor } from "../ingest/test_support.ts";

// A page with a button, text that does nothing, a box that changes when clicked, one that
// throws, and a field to type into.
const PAGE = `<!doctype html><html><head><title>Heat</title>__SNIPPET__</head>
<body style="margin:0;height:3000px;font:16px sans-serif">
<button id="buy" style="position:absolute;left:100px;top:100px;width:120px;height:40px">Buy</button>
<p id="plain" style="position:absolute;left:400px;top:100px;width:200px;height:40px;margin:0">Text</p>
<div id="toggle" style="position:absolute;left:100px;top:300px;width:200px;height:40px"
  onclick="this.textContent = 'opened'">Open</div>
<div id="broken" style="position:absolute;left:400px;top:300px;width:200px;height:40px"
  onclick="setTimeout(function () { missing.call(); })">Broken</div>
<input id="email" style="position:absolute;left:100px;top:500px;width:200px">
<div id="rage" style="position:absolute;left:100px;top:700px;width:200px;height:40px"
  onclick="void 0">Rage</div>
</body></html>`;

function servePage(snippet: string) {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () =>
      new Response(PAGE.replace("__SNIPPET__", snippet), {
        headers: { "content-type": "text/html" },
      }),
  );
  return { port: server.addr.port, close: () => server.shutdown() };
}

async function openTab(browser: Awaited<ReturnType<typeof launchBrowser>>): Promise<Page> {
  const tab = await browser.newPage();
  await tab.setUserAgent(CHROME_UA);
  await tab.setViewport({ width: 1280, height: 800 });
  await tab.evaluateOnNewDocument(() => {
    Object.defineProperty(navigator, "webdriver", { get: () => false });
  });
  return tab;
}

Deno.test({
  name:
    "heatmap module: only snippets with data-heatmaps load it; clicks carry rage, dead and error flags, moves and scroll arrive, typed text never does",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp();
    const sql = app.ctx.db.sql;
    const site = await createTestSite(sql, { heatmaps_enabled: true }, "localhost");
    const plain = servePage(`<script defer data-site="${site.public_id}" src="${app.url}/s.js">
</script>`);
    const heat = servePage(`<script defer data-site="${site.public_id}" data-heatmaps
src="${app.url}/s.js"></script>`);
    const browser = await launchBrowser();
    try {
      // Without data-heatmaps the module is never requested.
      const off = await openTab(browser);
      const requested: string[] = [];
      off.on("request", (r) => requested.push(r.url()));
      await off.goto(`http://localhost:${plain.port}/`, { waitUntil: "load" });
      await waitFor(async () =>
        (await sql`select 1 from events where site_id = ${site.id} and type = 'pageview'`)
          .length === 1
      );
      assert.ok(requested.some((u) => u.endsWith("/s.js")));
      assert.ok(!requested.some((u) => u.includes("/s/heatmap.js")), requested.join("\n"));
      await off.close();

      const tab = await openTab(browser);
      const bodies: string[] = [];
      tab.on("request", (r) => {
        if (r.url().endsWith("/api/collect")) bodies.push(r.postData() ?? "");
      });
      await tab.goto(`http://localhost:${heat.port}/`, { waitUntil: "load" });
      await tab.waitForFunction(() => (window as never as { sextant: { h?: number } }).sextant.h);
      await tab.type("#email", "secret-typed@example.com");
      await tab.click("#buy");
      await tab.click("#plain");
      await tab.click("#toggle");
      await tab.click("#broken");
      // Each click is judged for a second before it is sent, and leaving the page within that
      // second counts as something happening; so these four are stored before anything else.
      const clicksStored = async () =>
        (await sql`select count(*)::int as n from heatmap_clicks
          where site_id = ${site.id} and kind = 'click'`)[0].n;
      await waitFor(async () => await clicksStored() === 4);
      // Rage: three quick clicks in one spot.
      for (let i = 0; i < 3; i++) await tab.mouse.click(200, 720);
      for (let i = 0; i < 20; i++) {
        await tab.mouse.move(200 + i * 20, 600 + i * 5);
        await new Promise((r) => setTimeout(r, 30));
      }
      await tab.evaluate(() => scrollTo(0, document.documentElement.scrollHeight));
      await tab.waitForFunction(() => scrollY > 0);
      // Leaving sends the rest: the scroll record and any clicks still waiting. (Dispatched
      // here: a real navigation's last beacon goes out without the test's user agent.)
      await tab.evaluate(() => dispatchEvent(new PageTransitionEvent("pagehide")));

      const rows = () =>
        sql<
          {
            kind: string;
            selector: string;
            flags: number;
            x: number;
            elem_x: number | null;
            page_width: number;
            layout: string;
            depth: number | null;
            session_id: string | null;
          }[]
        >`select kind, selector, flags, x, elem_x, page_width, layout, depth, session_id
          from heatmap_clicks where site_id = ${site.id} order by ts, selector`;
      await waitFor(async () => (await rows()).some((r) => r.kind === "scroll" && r.depth === 100));
      await waitFor(async () => (await rows()).filter((r) => r.kind === "click").length === 7);
      const all = await rows();
      const clicks = all.filter((r) => r.kind === "click");
      const flagsOf = (sel: string) => clicks.filter((c) => c.selector.endsWith(sel));
      // An error within a second flags every click still waiting (4), so only rage (1) and
      // dead (2) are compared for the clicks made just before the broken one.
      assert.deepEqual(flagsOf("button#buy").map((c) => c.flags & 3), [0]);
      // Nothing happened after a click on plain text: dead. The toggle changed: alive.
      assert.deepEqual(flagsOf("p#plain").map((c) => c.flags & 3), [2]);
      assert.deepEqual(flagsOf("div#toggle").map((c) => c.flags & 3), [0]);
      assert.deepEqual(flagsOf("div#broken").map((c) => c.flags & 4), [4]);
      assert.deepEqual(flagsOf("div#rage").map((c) => c.flags & 3), [1, 1, 1]);
      const buy = flagsOf("button#buy")[0];
      assert.equal(buy.page_width, 1280);
      assert.equal(buy.layout, "desktop");
      assert.equal(buy.x - buy.elem_x!, 100);
      assert.ok(clicks.every((c) => c.session_id));
      assert.ok(all.filter((r) => r.kind === "move").length >= 3);
      // Typed text never leaves the page.
      assert.ok(!bodies.some((b) => b.includes("secret-typed")));
    } finally {
      await browser.close();
      await plain.close();
      await heat.close();
      await app.stop();
    }
  },
});
