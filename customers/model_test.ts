/**
 * The customer model: a person per email per site, built from identify calls and purchases of
 * any platform, with devices merged, gifts kept with their recipient and a status from their
 * subscriptions and payments.
 */
import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode, type TestDatabase } from "../testing/db.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertIdentify,
  insertSession,
} from "../testing/journeys.ts";
import { type PurchaseInput, recordPurchase } from "../attribution/record.ts";
import { applySubscriptionState, type SubscriptionState } from "../attribution/subscriptions.ts";
import {
  customerPurchases,
  customerVisitors,
  findCustomerByEmail,
  listCustomers,
} from "./store.ts";
import { engagementScore } from "./engagement.ts";
import { addNote } from "./notes.ts";
import { recordEnrollment } from "./enrollments.ts";
import { customerTimeline, parseCursor } from "./timeline.ts";
import { addTagToCustomer } from "./tags.ts";
import { eraseSubject, linkedKeys, subjectRows } from "../privacy/store.ts";

const now = new Date();

interface Ctx {
  db: TestDatabase;
  siteId: number;
  buy: (p: Partial<PurchaseInput>) => ReturnType<typeof recordPurchase>;
  sub: (s: Partial<SubscriptionState>) => ReturnType<typeof applySubscriptionState>;
}

