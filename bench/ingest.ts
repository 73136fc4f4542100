/**
 * `deno task bench:ingest`: drives POST /api/collect over loopback with wrk (autocannon when wrk
 * is not installed; see bench/wrk.ts) and realistic tracker bodies, against a server PostgreSQL
 * database, then prints events/s sustained, p50/p99 latency, accepted vs stored, where the
 * machine's CPU went (Sextant, PostgreSQL, the load generator) per event, and the rows/s of a
 * plain COPY of the same rows into a table like `events` as the ceiling. It prints; it never
 * asserts on time.
 *
 * Environment: BENCH_DATABASE_URL (default TEST_DATABASE_URL, else local PostgreSQL),
 * BENCH_SECONDS (15), BENCH_CONNECTIONS (50), BENCH_BUS (memory | redis, at BENCH_REDIS_URL,
 * default TEST_REDIS_URL, else local Redis), BENCH_LOAD (wrk | autocannon), BENCH_CPU_PROFILE
 * (a file for Sextant's CPU profile over the collect run).
 */
import { startTestApp } from "../testing/app.ts";
import { createTestDatabase } from "../testing/db.ts";
import { createTestSite } from "../ingest/test_support.ts";
import { ingestorFor } from "../ingest/ingestor.ts";
import { INGEST_QUEUE } from "../ingest/ingestor.ts";
import { collectRequests } from "./bodies.ts";
import process from "node:process";
import postgres from "postgres";
import { hasWrk, type LoadRequest, runLoad } from "./wrk.ts";

const env = (k: string, d: string) => Deno.env.get(k) || d;
if (!Deno.env.get("TEST_DATABASE_URL")) {
  Deno.env.set(
    "TEST_DATABASE_URL",
    env("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
  );
}
if (!Deno.env.get("TEST_REDIS_URL")) {
  Deno.env.set("TEST_REDIS_URL", env("BENCH_REDIS_URL", "redis://127.0.0.1:6379"));
}
const seconds = Number(env("BENCH_SECONDS", "15"));
const connections = Number(env("BENCH_CONNECTIONS", "50"));
const busKind = env("BENCH_BUS", "memory") as "memory" | "redis";
const generator = env("BENCH_LOAD", await hasWrk() ? "wrk" : "autocannon") as
  | "wrk"
  | "autocannon";

async function copyCeiling(sql: import("../db/connect.ts").Sql, url: string) {
  await sql`create table bench_copy (like events including all)`;
  const chunks: Uint8Array[] = [];
  // A client of its own for the dump: postgres.js can leave a connection's socket paused after
  // COPY … TO STDOUT, and the next query on it would never hear its answer.
  const dump = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const readable = await dump`copy (select * from events) to stdout`.readable();
    for await (const chunk of readable) chunks.push(chunk as Uint8Array);
  } finally {
    await dump.end({ timeout: 1 });
  }
  const [{ n }] = await sql`select count(*)::int as n from events`;
  const t0 = performance.now();
  const writable = await sql`copy bench_copy from stdin`.writable();
  await new Promise<void>((resolve, reject) => {
    writable.on("error", reject);
    writable.on("finish", () => resolve());
    for (const c of chunks) writable.write(c);
    writable.end();
  });
  const s = (performance.now() - t0) / 1000;
  return { rows: n as number, seconds: s, rowsPerSecond: n / s };
}

/**
 * With BENCH_CPU_PROFILE=file, records Sextant's JavaScript CPU profile over the collect run
 * (open it in Chrome DevTools' Performance panel).
 */
