/**
 * Paths checked against SQL written here from the definition, over generated visits in every
 * database mode: the next and previous page after a page, and the pages before a goal.
 */
import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import { insertSiteRows, insertVisits, synthesizeVisits } from "../testing/analytics_data.ts";
import { nextPages, pathsToGoal } from "./paths.ts";
import { createGoal, parseGoalInput } from "./goals.ts";
import { Invalid } from "../lib/errors.ts";

const SITE = 41;

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `next and previous pages and paths to a goal match SQL (${mode})`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const sql = db.sql;
        await insertSiteRows(sql, [SITE, SITE + 1], "Europe/Berlin");
        for (const [id, seed] of [[SITE, 9], [SITE + 1, 10]]) {
          await insertVisits(
            sql,
            synthesizeVisits({
              siteId: id,
              from: new Date("2026-04-01T00:00:00Z"),
              to: new Date("2026-04-15T00:00:00Z"),
              visits: 700,
              visitors: 400,
              seed,
            }),
          );
        }
        await sql`analyze`;
        const r = { from: new Date("2026-04-03T22:00:00Z"), to: new Date("2026-04-12T22:00:00Z") };
        for (const direction of ["next", "previous"] as const) {
          const got = await nextPages(sql, SITE, r, "/pricing", direction, 1000);
          const cmp = direction === "next" ? ">" : "<";
          const order = direction === "next" ? "asc" : "desc";
          const want = await sql.unsafe(
            `select coalesce((select o.pathname from events o where o.site_id = $1
              and o.session_id = e.session_id and o.type = 'pageview'
              and (o.ts, o.event_id) ${cmp} (e.ts, e.event_id)
              order by o.ts ${order}, o.event_id ${order} limit 1), $4) as page,
             count(*)::int as count, count(distinct e.session_id)::int as visits
           from events e where e.site_id = $1 and e.type = 'pageview' and e.pathname = '/pricing'
             and e.ts >= $2 and e.ts < $3 group by 1`,
            [SITE, r.from, r.to, direction === "next" ? "(exit)" : "(entrance)"],
          );
          assert.ok(want.length > 3);
          const byPage = (rows: Array<{ page: string; count: number; visits: number }>) =>
            Object.fromEntries(rows.map((x) => [x.page, [x.count, x.visits]]));
          assert.deepEqual(byPage(got), byPage([...want] as never), direction);
          assert.deepEqual(
            got.map((x) => x.count),
            [...got.map((x) => x.count)].sort((a, b) => b - a),
          );
        }
        const goal = await createGoal(
          sql,
          SITE,
          parseGoalInput({ name: "Signup", kind: "event", event_name: "Signup" }),
        );
        const got = await pathsToGoal(sql, SITE, r, goal.id, 3, 1000);
        const want = await sql.unsafe(
          `with conv as (select session_id, min(ts) as at from events where site_id = $1
           and type = 'event' and name = 'Signup' and ts >= $2 and ts < $3 group by 1)
         select pages, count(*)::int as n from (
           select c.session_id, (select string_agg(pathname, ' > ' order by ts, event_id)
             from (select pathname, ts, event_id from events e where e.site_id = $1
               and e.session_id = c.session_id and e.type = 'pageview' and e.ts <= c.at
               order by ts desc, event_id desc limit 3) last3) as pages
           from conv c) x where pages is not null group by 1`,
          [SITE, r.from, r.to],
        );
        assert.ok(want.length > 3);
        assert.deepEqual(
          Object.fromEntries(got.map((x) => [x.pages.join(" > "), x.conversions])),
          Object.fromEntries(want.map((x) => [x.pages, x.n])),
        );
        await assert.rejects(() => nextPages(sql, SITE, r, "pricing", "next"), Invalid);
        await assert.rejects(() => pathsToGoal(sql, SITE, r, goal.id, 9), Invalid);
      } finally {
        await db.close();
      }
    },
  );
}
