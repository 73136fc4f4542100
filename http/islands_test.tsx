import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import { renderPage } from "./render.tsx";
import CopyButton from "../islands/CopyButton.tsx";

Deno.test({
  name:
    "an island hydrates in Chromium (a click changes the DOM) while a plain page loads no script",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp({
      extraRoutes: (a) => {
        a.get("/t/island", (c) =>
          renderPage(
            c,
            <main>
              <p>Snippet</p>
              <CopyButton text="hello <b>&" />
            </main>,
            { title: "I" },
          ));
        a.get("/t/plain", (c) =>
          renderPage(
            c,
            <main>
              <p>Nothing to run here</p>
            </main>,
            { title: "P" },
          ));
      },
    });
    const browser = await launchBrowser();
    try {
      const context = browser.defaultBrowserContext();
      await context.overridePermissions(app.url, [
        "clipboard-read",
        "clipboard-write",
        "clipboard-sanitized-write",
      ]);
      const page = await browser.newPage();
      const scripts: string[] = [];
      page.on("request", (r) => {
        if (r.resourceType() === "script") scripts.push(r.url());
      });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));

      await page.goto(`${app.url}/t/plain`, { waitUntil: "networkidle0" });
      assert.equal(await page.$$eval("script", (s) => s.length), 0);
      assert.deepEqual(scripts, []);

      await page.goto(`${app.url}/t/island`, { waitUntil: "networkidle0" });
      assert.ok(scripts.length > 0, "the island page loads its modules");
      assert.equal(await page.$eval("button", (b) => b.textContent), "Copy");
      await page.click("button");
      await page.waitForFunction(() => document.querySelector("button")?.textContent !== "Copy");
      assert.equal(await page.$eval("button", (b) => b.textContent), "Copied ✓");
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), "hello <b>&");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await app.stop();
    }
  },
});
