import assert from "node:assert/strict";
import {
  ACTIVE_WINDOW_MS,
  activeCount,
  applyMessages,
  dotOpacity,
  filterVisitors,
  type LiveSnapshot,
  mapDots,
  pruneIdle,
  sourcesOf,
  stateFromSnapshot,
  visitorsCentre,
} from "./live_state.ts";
import { liveEvent, livePurchase } from "../testing/live.ts";
import { formatDuration, formatMoney, placeLabel, timeAgo } from "./live_format.ts";
import { isLiveGrantValid, LIVE_GRANT_MS, liveGrant } from "./access.ts";

const T0 = Date.parse("2026-05-01T12:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function emptySnapshot(over: Partial<LiveSnapshot> = {}): LiveSnapshot {
  return {
    siteId: 1,
    at: at(0),
    activeCount: 0,
    truncated: false,
    visitors: [],
    purchases: [],
    currency: "USD",
    ...over,
  };
}

Deno.test("a visitor's pageviews count once each, even when a message arrives twice", () => {
  const state = stateFromSnapshot(emptySnapshot(), T0);
  const session = crypto.randomUUID();
  const first = liveEvent(1, { visitorId: "v1", sessionId: session, ts: at(1), pathname: "/" });
  const second = liveEvent(1, {
    visitorId: "v1",
    sessionId: session,
    ts: at(20),
    pathname: "/pricing",
    title: "Pricing",
  });
  const r1 = applyMessages(state, [first]);
  assert.deepEqual(r1.arrived, ["v1"]);
  const r2 = applyMessages(state, [second, first, second]);
  assert.deepEqual(r2.arrived, [], "a known visitor is not an arrival");
  const v = state.visitors.get("v1")!;
  assert.equal(v.pages, 2);
  assert.equal(v.page, "/pricing");
  assert.equal(v.title, "Pricing");
  assert.equal(v.startedAt, at(1));
  assert.equal(v.lastSeenAt, at(20));
  assert.equal(state.recent.get("v1")!.length, 2);
});

Deno.test("a new session starts the visit over; goals and purchases mark the visitor", () => {
  const state = stateFromSnapshot(emptySnapshot(), T0);
  applyMessages(state, [
    liveEvent(1, { visitorId: "v1", sessionId: "s1", ts: at(1) }),
    liveEvent(1, { visitorId: "v1", sessionId: "s1", ts: at(2), type: "event", name: "Signup" }),
    liveEvent(1, { visitorId: "v1", sessionId: "s1", ts: at(3), type: "event", name: "Signup" }),
  ]);
  assert.deepEqual(state.visitors.get("v1")!.goals, ["Signup"]);
  applyMessages(state, [livePurchase(1, { visitorId: "v1", ts: at(4) })]);
  assert.equal(state.visitors.get("v1")!.purchased, true);
  applyMessages(state, [liveEvent(1, { visitorId: "v1", sessionId: "s2", ts: at(90) })]);
  const v = state.visitors.get("v1")!;
  assert.equal(v.sessionId, "s2");
  assert.equal(v.pages, 1);
  assert.deepEqual(v.goals, []);
  assert.equal(v.purchased, true, "having bought stays true across sessions");
});

Deno.test("messages for another site are ignored", () => {
  const state = stateFromSnapshot(emptySnapshot(), T0);
  const r = applyMessages(state, [liveEvent(2), livePurchase(2)]);
  assert.deepEqual(r, { arrived: [], purchases: [] });
  assert.equal(state.visitors.size, 0);
  assert.equal(state.purchases.length, 0);
});

Deno.test("the purchase feed keeps the newest 20, once each, newest first", () => {
  const state = stateFromSnapshot(emptySnapshot(), T0);
  const sales = Array.from({ length: 25 }, (_, i) => livePurchase(1, { ts: at(i) }));
  const r = applyMessages(state, [...sales, sales[24]]);
  assert.equal(r.purchases.length, 25);
  assert.equal(state.purchases.length, 20);
  assert.equal(state.purchases[0].id, sales[24].purchaseId);
  assert.equal(state.purchases[19].id, sales[5].purchaseId);
  assert.equal(applyMessages(state, [sales[24]]).purchases.length, 0);
});

Deno.test("visitors idle for five minutes leave; a truncated snapshot keeps the server's count", () => {
  const state = stateFromSnapshot(emptySnapshot(), T0);
  applyMessages(state, [
    liveEvent(1, { visitorId: "old", ts: at(0) }),
    liveEvent(1, { visitorId: "new", ts: at(200) }),
  ]);
  assert.equal(pruneIdle(state, T0 + ACTIVE_WINDOW_MS - 1), 0);
  assert.equal(pruneIdle(state, T0 + ACTIVE_WINDOW_MS + 1), 1);
  assert.deepEqual([...state.visitors.keys()], ["new"]);
  assert.equal(activeCount(state), 1);
  const big = stateFromSnapshot(emptySnapshot({ activeCount: 5000, truncated: true }), T0);
  assert.equal(activeCount(big), 5000);
});

Deno.test("the snapshot aligns the client's clock with the server's", () => {
  const state = stateFromSnapshot(emptySnapshot(), T0 - 3000);
  assert.equal(state.clockOffsetMs, 3000);
});

