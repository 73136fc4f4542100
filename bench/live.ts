/**
 * `deno task bench:live`: how long an event takes from the collect endpoint to a dashboard
 * watching live, over loopback, for both bus modes:
 * - memory: one instance; events posted to it, a Socket.IO viewer on it;
 * - redis: two instances sharing Redis and a database; events posted to A, the viewer on B.
 * Each event is one tracker request (POST /api/collect) sent at a steady rate; the viewer notes
 * when it arrives. Printed: p50/p95/p99/max of accepted → received (from the event's time, which
 * collect stamps on arrival, to the viewer; one clock, one machine), of request sent → received
 * (adds the client's side of the HTTP request) and of 202 answered → received (negative when the
 * live message beat the HTTP answer). Then the live page's weight
 * on the wire, as Chromium loads it at desktop width (globe) and at 375 px (flat map).
 * It prints; it never asserts on time.
 *
 * Environment: TEST_DATABASE_URL (default local PostgreSQL), TEST_REDIS_URL (default local Redis;
 * set it to "off" to skip redis mode), BENCH_LIVE_EVENTS (300), BENCH_LIVE_RATE (events/s, 50).
 */
import { startTestApp, type TestApp } from "../testing/app.ts";
import { createTestDatabase } from "../testing/db.ts";
import { testPrefix, testRedisUrl } from "../testing/bus.ts";
import { collect, connectViewer, createMember, IP_IN } from "../testing/live.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import type { LiveEvent } from "../realtime/messages.ts";
import { manifest } from "../http/assets.ts";

const env = (k: string, d: string) => Deno.env.get(k) || d;
if (!Deno.env.get("TEST_DATABASE_URL")) {
  Deno.env.set("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres");
}
if (!Deno.env.get("TEST_REDIS_URL")) Deno.env.set("TEST_REDIS_URL", "redis://127.0.0.1:6379");
if (Deno.env.get("TEST_REDIS_URL") === "off") Deno.env.delete("TEST_REDIS_URL");
const COUNT = Number(env("BENCH_LIVE_EVENTS", "300"));
const RATE = Number(env("BENCH_LIVE_RATE", "50"));
const appEnv = { TRUST_PROXY: "1", COLLECT_RATE_LIMIT: "0", LOG_LEVEL: "error" };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(label: string, values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(1).padStart(7);
  return `  ${label.padEnd(28)} p50 ${f(percentile(s, 50))} ms  p95 ${f(percentile(s, 95))} ms  ` +
    `p99 ${f(percentile(s, 99))} ms  max ${f(s.at(-1) ?? NaN)} ms`;
}

async function measure(poster: TestApp, watcher: TestApp, label: string): Promise<void> {
  const owner = await createMember(poster.db.sql, { domain: "bench-live.example" });
  const viewer = connectViewer(watcher.url, { siteId: owner.site.id, cookie: owner.cookie });
  await viewer.connected;
  const sent = new Map<string, number>();
  const answered = new Map<string, number>();
  const received = new Map<string, number>();
  const acceptedToReceived = new Map<string, number>();
  viewer.socket.on("live", (batch: LiveEvent[]) => {
    const t = performance.now();
    const wall = Date.now();
    for (const m of batch) {
      if (received.has(m.pathname)) continue;
      received.set(m.pathname, t);
      acceptedToReceived.set(m.pathname, wall - Date.parse(m.ts));
    }
  });
  const post = async (path: string) => {
    sent.set(path, performance.now());
    await collect(poster.url, owner.site, [{ t: "pageview", path }], { ip: IP_IN.GB });
    answered.set(path, performance.now());
  };
  // Warm up connections, caches and the JIT before measuring.
  await Promise.all(Array.from({ length: 20 }, (_, i) => post(`/warm/${i}`)));
  await new Promise((r) => setTimeout(r, 500));
  sent.clear();
  answered.clear();
  received.clear();
  acceptedToReceived.clear();

  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < COUNT; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(post(`/bench/${i}`));
  }
  await Promise.all(inFlight);
  const deadline = performance.now() + 5000;
  while (received.size < COUNT && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  viewer.close();

  const fromAccepted: number[] = [];
  const fromSent: number[] = [];
  const fromAnswer: number[] = [];
  for (const [path, t] of received) {
    if (!sent.has(path)) continue;
    fromAccepted.push(acceptedToReceived.get(path)!);
    fromSent.push(t - sent.get(path)!);
    fromAnswer.push(t - answered.get(path)!);
  }
  console.log(`${label}: ${received.size}/${COUNT} events received at ${RATE}/s`);
  console.log(summary("accepted → received", fromAccepted));
  console.log(summary("request sent → received", fromSent));
  console.log(summary("202 answered → received", fromAnswer));
}

