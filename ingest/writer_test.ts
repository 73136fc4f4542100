import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import { runPipeline } from "./pipeline.ts";
import { createTestSite, pipelineDeps, trackerRequest } from "./test_support.ts";
import type { QueuedBatch } from "./types.ts";
import { writeBatches, writeBatchesSafely } from "./writer.ts";
import { refreshRollups } from "../db/rollups.ts";

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `[${mode}] replaying the same batches stores nothing twice`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const site = await createTestSite(db.sql);
        const deps = pipelineDeps(site);
        const t0 = Date.now() - 60_000;
        const batches: QueuedBatch[] = [];
        for (let i = 0; i < 3; i++) {
          const out = await runPipeline(
            trackerRequest(site, [
              { t: "pageview", u: `https://example.com/p${i}?utm_source=google&utm_medium=cpc` },
              { t: "engagement", u: `https://example.com/p${i}`, em: 4000, sd: 50 },
              { t: "identify", u: `https://example.com/p${i}`, id: "Ada@Example.com", p: { n: i } },
            ], { now: t0 + i * 1000 }),
            deps,
          );
          batches.push({ events: out.events });
        }
        const first = await writeBatches(db.sql, batches);
        assert.equal(first.inserted, 9);
        const again = await writeBatches(db.sql, batches);
        assert.equal(again.inserted, 0);
        // A partial replay mixed with new work: only the new events count.
        const more = await runPipeline(
          trackerRequest(site, [{ t: "pageview", u: "https://example.com/last" }], {
            now: t0 + 5000,
          }),
          deps,
        );
        const mixed = await writeBatches(db.sql, [batches[1], { events: more.events }]);
        assert.equal(mixed.inserted, 1);

        const [{ n }] = await db.sql`select count(*)::int as n from events`;
        assert.equal(n, 10);
        const sessions = await db.sql`select * from sessions`;
        assert.equal(sessions.length, 1);
        const s = sessions[0];
        assert.equal(s.pageviews, 4);
        assert.equal(s.events, 10);
        assert.equal(s.engaged_ms, 12000);
        assert.equal(s.entry_page, "/p0");
        assert.equal(s.exit_page, "/last");
        assert.equal(s.channel, "Paid Search");
        assert.equal(s.source, "Google");
        const ids = await db.sql`select * from identities`;
        assert.equal(ids.length, 1);
        assert.equal(ids[0].identifier, "ada@example.com");
        assert.deepEqual(ids[0].traits, { n: 2 });

        // The writer marks the hours it stores, so the next refresh counts them, once.
        await refreshRollups(db.sql);
        const [rolled] = await db.sql`select
            (select sum(pageviews)::int from visitors_hourly) as pageviews,
            (select sum(events)::int from visitors_hourly) as events,
            (select sum(sessions)::int from sessions_hourly) as sessions`;
        assert.deepEqual({ ...rolled }, { pageviews: 4, events: 10, sessions: 1 });
      } finally {
        await db.close();
      }
    },
  );

  Deno.test(
    `[${mode}] script and SQL in titles, paths, referrers and props are stored as plain data`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const site = await createTestSite(db.sql);
        const deps = pipelineDeps(site);
        const xss = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
        const sqli = `'); drop table events; --`;
        const out = await runPipeline(
          trackerRequest(site, [{
            t: "event",
            n: sqli,
            u: `https://example.com/${encodeURIComponent(xss)}?utm_campaign=${
              encodeURIComponent(sqli)
            }&utm_source=${encodeURIComponent(xss)}`,
            r: `https://ref.example.net/${encodeURIComponent(sqli)}`,
            ti: xss + sqli,
            p: { [xss]: sqli, note: `\\"; select pg_sleep(10); --` },
          }]),
          deps,
        );
        await writeBatches(db.sql, [{ events: out.events }]);
        const [e] = await db.sql`select * from events`;
        assert.equal(e.name, sqli);
        assert.equal(e.title, xss + sqli);
        assert.equal(e.pathname, `/${encodeURIComponent(xss)}`);
        assert.equal(e.campaign, sqli);
        assert.equal(e.source, xss);
        assert.equal(e.referrer, `https://ref.example.net/${encodeURIComponent(sqli)}`);
        assert.deepEqual(e.props, { [xss]: sqli, note: `\\"; select pg_sleep(10); --` });
        const [{ n }] = await db.sql`select count(*)::int as n from sessions`;
        assert.equal(n, 1);
      } finally {
        await db.close();
      }
    },
  );
}

