import assert from "node:assert/strict";
import postgres from "postgres";
import { migrate, MIGRATIONS_DIR } from "./migrate.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import type { Sql } from "./connect.ts";
import { markRollups, refreshRollups } from "./rollups.ts";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import { insertSiteRows } from "../testing/analytics_data.ts";
import { openDatabase } from "./connect.ts";

const serverUrl = Deno.env.get("TEST_DATABASE_URL");

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `migrations are applied once and a second run does nothing (${mode})`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const versions = await db.sql`select version from schema_migrations order by version`;
        assert(versions.length >= 4, "the template database is migrated");
        const again = await migrate(db.sql);
        assert.deepEqual(again.applied, []);
        // A second run keeps the mode the first chose; embedded always has TimescaleDB, a
        // server has it where the extension is preloaded.
        assert.equal(again.timescale, db.timescale, "a database never switches modes");
        if (mode === "embedded") assert.equal(again.timescale, true);
      } finally {
        await db.close();
      }
    },
  );

  Deno.test(`hourly rollups follow the raw tables (${mode})`, inDbMode(mode), async () => {
    const db = await createTestDatabase(mode);
    try {
      const sql = db.sql;
      const hour = new Date(Date.UTC(2026, 10, 20, 14, 0, 0));
      const at = (min: number) => new Date(hour.getTime() + min * 60_000);
      for (const [min, visitor, path] of [[5, "a", "/"], [10, "a", "/pricing"], [20, "b", "/"]]) {
        await sql`insert into events (ts, event_id, site_id, visitor_id, session_id, type, pathname)
          values (${at(min as number)}, gen_random_uuid(), 7, ${visitor}, gen_random_uuid(),
                  'pageview', ${path})`;
      }
      await sql`insert into purchases (ts, site_id, provider, provider_event_id, kind,
          amount_minor, currency, amount_site_minor)
        values (${at(30)}, 7, 'stripe', 'evt_1', 'one_time', 4900, 'USD', 4900)`;
      // Writers mark the hours they change; these rows went in by hand.
      await markRollups(sql, "events", [5, 10, 20].map((min) => ({ siteId: 7, at: at(min) })));
      await markRollups(sql, "purchases", [{ siteId: 7, at: at(30) }]);
      await refreshRollups(sql);
      const visitors = await sql`
        select v.visitor_key = sextant_visitor_key('a') as is_a, v.pageviews
        from visitors_hourly v where site_id = 7 order by pageviews desc`;
      assert.deepEqual(visitors.map((r) => [r.is_a, r.pageviews]), [[true, 2], [false, 1]]);
      const [bucket] = await sql`select bucket from visitors_hourly where site_id = 7 limit 1`;
      assert.deepEqual((bucket.bucket as Date).toISOString(), hour.toISOString());
      const pages = await sql`select pathname, sum(pageviews)::int as pageviews from pages_hourly
        where site_id = 7 group by pathname order by pathname`;
      assert.deepEqual(pages.map((r) => [r.pathname, r.pageviews]), [["/", 2], ["/pricing", 1]]);
      const [rev] = await sql`select sum(amount_site_minor)::int as cents from revenue_hourly
        where site_id = 7`;
      assert.deepEqual(rev.cents, 4900);

      // Late data for an hour already rolled up is folded in on the next refresh.
      await sql`insert into events (ts, event_id, site_id, visitor_id, session_id, type, pathname)
        values (${at(50)}, gen_random_uuid(), 7, 'c', gen_random_uuid(), 'pageview', '/')`;
      await markRollups(sql, "events", [{ siteId: 7, at: at(50) }]);
      await refreshRollups(sql);
      const [count] = await sql`select count(*)::int as n from visitors_hourly where site_id = 7`;
      assert.deepEqual(count.n, 3);
    } finally {
      await db.close();
    }
  });
}

Deno.test("with TimescaleDB, raw tables are hypertables and rollups the tables plain PostgreSQL has", async () => {
  const db = await createTestDatabase("embedded");
  try {
    const hypertables = await db.sql`
      select hypertable_name from timescaledb_information.hypertables order by 1`;
    const names = hypertables.map((r) => r.hypertable_name);
    assert(names.includes("events") && names.includes("purchases"), names.join(","));
    const caggs = await db.sql`select view_name from timescaledb_information.continuous_aggregates`;
    assert.deepEqual(caggs.length, 0, "one rollup design: no continuous aggregates");
    const rollups = await db.sql`
      select table_name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE'
        and table_name like '%\_hourly' order by 1`;
    assert.deepEqual(rollups.map((r) => r.table_name), [
      "goals_hourly",
      "pages_hourly",
      "revenue_hourly",
      "sessions_hourly",
      "visitors_hourly",
    ]);
    const jobs = await db.sql`select proc_name from timescaledb_information.jobs`;
    const procs = new Set(jobs.map((r) => r.proc_name));
    assert(procs.has("policy_compression") && procs.has("policy_retention"), [...procs].join());
    assert(!procs.has("policy_refresh_continuous_aggregate"), [...procs].join());
  } finally {
    await db.close();
  }
});

