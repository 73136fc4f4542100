import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { ALL_BUS_KINDS, onBus, testPrefix } from "../testing/bus.ts";
import { waitFor } from "../testing/wait.ts";
import { createTestDatabase, inDbMode } from "../testing/db.ts";
import type { Sql } from "../db/connect.ts";
import {
  connectViewer,
  createMember,
  liveEvent,
  livePurchase,
  type LiveViewerClient,
  testWithApp,
} from "../testing/live.ts";
import { liveChannel, type LiveEvent } from "./messages.ts";
import {
  createShare,
  revokeShare,
  shareUnlockCookie,
  shareUnlockValue,
} from "../accounts/shares.ts";

const SECRET = "test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz";

async function refused(viewer: LiveViewerClient): Promise<string> {
  try {
    await viewer.connected;
  } catch (e) {
    const message = (e as Error).message;
    // A hang is not a refusal: only the server's answer to the handshake counts.
    if (/no snapshot within/.test(message)) {
      throw new Error("the viewer was neither let in nor refused");
    }
    return message;
  } finally {
    viewer.close();
  }
  throw new Error("the viewer was let in");
}

for (const bus of ALL_BUS_KINDS) {
  Deno.test({
    ...onBus(bus),
    name: `a member watching a site gets a snapshot, then its stream, and nothing else (${bus})`,
    async fn() {
      const app = await startTestApp({ bus });
      const viewers: LiveViewerClient[] = [];
      try {
        const a = await createMember(app.db.sql);
        const b = await createMember(app.db.sql);
        const viewA = connectViewer(app.url, { siteId: a.site.id, cookie: a.cookie });
        const viewB = connectViewer(app.url, { siteId: b.site.id, cookie: b.cookie });
        viewers.push(viewA, viewB);
        const snap = await viewA.connected;
        await viewB.connected;
        assert.equal(snap.siteId, a.site.id);
        assert.equal(snap.activeCount, 0);
        assert.deepEqual(snap.visitors, []);

        const forA = liveEvent(a.site.id, { pathname: "/pricing" });
        const sale = livePurchase(a.site.id, { amountMinor: 9900, product: "Pro" });
        await app.ctx.bus.publish(liveChannel(a.site.id), forA);
        await app.ctx.bus.publish(liveChannel(a.site.id), sale);
        // A message claiming another site on A's channel is ignored.
        await app.ctx.bus.publish(liveChannel(a.site.id), liveEvent(b.site.id));
        await viewA.waitFor((m) => m.length >= 2);
        assert.deepEqual(viewA.messages.map((m) => m.kind), ["event", "purchase"]);
        assert.equal(viewA.messages[0].kind === "event" && viewA.messages[0].pathname, "/pricing");

        await app.ctx.bus.publish(liveChannel(b.site.id), liveEvent(b.site.id));
        await viewB.waitFor((m) => m.length === 1);
        // Whatever was meant to reach A before this marker has reached it by the time it lands.
        const marker = liveEvent(a.site.id, { visitorId: "marker" });
        await app.ctx.bus.publish(liveChannel(a.site.id), marker);
        await viewA.waitFor((m) =>
          m.some((x) => x.kind === "event" && x.eventId === marker.eventId)
        );
        assert.equal(viewA.messages.length, 3, "site A's viewer sees nothing of site B");
        assert.equal(viewB.messages.length, 1);
      } finally {
        for (const v of viewers) v.close();
        await app.stop();
      }
    },
  });
}

