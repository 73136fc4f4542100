/**
 * Every card, chart point and breakdown row checked against independent SQL written straight
 * from the definitions over the raw rows, from the rollups and from the raw path, in every
 * database mode.
 */
import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import { insertSiteRows, insertVisits, synthesizeVisits } from "../testing/analytics_data.ts";
import { refreshRollups } from "../db/rollups.ts";
import type { Sql } from "../db/connect.ts";
import { aggregate, breakdown, type StatsSite, timeseries } from "./stats.ts";
import { checkQuery } from "./query.ts";
import { DIMENSION_INFO, DIMENSIONS, type Filter } from "./dimensions.ts";

const NOW = new Date("2026-03-20T15:30:00Z");
const TZ = "America/New_York";

function site(id: number, timezone = TZ): StatsSite {
  return {
    id,
    timezone,
    currency: "USD",
    created_at: new Date("2026-02-01T00:00:00Z"),
    first_event_at: null,
  };
}

async function seed(sql: Sql, siteId: number, seedN: number) {
  return await insertVisits(
    sql,
    synthesizeVisits({
      siteId,
      from: new Date("2026-03-04T00:00:00Z"),
      to: NOW,
      visits: 700,
      visitors: 450,
      seed: seedN,
      buyRate: 0.06,
      unmatchedRate: 0.03,
    }),
  );
}

/** The period's instants computed by PostgreSQL itself, independently of period.ts. */
async function bounds(sql: Sql, firstDay: string, days: number, tz = TZ) {
  const [r] = await sql`
    select (${firstDay}::date::timestamp at time zone ${tz}) as from,
           least((${firstDay}::date + ${days}::int)::timestamp at time zone ${tz},
                 date_trunc('hour', ${NOW}::timestamptz) + interval '1 hour') as to`;
  return { from: r.from as Date, to: r.to as Date };
}

const CUSTOMER = "coalesce(nullif(p.customer_email, ''), p.visitor_id, p.id::text)";
const BOUNCE = "(s.pageviews <= 1 and s.engaged_ms < 10000)";

/** Totals straight from the definitions; `where` parts narrow events, visits and credits. */
async function expectedTotals(
  sql: Sql,
  siteId: number,
  r: { from: Date; to: Date },
  w: { events?: string; sessions?: string; credits?: string } = {},
) {
  const filtered = w.events || w.sessions || w.credits;
  const [e] = await sql.unsafe(
    `select count(distinct visitor_id)::int as visitors,
            count(*) filter (where type = 'pageview')::int as pageviews
     from events e where site_id = $1 and ts >= $2 and ts < $3 ${w.events ?? ""}`,
    [siteId, r.from, r.to],
  );
  const [s] = await sql.unsafe(
    `select count(*)::int as sessions,
            round(100.0 * count(*) filter (where ${BOUNCE}) / nullif(count(*), 0), 1)::float8
              as bounce_rate,
            round(avg(floor(extract(epoch from s.ended_at - s.started_at))))::int as visit_duration
     from sessions s where site_id = $1 and started_at >= $2 and started_at < $3
       ${w.sessions ?? ""}`,
    [siteId, r.from, r.to],
  );
  const [p] = filtered
    ? await sql.unsafe(
      `select coalesce(sum(c.amount_site_minor), 0)::int as revenue,
              count(*) filter (where p.kind <> 'refund')::int as orders,
              count(distinct ${CUSTOMER}) filter (where p.kind <> 'refund')::int as customers
       from attribution_credits c join purchases p on p.id = c.purchase_id
       where c.site_id = $1 and c.model = 'last_touch' and c.purchase_ts >= $2
         and c.purchase_ts < $3 and c.touch >= 0 ${w.credits ?? ""}`,
      [siteId, r.from, r.to],
    )
    : await sql.unsafe(
      `select coalesce(sum(amount_site_minor), 0)::int as revenue,
              count(*) filter (where kind <> 'refund')::int as orders,
              count(distinct ${CUSTOMER}) filter (where kind <> 'refund')::int as customers
       from purchases p where site_id = $1 and ts >= $2 and ts < $3`,
      [siteId, r.from, r.to],
    );
  const ratio = (a: number, b: number, scale: number, digits: number) =>
    b === 0
      ? null
      : Number((Math.round((scale * a / b) * 10 ** digits) / 10 ** digits).toFixed(digits));
  return {
    visitors: e.visitors,
    sessions: s.sessions,
    pageviews: e.pageviews,
    bounce_rate: s.bounce_rate,
    visit_duration: s.visit_duration,
    revenue: p.revenue,
    customers: p.customers,
    conversion_rate: ratio(p.customers, e.visitors, 100, 2),
    average_order_value: p.orders ? Math.round(p.revenue / p.orders) : null,
    revenue_per_visitor: e.visitors ? Math.round(p.revenue / e.visitors) : null,
    orders: p.orders,
  };
}

