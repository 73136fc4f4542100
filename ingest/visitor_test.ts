import assert from "node:assert/strict";
import { createMemoryBus } from "../bus/memory.ts";
import { createTestDatabase } from "../testing/db.ts";
import { runPipeline } from "./pipeline.ts";
import { CHROME_UA, IPHONE_UA, pipelineDeps, siteFixture, trackerRequest } from "./test_support.ts";
import { cookielessId, DatabaseSalts, type SaltSource } from "./visitor.ts";

const DAY = 86_400_000;

Deno.test("daily salts: one per UTC day, yesterday's kept, older ones forgotten", async () => {
  const db = await createTestDatabase();
  try {
    const t0 = Date.UTC(2025, 2, 10, 23, 59);
    const day1 = await new DatabaseSalts(db.sql).current(t0);
    const again = await new DatabaseSalts(db.sql).current(t0 + 30_000);
    assert.equal(again.today, day1.today, "a second instance reads the same salt");
    const day2 = await new DatabaseSalts(db.sql).current(t0 + 2 * 60_000);
    assert.notEqual(day2.today, day1.today);
    assert.equal(day2.yesterday, day1.today);
    const day4 = await new DatabaseSalts(db.sql).current(t0 + 3 * DAY);
    assert.equal(day4.yesterday, null);
    const left = await db.sql`select day from ingest_salts`;
    assert.equal(left.length, 1, "salts older than yesterday are deleted");
  } finally {
    await db.close();
  }
});

Deno.test("cookieless ids depend on salt, site, address and browser", () => {
  const base = cookielessId("salt", 1, "203.0.113.7", CHROME_UA);
  assert.equal(base.length, 22);
  assert.equal(cookielessId("salt", 1, "203.0.113.7", CHROME_UA), base);
  assert.notEqual(cookielessId("salt2", 1, "203.0.113.7", CHROME_UA), base);
  assert.notEqual(cookielessId("salt", 2, "203.0.113.7", CHROME_UA), base);
  assert.notEqual(cookielessId("salt", 1, "203.0.113.8", CHROME_UA), base);
  assert.notEqual(cookielessId("salt", 1, "203.0.113.7", IPHONE_UA), base);
});

Deno.test("cookieless sites ignore client ids; a visit crossing midnight stays one visitor", async () => {
  const site = siteFixture({ cookieless: true });
  let salts = { today: "day-1", yesterday: "day-0" as string | null };
  const source: SaltSource = { current: () => Promise.resolve(salts) };
  const deps = {
    sites: { byPublicId: () => Promise.resolve(site) },
    kv: createMemoryBus().kv,
    salts: source,
  };
  const t0 = Date.UTC(2025, 2, 10, 23, 50);
  const pv = (now: number) =>
    runPipeline(
      trackerRequest(site, [{ t: "pageview", u: "https://example.com/" }], {
        v: "client-id-ignored",
        ip: "203.0.113.7",
        now,
      }),
      deps,
    );
  const before = (await pv(t0)).events[0];
  assert.equal(before.visitor_id, cookielessId("day-1", site.id, "203.0.113.7", CHROME_UA));
  salts = { today: "day-2", yesterday: "day-1" };
  const after = (await pv(t0 + 15 * 60_000)).events[0];
  assert.equal(after.visitor_id, before.visitor_id);
  assert.equal(after.session_id, before.session_id);
  // The next visit, hours later, gets today's id.
  const later = (await pv(t0 + 5 * 3_600_000)).events[0];
  assert.equal(later.visitor_id, cookielessId("day-2", site.id, "203.0.113.7", CHROME_UA));
});

Deno.test("browsers without storage get a cookieless id instead of none", async () => {
  const site = siteFixture();
  const deps = pipelineDeps(site);
  const req = trackerRequest(site, [{ t: "pageview", u: "https://example.com/" }]);
  delete (req.body as { v?: string }).v;
  const out = await runPipeline(req, deps);
  assert.equal(out.events[0].visitor_id, cookielessId("s", site.id, req.ip, req.userAgent));
});