async function memoryMode() {
  const app = await startTestApp({ bus: "memory", env: appEnv });
  try {
    await measure(app, app, "memory bus (one instance)");
  } finally {
    await app.stop();
  }
}

async function redisMode() {
  if (!testRedisUrl()) {
    console.log("redis bus: skipped (TEST_REDIS_URL=off)");
    return;
  }
  const db = await createTestDatabase();
  const busPrefix = testPrefix();
  const a = await startTestApp({ db, bus: "redis", busPrefix, env: appEnv });
  const b = await startTestApp({ db, bus: "redis", busPrefix, env: appEnv });
  try {
    await measure(a, b, "redis bus (posted to A, watched on B)");
  } finally {
    await a.stop();
    await b.stop();
    await db.close();
  }
}

/** Bytes on the wire (compressed as sent) for the live page at one width. */
async function pageWeight(app: TestApp, url: string, token: string, width: number) {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setCookie({ name: "sextant_session", value: token, url: app.url });
    await page.setViewport({ width, height: 900 });
    const cdp = await page.createCDPSession();
    await cdp.send("Network.enable");
    const byType = new Map<string, number>();
    const types = new Map<string, string>();
    cdp.on("Network.responseReceived", (e) => types.set(e.requestId, e.type));
    cdp.on("Network.loadingFinished", (e) => {
      const t = types.get(e.requestId) ?? "Other";
      byType.set(t, (byType.get(t) ?? 0) + e.encodedDataLength);
    });
    await page.goto(url, { waitUntil: "load" });
    await page.waitForSelector(".live-status.live", { timeout: 20_000 });
    // The globe loads after first paint; wait until it has drawn (or given way to the map).
    await page.waitForFunction(() => !document.querySelector(".globe-loading"), {
      timeout: 30_000,
    });
    await new Promise((r) => setTimeout(r, 1000));
    const map = await page.evaluate(() =>
      document.querySelector(".globe canvas") ? "globe" : "flat map"
    );
    if (map === "globe") {
      // MapLibre's worker fetches its script and the world outline; the page's network log
      // does not see a worker's requests, so count them as the server sends them (gzipped).
      const files = manifest().files;
      for (const file of [files["maplibre-worker"], files["world.geojson"]]) {
        const res = await fetch(new URL(file, app.url), { headers: { "accept-encoding": "gzip" } });
        await res.body?.cancel();
        byType.set(
          "Worker",
          (byType.get("Worker") ?? 0) + Number(res.headers.get("content-length")),
        );
      }
    }
    const total = [...byType.values()].reduce((a, b) => a + b, 0);
    const parts = [...byType].sort((a, b) => b[1] - a[1])
      .map(([t, n]) => `${t} ${(n / 1024).toFixed(0)} KB`).join(", ");
    console.log(
      `  ${String(width).padStart(4)} px (${map}): ${(total / 1024).toFixed(0)} KB — ${parts}`,
    );
  } finally {
    await browser.close();
  }
}

async function weights() {
  if (!hasChromium()) {
    console.log("page weight: skipped (no Chromium)");
    return;
  }
  const app = await startTestApp({ env: appEnv });
  try {
    const owner = await createMember(app.db.sql, { domain: "weight.example" });
    await collect(app.url, owner.site, [{ t: "pageview", path: "/" }], { ip: IP_IN.FR });
    const url = `${app.url}/sites/${owner.site.id}/live`;
    console.log("live page weight (transferred, compressed):");
    await pageWeight(app, url, owner.token, 1280);
    await pageWeight(app, url, owner.token, 375);
  } finally {
    await app.stop();
  }
}

console.log(`bench:live — ${COUNT} events per mode at ${RATE}/s over loopback\n`);
await memoryMode();
await redisMode();
console.log();
await weights();
