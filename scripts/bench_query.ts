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
 */
import postgres from "postgres";
import { Writable } from "node:stream";
import { loadConfig } from "../config.ts";
import { startSextant } from "../boot.ts";
import { silentLogger } from "../lib/log.ts";
import { openDatabase } from "../db/connect.ts";
import { migrate } from "../db/migrate.ts";
import { markSiteRollups, refreshRollups } from "../db/rollups.ts";
import { synthesizeVisits, type Visit } from "../testing/analytics_data.ts";
import { signedInTenant } from "../testing/tenants.ts";
import { aggregate, breakdown, type StatsOptions, timeseries } from "../analytics/stats.ts";
import { checkQuery } from "../analytics/query.ts";
import type { Dimension } from "../analytics/dimensions.ts";

const url = Deno.env.get("DATABASE_URL") || Deno.env.get("TEST_DATABASE_URL");
if (!url) {
  console.error("Set DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server to benchmark on.");
  Deno.exit(1);
}
const EVENTS = Number(Deno.env.get("BENCH_EVENTS") ?? 10_000_000);
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 15);
// One raw pass over a year of 10M events takes seconds per query: fewer runs by default there.
const BIG = EVENTS > 2_000_000;
const RAW_RUNS = Number(Deno.env.get("BENCH_RAW_RUNS") ?? (BIG ? 1 : 5));
const HOURLY_RUNS = Number(Deno.env.get("BENCH_HOURLY_RUNS") ?? (BIG ? 3 : RUNS));