Deno.test("a TimescaleDB database from before keeps its hourly rollups and gains daily ones", async () => {
  const dataDir = await Deno.makeTempDir();
  const before = await Deno.makeTempDir();
  for await (const f of Deno.readDir(MIGRATIONS_DIR)) {
    if (f.name < "0080") {
      await Deno.copyFile(new URL(f.name, MIGRATIONS_DIR), `${before}/${f.name}`);
    }
  }
  const pg = await startEmbeddedPostgres(dataDir);
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} }) as unknown as Sql;
  try {
    await migrate(sql, { dir: new URL(`file://${before}/`) });
    await insertSiteRows(sql, [7], "Europe/Berlin");
    const day = new Date(Date.UTC(2026, 10, 20, 14, 0, 0));
    const at = (hours: number) => new Date(day.getTime() + hours * 3_600_000);
    for (const [h, visitor] of [[0, "a"], [1, "a"], [2, "b"], [26, "a"]] as const) {
      await sql`insert into events (ts, event_id, site_id, visitor_id, session_id, type, pathname)
        values (${at(h)}, gen_random_uuid(), 7, ${visitor}, gen_random_uuid(), 'pageview', '/')`;
    }
    // Half of it materialized by the old continuous aggregates, half still only in the raw rows.
    await sql`call refresh_continuous_aggregate('visitors_hourly', null, ${at(2)}::timestamptz)`;

    const { applied } = await migrate(sql);
    assert(applied.some((m) => m.startsWith("0080_")), applied.join());
    const hours = await sql`select bucket, pageviews from visitors_hourly where site_id = 7
      order by bucket`;
    assert.deepEqual(hours.map((r) => [(r.bucket as Date).toISOString(), r.pageviews]), [
      [at(0).toISOString(), 1],
      [at(1).toISOString(), 1],
      [at(2).toISOString(), 1],
      [at(26).toISOString(), 1],
    ]);
    await refreshRollups(sql);
    const days = await sql`select day::text, sum(visitors)::int as visitors from visitor_firsts
      where site_id = 7 and dim = '' group by day order by day`;
    assert.deepEqual(days.map((r) => [r.day, r.visitors]), [["2026-11-20", 2], ["2026-11-21", 1]]);
  } finally {
    await (sql as unknown as { end(): Promise<void> }).end();
    await pg.stop();
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(before, { recursive: true });
  }
});

Deno.test({
  name: "two migrators starting together on an empty database do not collide",
  ignore: !serverUrl,
  async fn() {
    const name = `sextant_mig_${crypto.randomUUID().slice(0, 8)}`;
    const admin = postgres(serverUrl!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const u = new URL(serverUrl!);
    u.pathname = `/${name}`;
    const a = await openDatabase({ url: u.toString() });
    const b = await openDatabase({ url: u.toString() });
    try {
      const [ra, rb] = await Promise.all([migrate(a.sql), migrate(b.sql)]);
      const total = ra.applied.length + rb.applied.length;
      const [n] = await a.sql`select count(*)::int as n from schema_migrations`;
      assert.deepEqual(total, n.n, "each migration was applied by exactly one of them");
      assert(ra.applied.length === 0 || rb.applied.length === 0);
    } finally {
      await a.close();
      await b.close();
      await admin.unsafe(`drop database ${name} with (force)`);
      await admin.end();
    }
  },
});

Deno.test({
  name: "a migration edited after it was applied stops start-up with a sentence",
  ignore: !serverUrl,
  async fn() {
    const db = await createTestDatabase("server");
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/0900_extra.sql`, "create table extra_t (id int);");
      await migrate(db.sql, { dir: new URL(`file://${dir}/`) });
      await Deno.writeTextFile(`${dir}/0900_extra.sql`, "create table extra_t (id bigint);");
      await assert.rejects(
        () => migrate(db.sql, { dir: new URL(`file://${dir}/`) }),
        /changed after it was applied/,
      );
    } finally {
      await db.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
