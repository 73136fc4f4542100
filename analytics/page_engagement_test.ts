/**
 * The pages panel's scroll depth and engaged time, and goal conversion by row under a goal
 * filter, checked against SQL written here from their definitions over generated visits (a
 * second site's rows must never leak in), in every database mode.
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
import { markRollups, markSiteRollups, refreshRollups } from "../db/rollups.ts";
import { breakdown, type StatsSite } from "./stats.ts";
import { checkQuery } from "./query.ts";
import { createGoal, parseGoalInput } from "./goals.ts";
import { type Dimension, type Filter, type Metric, metricsFor } from "./dimensions.ts";

const NOW = new Date("2026-03-20T15:30:00Z");
const TZ = "America/New_York";
const SITE = 31;

function site(id: number): StatsSite {
  return statsSite(id, TZ);
}

const A = "00000000-0000-4000-8000-0000000000a1";
const B = "00000000-0000-4000-8000-0000000000b2";

/** A byte of a row's event id hash: fixed per row, so every run agrees. */
const BYTE = (n: number) => `get_byte(decode(md5(event_id::text), 'hex'), ${n})`;

async function seed(sql: Sql) {
  await insertSiteRows(sql, [SITE, SITE + 1], TZ);
  for (const [id, seedN] of [[SITE, 11], [SITE + 1, 12]]) {
    await insertVisits(
      sql,
      synthesizeVisits({
        siteId: id,
        from: new Date("2026-03-04T00:00:00Z"),
        to: NOW,
        visits: 500,
        visitors: 320,
        seed: seedN,
        buyRate: 0.08,
      }),
    );
  }
  // What the tracker sends on leaving a page: engagement with the deepest scroll so far. Some
  // pages send twice (hidden, then left), some without a depth, as short pages do.
  const columns = `site_id, visitor_id, session_id, hostname, pathname, referrer_host, source,
    medium, campaign, content, term, channel, country, region, city, device, browser, os`;
  await sql.unsafe(
    `insert into events (ts, event_id, type, scroll_depth, engaged_ms, ${columns})
     select ts + interval '3 seconds', md5(event_id::text || 'a')::uuid, 'engagement',
            case when ${BYTE(0)} % 9 = 0 then null else ${BYTE(1)} % 101 end,
            500 + ${BYTE(2)} * 200, ${columns}
     from events where type = 'pageview'
     union all
     select ts + interval '2 seconds', md5(event_id::text || 'b')::uuid, 'engagement',
            ${BYTE(3)} % 60, 700 + ${BYTE(4)} * 50, ${columns}
     from events where type = 'pageview' and ${BYTE(5)} % 4 = 0`,
  );
  // Edge days in the site's zone (EDT, UTC-4): one visit's engagement on /edge a second before
  // the 7-day range, at its first instant, and on both sides of a later local midnight.
  const edge = (ts: string, session: string, depth: number | null, ms: number | null) =>
    sql.unsafe(
      `insert into events (ts, event_id, type, scroll_depth, engaged_ms, site_id, visitor_id,
                           session_id, pathname)
       values ($1, gen_random_uuid(), $2, $3, $4, $5, 'edge-visitor', $6, '/edge')`,
      [ts, ms === null ? "pageview" : "engagement", depth, ms, SITE, session],
    );
  await edge("2026-03-14T03:59:00Z", A, null, null);
  await edge("2026-03-17T03:58:00Z", B, null, null);
  await edge("2026-03-14T03:59:59Z", A, 90, 4000);
  await edge("2026-03-14T04:00:00Z", A, 40, 2000);
  await edge("2026-03-17T03:59:00Z", B, 20, 1000);
  await edge("2026-03-17T03:59:30Z", B, 70, 1500);
  await edge("2026-03-17T04:01:00Z", B, null, 3000);
  for (const id of [SITE, SITE + 1]) await markSiteRollups(sql, id);
  await refreshRollups(sql);
  await sql`analyze`;
}

/** The 7 days before NOW's day as instants, computed by PostgreSQL. */
async function bounds(sql: Sql) {
  const [r] = await sql`
    select ('2026-03-14'::date::timestamp at time zone ${TZ}) as from,
           least('2026-03-21'::date::timestamp at time zone ${TZ},
                 date_trunc('hour', ${NOW}::timestamptz) + interval '1 hour') as to`;
  return [SITE, r.from as Date, r.to as Date] as const;
}