Deno.test("a batch the database refuses is set aside and does not block the others", async () => {
  const db = await createTestDatabase();
  try {
    const site = await createTestSite(db.sql);
    const deps = pipelineDeps(site);
    const batch = async (path: string) => ({
      events: (await runPipeline(
        trackerRequest(site, [{ t: "pageview", u: `https://example.com${path}` }]),
        deps,
      )).events,
    });
    const good1 = await batch("/one");
    const bad = await batch("/bad");
    bad.events[0].ts = "the day after tomorrow";
    const good2 = await batch("/two");
    const refused: number[] = [];
    const r = await writeBatchesSafely(db.sql, [good1, bad, good2], (_e, n) => refused.push(n));
    assert.deepEqual([r.inserted, r.rejected, refused], [2, 1, [1]]);
    const paths = await db.sql`select pathname from events order by pathname`;
    assert.deepEqual(paths.map((p) => p.pathname), ["/one", "/two"]);
    const [reject] = await db
      .sql`select error, convert_from(payload, 'UTF8') as payload from ingest_rejects`;
    assert.match(reject.error, /timestamp|date/i);
    assert.match(reject.payload, /the day after tomorrow/);
  } finally {
    await db.close();
  }
});

Deno.test("NUL characters and broken surrogates are cleaned before they reach the database", async () => {
  const db = await createTestDatabase();
  try {
    const site = await createTestSite(db.sql);
    const deps = pipelineDeps(site);
    const body = JSON.parse(
      '{"t":"event","u":"https://example.com/","n":"A\\u0000B","ti":"x\\ud800y","p":{"k\\u0000":"v\\udfff"}}',
    );
    const out = await runPipeline(trackerRequest(site, [body]), deps);
    const r = await writeBatches(db.sql, [{ events: out.events }]);
    assert.equal(r.inserted, 1);
    const [e] = await db.sql`select name, title, props from events`;
    assert.equal(e.name, "AB");
    assert.equal(e.title, "x\ufffdy");
    assert.deepEqual(e.props, { k: "v\ufffd" });
  } finally {
    await db.close();
  }
});

Deno.test("entry and exit pages stay right when batches are written out of order", async () => {
  const db = await createTestDatabase();
  try {
    const site = await createTestSite(db.sql);
    const deps = pipelineDeps(site);
    const t0 = Date.now() - 600_000;
    const send = async (events: Array<Record<string, unknown>>, at: number) => ({
      events: (await runPipeline(trackerRequest(site, events, { now: at }), deps)).events,
    });
    const a = await send([{ t: "pageview", u: "https://example.com/a" }], t0);
    const b = await send([{ t: "pageview", u: "https://example.com/b" }], t0 + 60_000);
    const c = await send([{ t: "pageview", u: "https://example.com/c" }], t0 + 120_000);
    const later = await send([
      { t: "identify", u: "https://example.com/c", id: "ada@example.com" },
      { t: "engagement", u: "https://example.com/c", em: 9000, sd: 80 },
    ], t0 + 180_000);
    for (const batch of [later, c, a, b]) await writeBatches(db.sql, [batch]);
    const [s] = await db.sql`select * from sessions`;
    assert.equal(s.entry_page, "/a");
    assert.equal(s.exit_page, "/c");
    assert.equal(s.pageviews, 3);
    assert.equal(s.events, 5);
    assert.equal(s.ended_at.getTime(), t0 + 180_000);
    assert.equal(s.started_at.getTime(), t0);
  } finally {
    await db.close();
  }
});
