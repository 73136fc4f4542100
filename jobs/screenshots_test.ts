import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { chromiumPath, hasChromium } from "../testing/browser.ts";
import { createTestSite } from "../ingest/test_support.ts";
import { OutboundRefused } from "../lib/outbound.ts";
import { LAYOUT_WIDTHS } from "../lib/layout.ts";
import {
  requestFirstScreenshots,
  requestScreenshots,
  runScreenshots,
  screenshotsOf,
} from "./screenshots.ts";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import { recordHeatmapVisits } from "../testing/heatmap_data.ts";
import { createApiKey } from "../accounts/api_keys.ts";

/** A local site: a tall page with the Sextant snippet, a 404, a page that never answers, and a
 * redirect to another host. */
function serveSite(appUrl: string, publicId: string) {
  const hung: Array<(r: Response) => void> = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/hang") return new Promise<Response>((resolve) => hung.push(resolve));
    if (url.pathname === "/away") {
      return Response.redirect(`http://127.0.0.2:${url.port}/`, 302);
    }
    if (url.pathname !== "/") return new Response("Not here", { status: 404 });
    return new Response(
      `<!doctype html><html><head><script defer data-site="${publicId}" src="${appUrl}/s.js">
</script><style>#buy{position:absolute;left:100px;top:300px;width:120px;height:40px}
@media (max-width:500px){#buy{left:10px;top:600px;width:200px}}</style></head>
<body style="margin:0;height:2600px;background:#eef">
<h1 style="margin:0;height:200px;background:#c00">Pricing</h1><a id="buy" href="#">Buy</a>
</body></html>`,
      { headers: { "content-type": "text/html" } },
    );
  });
  return {
    port: server.addr.port,
    async close() {
      for (const r of hung) r(new Response("late"));
      await server.shutdown();
    },
  };
}

