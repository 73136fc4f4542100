/**
 * Custom event properties as a breakdown, checked against SQL written here over generated
 * visits in every database mode: keys, values with visitors, and conversion to a goal per value
 * (an A/B variant), with and without a filter.
 */
import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import { insertSiteRows, insertVisits, synthesizeVisits } from "../testing/analytics_data.ts";
import { refreshRollups } from "../db/rollups.ts";
import { checkQuery } from "./query.ts";
import { createGoal, parseGoalInput } from "./goals.ts";
import { propertyKeys, propertyValues } from "./properties.ts";
import type { StatsSite } from "./stats.ts";
import { Invalid } from "../lib/errors.ts";

const SITE = 61;
const NOW = new Date("2026-05-20T12:00:00Z");
const site: StatsSite = {
  id: SITE,
  timezone: "UTC",
  currency: "USD",
  created_at: new Date("2026-01-01T00:00:00Z"),
  first_event_at: null,
};

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `event property values and their conversion match SQL (${mode})`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const sql = db.sql;
        await insertSiteRows(sql, [SITE, SITE + 1], "UTC");
        for (const [id, seed] of [[SITE, 31], [SITE + 1, 32]]) {
          await insertVisits(
            sql,
            synthesizeVisits({
              siteId: id,
              from: new Date("2026-05-01T00:00:00Z"),
              to: NOW,
              visits: 1500,
              visitors: 700,
              seed,
              buyRate: 0.1,
            }),
          );
        }
        // An A/B test: every custom event carries the visitor's variant; signups also a plan.
        await sql`update events set props = jsonb_build_object('variant',
          case when get_byte(decode(md5(visitor_id), 'hex'), 0) % 2 = 0 then 'A' else 'B' end)
          || case when name = 'Signup' then jsonb_build_object('plan', 'pro') else '{}' end
        where type = 'event'`;
        await refreshRollups(sql);
        await sql`analyze`;
        const buyer = await createGoal(
          sql,
          SITE,
          parseGoalInput({ name: "Buyer", kind: "purchase" }),
        );
        const r = { from: new Date("2026-05-07T00:00:00Z"), to: new Date("2026-05-14T00:00:00Z") };
        const q = checkQuery({ period: "custom", from: "2026-05-07", to: "2026-05-13" });

        const keys = await propertyKeys(sql, site, q, "Signup", { now: NOW });
        assert.deepEqual(keys.map((k) => k.key).sort(), ["plan", "variant"]);

        for (const filtered of [false, true]) {
          const query = filtered
            ? checkQuery({ ...q, filters: [{ dimension: "device", op: "is", value: "Mobile" }] })
            : q;
          const visits = filtered
            ? "and session_id in (select session_id from sessions where device = 'Mobile')"
            : "";
          const got = await propertyValues(sql, site, query, "Signup", "variant", {
            now: NOW,
            goalId: buyer.id,
          });
          const want = await sql.unsafe(
            `with v as (select props ->> 'variant' as value, count(*)::int as events,
               array_agg(distinct visitor_id) as who from events
             where site_id = $1 and type = 'event' and name = 'Signup' and ts >= $2 and ts < $3
               ${visits} group by 1)
           select value, events, cardinality(who)::int as visitors,
             (select count(distinct p.visitor_id)::int from purchases p where p.site_id = $1
                and p.kind <> 'refund' and p.ts >= $2 and p.ts < $3
                and p.visitor_id = any(v.who)
                ${
              filtered
                ? `and exists (select 1 from attribution_credits c join sessions s
                  on s.session_id = c.session_id where c.purchase_id = p.id
                  and c.model = 'last_touch' and s.device = 'Mobile')`
                : ""
            }) as converted
           from v order by value`,
            [SITE, r.from, r.to],
          );
          assert.equal(want.length, 2);
          assert.deepEqual(
            got.map((x) => [x.value, x.events, x.visitors, x.converted]).sort(),
            want.map((x) => [x.value, x.events, x.visitors, x.converted]),
            filtered ? "filtered" : "unfiltered",
          );
          for (const x of got) {
            assert.equal(x.conversion_rate, Math.round((10_000 * x.converted!) / x.visitors) / 100);
          }
        }
        await assert.rejects(() => propertyKeys(sql, site, q, " "), Invalid);
      } finally {
        await db.close();
      }
    },
  );
}