async function startProfile(): Promise<{ stop(): Promise<void> }> {
  const file = Deno.env.get("BENCH_CPU_PROFILE");
  if (!file) return { stop: async () => {} };
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, (e: Error | null, r: unknown) => e ? reject(e) : resolve(r))
    );
  await post("Profiler.enable");
  await post("Profiler.start");
  return {
    async stop() {
      const { profile } = await post("Profiler.stop") as { profile: unknown };
      await Deno.writeTextFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/**
 * CPU time (ms) used so far by every local PostgreSQL process, read from /proc; null where that
 * cannot be read (another OS, a remote server). Backends live as long as their pooled
 * connection, so the difference over a run is PostgreSQL's share of it.
 */
async function postgresCpuMs(): Promise<number | null> {
  try {
    let ticks = 0;
    for await (const entry of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
      const close = stat.lastIndexOf(")");
      if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("postgres")) continue;
      const fields = stat.slice(close + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    }
    return ticks * 10; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

const db = await createTestDatabase("server");
const app = await startTestApp({
  db,
  bus: busKind,
  env: { COLLECT_RATE_LIMIT: "0", TRUST_PROXY: "1", LOG_LEVEL: "error" },
});
try {
  const site = await createTestSite(db.sql, {}, "bench.example");
  const requests: LoadRequest[] = collectRequests(site.public_id, "bench.example", 4000);
  const load = (url: string) => runLoad(generator, { url, seconds, connections, requests });
  console.log(
    `bench:ingest — ${seconds} s, ${connections} connections, load generator ${generator}, ` +
      `bus ${busKind}, server PostgreSQL`,
  );
  // The floor under everything: a bare Deno.serve handler that parses the same JSON and
  // answers 202, loaded the same way in the same run. Collect is compared against it.
  const bare = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    JSON.parse(await req.text());
    return Response.json({ accepted: 1 }, { status: 202 });
  });
  const bareCpu0 = process.cpuUsage();
  const floor = await load(`http://127.0.0.1:${bare.addr.port}`);
  const bareCpu = process.cpuUsage(bareCpu0);
  await bare.shutdown();

  const profile = await startProfile();
  const pg0 = await postgresCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await load(app.url);
  const loadSeconds = (performance.now() - t0) / 1000;
  const ingestor = ingestorFor(app.ctx);
  const accepted = ingestor.totals.accepted;
  const drainStart = performance.now();
  while ((await app.ctx.bus.depth(INGEST_QUEUE)) > 0) {
    if (performance.now() - drainStart > 120_000) {
      throw new Error("the writer did not drain in 2 min");
    }
    await new Promise((s) => setTimeout(s, 50));
  }
  const drainSeconds = (performance.now() - drainStart) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const pg1 = await postgresCpuMs();
  await profile.stop();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const [{ stored }] = await db.sql`select count(*)::int as stored from events`;
  const [{ sessions }] = await db.sql`select count(*)::int as sessions from sessions`;
  const copy = await copyCeiling(db.sql, db.url!);
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const eventsPerSecond = accepted / r.seconds;
  console.log(
    `requests            ${fmt(r.requests)} (${
      fmt(r.rps)
    }/s), non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}`,
  );
  console.log(`events accepted     ${fmt(accepted)} → ${fmt(eventsPerSecond)} events/s sustained`);
  console.log(
    `latency             p50 ${r.p50} ms, p90 ${r.p90} ms, p99 ${r.p99} ms, max ${r.max} ms`,
  );
  console.log(
    `events stored       ${fmt(stored)} (${
      stored === accepted ? "equal to accepted: zero loss" : `LOST ${accepted - stored}`
    }), ${fmt(sessions)} sessions`,
  );
  console.log(
    `writer backlog      drained ${drainSeconds.toFixed(1)} s after the load ended (load ran ${
      loadSeconds.toFixed(1)
    } s)`,
  );
  console.log(
    `write throughput    ${fmt(stored / (r.seconds + drainSeconds))} events/s end to end`,
  );
  console.log(
    `server CPU          ${(cpuMs * 1000 / Math.max(1, accepted)).toFixed(0)} µs per event ` +
      `(HTTP, pipeline and writer; PostgreSQL not included) → ` +
      `${fmt(accepted / (cpuMs / 1000))} events/s per busy core`,
  );
  const perEvent = (ms: number) => `${(ms * 1000 / Math.max(1, accepted)).toFixed(0)} µs`;
  console.log(
    `CPU per event       Sextant ${perEvent(cpuMs)}, PostgreSQL ${
      pg0 === null || pg1 === null ? "n/a" : perEvent(pg1 - pg0)
    }, load generator ${perEvent(r.cpuMs)}; the machine has ${
      perEvent(navigator.hardwareConcurrency * r.seconds * 1000)
    } (${navigator.hardwareConcurrency} cores × ${r.seconds.toFixed(1)} s)`,
  );
  console.log(
    `machine load        ${
      Deno.loadavg().map((l) => l.toFixed(1)).join(" ")
    } (1/5/15 min) on ${navigator.hardwareConcurrency} cores`,
  );
  console.log(
    `bare handler        ${fmt(floor.rps)} req/s, p99 ${floor.p99} ms, ${
      ((bareCpu.user + bareCpu.system) / floor.requests).toFixed(0)
    } µs CPU per request (JSON parse + 202, same load) ` +
      `→ collect runs at ${(r.rps / floor.rps * 100).toFixed(0)}% of it`,
  );
  console.log(
    `COPY ceiling        ${fmt(copy.rowsPerSecond)} rows/s (${fmt(copy.rows)} rows in ${
      copy.seconds.toFixed(2)
    } s)`,
  );
  console.log(
    `ratio               collect sustains ${
      (eventsPerSecond / copy.rowsPerSecond * 100).toFixed(0)
    }% of the COPY ceiling`,
  );
} finally {
  await app.stop();
  await db.close();
}
