import assert from "node:assert/strict";
import type { Sql } from "../db/connect.ts";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertIdentify,
  insertSession,
} from "../testing/journeys.ts";
import { refreshRollups } from "../db/rollups.ts";
import { eraseVisitor, exportVisitor, parseSubject } from "./mod.ts";
import { applyRetention } from "./retention.ts";
import { recordHeatmapVisits } from "../testing/heatmap_data.ts";
import { checkQuery } from "../analytics/query.ts";
import { heatmapReport, parseHeatmapParams } from "../analytics/heatmaps.ts";

const NOW = new Date();

async function insertPurchase(
  sql: Sql,
  siteId: number,
  p: { ts: Date; email: string; visitorId: string | null; amount: number; key?: string },
) {
  await sql`
    insert into purchases (ts, site_id, provider, provider_event_id, kind, amount_minor, currency,
      amount_site_minor, customer_email, visitor_id, customer_key, match_method)
    values (${p.ts}, ${siteId}, 'stripe', ${crypto.randomUUID()}, 'one_time', ${p.amount}, 'USD',
      ${p.amount}, ${p.email}, ${p.visitorId}, ${p.key ?? p.email}, 'email')`;
}

async function insertDelivery(
  sql: Sql,
  siteId: number,
  d: { body: string; status?: string; receivedAt?: Date },
) {
  const [integration] = await sql`
    insert into integrations (site_id, provider, status) values (${siteId}, 'stripe', 'connected')
    on conflict (site_id, provider) do update set status = excluded.status
    returning id`;
  const [row] = await sql`
    insert into webhook_deliveries (integration_id, site_id, provider, event_id, event_type, body,
      status, received_at)
    values (${integration.id}, ${siteId}, 'stripe', ${crypto.randomUUID()}, 'checkout.session.completed',
      ${d.body}, ${d.status ?? "processed"}, ${d.receivedAt ?? NOW})
    returning id`;
  return row.id as number;
}