async function withSite(mode: (typeof ALL_DB_MODES)[number], fn: (t: Ctx) => Promise<void>) {
  const db = await createTestDatabase(mode);
  try {
    const { site } = await createSiteWithOwner(db.sql);
    const buy = (p: Partial<PurchaseInput>) =>
      recordPurchase({ db }, {
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
    const sub = (s: Partial<SubscriptionState>) =>
      applySubscriptionState({ db }, {
        siteId: site.id,
        provider: "stripe",
        subscriptionId: `sub_${crypto.randomUUID().slice(0, 8)}`,
        status: "active",
        mrrMinor: 2000,
        currency: "USD",
        startedAt: daysBefore(now, 40),
        canceledAt: null,
        stateAt: now,
        ...s,
      });
    await fn({ db, siteId: site.id, buy, sub });
  } finally {
    await db.close();
  }
}

async function customerCount(db: TestDatabase, siteId: number): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from customers where site_id = ${siteId}`;
  return row.n;
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `two devices and an identify become one customer, erased as one (${mode})`,
    inDbMode(mode),
    async () => {
      await withSite(mode, async ({ db, siteId, buy }) => {
        await insertSession(db.sql, siteId, {
          visitorId: "phone",
          startedAt: daysBefore(now, 12),
          source: "Instagram",
          campaign: "spring",
          channel: "Organic Social",
        });
        await insertIdentify(db.sql, siteId, "phone", "ann@example.com", daysBefore(now, 12));
        await insertSession(db.sql, siteId, {
          visitorId: "laptop",
          startedAt: daysBefore(now, 2),
          source: "Google",
          channel: "Organic Search",
          pages: ["/pricing", "/checkout"],
        });
        // The laptop never identified: the checkout carried its visitor id and the email.
        await buy({ visitorId: "laptop", email: "Ann@Example.com", ts: daysBefore(now, 1) });

        assert.equal(await customerCount(db, siteId), 1);
        const ann = await findCustomerByEmail(db.sql, siteId, "ann@example.com");
        assert.ok(ann);
        const visitors = (await customerVisitors(db.sql, siteId, ann.email)).map((v) =>
          v.visitor_id
        );
        assert.deepEqual(visitors, ["phone", "laptop"]);
        assert.equal(ann.visits, 2);
        assert.equal(ann.payments, 1);
        assert.equal(ann.revenue, 4900);
        assert.equal(ann.status, "one_time");
        assert.equal(ann.first_source, "Instagram");
        assert.equal(ann.first_campaign, "spring");
        assert.equal(ann.joined_at.getTime(), daysBefore(now, 12).getTime());

        // Export and erasure cover the customer, their tags and the team's notes.
        await addNote(db.sql, siteId, ann.id, "Prefers email", null);
        await addTagToCustomer(db.sql, siteId, ann.id, "VIP");
        const keys = await linkedKeys(db.sql, siteId, { visitorIds: ["laptop"], emails: [] });
        const exported = await subjectRows(db.sql, siteId, keys);
        assert.deepEqual(exported.customers.map((c) => c.email), ["ann@example.com"]);
        assert.deepEqual(exported.customer_notes.map((n) => n.body), ["Prefers email"]);
        const counts = await eraseSubject(db.sql, siteId, keys);
        assert.equal(counts.customers, 1);
        const [left] = await db.sql<{ customers: number; notes: number; tagged: number }[]>`
          select (select count(*)::int from customers where site_id = ${siteId}) as customers,
            (select count(*)::int from customer_notes where site_id = ${siteId}) as notes,
            (select count(*)::int from customer_taggings where site_id = ${siteId}) as tagged`;
        assert.deepEqual({ ...left }, { customers: 0, notes: 0, tagged: 0 });
      });
    },
  );

  Deno.test(
    `a course enrollment is on the learner's timeline, newest state wins, erased with them (${mode})`,
    inDbMode(mode),
    async () => {
      await withSite(mode, async ({ db, siteId }) => {
        const enroll = (o: { endedAt: Date | null; stateAt: Date; course?: string }) =>
          recordEnrollment(db.sql, {
            siteId,
            provider: "teachable",
            key: "course:1:user:2",
            email: "Learner@Example.com",
            course: o.course ?? "Clay",
            enrolledAt: daysBefore(now, 5),
            ...o,
          });
        await enroll({ endedAt: null, stateAt: daysBefore(now, 5) });
        await enroll({ endedAt: daysBefore(now, 1), stateAt: daysBefore(now, 1) });
        // A late report of the start fills nothing in and revives nothing.
        await enroll({ endedAt: null, stateAt: daysBefore(now, 4), course: "" });
        const learner = await findCustomerByEmail(db.sql, siteId, "learner@example.com");
        assert.ok(learner);
        const c = { siteId, customerId: learner.id, email: "learner@example.com" };
        const page = await customerTimeline(db.sql, c, { types: ["enrollment"], limit: 1 });
        assert.deepEqual(page.items.map((i) => [i.type, i.detail.course, i.detail.ended]), [
          ["enrollment", "Clay", true],
        ]);
        const older = await customerTimeline(db.sql, c, {
          types: ["enrollment"],
          before: parseCursor(page.next!),
        });
        assert.deepEqual(older.items.map((i) => i.detail.ended), [false]);
        assert.equal(older.next, null);

        const keys = await linkedKeys(db.sql, siteId, {
          visitorIds: [],
          emails: ["learner@example.com"],
        });
        await eraseSubject(db.sql, siteId, keys);
        const [left] = await db.sql`select email, customer_id from course_enrollments
          where site_id = ${siteId}`;
        assert.deepEqual({ ...left }, { email: "", customer_id: null }, "counted, no longer named");
      });
    },
  );

  Deno.test(
    `a gift and its subscription stay with the recipient (${mode})`,
    inDbMode(mode),
    async () => {
      await withSite(mode, async ({ db, siteId, buy, sub }) => {
        await insertSession(db.sql, siteId, {
          visitorId: "giver-v",
          startedAt: daysBefore(now, 3),
        });
        await insertIdentify(db.sql, siteId, "giver-v", "giver@example.com", daysBefore(now, 3));
        const { purchase } = await buy({
          kind: "subscription_start",
          subscriptionId: "sub_gift",
          visitorId: "giver-v",
          email: "giver@example.com",
          giftRecipientEmail: "Friend@Example.com",
          amountMinor: 9000,
          paymentRef: "pi_gift",
          ts: daysBefore(now, 2),
        });
        // The platform reports the subscription under the payer's email.
        await sub({ subscriptionId: "sub_gift", email: "giver@example.com", mrrMinor: 9000 });
        await buy({
          kind: "renewal",
          subscriptionId: "sub_gift",
          email: "giver@example.com",
          amountMinor: 9000,
          ts: daysBefore(now, 1),
        });
        await buy({
          kind: "refund",
          email: "giver@example.com",
          amountMinor: 1000,
          refundOf: { paymentRef: "pi_gift" },
          ts: now,
        });

        const friend = await findCustomerByEmail(db.sql, siteId, "friend@example.com");
        const giver = await findCustomerByEmail(db.sql, siteId, "giver@example.com");
        assert.ok(friend && giver);
        assert.equal(friend.status, "active");
        assert.equal(friend.mrr, 9000);
        assert.equal(friend.payments, 2);
        assert.equal(friend.refunds, 1);
        assert.equal(friend.revenue, 9000 + 9000 - 1000);
        assert.deepEqual(
          (await customerPurchases(db.sql, siteId, friend.id)).map((p) => p.kind).sort(),
          ["refund", "renewal", "subscription_start"],
        );
        // The purchaser visited and keeps the attribution; the membership is not theirs.
        assert.equal(purchase.visitor_id, "giver-v");
        assert.equal(giver.status, "lead");
        assert.equal(giver.payments, 0);
        assert.equal(giver.visits, 1);
        assert.equal((await customerVisitors(db.sql, siteId, friend.email)).length, 0);
      });
    },
  );

  Deno.test(
    `status follows subscriptions on every platform, then payments (${mode})`,
    inDbMode(mode),
    async () => {
      await withSite(mode, async ({ db, siteId, buy, sub }) => {
        const cases: Array<[string, string | null, boolean, string]> = [
          ["active@example.com", "active", true, "active"],
          ["trial@example.com", "trialing", false, "trialing"],
          ["late@example.com", "past_due", true, "past_due"],
          ["gone@example.com", "canceled", true, "cancelled"],
          ["ended@example.com", "expired", true, "expired"],
          ["once@example.com", null, true, "one_time"],
          ["lead@example.com", null, false, "lead"],
        ];
        for (const [email, status, paid, _] of cases) {
          const provider = email.startsWith("ended") ? "whop" : "stripe";
          const subscriptionId = `sub_${email.split("@")[0]}`;
          if (paid) {
            await buy({
              provider,
              email,
              kind: status ? "subscription_start" : "one_time",
              subscriptionId: status ? subscriptionId : undefined,
            });
          }
          if (status) {
            await sub({
              provider,
              subscriptionId,
              email,
              status,
              canceledAt: ["canceled", "expired"].includes(status) ? daysBefore(now, 1) : null,
            });
          }
          if (!paid && !status) await insertIdentify(db.sql, siteId, "lead-v", email, now);
        }
        for (const [email, , , expected] of cases) {
          const c = await findCustomerByEmail(db.sql, siteId, email);
          assert.equal(c?.status, expected, email);
        }
        const { rows, total } = await listCustomers(db.sql, {
          siteId,
          status: "cancelled",
          sort: "revenue",
          dir: "desc",
          page: 1,
          limit: 50,
        });
        assert.equal(total, 1);
        assert.equal(rows[0].email, "gone@example.com");
        // Sorts picked from stored columns alone agree with the full facts, page by page.
        for (const sort of ["revenue", "last_active", "joined", "email"] as const) {
          for (const dir of ["asc", "desc"] as const) {
            for (const page of [1, 2, 3]) {
              const q = { siteId, sort, dir, page, limit: 3, search: "e" };
              const cheap = await listCustomers(db.sql, q);
              const full = await listCustomers(db.sql, { ...q, where: db.sql`true` });
              assert.deepEqual(cheap.rows.map((r) => r.id), full.rows.map((r) => r.id));
              assert.equal(cheap.total, full.total);
            }
          }
        }
      });
    },
  );

  Deno.test(
    `membership payments without an email belong to the subscription's customer (${mode})`,
    inDbMode(mode),
    async () => {
      await withSite(mode, async ({ db, siteId, buy, sub }) => {
        // The checkout carried no email; the platform's subscription state does. The person
        // was Active with no revenue and engagement 0 while their payments belonged to nobody.
        await buy({
          kind: "subscription_start",
          subscriptionId: "sub_quiet",
          visitorId: "quiet-v",
          amountMinor: 2900,
          ts: daysBefore(now, 31),
        });
        await sub({ subscriptionId: "sub_quiet", email: "quiet@example.com", mrrMinor: 2900 });
        // A renewal after the state arrived, again without an email.
        await buy({
          kind: "renewal",
          subscriptionId: "sub_quiet",
          amountMinor: 2900,
          ts: daysBefore(now, 1),
        });
        const c = await findCustomerByEmail(db.sql, siteId, "quiet@example.com");
        assert.equal(c?.status, "active");
        assert.equal(c?.payments, 2);
        assert.equal(c?.revenue, 5800);
        assert.ok((c?.engagement ?? 0) > 0);
      });
    },
  );

  Deno.test(
    `a platform Sextant has never seen needs nothing to make customers (${mode})`,
    inDbMode(mode),
    async () => {
      await withSite(mode, async ({ db, siteId, buy }) => {
        await buy({ provider: "stripe", email: "both@example.com", amountMinor: 1000 });
        await buy({ provider: "kajabi", email: "BOTH@example.com", amountMinor: 2500 });
        await buy({ provider: "teachable", email: "only@example.com", amountMinor: 700 });
        // A buyer with no email is not a person Sextant can name.
        await buy({ provider: "teachable", amountMinor: 300 });
        assert.equal(await customerCount(db, siteId), 2);
        const both = await findCustomerByEmail(db.sql, siteId, "both@example.com");
        assert.equal(both?.revenue, 3500);
        assert.deepEqual(
          (await customerPurchases(db.sql, siteId, both!.id)).map((p) => p.provider).sort(),
          ["kajabi", "stripe"],
        );
      });
    },
  );

  Deno.test(
    `the engagement score is the documented formula (${mode})`,
    inDbMode(mode),
    async () => {
      await withSite(mode, async ({ db, siteId, buy }) => {
        for (const days of [50, 20, 9, 4]) {
          await insertSession(db.sql, siteId, {
            visitorId: "e-v",
            startedAt: daysBefore(now, days),
          });
        }
        await insertIdentify(db.sql, siteId, "e-v", "engaged@example.com", daysBefore(now, 50));
        for (const days of [400, 100, 40]) {
          await buy({ email: "engaged@example.com", ts: daysBefore(now, days) });
        }
        const c = await findCustomerByEmail(db.sql, siteId, "engaged@example.com");
        const [{ at }] = await db.sql<{ at: Date }[]>`select now() as at`;
        const expected = engagementScore({
          lastVisitAt: daysBefore(now, 4),
          visits30d: 3,
          lastPaymentAt: daysBefore(now, 40),
          payments365d: 2,
        }, at);
        assert.ok(expected > 0 && expected < 100);
        assert.equal(c?.engagement, expected);
        assert.equal(
          engagementScore({
            lastVisitAt: null,
            visits30d: 0,
            lastPaymentAt: null,
            payments365d: 0,
          }, at),
          0,
        );
        assert.equal(
          engagementScore(
            { lastVisitAt: at, visits30d: 10, lastPaymentAt: at, payments365d: 12 },
            at,
          ),
          100,
        );
      });
    },
  );
}