/** Breakdown rows straight from the definitions, keyed by value ("∅" for Unmatched). */
async function expectedRows(sql: Sql, siteId: number, r: { from: Date; to: Date }, dim: string) {
  const info = DIMENSION_INFO[dim as keyof typeof DIMENSION_INFO];
  const out = new Map<string, Record<string, number | null>>();
  if (info.scope === "page" || info.scope === "goal") {
    const kind = info.scope === "page" ? "type = 'pageview'" : "type = 'event' and name <> ''";
    const rows = await sql.unsafe(
      `select ${info.column} as k, count(distinct visitor_id)::int as visitors,
              count(*)::int as n
       from events where site_id = $1 and ts >= $2 and ts < $3 and ${kind} group by 1`,
      [siteId, r.from, r.to],
    );
    for (const row of rows) {
      out.set(row.k, {
        visitors: row.visitors,
        [info.scope === "page" ? "pageviews" : "events"]: row.n,
      });
    }
    return out;
  }
  const rows = await sql.unsafe(
    `select ${info.column} as k, count(distinct visitor_id)::int as visitors,
            count(*)::int as sessions, sum(pageviews)::int as pageviews,
            round(100.0 * count(*) filter (where ${BOUNCE}) / count(*), 1)::float8 as bounce_rate,
            round(avg(floor(extract(epoch from s.ended_at - s.started_at))))::int as visit_duration
     from sessions s where site_id = $1 and started_at >= $2 and started_at < $3 group by 1`,
    [siteId, r.from, r.to],
  );
  for (const row of rows) {
    const { k, ...rest } = row;
    out.set(k, info.revenue ? { ...rest, revenue: 0 } : rest);
  }
  if (info.revenue) {
    const money = await sql.unsafe(
      `select case when c.touch < 0 then '∅' else c.${info.column} end as k,
              sum(c.amount_site_minor)::int as revenue,
              count(*) filter (where p.kind <> 'refund')::int as orders,
              count(distinct ${CUSTOMER}) filter (where p.kind <> 'refund')::int as customers
       from attribution_credits c join purchases p on p.id = c.purchase_id
       where c.site_id = $1 and c.model = 'last_touch' and c.purchase_ts >= $2
         and c.purchase_ts < $3 group by 1`,
      [siteId, r.from, r.to],
    );
    for (const m of money) {
      const row = out.get(m.k) ?? { visitors: 0, sessions: 0, pageviews: 0 };
      out.set(m.k, { ...row, revenue: m.revenue, orders: m.orders, customers: m.customers });
    }
  }
  return out;
}

/** Site rows (in TZ) for sites whose events were inserted without one. */
function giveSitesRows(sql: Sql, ids: number[]) {
  return insertSiteRows(sql, ids, TZ);
}

