/**
 * Funnel step counts, drop-offs and medians checked against SQL written here from the
 * definition, over generated visits and over hand-made journeys for the edge cases: steps out
 * of order, repeated steps, strict order, a visit crossing midnight in the site's time zone, a
 * person finishing on a second device after identify(), and a day window that only a later
 * start fits — in every database mode.
 */
import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import { insertSiteRows, insertVisits, synthesizeVisits } from "../testing/analytics_data.ts";
import { insertIdentify } from "../testing/journeys.ts";
import type { Sql } from "../db/connect.ts";
import {
  createFunnel,
  droppedAt,
  duplicateFunnel,
  type Funnel,
  funnelBreakdown,
  type FunnelResult,
  funnelResult,
  parseFunnelInput,
} from "./funnels.ts";
import { createGoal, parseGoalInput } from "./goals.ts";
import { Conflict, Invalid } from "../lib/errors.ts";

const TZ = "America/New_York";
const GEN = 31;
const EDGE = 33;

const PAGE_STEPS = [
  { kind: "page", path_pattern: "/**" },
  { kind: "page", path_pattern: "/pricing" },
  { kind: "page", path_pattern: "/checkout" },
];

/** Independent SQL: per entity, the first step-1 time in range, then the earliest next steps. */
async function expectedSessionFunnel(
  sql: Sql,
  siteId: number,
  r: { from: Date; to: Date },
  steps: string[],
) {
  const [row] = await sql.unsafe(
    `with s1 as (select session_id, min(ts) as t1 from events
        where site_id = $1 and ts >= $2 and ts < $3 and ${steps[0]} group by 1),
     s2 as (select s1.*, (select min(ts) from events e where e.site_id = $1
        and e.session_id = s1.session_id and e.ts > s1.t1 and ${steps[1]}) as t2 from s1),
     s3 as (select s2.*, (select min(ts) from events e where e.site_id = $1
        and e.session_id = s2.session_id and e.ts > s2.t2 and ${steps[2]}) as t3 from s2)
     select count(*)::int as c1, count(t2)::int as c2, count(t3)::int as c3,
       round(percentile_cont(0.5) within group (order by extract(epoch from t2 - t1))::numeric)
         ::int as m2,
       round(percentile_cont(0.5) within group (order by extract(epoch from t3 - t2))::numeric)
         ::int as m3
     from s3`,
    [siteId, r.from, r.to],
  );
  return row;
}

function summary(res: FunnelResult) {
  return {
    c1: res.steps[0].count,
    c2: res.steps[1].count,
    c3: res.steps[2].count,
    m2: res.steps[1].median_seconds,
    m3: res.steps[2].median_seconds,
  };
}

/** The edge cases' funnel: the home page, then pricing, then checkout. */
const EDGE_STEPS = [
  { kind: "page", path_pattern: "/" },
  { kind: "page", path_pattern: "/pricing" },
  { kind: "page", path_pattern: "/checkout" },
];

async function funnel(
  sql: Sql,
  siteId: number,
  name: string,
  extra: Record<string, unknown>,
  steps = PAGE_STEPS,
) {
  return await createFunnel(
    sql,
    siteId,
    await parseFunnelInput(sql, siteId, { name, steps, ...extra }),
  );
}