async function rowsOf(
  sql: Sql,
  dimension: Dimension,
  filters: Filter[] = [],
  sort?: { metric: Metric; direction: "asc" | "desc" },
  metrics?: Metric[],
  raw = false,
) {
  const result = await breakdown(
    sql,
    site(SITE),
    checkQuery({ period: "7d", dimension, filters, limit: 1000, sort, metrics }),
    { now: NOW, raw },
  );
  return new Map(result.rows.map((r) => [r.value, r.values]));
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `pages report scroll depth and engaged time; a goal filter makes conversion per row (${mode})`,
    inDbMode(mode),
    async (t) => {
      const db = await createTestDatabase(mode);
      try {
        const sql = db.sql;
        await seed(sql);
        const args = await bounds(sql);

        // Per page: each visit's deepest scroll there (per local day), averaged over the visits
        // that sent one; each visit's engaged milliseconds there, summed, averaged over visits.
        const engagement = (where: string) =>
          sql.unsafe(
            `with per_visit as (
               select pathname, session_id, (ts at time zone '${TZ}')::date as day,
                      max(scroll_depth) as deepest, sum(engaged_ms) as ms
               from events
               where site_id = $1 and ts >= $2 and ts < $3 and type = 'engagement' and ${where}
               group by pathname, session_id, day)
             select pathname,
                    round(sum(deepest)::numeric / nullif(count(deepest), 0), 1)::float8
                      as scroll_depth,
                    round(sum(ms)::numeric / count(*) / 1000)::int8 as engaged_time
             from per_visit group by pathname`,
            [...args],
          );

        // The daily rollup against the same definition, per local day of the site's zone.
        const days = () =>
          sql.unsafe(
            `select day::text, pathname, count(*)::int8 as visits,
                    count(deepest)::int8 as scrolled, coalesce(sum(deepest), 0)::int8 as depth_sum,
                    count(ms)::int8 as timed, coalesce(sum(ms), 0)::int8 as engaged_ms
             from (select pathname, session_id, (ts at time zone '${TZ}')::date as day,
                          max(scroll_depth) as deepest, sum(engaged_ms) as ms
                   from events where site_id = $1 and type = 'engagement'
                   group by 1, 2, 3) v
             group by 1, 2 order by 1, 2`,
            [SITE],
          );
        const table = () =>
          sql`select day::text, pathname, visits, scrolled, depth_sum, timed, engaged_ms
            from engagement_days where site_id = ${SITE} order by 1, 2`;
        const plainRows = (rows: Record<string, unknown>[]) =>
          rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])));

        await t.step("the engagement rollup holds each local day; whole days read it", async () => {
          assert.deepEqual(plainRows(await table()), plainRows(await days()));
          const edges = (await table()).filter((r) => r.pathname === "/edge").map((r) => r.day);
          assert.deepEqual(edges, ["2026-03-13", "2026-03-14", "2026-03-16", "2026-03-17"]);
          const all = metricsFor("page");
          const viaRollup = await rowsOf(sql, "page", [], undefined, all);
          assert.deepEqual(viaRollup, await rowsOf(sql, "page", [], undefined, all, true));
          // A late engagement event on an older day, marked as writers do, is in the next refresh.
          await sql`insert into events (ts, event_id, type, scroll_depth, engaged_ms, site_id,
                      visitor_id, session_id, pathname)
            values ('2026-03-15T12:00:00Z', gen_random_uuid(), 'engagement', 99, 8000, ${SITE},
                    'edge-visitor', ${A}, '/edge')`;
          await markRollups(sql, "events", [{ siteId: SITE, at: "2026-03-15T12:00:00Z" }]);
          await refreshRollups(sql);
          assert.deepEqual(plainRows(await table()), plainRows(await days()));
          assert.deepEqual(
            await rowsOf(sql, "page", [], undefined, all),
            await rowsOf(sql, "page", [], undefined, all, true),
          );
          // The default read takes the rollup: without its rows the columns are empty.
          await sql`delete from engagement_days where site_id = ${SITE}`;
          const empty = await rowsOf(sql, "page", [], undefined, all);
          assert.equal(empty.get("/edge")?.scroll_depth ?? null, null);
          await markSiteRollups(sql, SITE);
          await refreshRollups(sql);
          assert.deepEqual(plainRows(await table()), plainRows(await days()));
        });

        for (
          const [label, filters, where] of [
            ["every visit", [], "true"],
            [
              "visits from Google",
              [{ dimension: "source", op: "is", value: "Google" }],
              "source = 'Google'",
            ],
          ] as Array<[string, Filter[], string]>
        ) {
          await t.step(`scroll depth and engaged time by page, ${label}`, async () => {
            const want = await engagement(where);
            assert.ok(want.length > 3, "pages with engagement in the data");
            // Named, as the details page, the CSV and the API ask for them.
            const got = await rowsOf(sql, "page", filters, undefined, metricsFor("page"));
            for (const w of want) {
              const row = got.get(w.pathname);
              assert.ok(row, `${w.pathname} is a row`);
              assert.deepEqual(
                { scroll_depth: row.scroll_depth, engaged_time: row.engaged_time },
                { scroll_depth: w.scroll_depth, engaged_time: w.engaged_time },
                w.pathname,
              );
            }
            assert.equal(got.get("/")?.conversion_rate, null, "no goal, no goal conversion");
            // Unnamed (the dashboard panel, a plain API query) they are left out, not read.
            const plain = await rowsOf(sql, "page", filters);
            for (const [k, v] of plain) {
              assert.deepEqual(Object.keys(v).sort(), ["conversion_rate", "pageviews", "visitors"]);
              assert.equal(v.pageviews, got.get(k)?.pageviews, `${k} views`);
            }
            assert.equal(plain.size, got.size, "the same rows");
            // Sorted by scroll depth, every page's figures are computed before the sort.
            const sorted = await rowsOf(
              sql,
              "page",
              filters,
              { metric: "scroll_depth", direction: "desc" },
              metricsFor("page"),
            );
            const depths = [...sorted.values()].map((v) => v.scroll_depth ?? -1);
            assert.deepEqual(depths, [...depths].sort((a, b) => b - a));
            for (const w of want) {
              assert.equal(sorted.get(w.pathname)?.engaged_time, w.engaged_time, w.pathname);
            }
          });
        }

        await createGoal(
          sql,
          SITE,
          parseGoalInput({ name: "Signed up", kind: "event", event_name: "Signup" }),
        );
        // The other site's goal of the same name must not count here.
        await createGoal(
          sql,
          SITE + 1,
          parseGoalInput({ name: "Signed up", kind: "page", path_pattern: "/**" }),
        );
        const goal: Filter = { dimension: "goal", op: "is", value: "Signed up" };
        // Visits that completed the goal in the range.
        const converted = `(select session_id from events where site_id = $1 and ts >= $2
          and ts < $3 and type = 'event' and name = 'Signup')`;

        for (const dim of ["source", "channel", "country", "exit_page"] as const) {
          await t.step(`goal conversion by ${dim}`, async () => {
            const want = await sql.unsafe(
              `select ${dim} as k,
                 round(100.0 * count(distinct visitor_id) filter (
                   where session_id in ${converted})
                   / count(distinct visitor_id), 2)::float8 as rate,
                 count(distinct visitor_id) filter (where session_id in ${converted})::int8 as n
               from sessions where site_id = $1 and started_at >= $2 and started_at < $3
               group by 1 having count(*) filter (where session_id in ${converted}) > 0`,
              [...args],
            );
            assert.ok(want.length > 1, `several ${dim} rows convert`);
            const got = await rowsOf(sql, dim, [goal]);
            assert.equal(got.size, want.length, "a row per converting value");
            for (const w of want) {
              const row = got.get(w.k);
              assert.ok(row, `${w.k} is a row`);
              assert.deepEqual(
                { visitors: row.visitors, conversion_rate: row.conversion_rate },
                { visitors: w.n, conversion_rate: w.rate },
                `${dim} ${w.k}`,
              );
            }
          });
        }

        await t.step("goal conversion by page, with a second filter", async () => {
          const want = await sql.unsafe(
            `select pathname as k,
               round(100.0 * count(distinct visitor_id) filter (
                 where session_id in ${converted})
                 / count(distinct visitor_id), 2)::float8 as rate
             from events where site_id = $1 and ts >= $2 and ts < $3 and type = 'pageview'
               and device = 'Desktop'
             group by 1 having count(*) filter (where session_id in ${converted}) > 0`,
            [...args],
          );
          assert.ok(want.length > 1, "several pages convert");
          const got = await rowsOf(sql, "page", [goal, {
            dimension: "device",
            op: "is",
            value: "Desktop",
          }]);
          assert.equal(got.size, want.length);
          for (const w of want) assert.equal(got.get(w.k)?.conversion_rate, w.rate, w.k);
        });
      } finally {
        await db.close();
      }
    },
  );
}