/** Ana on two devices (linked by identify), a stranger, and the same device id on another site. */
async function world(sql: Sql) {
  const owner = await createSiteWithOwner(sql);
  const other = await createSiteWithOwner(sql);
  const siteId = owner.site.id;
  const yesterday = daysBefore(NOW, 1);
  await insertSession(sql, siteId, {
    visitorId: "ana-laptop",
    startedAt: yesterday,
    pages: ["/", "/pricing"],
  });
  await insertSession(sql, siteId, { visitorId: "ana-phone", startedAt: daysBefore(NOW, 2) });
  await insertSession(sql, siteId, { visitorId: "stranger", startedAt: yesterday });
  await insertSession(sql, other.site.id, { visitorId: "ana-laptop", startedAt: yesterday });
  await insertIdentify(sql, siteId, "ana-laptop", "ana@example.com", yesterday);
  await insertIdentify(sql, siteId, "ana-phone", "ana@example.com", daysBefore(NOW, 2));
  await insertPurchase(sql, siteId, {
    ts: yesterday,
    email: "ana@example.com",
    visitorId: "ana-laptop",
    amount: 4900,
  });
  await insertPurchase(sql, siteId, {
    ts: yesterday,
    email: "bo@example.com",
    visitorId: "stranger",
    amount: 1500,
  });
  const anaDelivery = await insertDelivery(sql, siteId, {
    body: '{"customer_details":{"email":"Ana@Example.com"}}',
  });
  const boDelivery = await insertDelivery(sql, siteId, {
    body: '{"customer_details":{"email":"bo@example.com"}}',
  });
  await refreshRollups(sql);
  return { owner, other, siteId, anaDelivery, boDelivery };
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `[${mode}] erasing by email removes the person's devices everywhere and keeps revenue`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      const sql = db.sql;
      try {
        const w = await world(sql);
        const site = w.owner.site;
        const revenueBefore = await sql`
        select sum(amount_site_minor)::int as total from purchases where site_id = ${site.id}`;

        const erased = await eraseVisitor(sql, site, parseSubject({ email: " ANA@example.com " }), {
          userId: w.owner.userId,
        });
        assert.deepEqual(erased.linked, { visitor_ids: 2, emails: 1 });
        assert.equal(erased.counts.events, 3);
        assert.equal(erased.counts.sessions, 2);
        assert.equal(erased.counts.identities, 2);
        assert.equal(erased.counts.purchases, 1);
        assert.equal(erased.counts.webhook_deliveries, 1);

        const left = await sql`
        select site_id, visitor_id from events order by site_id, visitor_id`;
        assert.deepEqual(left.map((r) => [r.site_id, r.visitor_id]), [
          [site.id, "stranger"],
          [w.other.site.id, "ana-laptop"],
        ]);
        assert.equal((await sql`select 1 from sessions where site_id = ${site.id}`).length, 1);
        assert.equal((await sql`select 1 from identities where site_id = ${site.id}`).length, 0);
        const [ana] = await sql`
        select customer_email, visitor_id, customer_key, amount_site_minor from purchases
        where site_id = ${site.id} and amount_site_minor = 4900`;
        assert.equal(ana.customer_email, "");
        assert.equal(ana.visitor_id, null);
        assert.match(ana.customer_key, /^erased:/);
        const revenueAfter = await sql`
        select sum(amount_site_minor)::int as total from purchases where site_id = ${site.id}`;
        assert.deepEqual(revenueAfter, revenueBefore);
        const bodies = await sql`
        select id, body, body_removed_at from webhook_deliveries order by id`;
        assert.equal(bodies.find((b) => b.id === w.anaDelivery)!.body, null);
        assert.ok(bodies.find((b) => b.id === w.anaDelivery)!.body_removed_at);
        assert.match(bodies.find((b) => b.id === w.boDelivery)!.body, /bo@example.com/);
        // The per-visitor hourly rollup no longer holds the erased devices.
        const keys = await sql`
        select count(*)::int as n from visitors_hourly
        where site_id = ${site.id}
          and visitor_key in (sextant_visitor_key('ana-laptop'), sextant_visitor_key('ana-phone'))`;
        assert.equal(keys[0].n, 0);

        const [audit] = await sql`select * from audit_log where site_id = ${site.id}`;
        assert.equal(audit.action, "privacy.erasure");
        assert.equal(audit.actor_user_id, w.owner.userId);
        assert.equal(audit.details.by, "email");
        assert.equal(audit.details.counts.events, 3);
        assert.doesNotMatch(JSON.stringify(audit), /ana/i);

        const again = await eraseVisitor(sql, site, parseSubject({ email: "ana@example.com" }), {
          userId: w.owner.userId,
        });
        assert.ok(Object.values(again.counts).every((n) => n === 0), JSON.stringify(again.counts));
      } finally {
        await db.close();
      }
    },
  );
}

Deno.test("an export by visitor id holds everything stored about the person, and is logged", async () => {
  const db = await createTestDatabase();
  const sql = db.sql;
  try {
    const w = await world(sql);
    const data = await exportVisitor(sql, w.owner.site, parseSubject({ visitor_id: "ana-phone" }), {
      userId: w.owner.userId,
    });
    assert.deepEqual(data.visitor_ids.toSorted(), ["ana-laptop", "ana-phone"]);
    assert.deepEqual(data.emails, ["ana@example.com"]);
    assert.equal(data.events.length, 3);
    assert.equal(data.sessions.length, 2);
    assert.equal(data.identities.length, 2);
    assert.equal(data.purchases.length, 1);
    assert.equal(data.webhook_deliveries.length, 1);
    assert.ok(data.events.every((e) => e.site_id === w.siteId), "only this site's rows");
    const [audit] = await sql`select action, details from audit_log where site_id = ${w.siteId}`;
    assert.equal(audit.action, "privacy.export");
    assert.deepEqual(audit.details.counts.events, 3);
    assert.doesNotMatch(JSON.stringify(audit), /ana/i);
  } finally {
    await db.close();
  }
});

