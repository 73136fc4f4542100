/**
 * The live feed end to end through the public paths: events posted to POST /api/collect reach
 * the Socket.IO viewers of that site, on this instance or another one sharing Redis.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { onBus, testPrefix } from "../testing/bus.ts";
import { createTestDatabase } from "../testing/db.ts";
import { collect, connectViewer, createMember, IP_IN, testWithApp } from "../testing/live.ts";
import type { LiveEvent } from "./messages.ts";

const env = { TRUST_PROXY: "1", COLLECT_RATE_LIMIT: "0" };

const events = (messages: unknown[]) => messages as LiveEvent[];

Deno.test({
  ...onBus("redis"),
  name: "events posted to instance A reach a viewer on instance B; other sites' viewers get none",
  async fn() {
    const db = await createTestDatabase();
    const busPrefix = testPrefix();
    const a = await startTestApp({ db, bus: "redis", busPrefix, env });
    const b = await startTestApp({ db, bus: "redis", busPrefix, env });
    try {
      assert.notEqual(a.port, b.port);
      const owner = await createMember(db.sql);
      const other = await createMember(db.sql);
      const viewer = connectViewer(b.url, { siteId: owner.site.id, cookie: owner.cookie });
      const stranger = connectViewer(b.url, { siteId: other.site.id, cookie: other.cookie });
      await viewer.connected;
      await stranger.connected;

      const result = await collect(a.url, owner.site, [
        { t: "pageview", path: "/pricing?utm_source=youtube", ti: "Pricing" },
        { t: "event", path: "/pricing", n: "Signup" },
      ], { visitorId: "visitor-abc-123", ip: IP_IN.DE });
      assert.deepEqual(result, { accepted: 2, dropped: 0 });

      await viewer.waitFor((m) => m.length >= 2);
      const [view, goal] = events(viewer.messages);
      assert.equal(view.type, "pageview");
      assert.equal(view.pathname, "/pricing");
      assert.equal(view.title, "Pricing");
      assert.equal(view.source, "YouTube");
      assert.equal(view.visitorId, "visitor-abc-123");
      assert.equal(view.country, "DE");
      assert.ok(view.lat !== null && view.lon !== null, "coarse coordinates for the globe");
      assert.equal(goal.type, "event");
      assert.equal(goal.name, "Signup");
      assert.equal(goal.sessionId, view.sessionId);
      assert.ok(!JSON.stringify(viewer.messages).includes(IP_IN.DE), "no address on the wire");

      // Markers after them: once these land, a duplicate or a stray would have landed too.
      await collect(a.url, owner.site, [{ t: "pageview", path: "/marker" }], { ip: IP_IN.DE });
      await collect(a.url, other.site, [{ t: "pageview", path: "/marker" }], { ip: IP_IN.DE });
      await viewer.waitFor((m) => events(m).some((e) => e.pathname === "/marker"));
      await stranger.waitFor((m) => m.length >= 1);
      assert.equal(viewer.messages.length, 3, "each event once, though both instances follow");
      assert.deepEqual(
        events(stranger.messages).map((e) => e.pathname),
        ["/marker"],
        "another site's viewer receives only its own site's events",
      );
      viewer.close();
      stranger.close();
    } finally {
      await a.stop();
      await b.stop();
      await db.close();
    }
  },
});

testWithApp("without Redis, events posted to an instance reach its viewers", async (app) => {
  const owner = await createMember(app.db.sql);
  const other = await createMember(app.db.sql);
  const viewer = connectViewer(app.url, { siteId: owner.site.id, cookie: owner.cookie });
  const stranger = connectViewer(app.url, { siteId: other.site.id, cookie: other.cookie });
  await viewer.connected;
  await stranger.connected;
  await collect(app.url, owner.site, [{ t: "pageview", path: "/" }], { ip: IP_IN.FR });
  await viewer.waitFor((m) => m.length === 1);
  assert.equal(events(viewer.messages)[0].country, "FR");
  await collect(app.url, other.site, [{ t: "pageview", path: "/marker" }], { ip: IP_IN.FR });
  await stranger.waitFor((m) => m.length >= 1);
  assert.deepEqual(events(stranger.messages).map((e) => e.pathname), ["/marker"]);
  assert.equal(viewer.messages.length, 1, "the viewer sees nothing of the other site");
  viewer.close();
  stranger.close();
}, { bus: "memory", env });

testWithApp(
  "a viewer who reconnects sees the visitors stored meanwhile, then the stream",
  async (app) => {
    const owner = await createMember(app.db.sql);
    const first = connectViewer(app.url, { siteId: owner.site.id, cookie: owner.cookie });
    assert.equal((await first.connected).activeCount, 0);
    first.close();
    // The tracker batches: the first pageview happened a second before the request.
    await collect(app.url, owner.site, [
      { t: "pageview", path: "/a", a: 1000 },
      { t: "pageview", path: "/b", a: 0 },
    ], { visitorId: "visitor-returning", ip: IP_IN.GB });
    // The writer stores batches in the background; the snapshot reads what is stored.
    const snapshotNow = async () => {
      const v = connectViewer(app.url, { siteId: owner.site.id, cookie: owner.cookie });
      try {
        return await v.connected;
      } finally {
        v.close();
      }
    };
    const deadline = Date.now() + 10_000;
    let snap = await snapshotNow();
    while (snap.activeCount === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      snap = await snapshotNow();
    }
    assert.equal(snap.activeCount, 1);
    assert.equal(snap.visitors[0].pages, 2);
    assert.equal(snap.visitors[0].page, "/b");
    assert.equal(snap.visitors[0].country, "GB");
    const viewer = connectViewer(app.url, { siteId: owner.site.id, cookie: owner.cookie });
    await viewer.connected;
    await collect(app.url, owner.site, [{ t: "pageview", path: "/c" }], {
      visitorId: "visitor-returning",
      ip: IP_IN.GB,
    });
    await viewer.waitFor((m) => m.length === 1);
    viewer.close();
  },
  { env },
);
