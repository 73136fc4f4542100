/**
 * `deno task bench:heatmaps`: how fast a heatmap answers for a busy page, and how long a
 * screenshot takes per layout width.
 *
 * Creates a throwaway database on DATABASE_URL (or TEST_DATABASE_URL), loads `--clicks`
 * (BENCH_CLICKS, default 1 000 000) clicks and `--moves` (BENCH_MOVES, default 5 000 000) pointer
 * samples plus one scroll record per 10 clicks for one page over 30 days, builds the rollups by
 * local day, then prints p50/p95 of the unfiltered heatmap report (grid, scroll reach,
 * attention, elements: rollups only) per mode with the load average, and — when Chromium is installed — the
 * time to screenshot a local page at each layout width. Figures only; nothing asserts on time.
 * BENCH_KEEP=1 keeps the database.
 */
import postgres from "postgres";
import { openDatabase } from "../db/connect.ts";
import { migrate } from "../db/migrate.ts";
import { createOrg } from "../accounts/orgs.ts";
import { createSite } from "../accounts/sites.ts";
import { createUser } from "../accounts/users.ts";
import { checkQuery } from "../analytics/query.ts";
import { heatmapReport, parseHeatmapParams } from "../analytics/heatmaps.ts";
import { LAYOUT_WIDTHS, LAYOUTS } from "../lib/layout.ts";
import { chromiumInstalled, launchChromium } from "../lib/chromium.ts";
import { renderPage } from "../jobs/screenshots.ts";

const url = Deno.env.get("DATABASE_URL") || Deno.env.get("TEST_DATABASE_URL");
if (!url) {
  console.error("Set DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server to benchmark on.");
  Deno.exit(1);
}
/** `--clicks 200000` / `--clicks=200000` (arguments win over the environment). */
function sizeArg(name: string, env: string, fallback: number): number {
  const i = Deno.args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const raw = i < 0
    ? Deno.env.get(env)
    : Deno.args[i].includes("=")
    ? Deno.args[i].split("=")[1]
    : Deno.args[i + 1];
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} (or ${env}) is a whole number of rows, like 200000.`);
    Deno.exit(1);
  }
  return n;
}
const CLICKS = sizeArg("clicks", "BENCH_CLICKS", 1_000_000);
const MOVES = sizeArg("moves", "BENCH_MOVES", 5_000_000);
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 15);
const CHROMIUM = Deno.env.get("CHROMIUM_PATH") || "/usr/bin/chromium";

const name = `sextant_bench_${crypto.randomUUID().slice(0, 8)}`;
const admin = postgres(url, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database "${name}"`);
const u = new URL(url);
u.pathname = `/${name}`;
const db = await openDatabase({ url: u.toString(), max: 4 });
const sql = db.sql;
const seconds = (start: number) => `${((performance.now() - start) / 1000).toFixed(1)} s`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

