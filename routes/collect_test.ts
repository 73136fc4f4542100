import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { createTestDatabase } from "../testing/db.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { liveChannel, type LiveEvent } from "../realtime/messages.ts";
import { CHROME_UA, createTestSite, pageviewBody, waitFor } from "../ingest/test_support.ts";

const post = (app: TestApp, body: unknown, headers: Record<string, string> = {}) =>
  app.fetch("/api/collect", {
    method: "POST",
    headers: {
      "content-type": "text/plain",
      "user-agent": CHROME_UA,
      origin: "https://example.com",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const count = async (app: TestApp, table = "events") =>
  (await app.ctx.db.sql`select count(*)::int as n from ${app.ctx.db.sql(table)}`)[0].n as number;

Deno.test("collect accepts a pageview, stores it with its session and marks the site live", async () => {
  const app = await startTestApp();
  try {
    const site = await createTestSite(app.ctx.db.sql);
    const res = await post(
      app,
      pageviewBody(site, {
        url: "https://example.com/pricing?utm_source=youtube&utm_medium=video&utm_campaign=launch",
      }),
    );
    assert.equal(res.status, 202);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.deepEqual(await res.json(), { accepted: 1, dropped: 0 });
    const sql = app.ctx.db.sql;
    await waitFor(async () => (await count(app, "sessions")) === 1);
    const [e] = await sql`select * from events`;
    assert.equal(e.pathname, "/pricing");
    assert.equal(e.source, "YouTube");
    assert.equal(e.channel, "Organic Video");
    assert.equal(e.browser, "Chrome");
    assert.equal(e.device, "Desktop");
    assert.equal(e.screen, "1920x1080");
    const [s] = await sql`select * from sessions`;
    assert.equal(s.pageviews, 1);
    assert.equal(s.entry_page, "/pricing");
    // The site is marked live off the request path, so this waits for it rather than racing it.
    await waitFor(async () =>
      (await sql`select 1 from sites where id = ${site.id} and first_event_at is not null`)
        .length === 1
    );
  } finally {
    await app.stop();
  }
});

Deno.test("bad requests get the documented 4xx with a sentence", async () => {
  const app = await startTestApp({ env: { COLLECT_RATE_LIMIT: "8" } });
  try {
    const site = await createTestSite(app.ctx.db.sql);
    const check = async (res: Response, status: number, pattern: RegExp) => {
      const body = await res.json();
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(body.error, pattern);
    };
    await check(await post(app, "{not json"), 400, /not valid JSON/);
    await check(await post(app, { s: site.public_id, e: [{ t: "pageview" }] }), 400, /e\[0\]\.u/);
    const big = pageviewBody(site, { title: "x".repeat(70 * 1024) });
    await check(await post(app, big), 413, /larger than 64 KB/);
    await check(await post(app, { ...pageviewBody(site), s: "unknown-site" }), 404, /data-site/);
    await check(
      await post(app, pageviewBody(site), { origin: "https://copycat.test" }),
      403,
      /copycat\.test/,
    );
    const preflight = await app.fetch("/api/collect", { method: "OPTIONS" });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.equal(preflight.headers.get("access-control-allow-headers"), "Content-Type");
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
    await preflight.body?.cancel();
    // The eight-per-minute budget is spent by now (the preflight is free).
    for (let i = 0; i < 3; i++) await (await post(app, pageviewBody(site))).body?.cancel();
    const limited = await post(app, pageviewBody(site));
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.match((await limited.json()).error, /slow down/);
    await waitFor(async () => (await count(app)) === 3);
  } finally {
    await app.stop();
  }
});

Deno.test("collect answers 503 with Retry-After when the queue is over its bound, and loses nothing", async () => {
  const db = await createTestDatabase();
  const app = await startTestApp({ db, env: { INGEST_QUEUE_MAX: "1" } });
  const blocker = await db.sql.reserve();
  try {
    const site = await createTestSite(db.sql);
    // Hold the events table so the writer cannot drain.
    await blocker`begin`;
    await blocker`lock table events in access exclusive mode`;
    const first = await post(app, pageviewBody(site));
    assert.equal(first.status, 202);
    await first.body?.cancel();
    const second = await post(app, pageviewBody(site, { v: "visitor-0002" }));
    assert.equal(second.status, 503);
    assert.equal(second.headers.get("retry-after"), "5");
    assert.match((await second.json()).error, /retry/i);
    await blocker`rollback`;
    await waitFor(async () => (await count(app)) === 1);
    const third = await post(app, pageviewBody(site, { v: "visitor-0003" }));
    assert.equal(third.status, 202);
    await third.body?.cancel();
    await waitFor(async () => (await count(app)) === 2);
  } finally {
    blocker.release();
    await app.stop();
    await db.close();
  }
});

Deno.test("accepted events are published on the site's live channel at once", async () => {
  const app = await startTestApp();
  try {
    const site = await createTestSite(app.ctx.db.sql);
    const seen: LiveEvent[] = [];
    const off = await app.ctx.bus.subscribe(liveChannel(site.id), (m) => seen.push(m as LiveEvent));
    const res = await post(
      app,
      pageviewBody(site, { url: "https://example.com/live?ref=twitter" }),
    );
    await res.body?.cancel();
    await waitFor(() => Promise.resolve(seen.length === 1));
    const m = seen[0];
    assert.equal(m.kind, "event");
    assert.equal(m.siteId, site.id);
    assert.equal(m.type, "pageview");
    assert.equal(m.pathname, "/live");
    assert.equal(m.source, "X");
    assert.equal(m.visitorId, "visitor-0001");
    assert.ok(!("ip" in m));
    await off();
  } finally {
    await app.stop();
  }
});

Deno.test("shutdown drains every accepted event and stores the drop counts", async () => {
  const db = await createTestDatabase();
  const app = await startTestApp({ db, env: { COLLECT_RATE_LIMIT: "0" } });
  let accepted = 0;
  let site;
  try {
    site = await createTestSite(db.sql);
    const sends = [];
    for (let i = 0; i < 200; i++) {
      const body = pageviewBody(site, { v: `visitor-${String(i).padStart(4, "0")}` });
      sends.push(
        post(app, body).then(async (r) => {
          const { accepted: n } = await r.json();
          accepted += n ?? 0;
        }),
      );
    }
    sends.push(
      post(app, pageviewBody(site), { "user-agent": "Googlebot/2.1" }).then((r) => r.json()),
    );
    await Promise.all(sends);
  } finally {
    await app.stop();
  }
  try {
    assert.equal(accepted, 200);
    const [{ n }] = await db.sql`select count(*)::int as n from events`;
    assert.equal(n, accepted);
    const drops = await db.sql`select reason, count::int from ingest_drops where site_id = ${
      site!.id
    }`;
    assert.deepEqual(drops.map((d) => [d.reason, d.count]), [["bot", 1]]);
  } finally {
    await db.close();
  }
});

Deno.test("the events API takes server-side events with an API key, scoped to its org and site", async () => {
  const app = await startTestApp();
  try {
    const sql = app.ctx.db.sql;
    const site = await createTestSite(sql);
    const other = await createTestSite(sql, {}, "other.example");
    const sibling = await sql`
      insert into sites (org_id, public_id, domain, name) values (${site.org_id}, 'sibling01', 'sibling.example', 'Sibling')
      returning public_id`;
    const { secret } = await createApiKey(sql, { orgId: site.org_id, name: "server" });
    const { secret: limited } = await createApiKey(sql, {
      orgId: site.org_id,
      name: "only site",
      siteId: site.id,
    });
    const send = (key: string | null, body: unknown) =>
      app.fetch("/api/v1/events", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const ts = new Date(Date.now() - 60_000).toISOString();
    const event = {
      type: "event",
      name: "Subscription renewed",
      visitor_id: "visitor-0001",
      timestamp: ts,
      event_id: crypto.randomUUID(),
      url: "https://example.com/account",
      props: { plan: "pro" },
      ip: "81.2.69.142",
      user_agent: CHROME_UA,
    };
    let res = await send(null, { site: site.public_id, events: [event] });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    res = await send(secret, { site: other.public_id, events: [event] });
    assert.equal(res.status, 404, "another org's site looks missing");
    await res.body?.cancel();
    res = await send(limited, { site: sibling[0].public_id, events: [event] });
    assert.equal(res.status, 403);
    assert.match((await res.json()).error, /limited to another site/);
    res = await send(secret, { site: site.public_id, events: [{ ...event, visitor_id: "" }] });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error, /events\[0\]\.visitor_id/);
    res = await send(limited, { site: site.public_id, events: [event] });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { accepted: 1, dropped: 0 });
    // Retrying with the same id and timestamp stores it once.
    res = await send(secret, { site: site.public_id, events: [event] });
    assert.equal(res.status, 202);
    await res.body?.cancel();
    // A marker sent after the retry: once it is stored, a duplicate would have been too.
    res = await send(secret, {
      site: site.public_id,
      events: [{ ...event, name: "Marker", event_id: crypto.randomUUID() }],
    });
    await res.body?.cancel();
    await waitFor(async () => (await sql`select 1 from events where name = 'Marker'`).length === 1);
    const rows = await sql`select * from events where name <> 'Marker'`;
    assert.equal(rows.length, 1);
    assert.equal(rows[0].name, "Subscription renewed");
    assert.equal(rows[0].country, "GB");
    assert.equal(rows[0].browser, "Chrome");
    assert.equal(rows[0].ts.toISOString(), ts);
  } finally {
    await app.stop();
  }
});

Deno.test("behind a proxy, a spoofed left-most X-Forwarded-For changes neither the rate limit nor the location", async () => {
  const app = await startTestApp({ env: { TRUST_PROXY: "on", COLLECT_RATE_LIMIT: "2" } });
  try {
    const site = await createTestSite(app.ctx.db.sql);
    // The proxy appends the address it saw (a German one) to whatever the client sent.
    const via = (spoof: string) => ({ "x-forwarded-for": `${spoof}, 194.25.2.129` });
    assert.equal((await post(app, pageviewBody(site), via("212.27.40.240"))).status, 202);
    assert.equal((await post(app, pageviewBody(site), via("2.125.160.216"))).status, 202);
    const third = await post(app, pageviewBody(site), via("80.58.61.250"));
    assert.equal(third.status, 429, "a new left-most address does not reset the limit");
    await third.body?.cancel();
    await waitFor(async () => (await count(app)) === 2);
    const rows = await app.ctx.db.sql`select distinct country from events`;
    assert.deepEqual(rows.map((r) => r.country), ["DE"]);
  } finally {
    await app.stop();
  }
});