/** Width and height of a WebP (VP8/VP8L/VP8X) from its header. */
function webpSize(b: Uint8Array): { width: number; height: number } {
  const kind = new TextDecoder().decode(b.slice(12, 16));
  const v = new DataView(b.buffer, b.byteOffset);
  if (kind === "VP8X") {
    return {
      width: 1 + (v.getUint32(24, true) & 0xffffff),
      height: 1 + (v.getUint32(27, true) & 0xffffff),
    };
  }
  if (kind === "VP8L") {
    const bits = v.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  return { width: v.getUint16(26, true) & 0x3fff, height: v.getUint16(28, true) & 0x3fff };
}

Deno.test({
  name:
    "screenshots: a local page at three widths, unseen by its tracker; other domains, private addresses, 404s, redirects away and hangs fail with reasons",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp();
    const sql = app.ctx.db.sql;
    const dataDir = await Deno.makeTempDir({ prefix: "sextant-shots-test-" });
    const site = await createTestSite(sql, {}, "localhost");
    const local = serveSite(app.url, site.public_id);
    const base = `http://localhost:${local.port}`;
    const env = {
      sql,
      dataDir,
      chromiumPath: chromiumPath(),
      allowPrivate: true,
      timeoutMs: 3000,
    };
    try {
      await requestScreenshots(sql, site, "/", `${base}/`);
      assert.equal(await runScreenshots(env), 3);
      const shots = await screenshotsOf(sql, site.id, "/");
      assert.deepEqual(shots.map((s) => [s.layout, s.status, s.error]).sort(), [
        ["desktop", "done", ""],
        ["mobile", "done", ""],
        ["tablet", "done", ""],
      ]);
      for (const s of shots) {
        const bytes = await Deno.readFile(`${dataDir}/${s.file}`);
        assert.equal(s.bytes, bytes.byteLength);
        assert.equal(s.width, LAYOUT_WIDTHS[s.layout]);
        assert.equal(s.height, 2600);
        assert.deepEqual(webpSize(bytes), { width: s.width, height: 2600 });
      }
      // The page's own tracker loaded but counted nothing.
      const [{ n }] = await sql`select count(*)::int as n from events where site_id = ${site.id}`;
      assert.equal(n, 0);
      const [{ drops }] = await sql`
        select coalesce(sum(count), 0)::int as drops from ingest_drops where site_id = ${site.id}`;
      assert.equal(drops, 0);

      // Only the site's own domains.
      await assert.rejects(
        () => requestScreenshots(sql, site, "/", "https://elsewhere.example/"),
        (e) => e instanceof OutboundRefused && /only of pages on localhost/.test(e.message),
      );

      const failures: Record<string, RegExp> = {
        "/missing": /HTTP 404/,
        "/hang": /Timed out/,
        "/away": /127\.0\.0\.2 is not one of the site's domains/,
      };
      for (const path of Object.keys(failures)) {
        await requestScreenshots(sql, site, path, `${base}${path}`);
      }
      await runScreenshots(env);
      await runScreenshots(env);
      for (const [path, reason] of Object.entries(failures)) {
        const rows = await screenshotsOf(sql, site.id, path);
        assert.equal(rows.length, 3);
        for (const r of rows) {
          assert.equal(r.status, "failed", `${path} ${r.layout}`);
          assert.match(r.error, reason);
        }
      }

      // Private addresses are refused unless the setting allows them.
      await requestScreenshots(sql, site, "/", `${base}/`);
      await runScreenshots({ ...env, allowPrivate: false });
      for (const r of await screenshotsOf(sql, site.id, "/")) {
        assert.equal(r.status, "failed");
        assert.match(r.error, /^Blocked: /);
      }
      // A failure is retried later, not at once.
      assert.equal(await runScreenshots(env), 0);

      // Clicked elements get their real boxes measured at each width; the heatmap outlines
      // them with those, and the others (not on the page, or no selector a browser reads)
      // with the area their clicks fell in.
      await sql`update sites set heatmaps_enabled = true where id = ${site.id}`;
      await recordHeatmapVisits(sql, { ...site, heatmaps_enabled: true }, [
        {
          v: "visitor-on-a-desktop",
          url: `${base}/`,
          width: 1440,
          clicks: [
            { x: 150, y: 320, sel: "#buy" },
            { x: 151, y: 321, sel: "#buy" },
            { x: 700, y: 900, sel: "div.gone" },
            { x: 800, y: 1000, sel: "a[" },
          ],
        },
        {
          v: "visitor-on-a-phone",
          url: `${base}/`,
          width: 390,
          clicks: [{ x: 50, y: 610, sel: "#buy" }],
        },
      ]);
      await requestScreenshots(sql, site, "/", `${base}/`);
      assert.equal(await runScreenshots(env), 3);
      const rects = Object.fromEntries(
        (await screenshotsOf(sql, site.id, "/")).map((s) => [s.layout, s.rects]),
      );
      assert.deepEqual(rects, {
        desktop: { "#buy": [100, 300, 120, 40] },
        tablet: {},
        mobile: { "#buy": [10, 600, 200, 40] },
      });
      const { secret } = await createApiKey(sql, { orgId: site.org_id, name: "outlines" });
      const elements = async (layout: string) =>
        (await (await app.fetch(`/api/v1/sites/${site.id}/heatmaps?page=/&layout=${layout}`, {
          headers: { authorization: `Bearer ${secret}` },
        })).json()).elements.map((
          e: { selector: string; outline: string; box: unknown },
        ) => [e.selector, e.outline, e.box]);
      assert.deepEqual(await elements("desktop"), [
        ["#buy", "element", { x: 100, y: 300, width: 120, height: 40 }],
        ["a[", "clicks", { x: 795, y: 996, width: 5, height: 4 }],
        ["div.gone", "clicks", { x: 695, y: 896, width: 5, height: 4 }],
      ]);
      assert.deepEqual(await elements("mobile"), [
        ["#buy", "element", { x: 10, y: 600, width: 200, height: 40 }],
      ]);
    } finally {
      await local.close();
      await app.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `[${mode}] a heatmap site's most clicked pages get a first screenshot asked for, once`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      const sql = db.sql;
      try {
        const site = await createTestSite(sql, { heatmaps_enabled: true }, "shop.example");
        const off = await createTestSite(sql, {}, "quiet.example");
        const visit = (v: string, page: string, clicks: number) => ({
          v,
          url: `https://shop.example${page}`,
          width: 1440,
          clicks: Array.from({ length: clicks }, (_, i) => ({ x: i, y: i, sel: "a" })),
        });
        await recordHeatmapVisits(sql, site, [
          visit("visitor-one-of-many", "/pricing", 5),
          visit("visitor-two-of-many", "/", 4),
          visit("visitor-three-of-many", "/blog", 3),
          visit("visitor-four-of-many", "/about", 2),
          visit("visitor-five-of-many", "/taken", 9),
        ]);
        await requestScreenshots(sql, site, "/taken", "https://shop.example/taken");
        // A site with heatmaps off gets nothing, whatever rows it has.
        await sql`
          insert into heatmap_totals (site_id, pathname, layout, kind, day, flags, count,
            max_height)
          values (${off.id}, '/x', 'desktop', 'click', current_date, 0, 50, 100)`;

        assert.equal(await requestFirstScreenshots(sql), 3);
        const rows = await sql<{ pathname: string; url: string; status: string }[]>`
          select distinct pathname, url, status from heatmap_screenshots order by pathname`;
        assert.deepEqual(rows.map((r) => [r.pathname, r.url, r.status]), [
          ["/", "https://shop.example/", "pending"],
          ["/blog", "https://shop.example/blog", "pending"],
          ["/pricing", "https://shop.example/pricing", "pending"],
          ["/taken", "https://shop.example/taken", "pending"],
        ]);
        assert.equal(await requestFirstScreenshots(sql), 1, "then the next most clicked page");
        assert.equal(await requestFirstScreenshots(sql), 0, "and nothing twice");
      } finally {
        await db.close();
      }
    },
  );
}