function q(input: Record<string, unknown>) {
  return checkQuery({ period: "7d", ...input });
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `every card, chart point and breakdown matches SQL on the raw rows (${mode})`,
    inDbMode(mode),
    async (t) => {
      const db = await createTestDatabase(mode);
      try {
        const sql = db.sql;
        const counts = await seed(sql, 11, 7);
        await seed(sql, 12, 8); // another site whose rows must never leak in
        assert(counts.purchases > 10, `dataset has purchases (${counts.purchases})`);
        await refreshRollups(sql);
        const s = site(11);
        const cur = await bounds(sql, "2026-03-14", 7);
        const prev = await bounds(sql, "2026-03-07", 7);
        prev.to = new Date(prev.from.getTime() + (cur.to.getTime() - cur.from.getTime()));

        for (const how of ["hourly rollups", "daily rollups", "raw tables"]) {
          const raw = how === "raw tables";
          if (how === "daily rollups") {
            // Daily rollups are built in the zone of a site's row; until now there was none.
            await giveSitesRows(sql, [11, 12]);
            await refreshRollups(sql);
            const [built] = await sql`select count(*)::int as n from visitor_firsts
            where site_id = 11`;
            assert(built.n > 0, "daily rollups built");
          }
          await t.step(`cards with change vs the previous period (${how})`, async () => {
            const got = await aggregate(sql, s, q({}), { now: NOW, raw });
            assert.deepEqual(got.period.from, cur.from);
            assert.deepEqual(got.period.to, cur.to);
            assert.deepEqual(got.totals, await expectedTotals(sql, 11, cur));
            assert.deepEqual(got.previous, await expectedTotals(sql, 11, prev));
            assert(got.totals.visitors! > 50 && got.totals.revenue! > 0, "non-trivial numbers");
          });

          await t.step(`daily chart in the site's time zone (${how})`, async () => {
            const got = await timeseries(sql, s, q({ dimension: "time:day" }), { now: NOW, raw });
            assert.equal(got.points.length, 7);
            const want = await sql`
            select to_char(date_trunc('day', ts at time zone ${TZ}), 'YYYY-MM-DD"T"HH24:MI') as k,
                   count(distinct visitor_id)::int as visitors,
                   count(*) filter (where type = 'pageview')::int as pageviews
            from events where site_id = 11 and ts >= ${cur.from} and ts < ${cur.to} group by 1`;
            const byDay = new Map(want.map((r) => [r.k, r]));
            for (const p of got.points) {
              assert.equal(p.values.visitors, byDay.get(p.bucket)?.visitors ?? 0, p.bucket);
              assert.equal(p.values.pageviews, byDay.get(p.bucket)?.pageviews ?? 0, p.bucket);
            }
            // Weeks and months clipped by the range count each visitor once, from its start.
            for (const g of ["week", "month"]) {
              const custom = { period: "custom", from: "2026-03-06", to: "2026-03-18" };
              const r = await bounds(sql, "2026-03-06", 13);
              const series = await timeseries(sql, s, q({ ...custom, dimension: `time:${g}` }), {
                now: NOW,
                raw,
              });
              const rows = await sql`
              select to_char(date_trunc(${g}, ts at time zone ${TZ}), 'YYYY-MM-DD"T"HH24:MI') as k,
                     count(distinct visitor_id)::int as visitors
              from events where site_id = 11 and ts >= ${r.from} and ts < ${r.to} group by 1`;
              const byBucket = new Map(rows.map((x) => [x.k, x.visitors]));
              assert.equal(series.points.length, g === "week" ? 3 : 1, `${g}: buckets`);
              for (const p of series.points) {
                assert.equal(p.values.visitors, byBucket.get(p.bucket) ?? 0, `${g} ${p.bucket}`);
              }
            }
            const totals = await expectedTotals(sql, 11, cur);
            const sum = (m: "sessions" | "pageviews" | "revenue") =>
              got.points.reduce((a, p) => a + (p.values[m] ?? 0), 0);
            assert.equal(sum("sessions"), totals.sessions);
            assert.equal(sum("pageviews"), totals.pageviews);
            assert.equal(sum("revenue"), totals.revenue);
            const hourly = await timeseries(
              sql,
              s,
              q({ period: "today", dimension: "time:hour" }),
              {
                now: NOW,
                raw,
              },
            );
            // 11:30 in New York: the hours still to come are not drawn as zeros.
            assert.equal(hourly.points.length, 12);
            assert.equal(hourly.points[0].bucket, "2026-03-20T00:00");
            assert.equal(hourly.points.at(-1)!.bucket, "2026-03-20T11:00");
            assert.equal(hourly.partial, true);
          });

          await t.step(`every breakdown, and rows add up to the totals (${how})`, async () => {
            const totals = await expectedTotals(sql, 11, cur);
            for (const dim of DIMENSIONS) {
              const got = await breakdown(sql, s, q({ dimension: dim, limit: 1000 }), {
                now: NOW,
                raw,
              });
              const want = await expectedRows(sql, 11, cur, dim);
              assert.equal(got.totalRows, want.size, `${dim}: number of rows`);
              for (const row of got.rows) {
                const exp = want.get(row.value ?? "∅");
                assert(exp, `${dim}: unexpected row ${row.value}`);
                for (const [k, v] of Object.entries(exp)) {
                  assert.equal(
                    row.values[k as keyof typeof row.values],
                    v,
                    `${dim}=${row.value} ${k}`,
                  );
                }
                assert(row.values.visitors! <= totals.visitors, `${dim}: visitors within total`);
              }
              const sum = (m: "sessions" | "pageviews" | "revenue" | "events") =>
                got.rows.reduce((a, r) => a + (r.values[m] ?? 0), 0);
              const info = DIMENSION_INFO[dim];
              if (info.scope === "page") assert.equal(sum("pageviews"), totals.pageviews, dim);
              if (info.scope === "visit" || info.scope === "visit_only") {
                assert.equal(sum("sessions"), totals.sessions, `${dim}: sessions add up`);
              }
              if (info.revenue) {
                assert.equal(sum("revenue"), totals.revenue, `${dim}: revenue adds up`);
              }
              // Sorted by visitors, most first.
              const v = got.rows.map((r) => r.values.visitors!);
              assert.deepEqual(v, [...v].sort((a, b) => b - a), `${dim}: sorted`);
            }
            const unmatched = await breakdown(sql, s, q({ dimension: "source", limit: 1000 }), {
              now: NOW,
              raw,
            });
            assert(unmatched.rows.some((r) => r.value === null), "an Unmatched revenue row");
          });
        }

        await t.step("filters narrow every number the documented way", async () => {
          const cases: Array<[Filter[], { events?: string; sessions?: string; credits?: string }]> =
            [
              [[{ dimension: "source", op: "is", value: "YouTube" }], {
                events: "and source = 'YouTube'",
                sessions: "and source = 'YouTube'",
                credits: "and c.source = 'YouTube'",
              }],
              [[{ dimension: "page", op: "is", value: "/pricing" }], {
                events: "and pathname = '/pricing'",
                sessions: `and session_id in (select session_id from events where site_id = 11
              and ts >= $2 and ts < $3 and type = 'pageview' and pathname = '/pricing')`,
                credits: `and exists (select 1 from events ev where ev.site_id = 11
              and ev.session_id = c.session_id and ev.type = 'pageview'
              and ev.pathname = '/pricing')`,
              }],
              [[{ dimension: "goal", op: "is", value: "Signup" }], {
                events: `and session_id in (select session_id from events where site_id = 11
              and ts >= $2 and ts < $3 and type = 'event' and name = 'Signup')`,
                sessions: `and session_id in (select session_id from events where site_id = 11
              and ts >= $2 and ts < $3 and type = 'event' and name = 'Signup')`,
                credits: `and exists (select 1 from events ev where ev.site_id = 11
              and ev.session_id = c.session_id and ev.type = 'event' and ev.name = 'Signup')`,
              }],
              [[
                { dimension: "country", op: "is_not", value: "US" },
                { dimension: "device", op: "is", value: "Mobile" },
              ], {
                events: "and country <> 'US' and device = 'Mobile'",
                sessions: "and country <> 'US' and device = 'Mobile'",
                credits: "and c.country <> 'US' and c.device = 'Mobile'",
              }],
              [[{ dimension: "page", op: "contains", value: "BLOG" }], {
                events: "and pathname ilike '%blog%'",
                sessions: `and session_id in (select session_id from events where site_id = 11
              and ts >= $2 and ts < $3 and type = 'pageview' and pathname ilike '%blog%')`,
                credits: `and exists (select 1 from events ev where ev.site_id = 11
              and ev.session_id = c.session_id and ev.type = 'pageview'
              and ev.pathname ilike '%blog%')`,
              }],
              [[{ dimension: "entry_page", op: "is", value: "/" }], {
                events: `and session_id in (select session_id from sessions where site_id = 11
              and entry_page = '/')`,
                sessions: "and entry_page = '/'",
                credits: "and c.entry_page = '/'",
              }],
            ];
          for (const [filters, where] of cases) {
            const got = await aggregate(sql, s, q({ filters }), { now: NOW });
            const want = await expectedTotals(sql, 11, cur, where);
            assert.deepEqual(got.totals, want, JSON.stringify(filters));
            assert(got.totals.visitors! > 0, `${JSON.stringify(filters)} matches something`);
          }
          const bySource = await breakdown(
            sql,
            s,
            q({
              dimension: "source",
              filters: [{ dimension: "device", op: "is", value: "Mobile" }],
            }),
            { now: NOW },
          );
          const want = await sql`select source, count(distinct visitor_id)::int as visitors,
            count(*)::int as sessions
          from sessions where site_id = 11 and started_at >= ${cur.from}
            and started_at < ${cur.to} and device = 'Mobile' group by 1`;
          assert.equal(bySource.totalRows, want.length);
          for (const w of want) {
            const row = bySource.rows.find((r) => r.value === w.source)!;
            assert.equal(row.values.visitors, w.visitors, w.source);
            assert.equal(row.values.sessions, w.sessions, w.source);
          }
          assert(!bySource.rows.some((r) => r.value === null), "no Unmatched row under a filter");
        });

        await t.step("sorting, paging and a half-hour time zone", async () => {
          const byRevenue = await breakdown(
            sql,
            s,
            q({ dimension: "source", sort: { metric: "revenue", direction: "desc" }, limit: 3 }),
            { now: NOW },
          );
          assert.equal(byRevenue.rows.length, 3);
          const r = byRevenue.rows.map((x) => x.values.revenue!);
          assert.deepEqual(r, [...r].sort((a, b) => b - a));
          const page2 = await breakdown(
            sql,
            s,
            q({
              dimension: "source",
              sort: { metric: "revenue", direction: "desc" },
              limit: 3,
              page: 2,
            }),
            { now: NOW },
          );
          assert(page2.rows[0].values.revenue! <= r[2]);
          assert.equal(page2.totalRows, byRevenue.totalRows);

          // Kolkata midnights fall on half hours: rollups cannot answer, the raw path does.
          const kolkata = site(11, "Asia/Kolkata");
          const kb = await bounds(sql, "2026-03-14", 7, "Asia/Kolkata");
          const got = await aggregate(sql, kolkata, q({}), { now: NOW });
          assert.deepEqual(got.period.from, kb.from);
          const want = await expectedTotals(sql, 11, { from: kb.from, to: got.period.to });
          assert.deepEqual(got.totals, want);
        });
      } finally {
        await db.close();
      }
    },
  );
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `visitors and buyers who return on other days count once per range (${mode})`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const sql = db.sql;
        // A small crowd that keeps coming back and buying, over three weeks, arriving in two
        // parts: the second part's days are rebuilt on top of the first's.
        const visits = [
          ...synthesizeVisits({
            siteId: 13,
            from: new Date("2026-02-27T00:00:00Z"),
            to: NOW,
            visits: 400,
            visitors: 25,
            seed: 3,
            buyRate: 0.3,
          }),
        ];
        const cut = Date.parse("2026-03-12T00:00:00Z");
        await giveSitesRows(sql, [13]);
        await insertVisits(sql, visits.filter((v) => v.session.started_at.getTime() < cut));
        await refreshRollups(sql);
        await insertVisits(sql, visits.filter((v) => v.session.started_at.getTime() >= cut));
        await refreshRollups(sql);
        const s = site(13);
        const cur = await bounds(sql, "2026-03-14", 7);
        const prev = await bounds(sql, "2026-03-07", 7);
        prev.to = new Date(prev.from.getTime() + (cur.to.getTime() - cur.from.getTime()));
        const got = await aggregate(sql, s, q({}), { now: NOW });
        assert.deepEqual(got.totals, await expectedTotals(sql, 13, cur));
        assert.deepEqual(got.previous, await expectedTotals(sql, 13, prev));
        const [repeat] = await sql`select count(*)::int as n from (
          select customer_email from purchases where site_id = 13 and ts >= ${cur.from}
            and ts < ${cur.to} and kind <> 'refund'
          group by 1 having count(distinct (ts at time zone ${TZ})::date) > 1) x`;
        assert(repeat.n > 0, "some buyers buy on several days");
        for (const dim of ["source", "country"] as const) {
          const want = await expectedRows(sql, 13, cur, dim);
          const rows = await breakdown(sql, s, q({ dimension: dim, limit: 100 }), { now: NOW });
          for (const row of rows.rows) {
            const exp = want.get(row.value ?? "∅")!;
            for (const m of ["visitors", "customers", "orders", "revenue"] as const) {
              assert.equal(row.values[m], exp[m] ?? 0, `${dim}=${row.value} ${m}`);
            }
          }
        }
        const custom = { period: "custom", from: "2026-03-04", to: "2026-03-18" };
        const r = await bounds(sql, "2026-03-04", 15);
        const weeks = await timeseries(sql, s, q({ ...custom, dimension: "time:week" }), {
          now: NOW,
        });
        const want = await sql`
        select to_char(date_trunc('week', ts at time zone ${TZ}), 'YYYY-MM-DD"T"HH24:MI') as k,
               count(distinct customer_email)::int as customers
        from purchases where site_id = 13 and ts >= ${r.from} and ts < ${r.to}
          and kind <> 'refund' group by 1`;
        const byWeek = new Map(want.map((x) => [x.k, x.customers]));
        for (const p of weeks.points) {
          assert.equal(p.values.customers, byWeek.get(p.bucket) ?? 0, p.bucket);
        }
      } finally {
        await db.close();
      }
    },
  );
}

