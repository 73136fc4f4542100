import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { createTestDatabase, type TestDatabase } from "../testing/db.ts";
import { testPrefix, testRedisUrl } from "../testing/bus.ts";
import { CHROME_UA, createTestSite, waitFor } from "./test_support.ts";
import type { Site } from "../accounts/sites.ts";
import { INGEST_QUEUE } from "./ingestor.ts";

const redis = testRedisUrl();
const serverDb = Deno.env.get("TEST_DATABASE_URL");

async function databaseUrl(db: TestDatabase): Promise<string> {
  const [{ name }] = await db.sql`select current_database() as name`;
  const u = new URL(serverDb!);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Posts `requests` tracker requests of `perRequest` events each, for distinct visitors. */
async function load(app: TestApp, site: Site, requests: number, perRequest: number, tag = "") {
  let accepted = 0;
  const one = async (i: number) => {
    const events = Array.from({ length: perRequest }, (_, k) => ({
      t: k === 0 ? "pageview" : "event",
      n: k === 0 ? undefined : "Step",
      u: `https://example.com/p${k}?utm_source=newsletter`,
    }));
    const res = await app.fetch("/api/collect", {
      method: "POST",
      headers: { "user-agent": CHROME_UA, origin: "https://example.com" },
      body: JSON.stringify({
        s: site.public_id,
        v: `v${tag}-${String(i).padStart(6, "0")}`,
        e: events,
      }),
    });
    const body = await res.json();
    assert.equal(res.status, 202, JSON.stringify(body));
    accepted += body.accepted as number;
  };
  for (let i = 0; i < requests; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, requests - i) }, (_, k) => one(i + k)));
  }
  return accepted;
}

const count = async (db: TestDatabase) =>
  (await db.sql`select count(*)::int as n from events`)[0].n as number;

Deno.test({
  name: "a writer killed mid-batch loses nothing and double-counts nothing after restart (Redis)",
  ignore: !redis || !serverDb,
  async fn() {
    const db = await createTestDatabase("server");
    const prefix = testPrefix();
    // This instance only accepts; the writer runs in a child process we can kill.
    const app = await startTestApp({
      db,
      bus: "redis",
      busPrefix: prefix,
      env: { INGEST_WRITERS: "0", COLLECT_RATE_LIMIT: "0" },
    });
    const env = {
      DATABASE_URL: await databaseUrl(db),
      REDIS_URL: redis!,
      BUS_PREFIX: prefix,
      INGEST_WRITER_NAME: "writer-under-test",
      LOG_LEVEL: "error",
    };
    const spawn = () => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("./testdata/writer_process.ts", import.meta.url).pathname],
        env,
        stdout: "null",
        stderr: "inherit",
      }).spawn();
      return child;
    };
    let child: Deno.ChildProcess | undefined;
    try {
      const site = await createTestSite(db.sql);
      const accepted = await load(app, site, 1500, 10);
      assert.equal(accepted, 15_000);

      // The writer takes its first batch and is held on a lock at the insert, mid-batch, so the
      // kill always lands before it could finish, however fast or slow this machine is.
      const holder = await db.sql.reserve();
      await holder`begin`;
      await holder`lock table events in access exclusive mode`;
      child = spawn();
      await waitFor(async () =>
        (await db.sql`select 1 from pg_locks
                      where not granted and relation = 'events'::regclass`).length > 0
      );
      child.kill("SIGKILL");
      await child.status;
      await holder`rollback`;
      holder.release();
      const atKill = await count(db);
      assert.ok(atKill < accepted, `the writer was killed before finishing (${atKill} stored)`);

      child = spawn();
      await waitFor(async () => (await count(db)) === accepted, 60_000);
      // Every batch acknowledged and gone from the stream: nothing is left to replay.
      await waitFor(async () => (await app.ctx.bus.depth(INGEST_QUEUE)) === 0);
      assert.equal(await count(db), accepted);
      const [s] = await db.sql`
        select count(*)::int as sessions, sum(pageviews)::int as pageviews,
               sum(events)::int as events from sessions`;
      assert.deepEqual(s, { sessions: 1500, pageviews: 1500, events: accepted });
      child.kill("SIGTERM");
      await child.status;
      child = undefined;
    } finally {
      if (child) {
        child.kill("SIGKILL");
        await child.status;
      }
      await app.stop();
      await db.close();
    }
  },
});

Deno.test({
  name: "two instances share the Redis queue and sessions: every event stored once",
  ignore: !redis,
  async fn() {
    const db = await createTestDatabase();
    const prefix = testPrefix();
    const opts = { db, bus: "redis" as const, busPrefix: prefix, env: { COLLECT_RATE_LIMIT: "0" } };
    const a = await startTestApp(opts);
    const b = await startTestApp(opts);
    try {
      const site = await createTestSite(db.sql);
      const accepted = (await load(a, site, 200, 3, "a")) + (await load(b, site, 200, 3, "b"));
      // One visitor's page views land on both instances and still form one session.
      for (const [i, app] of [a, b, a, b].entries()) {
        const res = await app.fetch("/api/collect", {
          method: "POST",
          headers: { "user-agent": CHROME_UA, origin: "https://example.com" },
          body: JSON.stringify({
            s: site.public_id,
            v: "roaming-visitor",
            e: [{ t: "pageview", u: `https://example.com/step${i}` }],
          }),
        });
        assert.equal(res.status, 202);
        await res.body?.cancel();
      }
      await waitFor(async () => (await count(db)) === accepted + 4, 20_000);
      const [roaming] = await db.sql`
        select count(*)::int as n, sum(pageviews)::int as pageviews from sessions
        where visitor_id = 'roaming-visitor'`;
      assert.deepEqual(roaming, { n: 1, pageviews: 4 });
    } finally {
      await a.stop();
      await b.stop();
      await db.close();
    }
  },
});
