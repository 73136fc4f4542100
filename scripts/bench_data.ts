/**
 * What the query benchmarks share: a throwaway database on the server, a big site loaded by
 * COPY (BENCH_EVENTS events over thirteen months, with visits, purchases and credits, indexes
 * built once at the end, rollups brought up to date), and p50/p95 timing with a calibration.
 */
import postgres from "postgres";
import { Writable } from "node:stream";
import { type Database, openDatabase, type Sql } from "../db/connect.ts";
import { migrate } from "../db/migrate.ts";
import { markSiteRollups, refreshRollups } from "../db/rollups.ts";
import { synthesizeVisits, type Visit } from "../testing/analytics_data.ts";
import { signedInTenant, type Tenant } from "../testing/tenants.ts";

/** Seconds since `start`, for progress lines. */
export const since = (start: number) => `${((performance.now() - start) / 1000).toFixed(1)} s`;

/** A new database on DATABASE_URL (or TEST_DATABASE_URL); `drop()` removes it (unless kept). */
export async function benchDatabase(): Promise<
  { db: Database; sql: Sql; name: string; drop: () => Promise<void> }
> {
  const url = Deno.env.get("DATABASE_URL") || Deno.env.get("TEST_DATABASE_URL");
  if (!url) {
    console.error(
      "Set DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server to benchmark on, " +
        "(bench:query --embedded times the demo dashboard on the embedded database instead).",
    );
    Deno.exit(1);
  }
  const name = `sextant_bench_${crypto.randomUUID().slice(0, 8)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await openDatabase({ url: u.toString(), max: 10 });
  return {
    db,
    sql: db.sql,
    name,
    async drop() {
      await db.close().catch(() => {});
      if (Deno.env.get("BENCH_KEEP") !== "1") {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
      } else console.log(`kept database ${name}`);
      await admin.end();
    },
  };
}

function csvValue(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  return /[",\n\r]/.test(s) || s === "" ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A COPY into `table` whose columns are the keys of the first row it is given. */
function copier(sql: Sql, table: string) {
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

/**
 * Migrates, creates a signed-in tenant and COPYs `events` events (~2.2 per visit) over thirteen
 * months ending now into its site, then builds indexes and rollups and analyzes.
 */
export async function loadBenchSite(
  sql: Sql,
  EVENTS: number,
): Promise<{ tenant: Tenant; siteId: number; events: number; sessions: number }> {
  const { timescale } = await migrate(sql);
  const tenant = await signedInTenant(sql, "bench.example", { timezone: "America/New_York" });
  const siteId = tenant.site.id;
  console.log(
    `database ${await currentName(sql)} (${
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
    // One COPY per table per batch keeps each statement's rollup bookkeeping small.
    const ev = copier(sql, "events");
    const se = copier(sql, "sessions");
    const pu = copier(sql, "purchases");
    const cr = copier(sql, "attribution_credits");
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
          since(started)
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
  console.log(`${indexes.length} indexes built in ${since(r0)}`);
  r0 = performance.now();
  // COPY goes around the writers, so the loaded hours are marked for the refresh here.
  await markSiteRollups(sql, siteId);
  await refreshRollups(sql);
  console.log(`rollups (hourly, then daily in the site's zone) built in ${since(r0)}`);
  r0 = performance.now();
  // What autovacuum does after a bulk load anyway; until then index-only scans visit the heap.
  await sql`vacuum analyze`;
  console.log(`vacuum analyze in ${since(r0)}`);
  const [sizes] = await sql`select
      (select count(*) from sessions_hourly)::int8 as sessions_hourly,
      (select count(*) from visitors_hourly)::int8 as visitors_hourly,
      (select count(*) from pages_hourly)::int8 as pages_hourly,
      (select count(*) from purchases)::int8 as purchases`;
  console.log(
    `rows: ${events.toLocaleString()} events, ${sessions.toLocaleString()} visits,`,
    sizes,
  );
  return { tenant, siteId, events, sessions };
}

async function currentName(sql: Sql): Promise<string> {
  const [row] = await sql`select current_database() as name`;
  return row.name;
}

/** The p-th percentile of some timings. */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** Runs `fn` n times (after one warm-up unless told not to); the times in ms. */
export async function time(n: number, fn: () => Promise<unknown>, warm = true): Promise<number[]> {
  if (warm) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    out.push(performance.now() - s);
  }
  return out;
}

/** The machine's 1, 5 and 15 minute load averages, to print beside figures. */
export function loadAverage(): string {
  return `load ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`;
}

/** A fixed CPU task on the database server: on a shared machine, read every figure against it. */
export async function calibrate(sql: Sql): Promise<void> {
  const cal = await time(3, () => sql`select count(*) from generate_series(1, 1000000)`);
  console.log(
    `\ncalibration: count(*) over generate_series(1, 1e6) takes ${
      pct(cal, 50).toFixed(0)
    } ms here (an idle 2-core box: ~70 ms), ${loadAverage()}`,
  );
}
