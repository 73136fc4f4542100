/**
 * `deno task bench:funnels`: how fast goals, funnels, paths and cohorts answer on a big site,
 * in server mode. Loads BENCH_EVENTS events (default 10 000 000) like bench:query, then prints
 * p50/p95 for a 4-step funnel over the last 30 days and 12 months (in one visit, and within 7
 * days per person), the goals panel with 10 goals, a paths query and a 12-month cohort grid.
 * Figures only; nothing asserts on time. BENCH_RUNS sets the runs (BENCH_KEEP=1 keeps the data).
 */
import { benchDatabase, calibrate, loadAverage, loadBenchSite, pct, time } from "./bench_data.ts";
import { checkQuery } from "../analytics/query.ts";
import { queryPeriod } from "../analytics/stats.ts";
import { createGoal, type Goal, goalStats, parseGoalInput } from "../analytics/goals.ts";
import { createFunnel, funnelResult, parseFunnelInput } from "../analytics/funnels.ts";
import { nextPages, pathsToGoal } from "../analytics/paths.ts";
import { cohortGrid } from "../analytics/cohorts.ts";

const EVENTS = Number(Deno.env.get("BENCH_EVENTS") ?? 10_000_000);
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? (EVENTS > 2_000_000 ? 5 : 15));

const { sql, drop } = await benchDatabase();
try {
  const { tenant, siteId } = await loadBenchSite(sql, EVENTS);
  const site = tenant.site;
  const goalInputs = [
    { name: "Pricing", kind: "page", path_pattern: "/pricing" },
    { name: "Blog", kind: "page", path_pattern: "/blog/**" },
    { name: "Checkout", kind: "page", path_pattern: "/checkout" },
    { name: "Docs", kind: "page", path_pattern: "/docs/*" },
    { name: "Signup", kind: "event", event_name: "Signup" },
    { name: "Newsletter", kind: "event", event_name: "Newsletter" },
    { name: "Guide", kind: "event", event_name: "Download guide" },
    { name: "Long visit", kind: "duration", threshold: 120 },
    { name: "Deep visit", kind: "pages", threshold: 4 },
    { name: "Buyer", kind: "purchase" },
  ];
  const goals: Goal[] = [];
  for (const g of goalInputs) goals.push(await createGoal(sql, siteId, parseGoalInput(g)));
  const steps = [
    { kind: "page", path_pattern: "/" },
    { kind: "page", path_pattern: "/pricing" },
    { kind: "page", path_pattern: "/checkout" },
    { kind: "goal", goal_id: goals[9].id },
  ];
  const inVisit = await createFunnel(
    sql,
    siteId,
    await parseFunnelInput(sql, siteId, { name: "Visit", steps, window_kind: "session" }),
  );
  const inWeek = await createFunnel(
    sql,
    siteId,
    await parseFunnelInput(sql, siteId, {
      name: "Week",
      steps,
      window_kind: "days",
      window_days: 7,
    }),
  );
  await sql`analyze`;
  await calibrate(sql);
  const fmt = (ms: number) => ms.toFixed(1).padStart(9);
  console.log(`${RUNS} runs per query after one warm-up (ms)`);
  for (const name of ["30d", "12mo"]) {
    const period = queryPeriod(site, checkQuery({ period: name }));
    console.log(
      `\n${name === "30d" ? "Last 30 days" : "Last 12 months"}              p50      p95`,
    );
    const queries: Array<[string, () => Promise<unknown>]> = [
      ["4-step funnel, one visit", () => funnelResult(sql, siteId, inVisit, period)],
      ["4-step funnel, 7 days", () => funnelResult(sql, siteId, inWeek, period)],
      ["goals panel (10 goals)", () => goalStats(sql, site, checkQuery({ period: name }))],
      ["paths after /pricing", () => nextPages(sql, siteId, period, "/pricing", "next")],
      ["paths to a goal", () => pathsToGoal(sql, siteId, period, goals[4].id)],
    ];
    for (const [label, run] of queries) {
      const ms = await time(RUNS, run);
      console.log(
        `  ${label.padEnd(28)}${fmt(pct(ms, 50))}${fmt(pct(ms, 95))}   ${loadAverage()}`,
      );
    }
  }
  const cohorts = await time(
    RUNS,
    () => cohortGrid(sql, site, { unit: "month", by: "first_visit", periods: 12 }),
  );
  console.log(
    `\n  12-month cohort grid        ${fmt(pct(cohorts, 50))}${
      fmt(pct(cohorts, 95))
    }   ${loadAverage()}`,
  );
} finally {
  await drop();
}
