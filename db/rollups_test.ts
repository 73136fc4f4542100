/**
 * The rollup refresh serves every tenant at once: one site's data, however odd, must never stop
 * the others' dashboards from updating.
 */
import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import {
  insertSiteRows,
  insertVisits,
  statsSite,
  synthesizeVisits,
} from "../testing/analytics_data.ts";
import { aggregate, type StatsSite } from "../analytics/stats.ts";
import { checkQuery } from "../analytics/query.ts";
import { createLogger } from "../lib/log.ts";
import type { Sql } from "./connect.ts";
import { markRollups, refreshRollups } from "./rollups.ts";

const NOW = new Date("2026-03-20T15:30:00Z");
const TZ = "Europe/Berlin";
const INT8_MAX = 9223372036854775807n;

function makeSites(sql: Sql, ids: number[]) {
  return insertSiteRows(sql, ids, TZ);
}

function site(id: number): StatsSite {
  return statsSite(id, TZ);
}

async function addVisits(sql: Sql, siteId: number, seed: number, from: string) {
  await insertVisits(
    sql,
    synthesizeVisits({ siteId, from: new Date(from), to: NOW, visits: 40, visitors: 30, seed }),
  );
}

/** The dashboard's totals from the rollups, checked against the raw rows. */
async function dashboardPageviews(sql: Sql, siteId: number): Promise<number> {
  const q = checkQuery({ period: "7d" });
  const rolled = await aggregate(sql, site(siteId), q, { now: NOW });
  const raw = await aggregate(sql, site(siteId), q, { now: NOW, raw: true });
  assert.deepEqual(rolled.totals, raw.totals, "the rollups agree with the raw rows");
  return rolled.totals.pageviews as number;
}

/** Purchases stored before amounts were bounded: together they exceed the bigint range. */
async function poisonRevenue(sql: Sql, siteId: number) {
  const big = (INT8_MAX - 10n).toString();
  for (const key of ["evt_huge_1", "evt_huge_2"]) {
    await sql`insert into purchases (ts, site_id, provider, provider_event_id, kind,
        amount_minor, currency, amount_site_minor)
      values ('2026-03-19T10:15:00Z', ${siteId}, 'stripe', ${key}, 'one_time', ${big}::int8,
              'USD', ${big}::int8)`;
  }
  await markRollups(sql, "purchases", [{ siteId, at: "2026-03-19T10:15:00Z" }]);
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `revenue beyond the bigint range in one site leaves other sites' dashboards updating (${mode})`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const sql = db.sql;
        await makeSites(sql, [31, 32]);
        await addVisits(sql, 32, 1, "2026-03-15T00:00:00Z");
        await refreshRollups(sql);
        const before = await dashboardPageviews(sql, 32);

        await poisonRevenue(sql, 31);
        await addVisits(sql, 32, 2, "2026-03-18T00:00:00Z");
        await refreshRollups(sql);
        const after = await dashboardPageviews(sql, 32);
        assert(after > before, `site 32 kept updating (${before} → ${after} pageviews)`);

        // The poisoned site's own hourly revenue is the exact sum, not an error.
        const [rev] = await sql`select sum(amount_site_minor)::text as total from revenue_hourly
        where site_id = 31`;
        assert.equal(rev.total, (2n * (INT8_MAX - 10n)).toString());
      } finally {
        await db.close();
      }
    },
  );
}

Deno.test({
  name: "a site whose rollups cannot be rebuilt is logged by id and never holds back the others",
  ignore: !Deno.env.get("TEST_DATABASE_URL"),
  async fn() {
    const db = await createTestDatabase("server");
    try {
      const sql = db.sql;
      await makeSites(sql, [41, 42]);
      await addVisits(sql, 41, 3, "2026-03-15T00:00:00Z");
      await addVisits(sql, 42, 4, "2026-03-15T00:00:00Z");
      await refreshRollups(sql);
      const before = await dashboardPageviews(sql, 42);

      // A time zone the database no longer knows (tzdata changed under it) breaks site 41's
      // daily rollups; stored by hand because the settings page would refuse it.
      await sql`update sites set timezone = 'Mars/Olympus_Mons' where id = 41`;
      await addVisits(sql, 41, 5, "2026-03-18T00:00:00Z");
      await addVisits(sql, 42, 6, "2026-03-18T00:00:00Z");
      const lines: string[] = [];
      const log = createLogger("info", {}, (line) => lines.push(line));
      await refreshRollups(sql, log);
      const after = await dashboardPageviews(sql, 42);
      assert(after > before, `site 42 kept updating (${before} → ${after} pageviews)`);
      const failures = lines.map((l) => JSON.parse(l)).filter((e) => e.level === "error");
      assert.deepEqual(failures.map((e) => e.siteId), [41]);
      assert.match(JSON.stringify(failures[0].error), /Mars\/Olympus_Mons/);

      // Once the site is repaired, the next refresh catches it up.
      await sql`update sites set timezone = ${TZ} where id = 41`;
      lines.length = 0;
      await refreshRollups(sql, log);
      assert.deepEqual(lines.map((l) => JSON.parse(l)).filter((e) => e.level === "error"), []);
      await dashboardPageviews(sql, 41);
    } finally {
      await db.close();
    }
  },
});

Deno.test(
  "rows a writer commits while a refresh runs reach the rollups, in an hour marked before (server)",
  inDbMode("server"),
  async () => {
    const db = await createTestDatabase("server");
    const writer = await db.sql.reserve();
    try {
      const sql = db.sql;
      await makeSites(sql, [51]);
      const hour = new Date("2026-03-19T09:00:00Z");
      const pageview = (conn: Sql | typeof writer, visitor: string, minute: number) => {
        const at = new Date(hour.getTime() + minute * 60_000);
        return conn`insert into events (ts, event_id, site_id, visitor_id, session_id, type)
          values (${at}, gen_random_uuid(), 51, ${visitor}, gen_random_uuid(), 'pageview')`
          .then(() => markRollups(conn, "events", [{ siteId: 51, at }]));
      };
      await pageview(sql, "first", 5);
      // The writer stores a second pageview in that hour but commits only after a refresh has
      // started (and finished) from a snapshot without it.
      await writer`begin`;
      await pageview(writer, "second", 10);
      await refreshRollups(sql);
      await writer`commit`;
      await refreshRollups(sql); // the job's next tick

      const [rolled] = await sql`select sum(pageviews)::int as n from visitors_hourly
        where site_id = 51 and bucket = ${hour}`;
      assert.equal(rolled.n, 2, "both pageviews are in the hour");
      await dashboardPageviews(sql, 51);
    } finally {
      writer.release();
      await db.close();
    }
  },
);
