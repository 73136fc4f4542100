/**
 * Goals of every kind checked against SQL written here straight from their definitions, over
 * generated visits (with a second site whose rows must never leak in), in every database mode:
 * the goals panel's numbers, the same with a filter, and a goal as a dashboard filter.
 */
import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import {
  insertSiteRows,
  insertVisits,
  statsSite,
  synthesizeVisits,
} from "../testing/analytics_data.ts";
import type { Sql } from "../db/connect.ts";
import { refreshRollups } from "../db/rollups.ts";
import { aggregate, type StatsSite } from "./stats.ts";
import { checkQuery } from "./query.ts";
import {
  createGoal,
  deleteGoal,
  type GoalInput,
  goalStats,
  listGoals,
  parseGoalInput,
  updateGoal,
} from "./goals.ts";
import { Conflict, Invalid } from "../lib/errors.ts";

const NOW = new Date("2026-03-20T15:30:00Z");
const TZ = "America/New_York";
const SITE = 21;

function site(id: number): StatsSite {
  return statsSite(id, TZ);
}

async function seed(sql: Sql) {
  await insertSiteRows(sql, [SITE, SITE + 1], TZ);
  for (const [id, seedN] of [[SITE, 5], [SITE + 1, 6]]) {
    await insertVisits(
      sql,
      synthesizeVisits({
        siteId: id,
        from: new Date("2026-03-04T00:00:00Z"),
        to: NOW,
        visits: 600,
        visitors: 380,
        seed: seedN,
        buyRate: 0.08,
      }),
    );
  }
  // A/B property on signups, fixed by the event id so every run agrees.
  await sql`update events set props = jsonb_build_object('plan',
      case when get_byte(decode(md5(event_id::text), 'hex'), 0) % 3 = 0 then 'pro' else 'free' end)
    where name = 'Signup'`;
  await refreshRollups(sql);
  // Table statistics, as autovacuum keeps them: without any, goal filters plan badly.
  await sql`analyze`;
}

/**
 * The goals under test, each with its completions (visitor_id, session_id, ts) as independent
 * SQL over site $1; `byVisit` goals count the visits started in the range, the others the
 * completions in it.
 */
const GOALS: Array<{ input: Record<string, unknown>; completions: string; byVisit?: boolean }> = [
  {
    input: { name: "Blog readers", kind: "page", path_pattern: "/blog/**" },
    completions: `select visitor_id, session_id, ts from events
      where site_id = $1 and type = 'pageview' and pathname like '/blog/%'`,
  },
  {
    input: { name: "Pricing", kind: "page", path_pattern: "/pricing" },
    completions: `select visitor_id, session_id, ts from events
      where site_id = $1 and type = 'pageview' and pathname = '/pricing'`,
  },
  {
    input: { name: "Signup", kind: "event", event_name: "Signup" },
    completions: `select visitor_id, session_id, ts from events
      where site_id = $1 and type = 'event' and name = 'Signup'`,
  },
  {
    input: {
      name: "Pro signup",
      kind: "event",
      event_name: "Signup",
      prop_key: "plan",
      prop_value: "pro",
    },
    completions: `select visitor_id, session_id, ts from events
      where site_id = $1 and type = 'event' and name = 'Signup' and props @> '{"plan": "pro"}'`,
  },
  {
    input: { name: "Engaged visit", kind: "duration", threshold: 120 },
    completions: `select visitor_id, session_id, started_at + interval '120 seconds' as ts,
        started_at
      from sessions where site_id = $1 and ended_at - started_at >= interval '120 seconds'`,
    byVisit: true,
  },
  {
    input: { name: "Three pages", kind: "pages", threshold: "3" },
    completions: `select s.visitor_id, s.session_id, e.ts, s.started_at from sessions s
      join (select session_id, ts, row_number() over (partition by session_id order by ts) as n
            from events where site_id = $1 and type = 'pageview') e
        on e.session_id = s.session_id and e.n = 3
      where s.site_id = $1`,
    byVisit: true,
  },
  {
    input: { name: "Buyer", kind: "purchase" },
    completions: `select p.visitor_id, c.session_id, p.ts from purchases p
      left join attribution_credits c on c.purchase_id = p.id and c.model = 'last_touch'
        and c.touch >= 0
      where p.site_id = $1 and p.kind <> 'refund' and p.visitor_id is not null`,
  },
  {
    input: { name: "Pro course", kind: "purchase", product: "Pro course" },
    completions: `select p.visitor_id, c.session_id, p.ts from purchases p
      left join attribution_credits c on c.purchase_id = p.id and c.model = 'last_touch'
        and c.touch >= 0
      where p.site_id = $1 and p.kind <> 'refund' and p.visitor_id is not null
        and p.product = 'Pro course'`,
  },
];