testWithApp("only members and valid share links may watch a site live", async (app) => {
  const sql = app.db.sql;
  const a = await createMember(sql);
  const b = await createMember(sql);
  const url = app.url;
  const id = a.site.id;

  assert.match(await refused(connectViewer(url, { siteId: id })), /Sign in/);
  assert.match(
    await refused(connectViewer(url, { siteId: id, cookie: b.cookie })),
    /can't watch this site/,
  );
  assert.match(
    await refused(connectViewer(url, { siteId: id, cookie: "sextant_session=forged" })),
    /can't watch/,
  );

  const open = await createShare(sql, app.ctx.secrets, { siteId: id });
  const ok = connectViewer(url, { siteId: id, shareToken: open.token });
  assert.equal((await ok.connected).siteId, id);
  ok.close();
  // A link for site A opens nothing of site B.
  await refused(connectViewer(url, { siteId: b.site.id, shareToken: open.token }));

  const locked = await createShare(sql, app.ctx.secrets, {
    siteId: id,
    password: "letmein-please",
  });
  await refused(connectViewer(url, { siteId: id, shareToken: locked.token }));
  const proof = `${shareUnlockCookie(locked.share.id)}=${await shareUnlockValue(
    SECRET,
    locked.share.id,
  )}`;
  const unlocked = connectViewer(url, { siteId: id, shareToken: locked.token, cookie: proof });
  assert.equal((await unlocked.connected).siteId, id);
  unlocked.close();

  await revokeShare(sql, id, open.share.id);
  await refused(connectViewer(url, { siteId: id, shareToken: open.token }));

  const expired = await createShare(sql, app.ctx.secrets, {
    siteId: id,
    expiresAt: new Date(Date.now() - 1000),
  });
  await refused(connectViewer(url, { siteId: id, shareToken: expired.token }));
});

testWithApp(
  "a page on another origin cannot open the live feed with a member's cookie",
  async (app) => {
    const a = await createMember(app.db.sql);
    const foreign = connectViewer(app.url, {
      siteId: a.site.id,
      cookie: a.cookie,
      origin: "https://evil.example",
    });
    assert.match(await refused(foreign), /may not open/);
    const same = connectViewer(app.url, { siteId: a.site.id, cookie: a.cookie, origin: app.url });
    await same.connected;
    same.close();
  },
);

testWithApp(
  "a reconnecting viewer gets a fresh snapshot with what was stored meanwhile",
  async (app) => {
    const sql = app.db.sql;
    const a = await createMember(sql);
    const viewer = connectViewer(app.url, { siteId: a.site.id, cookie: a.cookie });
    assert.equal((await viewer.connected).activeCount, 0);
    viewer.close();
    const session = crypto.randomUUID();
    for (const [min, path] of [[3, "/"], [2, "/pricing"], [1, "/checkout"]] as const) {
      await sql`insert into events (ts, event_id, site_id, visitor_id, session_id, type,
                pathname, title, source, channel, country, city, lat, lon, device)
      values (now() - make_interval(mins => ${min}), gen_random_uuid(), ${a.site.id}, 'v1',
              ${session}, 'pageview', ${path}, ${path}, 'YouTube', 'Organic Video', 'DE',
              'Berlin', 52.5, 13.4, 'mobile')`;
    }
    // Acquisition and location columns are the session's, copied to each of its events.
    await sql`insert into events (ts, event_id, site_id, visitor_id, session_id, type, name,
              source, channel, country, city, lat, lon, device)
    values (now() - interval '30 seconds', gen_random_uuid(), ${a.site.id}, 'v1', ${session},
            'event', 'signup', 'YouTube', 'Organic Video', 'DE', 'Berlin', 52.5, 13.4,
            'mobile')`;
    await sql`insert into events (ts, event_id, site_id, visitor_id, session_id, type)
    values (now() - interval '20 minutes', gen_random_uuid(), ${a.site.id}, 'gone',
            gen_random_uuid(), 'pageview')`;
    const again = connectViewer(app.url, { siteId: a.site.id, cookie: a.cookie });
    const snap = await again.connected;
    again.close();
    assert.equal(snap.activeCount, 1);
    const [v] = snap.visitors;
    assert.equal(v.visitorId, "v1");
    assert.equal(v.pages, 3);
    assert.equal(v.page, "/checkout");
    assert.equal(v.source, "YouTube");
    assert.equal(v.country, "DE");
    assert.equal(v.device, "mobile");
    assert.deepEqual(v.goals, ["signup"]);
    assert.equal(v.purchased, false);
    assert.ok(Date.parse(v.startedAt) < Date.parse(v.lastSeenAt));
  },
);