/** Hand-made events: one visit per call, pages and custom events at given instants. */
async function visit(
  sql: Sql,
  siteId: number,
  visitorId: string,
  hits: Array<[string, string]>,
  source = "Google",
): Promise<string> {
  const sessionId = crypto.randomUUID();
  const times = hits.map(([t]) => new Date(t));
  await sql`insert into sessions (started_at, session_id, site_id, visitor_id, ended_at,
      entry_page, exit_page, pageviews, source, channel, device, country)
    values (${times[0]}, ${sessionId}, ${siteId}, ${visitorId}, ${times[times.length - 1]},
      '/', '/', ${hits.length}, ${source}, 'Organic Search', 'Desktop', 'US')`;
  for (const [t, what] of hits) {
    const event = what.startsWith("/") ? null : what;
    await sql`insert into events (ts, event_id, site_id, visitor_id, session_id, type, name,
        pathname, source, channel, device, country)
      values (${new Date(t)}, ${crypto.randomUUID()}, ${siteId}, ${visitorId}, ${sessionId},
        ${event ? "event" : "pageview"}, ${event ?? ""}, ${event ? "/" : what}, ${source},
        'Organic Search', 'Desktop', 'US')`;
  }
  return sessionId;
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `funnel steps, drop-offs and medians match SQL from the definition (${mode})`,
    inDbMode(mode),
    async (t) => {
      const db = await createTestDatabase(mode);
      try {
        const sql = db.sql;
        await insertSiteRows(sql, [GEN, GEN + 1, EDGE], TZ);
        for (const [id, seed] of [[GEN, 3], [GEN + 1, 4]]) {
          await insertVisits(
            sql,
            synthesizeVisits({
              siteId: id,
              from: new Date("2026-03-01T00:00:00Z"),
              to: new Date("2026-03-20T00:00:00Z"),
              visits: 900,
              visitors: 500,
              seed,
            }),
          );
        }
        await sql`analyze`;
        const r = { from: new Date("2026-03-05T05:00:00Z"), to: new Date("2026-03-15T04:00:00Z") };

        await t.step("generated visits: a session funnel with overlapping steps", async () => {
          const f = await funnel(sql, GEN, "Pages", { window_kind: "session" });
          const got = await funnelResult(sql, GEN, f, r);
          const want = await expectedSessionFunnel(sql, GEN, r, [
            "type = 'pageview' and pathname like '/%'",
            "type = 'pageview' and pathname = '/pricing'",
            "type = 'pageview' and pathname = '/checkout'",
          ]);
          assert.ok(want.c3 > 0, "some visits finish the funnel");
          assert.deepEqual(summary(got), { ...want });
          assert.equal(got.steps[0].dropoff, want.c1 - want.c2);
          assert.equal(got.steps[1].dropoff, want.c2 - want.c3);
          assert.equal(got.steps[1].percent, Math.round((10_000 * want.c2) / want.c1) / 100);
        });

        await t.step("generated visits: broken down by the entry visit's source", async () => {
          const f = await funnel(sql, GEN, "Pages by source", { window_kind: "session" });
          const rows = await funnelBreakdown(sql, GEN, f, r, "source");
          const [want] = await sql.unsafe(
            `select count(*)::int as n from (select distinct s.source from sessions s
              where s.site_id = $1 and s.session_id in (select session_id from events
                where site_id = $1 and ts >= $2 and ts < $3 and type = 'pageview')) x`,
            [GEN, r.from, r.to],
          );
          assert.equal(rows.length, Math.min(20, want.n));
          for (const row of rows.slice(0, 3)) {
            const expected = await expectedSessionFunnel(sql, GEN, r, [
              `type = 'pageview' and session_id in (select session_id from sessions
                 where site_id = $1 and source = '${row.value.replaceAll("'", "''")}')`,
              "type = 'pageview' and pathname = '/pricing'",
              "type = 'pageview' and pathname = '/checkout'",
            ]);
            assert.deepEqual(
              [row.steps[0].count, row.steps[1].count, row.steps[2].count],
              [expected.c1, expected.c2, expected.c3],
              row.value,
            );
          }
        });

        await t.step("generated visits: a 3-day window per person", async () => {
          const f = await funnel(sql, GEN, "Pages in 3 days", {
            window_kind: "days",
            window_days: 3,
          });
          const got = await funnelResult(sql, GEN, f, r);
          // Every step-1 occurrence in range is a start; chains take the earliest next step
          // within 3 days of the start; a person counts at their deepest chain.
          const [want] = await sql.unsafe(
            `with ev as (select visitor_id, ts,
                 pathname like '/%' as a, pathname = '/pricing' as b, pathname = '/checkout' as c
               from events where site_id = $1 and type = 'pageview' and ts >= $2
                 and ts < $3::timestamptz + interval '3 days'),
             starts as (select visitor_id, ts as t1 from ev where a and ts < $3),
             chains as (select s.visitor_id, s.t1, t2.t2, t3.t3 from starts s
               left join lateral (select min(ts) as t2 from ev where ev.visitor_id = s.visitor_id
                 and b and ts > s.t1 and ts <= s.t1 + interval '3 days') t2 on true
               left join lateral (select min(ts) as t3 from ev where ev.visitor_id = s.visitor_id
                 and c and ts > t2.t2 and ts <= s.t1 + interval '3 days') t3 on true),
             best as (select distinct on (visitor_id) * from chains
               order by visitor_id, (t3 is not null) desc, (t2 is not null) desc, t1)
             select count(*)::int as c1, count(t2)::int as c2, count(t3)::int as c3,
               round(percentile_cont(0.5) within group (order by extract(epoch from t2 - t1))
                 ::numeric)::int as m2,
               round(percentile_cont(0.5) within group (order by extract(epoch from t3 - t2))
                 ::numeric)::int as m3
             from best`,
            [GEN, r.from, r.to],
          );
          assert.ok(want.c3 > 0);
          assert.deepEqual(summary(got), { ...want });
        });

        await t.step("edge cases built by hand", async () => {
          const s = EDGE;
          // Out of order: pricing before the entry page never counts as step 2.
          await visit(sql, s, "out-of-order", [
            ["2026-03-10T15:00:00Z", "/pricing"],
            ["2026-03-10T15:01:00Z", "/"],
            ["2026-03-10T15:02:00Z", "/checkout"],
          ]);
          // Repeated steps: the first of each counts, once.
          await visit(sql, s, "repeats", [
            ["2026-03-10T16:00:00Z", "/"],
            ["2026-03-10T16:01:00Z", "/"],
            ["2026-03-10T16:03:00Z", "/pricing"],
            ["2026-03-10T16:04:00Z", "/pricing"],
            ["2026-03-10T16:08:00Z", "/checkout"],
          ], "Newsletter");
          // Checkout between entry and pricing: fine unless strict.
          await visit(sql, s, "detour", [
            ["2026-03-10T17:00:00Z", "/"],
            ["2026-03-10T17:01:00Z", "/checkout"],
            ["2026-03-10T17:02:00Z", "/pricing"],
            ["2026-03-10T17:03:00Z", "/checkout"],
          ]);
          // 23:55 on 11 March in New York, finishing after local midnight.
          await visit(sql, s, "midnight", [
            ["2026-03-12T03:55:00Z", "/"],
            ["2026-03-12T04:02:00Z", "/pricing"],
            ["2026-03-12T04:05:00Z", "/checkout"],
          ]);
          // Two devices, one person: starts on a laptop, buys on a phone after identify().
          await visit(sql, s, "laptop", [
            ["2026-03-10T12:00:00Z", "/"],
            ["2026-03-10T12:05:00Z", "/pricing"],
          ]);
          await visit(sql, s, "phone", [["2026-03-11T20:00:00Z", "/checkout"]]);
          await insertIdentify(sql, s, "laptop", "pat@example.com", new Date("2026-03-10T12:06Z"));
          await insertIdentify(sql, s, "phone", "pat@example.com", new Date("2026-03-11T19:59Z"));
          // Only the later start fits the 2-day window.
          await visit(sql, s, "late-start", [["2026-03-06T10:00:00Z", "/"]]);
          await visit(sql, s, "late-start", [["2026-03-09T10:00:00Z", "/"]]);
          await visit(sql, s, "late-start", [["2026-03-10T10:00:00Z", "/pricing"]]);

          const day = (first: string, last: string) => ({
            from: new Date(`${first}T04:00:00Z`),
            to: new Date(`${last}T04:00:00Z`),
          });
          const week = day("2026-03-06", "2026-03-13");
          const session = await funnel(
            sql,
            s,
            "Edge session",
            { window_kind: "session" },
            EDGE_STEPS,
          );
          const strict = await funnel(sql, s, "Edge strict", {
            window_kind: "session",
            strict: true,
          }, EDGE_STEPS);
          const days = await funnel(sql, s, "Edge days", {
            window_kind: "days",
            window_days: 2,
          }, EDGE_STEPS);

          const counts = (res: FunnelResult) => res.steps.map((x) => x.count);
          // Entered: every visit that saw the home page (not the phone's, nor the third
          // late-start visit). Got to pricing: repeats, detour, midnight, laptop.
          // Finished: repeats, detour, midnight.
          assert.deepEqual(counts(await funnelResult(sql, s, session, week)), [7, 4, 3]);
          const want = await expectedSessionFunnel(sql, s, week, [
            "type = 'pageview' and pathname = '/'",
            "type = 'pageview' and pathname = '/pricing'",
            "type = 'pageview' and pathname = '/checkout'",
          ]);
          assert.deepEqual(counts(await funnelResult(sql, s, session, week)), [
            want.c1,
            want.c2,
            want.c3,
          ]);
          // Strict: the detour's early checkout breaks its chain at the entry page; repeats of
          // the current step don't.
          assert.deepEqual(counts(await funnelResult(sql, s, strict, week)), [7, 3, 2]);
          // The midnight visit belongs to the 11th in New York, whole; not to the 12th.
          assert.deepEqual(
            counts(await funnelResult(sql, s, session, day("2026-03-11", "2026-03-12"))),
            [1, 1, 1],
          );
          assert.deepEqual(
            counts(await funnelResult(sql, s, session, day("2026-03-12", "2026-03-13"))),
            [0, 0, 0],
          );
          // People within 2 days: pat finishes across devices; late-start reaches pricing from
          // its second start. People: out-of-order, repeats, detour, midnight, pat, late-start.
          const people = await funnelResult(sql, s, days, week);
          assert.deepEqual(counts(people), [6, 5, 4]);
          // Drop-offs: who reached pricing but not checkout, with their last pages.
          const lost = await droppedAt(sql, s, days, week, 2);
          assert.deepEqual(lost.map((x) => x.visitor_id), ["late-start"]);
          assert.deepEqual(lost[0].last_pages, ["/pricing"]);
          const byVisitSource = await funnelBreakdown(sql, s, session, week, "source");
          assert.deepEqual(
            byVisitSource.map((x) => [x.value, x.steps[2].count]),
            [["Google", 2], ["Newsletter", 1]],
          );
        });
      } finally {
        await db.close();
      }
    },
  );
}

