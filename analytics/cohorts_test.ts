/**
 * The cohort grid checked against SQL written here from the definition, over generated visits
 * and purchases in every database mode: weekly and monthly, by first visit or first purchase,
 * and only one first source.
 */
import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import { insertSiteRows, insertVisits, synthesizeVisits } from "../testing/analytics_data.ts";
import type { Sql } from "../db/connect.ts";
import { cohortGrid, type CohortOptions, gridsBySource, parseCohortParams } from "./cohorts.ts";
import { Invalid } from "../lib/errors.ts";

const SITE = 51;
const TZ = "America/Los_Angeles";
const NOW = new Date("2026-06-10T12:00:00Z");

/** Every cell from the definition: members by their first visit or purchase, then visits. */
async function expected(sql: Sql, o: CohortOptions) {
  const unit = o.unit === "week" ? "1 week" : "1 month";
  const joined = o.by === "first_visit"
    ? "(select min(started_at) from sessions s where s.site_id = $1 and s.visitor_id = v.visitor_id)"
    : `(select min(ts) from purchases p where p.site_id = $1 and p.visitor_id = v.visitor_id
         and p.kind <> 'refund')`;
  const source = o.source === undefined ? "true" : `(select source from sessions s
    where s.site_id = $1 and s.visitor_id = m.visitor_id order by started_at limit 1) = $4`;
  return await sql.unsafe(
    `with v as (select distinct visitor_id from sessions where site_id = $1),
     m0 as (select visitor_id, ${joined} as joined from v),
     m as (select m0.*, date_trunc('${o.unit}', joined at time zone '${TZ}') as cohort
       from m0 where joined is not null),
     c as (select cohort, count(*)::int as size, array_agg(visitor_id) as who,
             min(joined) as j from m
       where ${source} and cohort >= date_trunc('${o.unit}', $2::timestamptz at time zone '${TZ}')
         - ($3::int - 1) * interval '${unit}'
       group by 1)
     select to_char(c.cohort, 'YYYY-MM-DD') as cohort, c.size,
       (select coalesce(sum(p.amount_site_minor), 0)::int from purchases p join m
          on m.visitor_id = p.visitor_id where p.site_id = $1 and m.visitor_id = any(c.who)
          and p.ts >= m.joined) as revenue,
       array(select (select count(*) from m where m.visitor_id = any(c.who) and exists (
           select 1 from sessions s where s.site_id = $1 and s.visitor_id = m.visitor_id
             and s.started_at >= m.joined
             and (s.started_at at time zone '${TZ}') >= c.cohort + k * interval '${unit}'
             and (s.started_at at time zone '${TZ}') < c.cohort + (k + 1) * interval '${unit}'))
         from generate_series(0, 30) k
         where c.cohort + k * interval '${unit}' <= $2::timestamptz at time zone '${TZ}'
         order by k) as active
     from c order by c.cohort`,
    o.source === undefined ? [SITE, NOW, o.periods] : [SITE, NOW, o.periods, o.source],
  );
}

for (const mode of ALL_DB_MODES) {
  Deno.test(`cohort cells match SQL from the definition (${mode})`, inDbMode(mode), async () => {
    const db = await createTestDatabase(mode);
    try {
      const sql = db.sql;
      await insertSiteRows(sql, [SITE, SITE + 1], TZ);
      for (const [id, seed] of [[SITE, 21], [SITE + 1, 22]]) {
        await insertVisits(
          sql,
          synthesizeVisits({
            siteId: id,
            from: new Date("2026-02-01T00:00:00Z"),
            to: NOW,
            visits: 1200,
            visitors: 500,
            seed,
            buyRate: 0.08,
          }),
        );
      }
      await sql`analyze`;
      const cases: CohortOptions[] = [
        { unit: "week", by: "first_visit", periods: 8 },
        { unit: "month", by: "first_visit", periods: 6 },
        { unit: "month", by: "first_purchase", periods: 6 },
        { unit: "week", by: "first_visit", periods: 10, source: "Google" },
      ];
      for (const o of cases) {
        const got = await cohortGrid(sql, { id: SITE, timezone: TZ }, { ...o, now: NOW });
        const want = await expected(sql, o);
        assert.ok(want.length > 1, JSON.stringify(o));
        assert.deepEqual(
          got.map((x) => ({ cohort: x.cohort, size: x.size, revenue: x.revenue })),
          want.map((x) => ({ cohort: x.cohort, size: x.size, revenue: x.revenue })),
          JSON.stringify(o),
        );
        for (const [i, row] of got.entries()) {
          const active = (want[i].active as Array<number | string>).map(Number);
          assert.deepEqual(
            row.retention,
            active.map((n) => Math.round((10_000 * n) / want[i].size) / 100),
            `${JSON.stringify(o)} ${row.cohort}`,
          );
        }
      }

      // Split by first source: each source's grid is that source's cohorts from the definition.
      const sources = (await sql`select distinct source from sessions where site_id = ${SITE}`)
        .map((r) => r.source as string);
      assert.ok(sources.length > 3);
      for (
        const o of [
          { unit: "month", by: "first_visit", periods: 6, split: "source" },
          { unit: "week", by: "first_purchase", periods: 12, split: "source" },
        ] as CohortOptions[]
      ) {
        const got = await cohortGrid(sql, { id: SITE, timezone: TZ }, { ...o, now: NOW });
        let seen = 0;
        for (const source of sources) {
          const want = await expected(sql, { ...o, split: undefined, source });
          const mine = got.filter((x) => x.source === source);
          seen += mine.length;
          assert.deepEqual(
            mine.map((x) => ({ cohort: x.cohort, size: x.size, revenue: x.revenue })),
            want.map((x) => ({ cohort: x.cohort, size: x.size, revenue: x.revenue })),
            `${JSON.stringify(o)} ${source}`,
          );
          for (const [i, row] of mine.entries()) {
            const active = (want[i].active as Array<number | string>).map(Number);
            assert.deepEqual(
              row.retention,
              active.map((n) => Math.round((10_000 * n) / want[i].size) / 100),
              `${JSON.stringify(o)} ${source} ${row.cohort}`,
            );
          }
        }
        assert.equal(seen, got.length, "every row belongs to a first source");
        const blocks = gridsBySource(got, 3);
        assert.equal(blocks.length, 3);
        assert.ok(blocks[0].size >= blocks[1].size && blocks[1].size >= blocks[2].size);
      }
    } finally {
      await db.close();
    }
  });
}

Deno.test("cohort parameters are checked with a sentence", () => {
  for (
    const q of ["unit=day", "by=last_visit", "periods=0", "periods=99", "periods=x", "split=city"]
  ) {
    assert.throws(() => parseCohortParams(new URLSearchParams(q)), Invalid, q);
  }
  assert.deepEqual(parseCohortParams(new URLSearchParams("unit=month&source=Google")), {
    unit: "month",
    by: "first_visit",
    periods: 12,
    source: "Google",
  });
});