Deno.test(
  "a new site's chart starts on the day it began, and its points still add up to the totals",
  inDbMode("server"),
  async () => {
    const db = await createTestDatabase("server");
    try {
      const sql = db.sql;
      await giveSitesRows(sql, [15]);
      // Its first visits (16 March) came before the site was added (18 March).
      await insertVisits(
        sql,
        synthesizeVisits({
          siteId: 15,
          from: new Date("2026-03-16T12:00:00Z"),
          to: NOW,
          visits: 120,
          visitors: 80,
          seed: 9,
        }),
      );
      await refreshRollups(sql);
      const [first] = await sql`select min(ts) as ts from events where site_id = 15`;
      const s: StatsSite = {
        ...site(15),
        created_at: new Date("2026-03-18T15:00:00Z"),
        first_event_at: first.ts,
      };
      for (const raw of [false, true]) {
        const got = await timeseries(sql, s, q({ period: "30d", dimension: "time:day" }), {
          now: NOW,
          raw,
        });
        assert.deepEqual(got.points.map((p) => p.bucket), [
          "2026-03-16T00:00",
          "2026-03-17T00:00",
          "2026-03-18T00:00",
          "2026-03-19T00:00",
          "2026-03-20T00:00",
        ]);
        assert.equal(got.partial, true);
        const totals = await aggregate(sql, s, q({ period: "30d" }), { now: NOW, raw });
        for (const m of ["sessions", "pageviews"] as const) {
          const sum = got.points.reduce((a, p) => a + (p.values[m] ?? 0), 0);
          assert.equal(sum, totals.totals[m], m);
        }
      }
      // Created before its first visit: the chart starts on the day it was created.
      const early = { ...s, created_at: new Date("2026-03-14T15:00:00Z") };
      const got = await timeseries(sql, early, q({ period: "30d", dimension: "time:day" }), {
        now: NOW,
      });
      assert.equal(got.points[0].bucket, "2026-03-14T00:00");
    } finally {
      await db.close();
    }
  },
);