Deno.test("funnels are checked, unique per site, duplicated and idempotent", async () => {
  const db = await createTestDatabase();
  try {
    const sql = db.sql;
    await insertSiteRows(sql, [GEN, GEN + 1], TZ);
    const goal = await createGoal(sql, GEN, parseGoalInput({ name: "Buy", kind: "purchase" }));
    const other = await createGoal(sql, GEN + 1, parseGoalInput({ name: "B", kind: "purchase" }));
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ name: "", steps: PAGE_STEPS }, "name"],
      [{ name: "x", steps: PAGE_STEPS.slice(0, 1) }, "steps"],
      [{ name: "x", steps: Array(9).fill(PAGE_STEPS[0]) }, "steps"],
      [{ name: "x", steps: [PAGE_STEPS[0], { kind: "page", path_pattern: "x" }] }, "step2"],
      [{ name: "x", steps: [PAGE_STEPS[0], { kind: "event" }] }, "step2"],
      [{ name: "x", steps: [PAGE_STEPS[0], { kind: "goal", goal_id: other.id }] }, "step2"],
      [{ name: "x", steps: PAGE_STEPS, window_kind: "days", window_days: 0 }, "window_days"],
      [{ name: "x", steps: PAGE_STEPS, window_kind: "weeks" }, "window_kind"],
    ];
    for (const [input, field] of bad) {
      await assert.rejects(
        () => parseFunnelInput(sql, GEN, input),
        (e) => e instanceof Invalid && e.field === field && /[.!?]$/.test(e.message),
        JSON.stringify(input),
      );
    }
    const input = await parseFunnelInput(sql, GEN, {
      name: "Buy flow",
      steps: [PAGE_STEPS[0], { kind: "goal", goal_id: goal.id }],
    });
    const f: Funnel = await createFunnel(sql, GEN, input);
    assert.equal((await createFunnel(sql, GEN, input)).id, f.id, "a retry is the same funnel");
    await assert.rejects(() => createFunnel(sql, GEN, { ...input, strict: true }), Conflict);
    const copy = await duplicateFunnel(sql, GEN, f.id);
    assert.equal(copy.name, "Buy flow (copy)");
    assert.equal((await duplicateFunnel(sql, GEN, f.id)).name, "Buy flow (copy 2)");
    assert.deepEqual(copy.steps, f.steps);
  } finally {
    await db.close();
  }
});
