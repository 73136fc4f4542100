/**
 * Every segment operator, checked against a query written by hand for it on a varied set of
 * customers: the compiler and the hand query must pick exactly the same people.
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
import type { Sql } from "../db/connect.ts";
import { ensureTag, tagCustomers } from "./tags.ts";
import {
  type Condition,
  countSegment,
  parseRule,
  SEGMENT_TEMPLATES,
  segmentMemberIds,
  type SegmentRule,
} from "./segments.ts";

const TZ = "America/New_York";
const now = new Date();

/** A small deterministic random source, so a failure can be replayed. */
function seeded(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

async function seedCustomers(sql: Sql, siteId: number) {
  const random = seeded(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const tags = [
    await ensureTag(sql, siteId, "VIP", "purple"),
    await ensureTag(sql, siteId, "Coach", "blue"),
    await ensureTag(sql, siteId, "Beta", "green"),
  ];
  for (let i = 0; i < 40; i++) {
    const email = `p${i}@example.com`;
    const visitor = `v${i}`;
    const firstSeen = daysBefore(now, 1 + random() * 200);
    const visits = Math.floor(random() * 5);
    for (let k = 0; k < visits; k++) {
      await insertSession(sql, siteId, {
        visitorId: visitor,
        startedAt: new Date(firstSeen.getTime() + k * (now.getTime() - firstSeen.getTime()) / 5),
        source: pick(["Google", "Newsletter", "YouTube", ""]),
        campaign: pick(["spring", "", "launch"]),
        country: pick(["US", "DE", "FR"]),
        pages: random() < 0.4 ? ["/", "/pricing"] : ["/"],
      });
    }
    await insertIdentify(sql, siteId, visitor, email, firstSeen);
    const payments = Math.floor(random() * 4);
    const plan = pick(["Pro", "Basic", "Course"]);
    const subscription = random() < 0.5 && payments > 0;
    for (let k = 0; k < payments; k++) {
      await recordPurchase({ db: { sql } }, {
        siteId,
        provider: pick(["stripe", "whop"]),
        key: `k-${i}-${k}`,
        ts: daysBefore(now, random() * 120),
        kind: subscription ? (k === 0 ? "subscription_start" : "renewal") : "one_time",
        amountMinor: Math.round(500 + random() * 20000),
        currency: "USD",
        email,
        product: plan,
        subscriptionId: subscription ? `sub-${i}` : undefined,
        origin: "webhook",
      });
    }
    if (subscription) {
      const status = pick(["active", "trialing", "past_due", "canceled", "expired"]);
      await applySubscriptionState({ db: { sql } }, {
        siteId,
        provider: "stripe",
        subscriptionId: `sub-${i}`,
        status,
        mrrMinor: 1000 + Math.round(random() * 5000),
        currency: "USD",
        email,
        startedAt: daysBefore(now, 130),
        canceledAt: ["canceled", "expired"].includes(status)
          ? daysBefore(now, random() * 60)
          : null,
        stateAt: now,
      });
    }
    const [{ id }] = await sql<{ id: number }[]>`
      select id from customers where site_id = ${siteId} and email = ${email}`;
    for (const t of tags) if (random() < 0.35) await tagCustomers(sql, siteId, t.id, [id]);
  }
  return tags;
}

/**
 * Ids the hand-written condition picks (`f` is a customer_facts_live row: facts computed from
 * scratch, not the stored summaries the compiled rule reads).
 */
async function handPicked(sql: Sql, siteId: number, where: string, params: unknown[] = []) {
  const rows = await sql.unsafe<{ id: number }[]>(
    `select f.id from customer_facts_live f where f.site_id = $1 and (${where}) order by f.id`,
    [siteId, ...params] as never[],
  );
  return rows.map((r) => r.id);
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `every segment operator picks what a hand-written query picks (${mode})`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const sql = db.sql;
        const { site: s } = await createSiteWithOwner(sql);
        await sql`update sites set timezone = ${TZ} where id = ${s.id}`;
        const site = { id: s.id, timezone: TZ };
        const [vip, coach] = await seedCustomers(sql, site.id);
        const dayAgo = (d: number) => {
          const x = daysBefore(now, d);
          return x.toISOString().slice(0, 10);
        };
        const d60 = dayAgo(60);
        const d20 = dayAgo(20);
        const local = (d: string, plus = 0) =>
          `((date '${d}' + ${plus})::timestamp at time zone '${TZ}')`;
        const cases: Array<[Condition, string, unknown[]?]> = [
          [
            { field: "status", op: "is", value: ["active", "trialing"] },
            "f.status in ('active', 'trialing')",
          ],
          [{ field: "status", op: "is_not", value: ["lead"] }, "f.status <> 'lead'"],
          [{ field: "joined", op: "before", value: d60 }, `f.joined_at < ${local(d60)}`],
          [{ field: "joined", op: "after", value: d60 }, `f.joined_at >= ${local(d60, 1)}`],
          [
            { field: "last_payment", op: "between", value: d20, value2: d60 },
            `f.last_payment_at >= ${local(d60)} and f.last_payment_at < ${local(d20, 1)}`,
          ],
          [
            { field: "last_active", op: "in_last", value: 30 },
            "f.last_active_at >= now() - interval '30 days'",
          ],
          [
            { field: "last_visit", op: "not_in_last", value: 30 },
            "f.last_visit_at is null or f.last_visit_at < now() - interval '30 days'",
          ],
          [
            { field: "cancelled", op: "in_last", value: 30 },
            "f.cancelled_at >= now() - interval '30 days'",
          ],
          [
            { field: "revenue", op: "gt", value: 15000 },
            "(select coalesce(sum(amount_site_minor), 0) from purchases p where p.customer_id = f.id) > 15000",
          ],
          [
            { field: "revenue", op: "lt", value: 8000 },
            "(select coalesce(sum(amount_site_minor), 0) from purchases p where p.customer_id = f.id) < 8000",
          ],
          [
            { field: "payments", op: "eq", value: 2 },
            "(select count(*) from purchases p where p.customer_id = f.id and p.kind <> 'refund') = 2",
          ],
          [
            { field: "engagement", op: "between", value: 50, value2: 20 },
            "f.engagement between 20 and 50",
          ],
          [{ field: "mrr", op: "gt", value: 0 }, "f.mrr > 0"],
          [{ field: "visits", op: "lt", value: 2 }, "f.visits < 2"],
          [{ field: "plan", op: "is", value: "pro" }, "lower(f.plan) = 'pro'"],
          [{ field: "first_source", op: "is_not", value: "Google" }, "f.first_source <> 'Google'"],
          [
            { field: "first_campaign", op: "contains", value: "SPR" },
            "f.first_campaign ilike '%spr%'",
          ],
          [{ field: "country", op: "is", value: "de" }, "f.country = 'DE'"],
          [{ field: "device", op: "is", value: "desktop" }, "f.device = 'Desktop'"],
          [
            { field: "first_channel", op: "contains", value: "ref" },
            "f.first_channel ilike '%ref%'",
          ],
          [
            { field: "product", op: "bought", value: ["Course", "Basic"] },
            "exists (select 1 from purchases p where p.customer_id = f.id and p.product in ('Course', 'Basic'))",
          ],
          [
            { field: "product", op: "not_bought", value: ["Pro"] },
            "not exists (select 1 from purchases p where p.customer_id = f.id and p.product = 'Pro')",
          ],
          [
            { field: "tags", op: "has", value: [vip.id] },
            "exists (select 1 from customer_taggings g where g.customer_id = f.id and g.tag_id = $2)",
            [vip.id],
          ],
          [
            { field: "tags", op: "has_any", value: [vip.id, coach.id] },
            "exists (select 1 from customer_taggings g where g.customer_id = f.id and g.tag_id in ($2, $3))",
            [vip.id, coach.id],
          ],
          [
            { field: "tags", op: "has_all", value: [vip.id, coach.id] },
            "exists (select 1 from customer_taggings g where g.customer_id = f.id and g.tag_id = $2) " +
            "and exists (select 1 from customer_taggings g where g.customer_id = f.id and g.tag_id = $3)",
            [vip.id, coach.id],
          ],
          [
            { field: "tags", op: "not_has", value: [coach.id] },
            "not exists (select 1 from customer_taggings g where g.customer_id = f.id and g.tag_id = $2)",
            [coach.id],
          ],
          [
            { field: "page_views", op: "at_least", value: "/pricing", value2: 2 },
            "(select count(*) from events e join identities i on i.site_id = e.site_id " +
            "and i.visitor_id = e.visitor_id where i.email = f.email and e.site_id = f.site_id " +
            "and e.type = 'pageview' and e.pathname = '/pricing') >= 2",
          ],
        ];
        const total = (await handPicked(sql, site.id, "true")).length;
        assert.equal(total, 40);
        let informative = 0;
        for (const [condition, where, params] of cases) {
          const rule = parseRule({ match: "all", conditions: [condition] });
          const got = await segmentMemberIds(sql, site, rule);
          const expected = await handPicked(sql, site.id, where, params);
          assert.deepEqual(got, expected, JSON.stringify(condition));
          assert.equal(await countSegment(sql, site, rule), expected.length);
          if (expected.length > 0 && expected.length < total) informative++;
        }
        // The data must make most operators choose: a case matching nobody or everyone proves less.
        assert.ok(informative >= cases.length - 3, `only ${informative} cases split the customers`);

        // ALL, ANY and one level of groups.
        const nested: SegmentRule = {
          match: "any",
          conditions: [
            { field: "status", op: "is", value: ["active"] },
            {
              match: "all",
              conditions: [
                { field: "tags", op: "has", value: [vip.id] },
                { field: "revenue", op: "gt", value: 5000 },
              ],
            },
          ],
        };
        assert.deepEqual(
          await segmentMemberIds(sql, site, nested),
          await handPicked(
            sql,
            site.id,
            "f.status = 'active' or (exists (select 1 from customer_taggings g where g.customer_id = f.id and g.tag_id = $2) and f.revenue > 5000)",
            [vip.id],
          ),
        );
        const all: SegmentRule = {
          match: "all",
          conditions: [
            { field: "status", op: "is_not", value: ["lead"] },
            {
              match: "any",
              conditions: [{ field: "country", op: "is", value: "US" }, {
                field: "country",
                op: "is",
                value: "FR",
              }],
            },
          ],
        };
        assert.deepEqual(
          await segmentMemberIds(sql, site, all),
          await handPicked(sql, site.id, "f.status <> 'lead' and f.country in ('US', 'FR')"),
        );
        assert.equal(await countSegment(sql, site, { match: "all", conditions: [] }), 40);
        for (const t of SEGMENT_TEMPLATES) {
          assert.ok(await countSegment(sql, site, parseRule(t.rule)) >= 0, t.name);
        }
      } finally {
        await db.close();
      }
    },
  );
}

Deno.test("a segment rule that means nothing is refused with a sentence", () => {
  const bad: Array<[unknown, RegExp]> = [
    ["{", /not valid JSON/],
    [{ match: "some", conditions: [] }, /can't be used/],
    [
      { match: "all", conditions: [{ field: "joined", op: "before", value: "2026-02-30x" }] },
      /can't be used/,
    ],
    [
      { match: "all", conditions: [{ field: "revenue", op: "gt", value: "lots" }] },
      /can't be used/,
    ],
    [
      { match: "all", conditions: [{ field: "status", op: "is", value: ["vip"] }] },
      /can't be used/,
    ],
    [
      {
        match: "all",
        conditions: [{ match: "any", conditions: [{ match: "all", conditions: [] }] }],
      },
      /can't be used/,
    ],
  ];
  for (const [rule, sentence] of bad) {
    assert.throws(() => parseRule(typeof rule === "string" ? rule : rule), sentence);
  }
});
