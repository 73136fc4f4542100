import assert from "node:assert/strict";
import { runPipeline } from "./pipeline.ts";
import { pipelineDeps, siteFixture, trackerRequest } from "./test_support.ts";

const site = siteFixture();
const MIN = 60_000;

function setup() {
  const deps = pipelineDeps(site);
  const pageview = async (path: string, now: number, referrer = "") => {
    const out = await runPipeline(
      trackerRequest(site, [{ t: "pageview", u: `https://example.com${path}`, r: referrer }], {
        now,
      }),
      deps,
    );
    return out.events[0];
  };
  return { deps, pageview };
}

Deno.test("page views within 30 minutes of each other are one session", async () => {
  const { pageview } = setup();
  const t0 = Date.UTC(2025, 0, 1, 12);
  const a = await pageview("/?utm_source=google&utm_medium=cpc", t0);
  const b = await pageview("/pricing", t0 + 29 * MIN);
  const c = await pageview("/checkout", t0 + 58 * MIN);
  assert.equal(a.session_id, b.session_id);
  assert.equal(b.session_id, c.session_id);
  assert.equal(c.session_started_at, new Date(t0).toISOString());
  // Later events carry the session's acquisition, not their own.
  assert.equal(c.source, "Google");
  assert.equal(c.channel, "Paid Search");
});

Deno.test("30 minutes of inactivity starts a new session", async () => {
  const { pageview } = setup();
  const t0 = Date.UTC(2025, 0, 1, 12);
  const a = await pageview("/", t0);
  const b = await pageview("/", t0 + 31 * MIN, "https://t.co/x");
  assert.notEqual(a.session_id, b.session_id);
  assert.equal(b.source, "X");
});

Deno.test("a new campaign starts a new session", async () => {
  const { pageview } = setup();
  const t0 = Date.UTC(2025, 0, 1, 12);
  const a = await pageview("/?utm_source=newsletter&utm_medium=email&utm_campaign=may", t0);
  const same = await pageview(
    "/?utm_source=newsletter&utm_medium=email&utm_campaign=may",
    t0 + MIN,
  );
  const b = await pageview("/?utm_source=youtube&utm_campaign=review", t0 + 2 * MIN);
  assert.equal(a.session_id, same.session_id);
  assert.notEqual(a.session_id, b.session_id);
  assert.equal(b.source, "YouTube");
});

Deno.test("engagement sent after a long idle joins the visit instead of opening a new one", async () => {
  const { deps, pageview } = setup();
  const t0 = Date.UTC(2025, 0, 1, 12);
  const a = await pageview("/", t0);
  const out = await runPipeline(
    trackerRequest(site, [{ t: "engagement", u: "https://example.com/", em: 120_000, sd: 80 }], {
      now: t0 + 45 * MIN,
    }),
    deps,
  );
  assert.equal(out.events[0].session_id, a.session_id);
});

Deno.test("different visitors never share a session", async () => {
  const { deps } = setup();
  const now = Date.now();
  const one = await runPipeline(
    trackerRequest(site, [{ t: "pageview", u: "https://example.com/" }], {
      v: "visitor-aaaa",
      now,
    }),
    deps,
  );
  const two = await runPipeline(
    trackerRequest(site, [{ t: "pageview", u: "https://example.com/" }], {
      v: "visitor-bbbb",
      now,
    }),
    deps,
  );
  assert.notEqual(one.events[0].session_id, two.events[0].session_id);
});

Deno.test("an imported event from before the visitor's current visit keeps its time and visit", async () => {
  const { pageview } = setup();
  const t0 = Date.UTC(2025, 0, 10, 12);
  const live = await pageview("/", t0);
  const old = await pageview("/old", t0 - 3 * 24 * 60 * MIN);
  const oldNext = await pageview("/older-next", t0 - 3 * 24 * 60 * MIN + 5 * MIN);
  const after = await pageview("/later", t0 + 5 * MIN);
  assert.notEqual(old.session_id, live.session_id);
  assert.equal(old.ts, new Date(t0 - 3 * 24 * 60 * MIN).toISOString(), "not moved to the visit");
  assert.equal(after.session_id, live.session_id, "the current visit goes on");
  assert.notEqual(oldNext.session_id, live.session_id);
});