/** Completions of one goal in the range. */
function inRange(g: (typeof GOALS)[number]): string {
  const t = g.byVisit ? "started_at" : "ts";
  return `(select visitor_id, session_id, ts from (${g.completions}) x
    where ${t} >= $2 and ${t} < $3)`;
}

/** The period's instants computed by PostgreSQL itself. */
async function bounds(sql: Sql, firstDay: string, days: number) {
  const [r] = await sql`
    select (${firstDay}::date::timestamp at time zone ${TZ}) as from,
           least((${firstDay}::date + ${days}::int)::timestamp at time zone ${TZ},
                 date_trunc('hour', ${NOW}::timestamptz) + interval '1 hour') as to`;
  return { from: r.from as Date, to: r.to as Date };
}

/** One goal's numbers from its definition, keeping completions whose visit meets `visitWhere`. */
async function expected(
  sql: Sql,
  g: (typeof GOALS)[number],
  r: { from: Date; to: Date },
  visitWhere = "true",
) {
  const visits = `(select session_id from sessions s where site_id = $1 and ${visitWhere})`;
  const [row] = await sql.unsafe(
    `with gc as (select * from ${inRange(g)} c where session_id in ${visits}),
     total as (select count(distinct visitor_id) as n from events e
       where site_id = $1 and ts >= $2 and ts < $3 and session_id in ${visits}),
     firsts as (select visitor_id, min(ts) as at from gc group by 1),
     spans as (select greatest(0, extract(epoch from f.at - (select min(started_at)
         from sessions s where s.site_id = $1 and s.visitor_id = f.visitor_id))) as secs
       from firsts f)
     select (select count(distinct visitor_id) from gc)::int as visitors,
            (select count(*) from gc)::int as completions,
            round(100.0 * (select count(distinct visitor_id) from gc)
              / nullif((select n from total), 0), 2)::float8 as conversion_rate,
            (select coalesce(sum(amount_site_minor), 0) from purchases
              where site_id = $1 and ts >= $2 and ts < $3
                and visitor_id in (select visitor_id from firsts))::int as revenue,
            (select round(percentile_cont(0.5) within group (order by secs)::numeric)
              from spans)::int as median_seconds`,
    [SITE, r.from, r.to],
  );
  return row;
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `every kind of goal matches SQL written from its definition, filtered or not (${mode})`,
    inDbMode(mode),
    async (t) => {
      const db = await createTestDatabase(mode);
      try {
        const sql = db.sql;
        await seed(sql);
        for (const g of GOALS) await createGoal(sql, SITE, parseGoalInput(g.input));
        // The other site's goal of the same name must not count this site's visits, nor its own.
        await createGoal(sql, SITE + 1, parseGoalInput(GOALS[0].input));
        const r = await bounds(sql, "2026-03-14", 7);
        const q = checkQuery({ period: "7d" });

        await t.step("the goals panel", async () => {
          const stats = await goalStats(sql, site(SITE), q, { now: NOW });
          assert.equal(stats.length, GOALS.length);
          for (const g of GOALS) {
            const got = stats.find((s) => s.name === g.input.name)!;
            const want = await expected(sql, g, r);
            assert.ok(want.visitors > 0, `${g.input.name} has conversions in the data`);
            assert.deepEqual(
              {
                visitors: got.visitors,
                completions: got.completions,
                conversion_rate: got.conversion_rate,
                revenue: got.revenue,
                median_seconds: got.median_seconds,
              },
              { ...want },
              String(g.input.name),
            );
          }
        });

        await t.step("the goals panel filtered by source", async () => {
          const filtered = checkQuery({
            period: "7d",
            filters: [{ dimension: "source", op: "is", value: "Google" }],
          });
          const stats = await goalStats(sql, site(SITE), filtered, { now: NOW });
          for (const g of GOALS) {
            const got = stats.find((s) => s.name === g.input.name)!;
            const want = await expected(sql, g, r, "s.source = 'Google'");
            assert.equal(got.visitors, want.visitors, `${g.input.name} visitors`);
            assert.equal(got.completions, want.completions, `${g.input.name} completions`);
            assert.equal(got.conversion_rate, want.conversion_rate, `${g.input.name} rate`);
          }
        });

        await t.step("a goal filters the dashboard to the visits that completed it", async () => {
          for (const g of [GOALS[0], GOALS[3], GOALS[4]]) {
            const agg = await aggregate(
              sql,
              site(SITE),
              checkQuery({
                period: "7d",
                filters: [{ dimension: "goal", op: "is", value: g.input.name }],
                metrics: ["visitors", "sessions"],
              }),
              { now: NOW },
            );
            const [want] = await sql.unsafe(
              `with conv as (select session_id from ${inRange(g)} c)
               select (select count(distinct visitor_id) from events where site_id = $1
                         and ts >= $2 and ts < $3 and session_id in (select * from conv))::int
                        as visitors,
                      (select count(*) from sessions where site_id = $1 and started_at >= $2
                         and started_at < $3 and session_id in (select * from conv))::int
                        as sessions`,
              [SITE, r.from, r.to],
            );
            assert.ok(want.visitors > 0);
            assert.deepEqual(agg.totals, { ...want }, String(g.input.name));
          }
        });
      } finally {
        await db.close();
      }
    },
  );
}

