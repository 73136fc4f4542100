/**
 * `deno task bench:query`: how fast the dashboard answers on a big site, in server mode.
 *
 * Creates a throwaway database on DATABASE_URL (or TEST_DATABASE_URL), COPYs BENCH_EVENTS events
 * (default 10 000 000) spread over thirteen months into one site, with their visits, purchases
 * and attribution credits, brings the rollups up to date, then prints p50/p95 per dashboard
 * query for the last 30 days and the last 12 months — as the dashboard asks (daily rollups in
 * the site's zone), from the hourly rollups only, and forced onto the raw tables — and the full
 * dashboard page's HTML time. Figures only; nothing asserts on time. BENCH_KEEP=1 keeps the
 * database for another look; BENCH_HOURLY_RUNS and BENCH_RAW_RUNS set the slower passes' runs.
 * With `--embedded` it times the demo dashboard on the embedded database instead
 * (scripts/bench_embedded.ts).
 */
import { loadConfig } from "../config.ts";
import { startSextant } from "../boot.ts";
import { silentLogger } from "../lib/log.ts";
import { benchDatabase, calibrate, loadBenchSite, pct, time } from "./bench_data.ts";
import { aggregate, breakdown, type StatsOptions, timeseries } from "../analytics/stats.ts";
import { checkQuery } from "../analytics/query.ts";
import { type Dimension, metricsFor } from "../analytics/dimensions.ts";

// The embedded database is measured on the demo a newcomer sees, not on 10M events.
if (Deno.args.includes("--embedded")) {
  const { benchEmbeddedDemo } = await import("./bench_embedded.ts");
  await benchEmbeddedDemo();
  Deno.exit(0);
}

const EVENTS = Number(Deno.env.get("BENCH_EVENTS") ?? 10_000_000);
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 15);
// One raw pass over a year of 10M events takes seconds per query: fewer runs by default there.
const BIG = EVENTS > 2_000_000;
const RAW_RUNS = Number(Deno.env.get("BENCH_RAW_RUNS") ?? (BIG ? 1 : 5));
const HOURLY_RUNS = Number(Deno.env.get("BENCH_HOURLY_RUNS") ?? (BIG ? 3 : RUNS));

const { db, sql, drop } = await benchDatabase();

try {
  const { tenant, siteId } = await loadBenchSite(sql, EVENTS);
  const site = tenant.site;
  type Q = { name: string; run: (opts: StatsOptions, period: string) => Promise<unknown> };
  const panel = (d: Dimension, sort?: "revenue"): Q => ({
    name: `breakdown ${d}${sort ? " by revenue" : ""}`,
    run: (opts, period) =>
      breakdown(
        sql,
        site,
        checkQuery({
          period,
          dimension: d,
          // As the dashboard's panels ask (loadPanel): every metric the breakdown has.
          metrics: metricsFor(d),
          limit: 10,
          sort: sort ? { metric: sort, direction: "desc" } : undefined,
        }),
        opts,
      ),
  });
  const queries: Q[] = [
    {
      name: "cards (+ previous period)",
      run: (opts, period) => aggregate(sql, site, checkQuery({ period }), opts),
    },
    {
      name: "chart",
      run: (opts, period) => timeseries(sql, site, checkQuery({ period, dimension: "time" }), opts),
    },
    panel("channel"),
    panel("source", "revenue"),
    panel("campaign"),
    panel("page"),
    panel("entry_page"),
    panel("country"),
    panel("city"),
    panel("device"),
    panel("browser"),
    panel("goal"),
  ];

  const fmt = (ms: number) => ms.toFixed(1).padStart(8);
  await calibrate(sql);
  console.log(
    `${RUNS} runs per query as the dashboard asks, after one warm-up; ${HOURLY_RUNS} from the ` +
      `hourly rollups only and ${RAW_RUNS} forced onto the raw tables` +
      `${BIG ? ", without warm-up" : ", after one"} (0 runs: skipped)`,
  );
  for (const period of ["30d", "12mo"]) {
    console.log(
      `\n${
        period === "30d" ? "Last 30 days" : "Last 12 months"
      }    daily p50    p95 | hourly p50    p95 |    raw p50    p95 | hourly/daily (p50)`,
    );
    for (const q of queries) {
      const slow = async (n: number, opts: StatsOptions) =>
        n ? await time(n, () => q.run(opts, period), !BIG) : [NaN];
      const daily = await time(RUNS, () => q.run({}, period));
      const hourly = await slow(HOURLY_RUNS, { hourly: true });
      const raw = await slow(RAW_RUNS, { raw: true });
      const both = (xs: number[]) => `${fmt(pct(xs, 50))}${fmt(pct(xs, 95))}`;
      console.log(
        `  ${q.name.padEnd(27)}${both(daily)} |${both(hourly)} |${both(raw)} | ${
          (pct(hourly, 50) / pct(daily, 50)).toFixed(1)
        }×`,
      );
    }
  }

  // The whole page, as a browser asks for it.
  const dataDir = await Deno.makeTempDir({ prefix: "sextant-bench-" });
  const config = await loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    SECRET_KEY: "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    SEXTANT_DEMO: "off",
    LOG_LEVEL: "error",
  });
  const running = await startSextant(config, { log: silentLogger, db, jobs: false });
  try {
    console.log("\nFull dashboard HTML (GET /sites/:id, all cards, chart and panels rendered)");
    for (const period of ["30d", "12mo"]) {
      const get = async () => {
        const res = await fetch(`${running.url}/sites/${siteId}?period=${period}`, {
          headers: { cookie: tenant.cookie },
        });
        if (res.status !== 200) throw new Error(`dashboard answered ${res.status}`);
        await res.text();
      };
      const ms = await time(RUNS, get);
      console.log(`  ${period.padEnd(27)}${fmt(pct(ms, 50))}${fmt(pct(ms, 95))}   (ms, p50 p95)`);
    }
  } finally {
    await running.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
} finally {
  await drop();
}
