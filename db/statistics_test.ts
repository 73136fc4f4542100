import assert from "node:assert/strict";
import { createTestDatabase } from "../testing/db.ts";
import { gatherStatistics } from "./statistics.ts";

Deno.test("gathering statistics gives the embedded planner row counts for the raw tables", async () => {
  const db = await createTestDatabase("embedded");
  try {
    await db.sql`
      insert into events (ts, event_id, site_id, visitor_id, session_id, type, pathname)
      select now() - make_interval(secs => i), gen_random_uuid(), 1, 'v' || (i % 50),
        gen_random_uuid(), 'pageview', '/p' || (i % 7)
      from generate_series(1, 2000) as i`;
    const stats = () =>
      db.sql<{ n: number }[]>`select count(*)::int as n from pg_stats where tablename = 'events'`;
    assert.equal((await stats())[0].n, 0, "a fresh load has no statistics");
    await gatherStatistics(db.sql);
    assert.ok((await stats())[0].n > 0, "statistics gathered");
  } finally {
    await db.close();
  }
});
