/**
 * `deno task bench:alerts:db`: the alert bench's simulated sites, written as rollup rows
 * (visitors_hourly, revenue_hourly) into a real PostgreSQL database, and judged by the live
 * evaluator (evaluateSite: rules from the database, incidents, suppression, cooldown) every
 * BENCH_TICK_MIN simulated minutes (default 5), the current hour holding what has arrived so
 * far. Slower than `bench:alerts`, which feeds the same detectors from memory: one site per shape
 * unless BENCH_SITES says more, every shape unless BENCH_SHAPES names some. Needs
 * TEST_DATABASE_URL.
 */
import { HOUR_MS } from "../alerts/series.ts";
import { evaluateSite } from "../alerts/evaluate.ts";
import { listRules } from "../alerts/rules.ts";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { createSiteWithOwner } from "../testing/journeys.ts";
import { report, score, SHAPES, simulate, type Simulation } from "./alerts.ts";

const TICK_MS = Number(Deno.env.get("BENCH_TICK_MIN") ?? 5) * 60_000;
const SITES = Number(Deno.env.get("BENCH_SITES") ?? 1);
/** Which shapes to run ("tiny,medium"): a large site takes long at a 5-minute tick. */
const ONLY = (Deno.env.get("BENCH_SHAPES") ?? "").split(",").filter(Boolean);

/** Writes hour `i` of the simulation as it stands `part` (0–1] of the way through. */
async function writeHour(app: TestApp, siteId: number, sim: Simulation, i: number, part: number) {
  const sql = app.db.sql;
  const bucket = new Date(sim.start + i * HOUR_MS);
  const cut = (v: number) => (part < 1 ? Math.floor(v * part) : v);
  const [visitors, pageviews, events, purchases, revenue] = sim.data.map((d) => cut(d[i]));
  await sql`delete from visitors_hourly where site_id = ${siteId} and bucket = ${bucket}`;
  // One row per visitor, as the rollup holds them; page views and events spread over them.
  await sql`
    insert into visitors_hourly (site_id, bucket, visitor_key, pageviews, events)
    select ${siteId}, ${bucket}, k,
      ${Math.floor(pageviews / Math.max(visitors, 1))} +
        (case when k <= ${pageviews % Math.max(visitors, 1)} then 1 else 0 end),
      ${Math.floor(events / Math.max(visitors, 1))} +
        (case when k <= ${events % Math.max(visitors, 1)} then 1 else 0 end)
    from generate_series(1, ${visitors}) as k`;
  await sql`delete from revenue_hourly where site_id = ${siteId} and bucket = ${bucket}`;
  if (purchases > 0) {
    await sql`
      insert into revenue_hourly (site_id, bucket, kind, purchases, amount_site_minor)
      values (${siteId}, ${bucket}, 'one_time', ${purchases}, ${revenue})`;
  }
}

async function runSite(app: TestApp, sim: Simulation) {
  const sql = app.db.sql;
  const { site } = await createSiteWithOwner(sql);
  await sql`update sites set first_event_at = ${new Date(sim.start)} where id = ${site.id}`;
  const firstEval = (sim.evalFrom - sim.start) / HOUR_MS;
  for (let i = 0; i < firstEval; i++) await writeHour(app, site.id, sim, i, 1);
  const rules = new Map<number, string>();
  const opened: { kind: string; at: number }[] = [];
  let evaluations = 0;
  const t0 = performance.now();
  for (let now = sim.evalFrom; now < sim.start + sim.hours * HOUR_MS; now += TICK_MS) {
    const i = Math.floor((now - sim.start) / HOUR_MS);
    const part = (now - (sim.start + i * HOUR_MS)) / HOUR_MS;
    // The hour just completed gets its last rows; the current one holds what came so far.
    if (part < TICK_MS / HOUR_MS && i > 0) await writeHour(app, site.id, sim, i - 1, 1);
    await writeHour(app, site.id, sim, i, Math.max(part, 1e-9));
    const outcomes = await evaluateSite(app.ctx, site.id, new Date(now));
    evaluations++;
    if (rules.size === 0) {
      for (const r of await listRules(sql, site.id)) rules.set(r.id, r.kind);
    }
    for (const [id, o] of Object.entries(outcomes)) {
      if (o === "opened") opened.push({ kind: rules.get(Number(id))!, at: now });
    }
  }
  return { ...score(sim, opened), ms: (performance.now() - t0) / evaluations };
}

const app = await startTestApp({ dbMode: "server" });
try {
  console.log(
    `bench:alerts:db — rollup rows in PostgreSQL, evaluateSite every ${
      TICK_MS / 60_000
    } simulated minutes over the last 4 of 8 weeks, ${SITES} site(s) per shape, load average ${
      Deno.loadavg().map((l) => l.toFixed(2)).join(" ")
    }`,
  );
  for (const shape of SHAPES.filter((s) => ONLY.length === 0 || ONLY.includes(s.name))) {
    const runs = [];
    for (let s = 1; s <= SITES; s++) {
      runs.push(await runSite(app, simulate(shape, s * 7919 + shape.peak)));
    }
    report(shape, runs);
    console.log(
      `  ${(runs.reduce((a, r) => a + r.ms, 0) / runs.length).toFixed(1)} ms per evaluation, ` +
        `load average ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    );
  }
} finally {
  await app.stop();
}