Deno.test(
  "a visit stored while the rollups refresh still reaches the daily numbers (server)",
  inDbMode("server"),
  async () => {
    const db = await createTestDatabase("server");
    const holder = await db.sql.reserve();
    try {
      const sql = db.sql;
      await giveSitesRows(sql, [14]);
      const synth = (seed: number, from: string, to: Date) => [
        ...synthesizeVisits({
          siteId: 14,
          from: new Date(from),
          to,
          visits: 80,
          visitors: 60,
          seed,
        }),
      ];
      await insertVisits(sql, synth(5, "2026-03-14T00:00:00Z", new Date("2026-03-20T14:00:00Z")));
      await refreshRollups(sql);

      // Hold the daily refresh's lock, so a refresh stops between its hourly and daily halves.
      await holder`begin`;
      await holder`select pg_advisory_xact_lock(7295013)`;
      const refreshing = refreshRollups(sql);
      for (let i = 0;; i++) {
        const [w] = await sql`select count(*)::int as n from pg_locks
        where locktype = 'advisory' and objid = 7295013 and not granted`;
        if (w.n > 0) break;
        if (i > 200) throw new Error("the refresh never reached the daily half");
        await new Promise((r) => setTimeout(r, 10));
      }
      // Meanwhile visits arrive in an hour the hourly half has not seen.
      await insertVisits(sql, synth(6, "2026-03-20T15:00:00Z", NOW));
      await holder`commit`;
      await refreshing;
      await refreshRollups(sql); // the job's next tick

      const cur = await bounds(sql, "2026-03-14", 7);
      const got = await aggregate(sql, site(14), q({}), { now: NOW });
      assert.deepEqual(got.totals, await expectedTotals(sql, 14, cur));
    } finally {
      holder.release();
      await db.close();
    }
  },
);

Deno.test(
  "refreshes that overlap (two instances, or the demo and the job) both succeed (server)",
  inDbMode("server"),
  async () => {
    const db = await createTestDatabase("server");
    try {
      const sql = db.sql;
      await giveSitesRows(sql, [15]);
      for (let round = 0; round < 4; round++) {
        const from = new Date(Date.parse("2026-03-14T00:00:00Z") + round * 86_400_000);
        const visits = synthesizeVisits({
          siteId: 15,
          from,
          to: new Date(from.getTime() + 86_400_000),
          visits: 60,
          visitors: 40,
          seed: 20 + round,
        });
        await insertVisits(sql, [...visits]);
        await Promise.all([refreshRollups(sql), refreshRollups(sql), refreshRollups(sql)]);
      }
      const cur = await bounds(sql, "2026-03-14", 7);
      const got = await aggregate(sql, site(15), q({}), { now: NOW });
      assert.deepEqual(got.totals, await expectedTotals(sql, 15, cur));
    } finally {
      await db.close();
    }
  },
);