Deno.test({
  ...onBus("redis"),
  name: "instances sharing Redis share the live feed (published on A, received on B)",
  async fn() {
    const db = await createTestDatabase();
    const busPrefix = testPrefix();
    const a = await startTestApp({ db, bus: "redis", busPrefix });
    const b = await startTestApp({ db, bus: "redis", busPrefix });
    try {
      const m = await createMember(db.sql);
      const other = await createMember(db.sql);
      const onB = connectViewer(b.url, { siteId: m.site.id, cookie: m.cookie });
      const otherOnB = connectViewer(b.url, { siteId: other.site.id, cookie: other.cookie });
      await onB.connected;
      await otherOnB.connected;
      const e = liveEvent(m.site.id);
      await a.ctx.bus.publish(liveChannel(m.site.id), e);
      await onB.waitFor((msgs) => msgs.length === 1);
      assert.equal(onB.messages[0].kind === "event" && onB.messages[0].eventId, e.eventId);
      // Markers published after it: once they land, any duplicate or stray would have too.
      const marker = liveEvent(m.site.id, { visitorId: "marker" });
      const otherMarker = liveEvent(other.site.id, { visitorId: "marker" });
      await a.ctx.bus.publish(liveChannel(m.site.id), marker);
      await a.ctx.bus.publish(liveChannel(other.site.id), otherMarker);
      await onB.waitFor((msgs) =>
        msgs.some((x) => x.kind === "event" && x.eventId === marker.eventId)
      );
      await otherOnB.waitFor((msgs) => msgs.length >= 1);
      assert.equal(onB.messages.length, 2, "delivered once, not once per instance");
      assert.deepEqual(
        otherOnB.messages.map((x) => x.kind === "event" && x.eventId),
        [otherMarker.eventId],
      );
      onB.close();
      otherOnB.close();
    } finally {
      await a.stop();
      await b.stop();
      await db.close();
    }
  },
});

testWithApp(
  "events arriving while a snapshot loads reach the viewer once: in the snapshot or the stream",
  async (app) => {
    const sql = app.db.sql;
    const a = await createMember(sql);
    const insert = (q: Sql, e: LiveEvent) =>
      q`insert into events (ts, event_id, site_id, visitor_id, session_id, type, pathname,
                            country, lat, lon)
        values (${e.ts}, ${e.eventId}, ${a.site.id}, ${e.visitorId}, ${e.sessionId},
                'pageview', ${e.pathname}, ${e.country}, ${e.lat}, ${e.lon})`;
    // Stored before the viewer connects, but its live message comes late.
    const stored = liveEvent(a.site.id, { visitorId: "early", pathname: "/stored" });
    await insert(sql, stored);
    // Stored while the snapshot is being read, after the snapshot's view of the database.
    const during = liveEvent(a.site.id, { visitorId: "during", pathname: "/during" });
    // A viewer already watching shows when the hub has passed a batch on (and so also to
    // every viewer whose snapshot is still loading).
    const witness = connectViewer(app.url, { siteId: a.site.id, cookie: a.cookie });
    await witness.connected;

    let release!: () => void;
    const held = new Promise<void>((r) => release = r);
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => locked = r);
    const writer = sql.begin(async (tx) => {
      await tx`lock table events in access exclusive mode`;
      await insert(tx as unknown as Sql, during);
      locked();
      await held;
    });
    await isLocked;
    const viewer = connectViewer(app.url, { siteId: a.site.id, cookie: a.cookie });
    // Wait until the hub's snapshot transaction is queued behind the lock.
    await waitFor(async () =>
      (await sql`select 1 from pg_locks
                 where not granted and relation = 'events'::regclass`).length > 0
    );
    await app.ctx.bus.publish(liveChannel(a.site.id), stored);
    await app.ctx.bus.publish(liveChannel(a.site.id), during);
    await witness.waitFor((m) => m.length >= 2);
    release();
    await writer;
    const snap = await viewer.connected;
    const marker = liveEvent(a.site.id, { visitorId: "marker" });
    await app.ctx.bus.publish(liveChannel(a.site.id), marker);
    await viewer.waitFor((m) => m.some((x) => x.kind === "event" && x.eventId === marker.eventId));
    viewer.close();
    witness.close();
    assert.deepEqual(snap.visitors.map((v) => [v.visitorId, v.pages]), [["early", 1]]);
    assert.deepEqual(
      viewer.messages.map((m) => m.kind === "event" && m.eventId),
      [during.eventId, marker.eventId],
      "the event the snapshot holds is not sent again; the one it misses is",
    );
  },
  { dbMode: "server" },
  inDbMode("server"),
);