Deno.test("a request names one person with a visitor id or an email, in a sentence otherwise", () => {
  assert.deepEqual(parseSubject({ visitor_id: " v1 " }), { kind: "visitor_id", value: "v1" });
  assert.throws(() => parseSubject({}), /visitor id or the email/);
  assert.throws(() => parseSubject({ email: "nope" }), /doesn't look like an email/);
  assert.throws(() => parseSubject({ email: "a@b.c", visitor_id: "x" }), /not both/);
  assert.throws(() => parseSubject({ visitor_id: "x".repeat(200) }), /too long/);
});

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `[${mode}] retention trims each site to its setting, two years by default`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      const sql = db.sql;
      try {
        const short = await createSiteWithOwner(sql);
        const usual = await createSiteWithOwner(sql);
        await sql`update sites set retention_days = 30 where id = ${short.site.id}`;
        for (const site of [short.site, usual.site]) {
          for (const [visitor, days] of [["old", 800], ["mid", 60], ["new", 1]] as const) {
            const at = daysBefore(NOW, days);
            await insertSession(sql, site.id, {
              visitorId: `${visitor}-${site.id}`,
              startedAt: at,
            });
            await insertIdentify(
              sql,
              site.id,
              `${visitor}-${site.id}`,
              `${visitor}@example.com`,
              at,
            );
            await insertPurchase(sql, site.id, {
              ts: at,
              email: `${visitor}@example.com`,
              visitorId: `${visitor}-${site.id}`,
              amount: 1000,
            });
            await sql`
            insert into heatmap_clicks (ts, event_id, site_id, x, y, page_width, page_height)
            values (${at}, gen_random_uuid(), ${site.id}, 1, 2, 1000, 2000)`;
          }
        }
        const oldBody = await insertDelivery(sql, usual.site.id, {
          body: "{}",
          receivedAt: daysBefore(NOW, 31),
        });
        const retrying = await insertDelivery(sql, usual.site.id, {
          body: "{}",
          status: "retrying",
          receivedAt: daysBefore(NOW, 31),
        });
        const fresh = await insertDelivery(sql, usual.site.id, { body: "{}" });

        const counts = await applyRetention(sql);
        assert.equal(counts.webhook_bodies, 1);

        const kept = async (table: string, column: string, siteId: number) =>
          (await sql`
          select ${sql(column)} as v from ${sql(table)} where site_id = ${siteId}
          order by ${sql(column)}`).map((r) => r.v);
        for (const [site, visitors] of [[short, ["new"]], [usual, ["mid", "new"]]] as const) {
          const ids = visitors.map((v) => `${v}-${site.site.id}`);
          assert.deepEqual(await kept("sessions", "visitor_id", site.site.id), ids);
          assert.deepEqual(await kept("events", "visitor_id", site.site.id), ids);
          assert.deepEqual(await kept("identities", "visitor_id", site.site.id), ids);
          assert.equal((await kept("heatmap_clicks", "ts", site.site.id)).length, visitors.length);
          const buyers = await sql`
          select customer_email, visitor_id, amount_site_minor from purchases
          where site_id = ${site.site.id} order by ts`;
          assert.equal(buyers.length, 3, "purchases stay: they are money");
          assert.equal(buyers.filter((b) => b.customer_email !== "").length, visitors.length);
          assert.equal(buyers.filter((b) => b.visitor_id !== null).length, visitors.length);
          assert.ok(buyers.every((b) => b.amount_site_minor === 1000));
        }
        const bodies = await sql`select id, body from webhook_deliveries order by id`;
        assert.deepEqual(bodies.map((b) => [b.id, b.body]), [
          [oldBody, null],
          [retrying, "{}"],
          [fresh, "{}"],
        ]);

        const again = await applyRetention(sql);
        assert.ok(Object.values(again).every((n) => n === 0), JSON.stringify(again));
      } finally {
        await db.close();
      }
    },
  );
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `[${mode}] erasing a visitor removes their heatmap rows, and the heatmaps drop them`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      const sql = db.sql;
      try {
        const owner = await createSiteWithOwner(sql);
        await sql`update sites set heatmaps_enabled = true where id = ${owner.site.id}`;
        const site = { ...owner.site, heatmaps_enabled: true };
        const url = `https://${site.domain}/pricing`;
        const click = (x: number) => ({ x, y: 300, sel: "button#buy" });
        await recordHeatmapVisits(sql, site, [
          {
            v: "visitor-who-stays",
            url,
            width: 1440,
            clicks: [click(100)],
            moves: [10, 10],
            scrolls: [{ sd: 50, at: [1, 1, 0, 0, 0, 0, 0, 0, 0, 0] }],
          },
          {
            v: "visitor-who-goes",
            url,
            width: 1440,
            clicks: [click(700), click(705)],
            moves: [700, 300, 710, 300],
            scrolls: [{ sd: 100, at: [5, 5, 5, 5, 5, 5, 5, 5, 5, 5] }],
          },
        ], Date.now() - 3 * 86_400_000);
        const [gone] = await sql<{ visitor_id: string }[]>`
          select s.visitor_id from sessions s
          where s.site_id = ${site.id} and exists (select 1 from heatmap_clicks h
            where h.session_id = s.session_id and h.x = 700)`;
        const stats = { ...site, first_event_at: null };
        const q = checkQuery({ period: "7d" });
        const params = parseHeatmapParams(new URLSearchParams({ page: "/pricing" }));
        assert.equal((await heatmapReport(sql, stats, q, params)).totals.clicks, 3);
        // Their export holds their heatmap rows (theirs through their visits), and only theirs.
        const data = await exportVisitor(sql, site, parseSubject({ visitor_id: gone.visitor_id }), {
          userId: owner.userId,
        });
        assert.deepEqual(
          data.heatmap_clicks.map((h) => h.kind).sort(),
          ["click", "click", "move", "move", "scroll"],
        );

        const erased = await eraseVisitor(
          sql,
          site,
          parseSubject({ visitor_id: gone.visitor_id }),
          { userId: owner.userId },
        );
        assert.equal(erased.counts.heatmap_clicks, 2 + 2 + 1);
        const [{ left }] = await sql`
          select count(*)::int as left from heatmap_clicks where site_id = ${site.id}`;
        assert.equal(left, 1 + 1 + 1);
        // The rollups (which unfiltered reports read) no longer hold them either.
        const after = await heatmapReport(sql, stats, q, params);
        assert.deepEqual(after, await heatmapReport(sql, stats, q, params, { raw: true }));
        assert.deepEqual(after.totals, { clicks: 1, rage: 0, dead: 0, errors: 0, moves: 1 });
        assert.equal(after.pageViews, 1);
        assert.deepEqual(after.attention, [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert.deepEqual(after.elements.map((e) => [e.selector, e.clicks]), [["button#buy", 1]]);
      } finally {
        await db.close();
      }
    },
  );
}

