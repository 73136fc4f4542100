/**
 * The dashboard narrowed to a funnel's drop-offs (`funnel` + `dropped_at`): cards, a breakdown
 * and the chart count only the visitors who entered the funnel in the period and left after
 * that step, checked against SQL written here from the definition, in every database mode.
 */
import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import {
  insertSiteRows,
  insertVisits,
  statsSite,
  synthesizeVisits,
} from "../testing/analytics_data.ts";
import { refreshRollups } from "../db/rollups.ts";
import { aggregate, breakdown, type StatsSite, timeseries } from "./stats.ts";
import { checkQuery, parseStatsParams } from "./query.ts";
import { createFunnel, parseFunnelInput } from "./funnels.ts";
import { Invalid, NotFound } from "../lib/errors.ts";

const TZ = "America/New_York";
const SITE = 41;
const NOW = new Date("2026-03-20T12:00:00Z");

function site(id: number): StatsSite {
  return statsSite(id, TZ);
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `the dashboard filtered to a funnel's drop-offs matches SQL from the definition (${mode})`,
    inDbMode(mode),
    async (t) => {
      const db = await createTestDatabase(mode);
      try {
        const sql = db.sql;
        await insertSiteRows(sql, [SITE, SITE + 1], TZ);
        for (const [id, seed] of [[SITE, 7], [SITE + 1, 8]]) {
          await insertVisits(
            sql,
            synthesizeVisits({
              siteId: id,
              from: new Date("2026-03-01T00:00:00Z"),
              to: NOW,
              visits: 900,
              visitors: 500,
              seed,
            }),
          );
        }
        await refreshRollups(sql);
        await sql`analyze`;
        const funnel = await createFunnel(
          sql,
          SITE,
          await parseFunnelInput(sql, SITE, {
            name: "Checkout",
            steps: [
              { kind: "page", path_pattern: "/**" },
              { kind: "page", path_pattern: "/pricing" },
              { kind: "page", path_pattern: "/checkout" },
            ],
            window_kind: "session",
          }),
        );
        const [r] = await sql`
          select ('2026-03-05'::date::timestamp at time zone ${TZ}) as from,
                 ('2026-03-15'::date::timestamp at time zone ${TZ}) as to`;
        const args = [SITE, r.from, r.to];
        // Per visit with a page view in the range: its first page view there, then the earliest
        // /pricing after it, then the earliest /checkout after that.
        const dropped = (step: number) =>
          `(select s.visitor_id from (
              select session_id, t1, t2, (select min(ts) from events e where e.site_id = $1
                and e.session_id = x.session_id and e.ts > x.t2 and e.type = 'pageview'
                and e.pathname = '/checkout') as t3
              from (select session_id, t1, (select min(ts) from events e where e.site_id = $1
                      and e.session_id = f.session_id and e.ts > f.t1 and e.type = 'pageview'
                      and e.pathname = '/pricing') as t2
                    from (select session_id, min(ts) as t1 from events where site_id = $1
                          and ts >= $2 and ts < $3 and type = 'pageview' group by 1) f) x) w
            join sessions s on s.site_id = $1 and s.session_id = w.session_id
            where ${step === 1 ? "w.t2 is null" : "w.t2 is not null and w.t3 is null"})`;

        for (const step of [1, 2]) {
          const base = {
            period: "custom",
            from: "2026-03-05",
            to: "2026-03-14",
            funnel: funnel.id,
            dropped_at: step,
          };
          await t.step(`cards, sources and chart for drop-offs after step ${step}`, async () => {
            const [want] = await sql.unsafe(
              `select (select count(distinct visitor_id) from events where site_id = $1
                        and ts >= $2 and ts < $3 and visitor_id in ${dropped(step)})::int8
                        as visitors,
                      (select count(*) from events where site_id = $1 and ts >= $2 and ts < $3
                        and type = 'pageview' and visitor_id in ${dropped(step)})::int8
                        as pageviews,
                      (select count(*) from sessions where site_id = $1 and started_at >= $2
                        and started_at < $3 and visitor_id in ${dropped(step)})::int8
                        as sessions`,
              args,
            );
            assert.ok(want.visitors > 10, "people left at this step");
            const agg = await aggregate(
              sql,
              site(SITE),
              checkQuery({ ...base, metrics: ["visitors", "pageviews", "sessions"] }),
              { now: NOW },
            );
            assert.deepEqual(agg.totals, { ...want });

            const bySource = await sql.unsafe(
              `select source as k, count(distinct visitor_id)::int8 as visitors,
                 count(*)::int8 as sessions
               from sessions where site_id = $1 and started_at >= $2 and started_at < $3
                 and visitor_id in ${dropped(step)}
               group by 1`,
              args,
            );
            const got = await breakdown(
              sql,
              site(SITE),
              checkQuery({ ...base, dimension: "source", metrics: ["visitors", "sessions"] }),
              { now: NOW },
            );
            assert.deepEqual(
              new Map(got.rows.map((x) => [x.value, x.values])),
              new Map(bySource.map((x) => [x.k, { visitors: x.visitors, sessions: x.sessions }])),
            );

            const series = await timeseries(
              sql,
              site(SITE),
              checkQuery({ ...base, dimension: "time:day", metrics: ["pageviews"] }),
              { now: NOW },
            );
            const sum = series.points.reduce((n, p) => n + (p.values.pageviews ?? 0), 0);
            assert.equal(sum, want.pageviews, "the chart adds up to the card");
          });
        }

        await t.step(
          "a half-given, foreign or out-of-range drop-off is a 4xx sentence",
          async () => {
            assert.throws(
              () => parseStatsParams(new URLSearchParams(`funnel=${funnel.id}`)),
              (e) => e instanceof Invalid && e.field === "dropped_at",
            );
            assert.throws(
              () => parseStatsParams(new URLSearchParams("dropped_at=1&funnel=x")),
              (e) => e instanceof Invalid && e.field === "funnel",
            );
            const q = (f: number, step: number) =>
              checkQuery({ period: "7d", funnel: f, dropped_at: step });
            await assert.rejects(
              () => aggregate(sql, site(SITE + 1), q(funnel.id, 1), { now: NOW }),
              NotFound,
              "another site's funnel is not found",
            );
            await assert.rejects(
              () => aggregate(sql, site(SITE), q(funnel.id, 3), { now: NOW }),
              (e) => e instanceof Invalid && e.field === "dropped_at",
            );
          },
        );
      } finally {
        await db.close();
      }
    },
  );
}
