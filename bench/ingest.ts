/**
 * `deno task bench:ingest`: drives POST /api/collect over loopback with wrk (autocannon when wrk
 * is not installed; see bench/wrk.ts) and realistic tracker bodies, against a server PostgreSQL
 * database, once per ingest queue — in-process, then Redis (Stream + consumer group) — each on a
 * fresh database, and prints them side by side: events/s sustained, p50/p99 latency, accepted vs
 * stored, writer transactions, where the machine's CPU went (Sextant, PostgreSQL — the bench
 * database's backends only — Redis, the load generator) per event, and
 * Redis as a share of in-process. Then the rows/s of a plain COPY of the same rows into a table
 * like `events` as the ceiling. It prints; it never asserts on time.
 *
 * Environment: BENCH_DATABASE_URL (default TEST_DATABASE_URL, else local PostgreSQL),
 * BENCH_SECONDS (15), BENCH_CONNECTIONS (50), BENCH_BUS (memory,redis: the queues to run, in
 * order; Redis at BENCH_REDIS_URL, default TEST_REDIS_URL, else local Redis), BENCH_LOAD
 * (wrk | autocannon), BENCH_CPU_PROFILE (a file for Sextant's CPU profile over the collect runs).
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
type Bus = "memory" | "redis";
const buses = env("BENCH_BUS", "memory,redis").split(",").map((b) => b.trim()) as Bus[];
if (buses.some((b) => b !== "memory" && b !== "redis")) {
  throw new Error(`BENCH_BUS lists queues to run: memory, redis (got ${buses.join(",")})`);
}
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
 * With BENCH_CPU_PROFILE=file, records Sextant's JavaScript CPU profile over a collect run, one
 * file per queue when there are several (open it in Chrome DevTools' Performance panel).
 */