Deno.test("retention removes payment failures past retention, and no failure names a removed customer", async () => {
  const db = await createTestDatabase();
  const sql = db.sql;
  try {
    const { site } = await createSiteWithOwner(sql);
    const failure = (email: string, days: number) =>
      sql`insert into payment_failures (site_id, provider, failure_key, ts, customer_email,
          amount_minor, currency)
        values (${site.id}, 'stripe', ${crypto.randomUUID()}, ${daysBefore(NOW, days)}, ${email},
          4900, 'USD')`;
    // Known only from failed payments: one long ago, one with another failure last week.
    await failure("lapsed@example.com", 800);
    await failure("still-failing@example.com", 800);
    await failure("still-failing@example.com", 7);

    await applyRetention(sql);
    const failures = await sql`
      select f.customer_email, c.email as owner from payment_failures f
      left join customers c on c.id = f.customer_id
      where f.site_id = ${site.id} order by f.ts`;
    assert.deepEqual(
      failures.map((f) => [f.customer_email, f.owner]),
      [["still-failing@example.com", "still-failing@example.com"]],
      "the old failures go; last week's keeps its customer",
    );
    const customers = await sql`select email from customers where site_id = ${site.id}`;
    assert.deepEqual(customers.map((c) => c.email), ["still-failing@example.com"]);

    const again = await applyRetention(sql);
    assert.ok(Object.values(again).every((n) => n === 0), JSON.stringify(again));
  } finally {
    await db.close();
  }
});