const name = `sextant_bench_${crypto.randomUUID().slice(0, 8)}`;
const admin = postgres(url, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database "${name}"`);
const u = new URL(url);
u.pathname = `/${name}`;
const db = await openDatabase({ url: u.toString(), max: 10 });
const sql = db.sql;

const t = (start: number) => `${((performance.now() - start) / 1000).toFixed(1)} s`;

function csvValue(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  return /[",\n\r]/.test(s) || s === "" ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A COPY into `table` whose columns are the keys of the first row it is given. */
function copier(table: string) {
  let stream: Writable | undefined;
  let columns: string[] = [];
  let buf: string[] = [];
  let rows = 0;
  const flush = async () => {
    if (!buf.length || !stream) return;
    const chunk = buf.join("");
    buf = [];
    if (!stream.write(chunk)) await new Promise((r) => stream!.once("drain", r));
  };
  return {
    async add(row: object) {
      if (!stream) {
        columns = Object.keys(row);
        stream = await sql.unsafe(
          `copy ${table} (${columns.join(",")}) from stdin with (format csv)`,
        ).writable() as Writable;
      }
      const r = row as Record<string, unknown>;
      buf.push(columns.map((c) => csvValue(r[c])).join(",") + "\n");
      rows++;
      if (buf.length >= 5000) await flush();
    },
    async end() {
      if (!stream) return 0;
      await flush();
      const s = stream;
      await new Promise<void>((resolve, reject) => {
        s.once("finish", resolve);
        s.once("error", reject);
        s.end();
      });
      return rows;
    },
  };
}

try {
  const { timescale } = await migrate(sql);
  const tenant = await signedInTenant(sql, "bench.example", { timezone: "America/New_York" });
  const siteId = tenant.site.id;
  console.log(
    `database ${name} (${
      timescale ? "TimescaleDB" : "plain PostgreSQL"
    }); generating ${EVENTS.toLocaleString()} events…`,
  );

  // A bulk load builds each index once at the end instead of updating it row by row: with
  // visits spread at random over 13 months, 10M row-by-row inserts into the events indexes never
  // finish on a small box. Constraint indexes stay (they are few and needed for nothing here).
  const tables = ["events", "sessions", "purchases", "attribution_credits"];
  const indexes = await sql<{ name: string; def: string }[]>`
    select i.indexname as name, i.indexdef as def from pg_indexes i
    where i.schemaname = current_schema() and i.tablename in ${sql(tables)}
      and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`;
  for (const ix of indexes) await sql.unsafe(`drop index "${ix.name}"`);

  // ~2.2 events per visit (generation stops at EVENTS); visits spread over 13 months ending now.
  const visits = Math.ceil(EVENTS / 2);
  const to = new Date();
  const from = new Date(to.getTime() - 395 * 86_400_000);
  const started = performance.now();
  let events = 0;
  let sessions = 0;
  const batchVisits = 100_000;
  const gen = synthesizeVisits({
    siteId,
    from,
    to,
    visits,
    visitors: Math.round(visits * 0.7),
    seed: 2026,
    buyRate: 0.01,
  });
  let done = false;
  while (!done && events < EVENTS) {
    // One COPY per table per batch keeps each statement, and the memory it holds, small.
    const ev = copier("events");
    const se = copier("sessions");
    const pu = copier("purchases");
    const cr = copier("attribution_credits");
    for (let i = 0; i < batchVisits; i++) {
      const next = gen.next();
      if (next.done) {
        done = true;
        break;
      }
      const v: Visit = next.value;
      if (events >= EVENTS) {
        done = true;
        break;
      }
      for (const e of v.events) await ev.add(e);
      await se.add(v.session);
      for (const p of v.purchases) await pu.add(p);
      for (const c of v.credits) await cr.add(c);
      events += v.events.length;
      sessions++;
    }
    await Promise.all([ev.end(), se.end(), pu.end(), cr.end()]);
    await Deno.stdout.write(
      new TextEncoder().encode(
        `\r  ${events.toLocaleString()} events, ${sessions.toLocaleString()} visits (${
          t(started)
        })`,
      ),
    );
  }
  const loadSeconds = (performance.now() - started) / 1000;
  console.log(
    `\nloaded in ${loadSeconds.toFixed(1)} s (${
      Math.round(events / loadSeconds).toLocaleString()
    } events/s incl. generation)`,
  );
  let r0 = performance.now();
  for (const ix of indexes) await sql.unsafe(ix.def);
  console.log(`${indexes.length} indexes built in ${t(r0)}`);
  r0 = performance.now();
  // COPY goes around the writers, so the loaded hours are marked for the refresh here.
  await markSiteRollups(sql, siteId);
  await refreshRollups(sql);
  console.log(`rollups (hourly, then daily in the site's zone) built in ${t(r0)}`);
  r0 = performance.now();
  // What autovacuum does after a bulk load anyway; until then index-only scans visit the heap.
  await sql`vacuum analyze`;
  console.log(`vacuum analyze in ${t(r0)}`);
  const [sizes] = await sql`select
      (select count(*) from sessions_hourly)::int8 as sessions_hourly,
      (select count(*) from visitors_hourly)::int8 as visitors_hourly,
      (select count(*) from pages_hourly)::int8 as pages_hourly,
      (select count(*) from purchases)::int8 as purchases`;
  console.log(
    `rows: ${events.toLocaleString()} events, ${sessions.toLocaleString()} visits,`,
    sizes,
  );

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

  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  };
  const time = async (n: number, fn: () => Promise<unknown>, warm = true) => {
    if (warm) await fn();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await fn();
      out.push(performance.now() - s);
    }
    return out;
  };
  const fmt = (ms: number) => ms.toFixed(1).padStart(8);
  // A fixed CPU task on the database server: on a shared machine, read every figure against it.
  const cal = await time(3, () => sql`select count(*) from generate_series(1, 1000000)`);
  console.log(
    `\ncalibration: count(*) over generate_series(1, 1e6) takes ${
      pct(cal, 50).toFixed(0)
    } ms here (an idle 2-core box: ~70 ms)`,
  );
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
  await db.close().catch(() => {});
  if (Deno.env.get("BENCH_KEEP") !== "1") {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  } else console.log(`kept database ${name}`);
  await admin.end();
}
