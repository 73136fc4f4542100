/**
 * Stored customer summaries (migration 0200) against the from-scratch computation: after every
 * kind of write that changes a customer, the facts lists and segments read equal
 * `customer_facts_live` column for column.
 */
import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertIdentify,
  insertSession,
} from "../testing/journeys.ts";
import { recordPurchase } from "../attribution/record.ts";
import { applySubscriptionState } from "../attribution/subscriptions.ts";
import { eraseSubject, linkedKeys } from "../privacy/store.ts";
import type { Sql } from "../db/connect.ts";
import { listCustomers, settleCustomers } from "./store.ts";
import { runPipeline } from "../ingest/pipeline.ts";
import { createTestSite, pipelineDeps, trackerRequest } from "../ingest/test_support.ts";
import { writeBatches } from "../ingest/writer.ts";

const now = new Date();

const COLUMNS = `id, site_id, email, name, joined_at, revenue, payments, refunds, first_payment_at,
  last_payment_at, plan, products, status, mrr, cancelled_at, last_visit_at, visits, visits_30d,
  last_active_at, first_source, first_channel, first_campaign, country, device, engagement`;

/** Both computations in one statement, so `now()` is the same moment for both. */
async function assertSummariesExact(sql: Sql, siteId: number, step: string) {
  await settleCustomers(sql, siteId);
  const [row] = await sql.unsafe<{ stored: unknown; live: unknown }[]>(
    `select
      (select coalesce(json_agg(x order by x.id), '[]') from
        (select ${COLUMNS} from customer_facts where site_id = $1) x) as stored,
      (select coalesce(json_agg(x order by x.id), '[]') from
        (select ${COLUMNS} from customer_facts_live where site_id = $1) x) as live`,
    [siteId],
  );
  assert.deepEqual(row.stored, row.live, `summaries differ from scratch after ${step}`);
  return row.live as Array<Record<string, unknown>>;
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `stored summaries equal the from-scratch facts after every kind of change (${mode})`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const sql = db.sql;
        const { site } = await createSiteWithOwner(sql);
        const ctx = { db: { sql } };
        const buy = (p: Partial<Parameters<typeof recordPurchase>[1]>) =>
          recordPurchase(ctx, {
            siteId: site.id,
            provider: "stripe",
            key: `pi:${crypto.randomUUID()}`,
            ts: now,
            kind: "one_time",
            amountMinor: 4900,
            currency: "USD",
            origin: "webhook",
            ...p,
          });

        // Visits before anyone is known, then an identify links them.
        await insertSession(sql, site.id, {
          visitorId: "phone",
          startedAt: daysBefore(now, 40),
          source: "Instagram",
          campaign: "spring",
          country: "DE",
        });
        await insertSession(sql, site.id, { visitorId: "phone", startedAt: daysBefore(now, 5) });
        await assertSummariesExact(sql, site.id, "anonymous visits");
        await insertIdentify(sql, site.id, "phone", "ann@example.com", daysBefore(now, 40));
        let rows = await assertSummariesExact(sql, site.id, "an identify");
        assert.equal(rows[0].visits, 2);

        // A second device identifies with the same email: its visits merge in.
        await insertSession(sql, site.id, {
          visitorId: "laptop",
          startedAt: daysBefore(now, 1),
          source: "Google",
          country: "FR",
        });
        await insertIdentify(sql, site.id, "laptop", "ann@example.com", daysBefore(now, 1));
        rows = await assertSummariesExact(sql, site.id, "an identify merge");
        assert.equal(rows[0].visits, 3);
        assert.equal(rows[0].country, "FR");

        // The ingest writer extends a visit (a later pageview).
        await sql`update sessions set ended_at = ${now}
          where site_id = ${site.id} and visitor_id = 'laptop'`;
        await assertSummariesExact(sql, site.id, "a visit growing");

        // A name trait arrives.
        await sql`update identities set traits = '{"name": "Ann Lee"}', last_seen_at = now()
          where site_id = ${site.id} and visitor_id = 'laptop'`;
        rows = await assertSummariesExact(sql, site.id, "a name");
        assert.equal(rows[0].name, "Ann Lee");

        // Purchases, a subscription and its states, a refund.
        await buy({
          email: "ann@example.com",
          kind: "subscription_start",
          subscriptionId: "sub_ann",
          paymentRef: "pi_1",
          product: "Pro",
          ts: daysBefore(now, 3),
        });
        await applySubscriptionState(ctx, {
          siteId: site.id,
          provider: "stripe",
          subscriptionId: "sub_ann",
          status: "active",
          mrrMinor: 4900,
          currency: "USD",
          email: "ann@example.com",
          startedAt: daysBefore(now, 3),
          canceledAt: null,
          stateAt: daysBefore(now, 3),
        });
        rows = await assertSummariesExact(sql, site.id, "a purchase and a subscription");
        assert.equal(rows[0].status, "active");
        await buy({
          email: "ann@example.com",
          kind: "refund",
          amountMinor: 1000,
          refundOf: { paymentRef: "pi_1" },
        });
        rows = await assertSummariesExact(sql, site.id, "a refund");
        assert.equal(rows[0].revenue, 3900);
        await applySubscriptionState(ctx, {
          siteId: site.id,
          provider: "stripe",
          subscriptionId: "sub_ann",
          status: "canceled",
          mrrMinor: 0,
          currency: "USD",
          email: "ann@example.com",
          startedAt: daysBefore(now, 3),
          canceledAt: now,
          stateAt: now,
        });
        rows = await assertSummariesExact(sql, site.id, "a cancellation");
        assert.equal(rows[0].status, "cancelled");

        // A gift moves a purchase to its recipient; a buyer with no visits at all.
        await buy({
          email: "bo@example.com",
          giftRecipientEmail: "cy@example.com",
          visitorId: "phone",
          amountMinor: 9000,
        });
        rows = await assertSummariesExact(sql, site.id, "a gift");
        assert.equal(rows.length, 3);

        // Lists read the summaries: last active order agrees with the scratch computation.
        const list = await listCustomers(sql, {
          siteId: site.id,
          sort: "last_active",
          dir: "desc",
          page: 1,
          limit: 50,
        });
        const [order] = await sql<{ ids: number[] }[]>`
          select array_agg(id order by last_active_at desc nulls last, id desc) as ids
          from customer_facts_live where site_id = ${site.id}`;
        assert.deepEqual(list.rows.map((r) => r.id), order.ids);

        // Erasure removes the person and their summary.
        const keys = await linkedKeys(sql, site.id, {
          visitorIds: [],
          emails: ["ann@example.com"],
        });
        await eraseSubject(sql, site.id, keys);
        rows = await assertSummariesExact(sql, site.id, "an erasure");
        assert.ok(!rows.some((r) => r.email === "ann@example.com"));
        const [left] = await sql<{ n: number }[]>`
          select count(*)::int as n from customer_summaries s
          where s.site_id = ${site.id} and not exists (select 1 from customers c where c.id = s.id)`;
        assert.equal(left.n, 0);
      } finally {
        await db.close();
      }
    },
  );
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `visits written by the ingest writer keep an identified visitor's summary exact (${mode})`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const site = await createTestSite(db.sql);
        const deps = pipelineDeps(site);
        const t0 = Date.now() - 120_000;
        const write = async (at: number, hits: Parameters<typeof trackerRequest>[1]) => {
          const out = await runPipeline(trackerRequest(site, hits, { now: at }), deps);
          await writeBatches(db.sql, [{ events: out.events }]);
        };
        await write(t0, [
          { t: "pageview", u: "https://example.com/?utm_source=google&utm_medium=cpc" },
          { t: "identify", u: "https://example.com/", id: "Ada@Example.com" },
        ]);
        let rows = await assertSummariesExact(db.sql, site.id, "an identified first visit");
        assert.equal(rows[0].visits, 1);
        assert.equal(rows[0].first_source, "Google");
        // Later pageviews of the same visit (an upsert of the session) move the last visit on.
        const before = rows[0].last_visit_at;
        await write(t0 + 60_000, [{ t: "pageview", u: "https://example.com/pricing" }]);
        rows = await assertSummariesExact(db.sql, site.id, "a later pageview");
        assert.notEqual(rows[0].last_visit_at, before);
      } finally {
        await db.close();
      }
    },
  );
}