async function startProfile(bus: Bus): Promise<{ stop(): Promise<void> }> {
  const base = Deno.env.get("BENCH_CPU_PROFILE");
  const file = base && buses.length > 1 ? base.replace(/(\.cpuprofile)?$/, `-${bus}$1`) : base;
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
 * CPU time (ms) used so far by every local process whose name starts with `name` (postgres,
 * redis-server) and, given `title`, whose command line (a PostgreSQL backend's title names its
 * database) contains it; read from /proc, null where that cannot be read (another OS, a remote
 * server). Backends live as long as their pooled connection, so the difference over a run is
 * the bench database's share of it, without other databases' work on a shared server.
 */
async function processCpuMs(name: string, title?: string): Promise<number | null> {
  try {
    let ticks = 0;
    for await (const entry of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
      const close = stat.lastIndexOf(")");
      if (!stat.slice(stat.indexOf("(") + 1, close).startsWith(name)) continue;
      if (title) {
        const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
        if (!cmdline.includes(title)) continue;
      }
      const fields = stat.slice(close + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    }
    return ticks * 10; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** What one collect run measured. */
interface Run {
  bus: Bus;
  load: Awaited<ReturnType<typeof runLoad>>;
  loadSeconds: number;
  accepted: number;
  /** Accepted by the time the queue was empty, requests finishing after the load included. */
  acceptedAll: number;
  stored: number;
  sessions: number;
  drainSeconds: number;
  cpuMs: number;
  pgMs: number | null;
  redisMs: number | null;
  /** Writer transactions and the queue entries (requests) they stored. */
  written: { transactions: number; entries: number };
  /** The COPY ceiling on this run's rows, when asked for. */
  copy: Awaited<ReturnType<typeof copyCeiling>> | null;
}

/** One collect run against a fresh database with the given ingest queue. */
async function collectRun(bus: Bus, measureCopy: boolean): Promise<Run> {
  const db = await createTestDatabase("server");
  const app = await startTestApp({
    db,
    bus,
    env: { COLLECT_RATE_LIMIT: "0", TRUST_PROXY: "1", LOG_LEVEL: "error" },
  });
  try {
    const site = await createTestSite(db.sql, {}, "bench.example");
    const requests: LoadRequest[] = collectRequests(site.public_id, "bench.example", 4000);
    const profile = await startProfile(bus);
    const dbName = ` ${new URL(db.url!).pathname.slice(1)} `;
    const pg0 = await processCpuMs("postgres", dbName);
    const redis0 = await processCpuMs("redis-server");
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const load = await runLoad(generator, { url: app.url, seconds, connections, requests });
    const loadSeconds = (performance.now() - t0) / 1000;

    const accepted = ingestorFor(app.ctx).totals.accepted;
    const drainStart = performance.now();
    // Requests the generator gave up on at the end may still be accepted after it stopped: they
    // count as accepted for the loss check, not for the rate.
    let drainSeconds = 0;
    let acceptedAll = -1;
    while (acceptedAll !== ingestorFor(app.ctx).totals.accepted) {
      acceptedAll = ingestorFor(app.ctx).totals.accepted;
      while ((await app.ctx.bus.depth(INGEST_QUEUE)) > 0) {
        if (performance.now() - drainStart > 120_000) {
          throw new Error(`the writer did not drain in 2 min (${bus})`);
        }
        await new Promise((s) => setTimeout(s, 50));
      }
      drainSeconds ||= (performance.now() - drainStart) / 1000;
      await new Promise((s) => setTimeout(s, 200));
    }
    const cpu = process.cpuUsage(cpu0);
    const pg1 = await processCpuMs("postgres", dbName);
    const redis1 = await processCpuMs("redis-server");
    await profile.stop();
    const [{ stored }] = await db.sql`select count(*)::int as stored from events`;
    const [{ sessions }] = await db.sql`select count(*)::int as sessions from sessions`;
    const copy = measureCopy ? await copyCeiling(db.sql, db.url!) : null;
    return {
      bus,
      load,
      loadSeconds,
      accepted,
      acceptedAll,
      stored,
      sessions,
      drainSeconds,
      cpuMs: (cpu.user + cpu.system) / 1000,
      pgMs: pg0 === null || pg1 === null ? null : pg1 - pg0,
      redisMs: redis0 === null || redis1 === null ? null : redis1 - redis0,
      written: { ...ingestorFor(app.ctx).written },
      copy,
    };
  } finally {
    await app.stop();
    await db.close();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const label = (bus: Bus) => bus === "memory" ? "in-process" : "Redis";

console.log(
  `bench:ingest — ${seconds} s, ${connections} connections, load generator ${generator}, ` +
    `queues ${buses.map(label).join(" and ")}, server PostgreSQL`,
);
// The floor under everything: a bare Deno.serve handler that parses the same JSON and answers
// 202, loaded the same way in the same run. Collect is compared against it.
const bare = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
  JSON.parse(await req.text());
  return Response.json({ accepted: 1 }, { status: 202 });
});
const bareCpu0 = process.cpuUsage();
const floor = await runLoad(generator, {
  url: `http://127.0.0.1:${bare.addr.port}`,
  seconds,
  connections,
  requests: collectRequests("floor", "bench.example", 4000),
});
const bareCpu = process.cpuUsage(bareCpu0);
await bare.shutdown();

const runs: Run[] = [];
for (const [i, bus] of buses.entries()) runs.push(await collectRun(bus, i === buses.length - 1));

const rate = (r: Run) => r.accepted / r.load.seconds;
const perEvent = (r: Run, ms: number | null) =>
  ms === null ? "n/a" : `${(ms * 1000 / Math.max(1, r.accepted)).toFixed(0)} µs`;
const rows: Array<[string, (r: Run) => string]> = [
  ["requests", (r) => `${fmt(r.load.requests)} (${fmt(r.load.rps)}/s)`],
  ["non-2xx/errors/timeouts", (r) => `${r.load.non2xx}/${r.load.errors}/${r.load.timeouts}`],
  ["events accepted", (r) => fmt(r.accepted)],
  ["events/s sustained", (r) => fmt(rate(r))],
  ["latency p50/p99", (r) => `${r.load.p50}/${r.load.p99} ms`],
  ["latency max", (r) => `${r.load.max} ms`],
  [
    "events stored",
    (r) =>
      `${fmt(r.stored)} ${
        r.stored === r.acceptedAll
          ? "(zero loss)"
          : `(${r.acceptedAll} accepted in all: ${r.acceptedAll - r.stored} LOST)`
      }`,
  ],
  ["sessions", (r) => fmt(r.sessions)],
  [
    "writer transactions",
    (r) =>
      `${fmt(r.written.transactions)} (${
        (r.stored / Math.max(1, r.written.transactions)).toFixed(0)
      } events each)`,
  ],
  [
    "backlog drained after",
    (r) => `${r.drainSeconds.toFixed(1)} s (load ${r.loadSeconds.toFixed(1)} s)`,
  ],
  ["end to end", (r) => `${fmt(r.stored / (r.load.seconds + r.drainSeconds))} events/s`],
  ["CPU/event Sextant", (r) => perEvent(r, r.cpuMs)],
  ["CPU/event PostgreSQL", (r) => perEvent(r, r.pgMs)],
  ["CPU/event Redis", (r) => perEvent(r, r.redisMs)],
  ["CPU/event load generator", (r) => perEvent(r, r.load.cpuMs)],
];
const width = 26;
const col = 30;
console.log(
  "".padEnd(width) + runs.map((r) => label(r.bus).padEnd(col)).join(""),
);
for (const [name, value] of rows) {
  console.log(name.padEnd(width) + runs.map((r) => value(r).padEnd(col)).join(""));
}
const memory = runs.find((r) => r.bus === "memory");
const redis = runs.find((r) => r.bus === "redis");
if (memory && redis) {
  console.log(
    `Redis vs in-process       ${(rate(redis) / rate(memory) * 100).toFixed(0)}% of the events/s`,
  );
}
console.log(
  `machine load              ${
    Deno.loadavg().map((l) => l.toFixed(1)).join(" ")
  } (1/5/15 min) on ${navigator.hardwareConcurrency} cores; each run has ${
    fmt(navigator.hardwareConcurrency * seconds * 1000)
  } ms of CPU (cores × seconds)`,
);
console.log(
  `bare handler              ${fmt(floor.rps)} req/s, p99 ${floor.p99} ms, ${
    ((bareCpu.user + bareCpu.system) / floor.requests).toFixed(0)
  } µs CPU per request (JSON parse + 202, same load)`,
);
const copy = runs[runs.length - 1].copy!;
console.log(
  `COPY ceiling              ${fmt(copy.rowsPerSecond)} rows/s (${fmt(copy.rows)} rows in ${
    copy.seconds.toFixed(2)
  } s)`,
);