Deno.test(
  "goals are checked, renamed, kept unique per site and deleted idempotently",
  inDbMode("server"),
  async () => {
    const db = await createTestDatabase("server");
    try {
      const sql = db.sql;
      await insertSiteRows(sql, [SITE], TZ);
      const bad: Array<[Record<string, unknown>, string]> = [
        [{ name: "", kind: "page", path_pattern: "/" }, "name"],
        [{ name: "x", kind: "nope" }, "kind"],
        [{ name: "x", kind: "page", path_pattern: "pricing" }, "path_pattern"],
        [{ name: "x", kind: "event" }, "event_name"],
        [{ name: "x", kind: "event", event_name: "E", prop_value: "pro" }, "prop_key"],
        [{ name: "x", kind: "duration" }, "threshold"],
        [{ name: "x", kind: "pages", threshold: "many" }, "threshold"],
      ];
      for (const [input, field] of bad) {
        assert.throws(
          () => parseGoalInput(input),
          (e) => e instanceof Invalid && e.field === field && /[.!?]$/.test(e.message),
          JSON.stringify(input),
        );
      }
      const input: GoalInput = parseGoalInput({ name: "Docs", kind: "page", path_pattern: "/d/*" });
      const a = await createGoal(sql, SITE, input);
      const again = await createGoal(sql, SITE, input);
      assert.equal(again.id, a.id, "a retried create answers with the same goal");
      await assert.rejects(
        () => createGoal(sql, SITE, { ...input, path_pattern: "/other" }),
        Conflict,
      );
      const b = await createGoal(sql, SITE, parseGoalInput({ name: "Buy", kind: "purchase" }));
      await assert.rejects(() => updateGoal(sql, SITE, b.id, { ...input }), Conflict);
      const renamed = await updateGoal(sql, SITE, b.id, {
        ...parseGoalInput({ name: "Sale", kind: "purchase" }),
      });
      assert.equal(renamed.name, "Sale");
      assert.deepEqual((await listGoals(sql, SITE)).map((g) => g.name), ["Docs", "Sale"]);
      assert.equal(await deleteGoal(sql, SITE, a.id), true);
      assert.equal(await deleteGoal(sql, SITE, a.id), false);
    } finally {
      await db.close();
    }
  },
);