Deno.test("filters by source (Direct included), goal and purchase; sources by popularity", () => {
  const state = stateFromSnapshot(emptySnapshot(), T0);
  applyMessages(state, [
    liveEvent(1, { visitorId: "a", source: "YouTube", ts: at(1) }),
    liveEvent(1, { visitorId: "b", source: "YouTube", ts: at(2) }),
    liveEvent(1, { visitorId: "c", source: "", ts: at(3) }),
    liveEvent(1, { visitorId: "b", type: "event", name: "Signup", source: "YouTube", ts: at(4) }),
    livePurchase(1, { visitorId: "c", ts: at(5) }),
  ]);
  const all = [...state.visitors.values()];
  assert.deepEqual(filterVisitors(all, {}).map((v) => v.visitorId), ["b", "c", "a"]);
  assert.deepEqual(filterVisitors(all, { source: "YouTube" }).map((v) => v.visitorId), ["b", "a"]);
  assert.deepEqual(filterVisitors(all, { source: "Direct" }).map((v) => v.visitorId), ["c"]);
  assert.deepEqual(filterVisitors(all, { goal: true }).map((v) => v.visitorId), ["b"]);
  assert.deepEqual(filterVisitors(all, { purchased: true }).map((v) => v.visitorId), ["c"]);
  assert.deepEqual(sourcesOf(all), [["YouTube", 2], ["Direct", 1]]);
});

Deno.test("visitors at one place share a dot; dots fade with idleness", () => {
  const state = stateFromSnapshot(emptySnapshot(), T0);
  applyMessages(state, [
    liveEvent(1, { visitorId: "a", lat: 52.5, lon: 13.4, city: "Berlin", ts: at(0) }),
    liveEvent(1, { visitorId: "b", lat: 52.5, lon: 13.4, city: "Berlin", ts: at(100) }),
    liveEvent(1, { visitorId: "c", lat: 40.7, lon: -74, ts: at(10) }),
    liveEvent(1, { visitorId: "d", lat: null, lon: null, ts: at(10) }),
  ]);
  const dots = mapDots(state.visitors.values(), T0 + 110_000, new Set(["c"]));
  assert.equal(dots.length, 2);
  const berlin = dots.find((d) => d.label === "Berlin")!;
  assert.equal(berlin.count, 2);
  assert.equal(berlin.idleMs, 10_000);
  assert.equal(berlin.match, false);
  assert.equal(dots.find((d) => d.label !== "Berlin")!.match, true);
  assert.equal(dotOpacity(30_000), 1);
  assert.ok(dotOpacity(180_000) < 1 && dotOpacity(180_000) > dotOpacity(290_000));
  assert.equal(dotOpacity(ACTIVE_WINDOW_MS), 0.15);
});

Deno.test("money, durations and places read the way people say them", () => {
  assert.equal(formatMoney(4900, "USD"), "$49");
  assert.equal(formatMoney(4950, "usd"), "$49.50");
  assert.equal(formatMoney(1200, "JPY"), "¥1,200");
  assert.equal(formatMoney(-4900, "EUR"), "-€49");
  assert.equal(formatMoney(100, "XYZ1"), "1.00 XYZ1");
  assert.equal(formatDuration(45_000), "45s");
  assert.equal(formatDuration(192_000), "3m 12s");
  assert.equal(formatDuration(3_900_000), "1h 05m");
  assert.equal(timeAgo(2000), "just now");
  assert.equal(timeAgo(240_000), "4 min ago");
  assert.equal(placeLabel("DE", "Berlin"), "Berlin, Germany");
  assert.equal(placeLabel("", ""), "Unknown");
});

Deno.test("a live grant proves one share's password for a while, and nothing else", async () => {
  const key = "k".repeat(40);
  const grant = await liveGrant(key, 7, T0);
  assert.equal(await isLiveGrantValid(key, 7, grant, T0 + 1000), true);
  assert.equal(await isLiveGrantValid(key, 8, grant, T0 + 1000), false, "another share");
  assert.equal(await isLiveGrantValid("x".repeat(40), 7, grant, T0), false, "another secret");
  assert.equal(await isLiveGrantValid(key, 7, grant, T0 + LIVE_GRANT_MS + 1), false, "expired");
  const [exp, mac] = grant.split(".");
  assert.equal(await isLiveGrantValid(key, 7, `${Number(exp) + 1}.${mac}`, T0), false, "altered");
  assert.equal(await isLiveGrantValid(key, 7, undefined, T0), false);
});

Deno.test("the globe opens facing where most visitors are", () => {
  const dot = (lon: number, lat: number, count: number) => ({
    lon,
    lat,
    count,
    idleMs: 0,
    match: true,
    label: "",
  });
  const [lon, lat] = visitorsCentre([
    dot(-122.4, 37.8, 4), // San Francisco
    dot(-74, 40.7, 5), // New York
    dot(-99.1, 19.4, 2), // Mexico City
    dot(13.4, 52.5, 1), // Berlin
  ]);
  assert.ok(lon < -60 && lon > -110, `mostly Americas: lon ${lon}`);
  assert.ok(lat > 20 && lat < 50, `lat ${lat}`);
  assert.deepEqual(visitorsCentre([dot(13.4, 52.5, 3)]), [13.4, 52.5], "one place: face it");
  const [pacific] = visitorsCentre([dot(139.7, 35.7, 1), dot(-157.9, 21.3, 1)]);
  assert.ok(Math.abs(pacific) > 150, `Tokyo and Honolulu meet over the Pacific: ${pacific}`);
  assert.deepEqual(visitorsCentre([]), visitorsCentre([dot(0, 0, 1), dot(180, 0, 1)]));
});