try {
  const { timescale } = await migrate(sql);
  const user = await createUser(sql, {
    email: "bench@example.com",
    password: "correct horse battery",
    name: "Bench",
    verified: true,
  });
  const org = await createOrg(sql, "Bench", user.id);
  const site = await createSite(sql, { orgId: org.id, domain: "bench.example" });
  await sql`update sites set heatmaps_enabled = true where id = ${site.id}`;

  // Generated in the database: a few hot elements and a spread of the rest, mostly desktop.
  let start = performance.now();
  await sql`
    insert into heatmap_clicks (ts, event_id, site_id, hostname, pathname, x, y, page_width,
      page_height, selector, device, kind, layout, session_id, page_view, elem_x, elem_y, flags,
      origin)
    select now() - (random() * interval '30 days'), gen_random_uuid(), ${site.id},
      'bench.example', '/pricing', (random() * w)::int, (random() * 4000)::int, w, 6000,
      'div.section:nth-of-type(' || (i % 40) || ')>a', 'Desktop', 'click',
      case when w >= 1024 then 'desktop' when w >= 768 then 'tablet' else 'mobile' end,
      gen_random_uuid(), md5(i::text), 4, 3, case when i % 50 = 0 then 1 when i % 70 = 0 then 2
      else 0 end, 'https://bench.example'
    from generate_series(1, ${CLICKS}) i,
      lateral (select (array[1440, 1440, 1440, 1280, 1920, 820, 390])[1 + (i % 7)] as w) v`;
  console.log(`${CLICKS.toLocaleString("en-US")} clicks loaded in ${seconds(start)}`);
  start = performance.now();
  await sql`
    insert into heatmap_clicks (ts, event_id, site_id, hostname, pathname, x, y, page_width,
      page_height, kind, layout, session_id, page_view)
    select now() - (random() * interval '30 days'), gen_random_uuid(), ${site.id},
      'bench.example', '/pricing', (random() * 1440)::int, (random() * 6000)::int, 1440, 6000,
      'move', 'desktop', gen_random_uuid(), md5((i / 50)::text)
    from generate_series(1, ${MOVES}) i`;
  console.log(`${MOVES.toLocaleString("en-US")} pointer samples loaded in ${seconds(start)}`);
  start = performance.now();
  await sql`
    insert into heatmap_clicks (ts, event_id, site_id, hostname, pathname, x, y, page_width,
      page_height, kind, layout, session_id, page_view, depth, attention, origin)
    select now() - (random() * interval '30 days'), gen_random_uuid(), ${site.id},
      'bench.example', '/pricing', 0, 0, 1440, 6000, 'scroll', 'desktop', gen_random_uuid(),
      md5(i::text), (random() * 100)::int,
      array[5, 4, 3, 3, 2, 2, 1, 1, 0, 0], 'https://bench.example'
    from generate_series(1, ${Math.round(CLICKS / 10)}) i`;
  console.log(`scroll records loaded in ${seconds(start)}`);
  // The ingest writer keeps the rollups as it stores rows; bulk-loaded rows get them here, from
  // the same definition (migration 0180).
  start = performance.now();
  await sql`select heatmap_rollup_build(${site.id}, null)`;
  await sql`analyze`;
  console.log(`rollups built in ${seconds(start)}`);

  const stats = { ...site, first_event_at: null };
  const q = checkQuery({ period: "30d" });
  console.log(
    `\nheatmap report for one page, last 30 days (${
      timescale ? "TimescaleDB" : "PostgreSQL"
    }), ${RUNS} runs, ms:`,
  );
  console.log("| mode | p50 | p95 |\n| --- | --- | --- |");
  for (const mode of ["clicks", "moves", "attention", "scroll", "rage", "dead"]) {
    const params = parseHeatmapParams(new URLSearchParams({ page: "/pricing", mode }));
    await heatmapReport(sql, stats, q, params);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await heatmapReport(sql, stats, q, params);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(
      `| ${mode} | ${percentile(times, 0.5).toFixed(0)} | ${percentile(times, 0.95).toFixed(0)} |`,
    );
  }
  console.log(`load average: ${Deno.loadavg().map((l) => l.toFixed(2)).join(", ")}`);

  if (chromiumInstalled(CHROMIUM)) {
    const page = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen: () => {} },
      () =>
        new Response(
          `<!doctype html><html><body style="margin:0;font:16px sans-serif">${
            Array.from(
              { length: 60 },
              (_, i) =>
                `<section style="height:120px;border-bottom:1px solid #ccc"><h2>Part ${i}</h2>
<p>${"Plain words for the screenshot to lay out. ".repeat(8)}</p></section>`,
            ).join("")
          }</body></html>`,
          { headers: { "content-type": "text/html" } },
        ),
    );
    const browser = await launchChromium(CHROMIUM);
    try {
      console.log("\nscreenshot of a 7,200 px page, ms:");
      for (const layout of LAYOUTS) {
        const t0 = performance.now();
        const shot = await renderPage(
          browser,
          { domain: "localhost", allowed_hosts: [] },
          `http://localhost:${page.addr.port}/`,
          LAYOUT_WIDTHS[layout],
          { allowPrivate: true },
        );
        console.log(
          `${layout} (${LAYOUT_WIDTHS[layout]} px): ${(performance.now() - t0).toFixed(0)} ms, ${
            Math.round(shot.image.byteLength / 1024)
          } KB, ${shot.height} px tall`,
        );
      }
    } finally {
      await browser.close();
      await page.shutdown();
    }
  } else console.log(`\nNo Chromium at ${CHROMIUM}: screenshot times skipped.`);
} finally {
  await db.close();
  if (!Deno.env.get("BENCH_KEEP")) await admin.unsafe(`drop database "${name}"`);
  await admin.end();
}
