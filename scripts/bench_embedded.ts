/**
 * `deno task bench:query --embedded`: the dashboard a newcomer sees first. Starts Sextant on a
 * fresh embedded database (PGlite + TimescaleDB) in a temporary data folder with the real demo
 * seed — the same 60 days `deno task start` creates, with its simulated live traffic running —
 * signs in as the demo account and prints the full dashboard HTML p50/p95/max for the demo
 * site's periods, then each query the page makes for the default period, beside the machine
 * load and a calibration query on the same database. BENCH_RUNS (default 30) sets the runs per
 * period; BENCH_DATA_DIR keeps the seeded data folder for the next run (seeding takes minutes).
 * Figures only; nothing asserts on time.
 */
import { loadConfig } from "../config.ts";
import { startSextant } from "../boot.ts";
import { silentLogger } from "../lib/log.ts";
import { startDemo } from "../demo/mod.ts";
import { DEMO_EMAIL, demoPassword } from "../demo/credentials.ts";
import { TestClient } from "../testing/http_client.ts";
import type { TestApp } from "../testing/app.ts";
import { pct, since, time } from "./bench_data.ts";
import { findSiteById } from "../accounts/sites.ts";
import { rollupsBehind } from "../db/rollups.ts";
import { aggregate, queryPeriod, timeseries } from "../analytics/stats.ts";
import { loadPanel } from "../analytics/dashboard.ts";
import { goalStats } from "../analytics/goals.ts";
import { listAnnotations } from "../analytics/annotations.ts";
import { checkQuery } from "../analytics/query.ts";
import { CARD_METRICS, PANEL_IDS, PANELS } from "../analytics/view.ts";

const SECRET_KEY = "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz";

export async function benchEmbeddedDemo(): Promise<void> {
  const runs = Number(Deno.env.get("BENCH_RUNS") ?? 30);
  const kept = Deno.env.get("BENCH_DATA_DIR");
  const dataDir = kept || await Deno.makeTempDir({ prefix: "sextant-bench-embedded-" });
  const config = await loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    SECRET_KEY,
    SEXTANT_DEMO: "on",
    LOG_LEVEL: "error",
  });
  const started = performance.now();
  const running = await startSextant(config, { log: silentLogger });
  try {
    const seeding = performance.now();
    await startDemo(running.ctx);
    const sql = running.ctx.db.sql;
    const [{ value: siteId }] = await sql`
      select value from sextant_meta where key = 'demo_site_id'`;
    const [{ events }] = await sql<{ events: number }[]>`
      select count(*)::int as events from events where site_id = ${Number(siteId)}`;
    console.log(
      `bench:query --embedded — demo site, ${
        events.toLocaleString("en-US")
      } events, embedded PGlite + TimescaleDB; started in ${since(started)}, demo seeded in ${
        since(seeding)
      }`,
    );
    const app = { fetch: (path, init) => fetch(new URL(path, running.url), init) } as TestApp;
    const client = new TestClient(app);
    const signedIn = await client.signIn(DEMO_EMAIL, await demoPassword(SECRET_KEY));
    if (signedIn.status !== 303) throw new Error(`demo sign-in answered ${signedIn.status}`);

    const cal = await time(3, () => sql`select count(*) from generate_series(1, 1000000)`);
    console.log(
      `calibration: count(*) over generate_series(1, 1e6) takes ${
        pct(cal, 50).toFixed(0)
      } ms on this embedded database; machine load ${
        Deno.loadavg().map((l) => l.toFixed(1)).join(" ")
      } (1/5/15 min) on ${navigator.hardwareConcurrency} cores`,
    );
    console.log(`\nFull dashboard HTML (GET /sites/:id), ${runs} runs after one warm-up, ms`);
    console.log(`  ${"period".padEnd(30)}     p50     p95     max`);
    const fmt = (ms: number) => ms.toFixed(1).padStart(8);
    for (const period of [null, "7d", "30d", "90d"]) {
      const path = `/sites/${siteId}${period ? `?period=${period}` : ""}`;
      const ms = await time(runs, async () => {
        const res = await client.fetch(path);
        if (res.status !== 200) throw new Error(`the dashboard answered ${res.status}`);
        await res.text();
      });
      const label = period ?? "default (30 days, as first opened)";
      console.log(
        `  ${label.padEnd(30)}${fmt(pct(ms, 50))}${fmt(pct(ms, 95))}${fmt(Math.max(...ms))}`,
      );
    }
    // The page's queries one by one (embedded runs them one after another anyway).
    const site = (await findSiteById(sql, Number(siteId)))!;
    const query = checkQuery({ period: "30d" });
    const period = queryPeriod(site, query);
    const parts: Array<[string, () => Promise<unknown>]> = [
      ["rollups behind?", () => rollupsBehind(sql, site.id)],
      [
        "cards (+ previous period)",
        () => aggregate(sql, site, { ...query, metrics: CARD_METRICS }),
      ],
      [
        "chart",
        () => timeseries(sql, site, { ...query, dimension: "time", metrics: CARD_METRICS }),
      ],
      ["annotations", () => listAnnotations(sql, site.id, period.firstDay, period.lastDay)],
      ["goals", () => goalStats(sql, site, query)],
      ...PANEL_IDS.map((id): [string, () => Promise<unknown>] => [
        `panel ${PANELS[id].tabs[0]}`,
        () => loadPanel(sql, site, query, PANELS[id].tabs[0]),
      ]),
    ];
    console.log(`\nThe page's queries, 30 days, ${runs} runs each, ms`);
    for (const [name, run] of parts) {
      const ms = await time(runs, run);
      console.log(
        `  ${name.padEnd(30)}${fmt(pct(ms, 50))}${fmt(pct(ms, 95))}${fmt(Math.max(...ms))}`,
      );
    }
    console.log(
      `\nmachine load at the end ${Deno.loadavg().map((l) => l.toFixed(1)).join(" ")}`,
    );
  } finally {
    await running.stop();
    if (!kept) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}
