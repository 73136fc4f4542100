import assert from "node:assert/strict";
import {
  ALL_DB_MODES,
  createTestDatabase,
  dbModes,
  inDbMode,
  type TestDatabase,
} from "../testing/db.ts";
import { createMemoryBus } from "../bus/memory.ts";
import { waitFor } from "../testing/wait.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertIdentify,
  insertSession,
} from "../testing/journeys.ts";
import { type PurchaseInput, recordPurchase } from "./record.ts";
import { reattributeSite, rematchPending, revalueCurrency } from "./rematch.ts";
import { setRate } from "./rates.ts";
import { liveChannel, type LivePurchase } from "../realtime/messages.ts";

const now = new Date();

async function withSite(
  fn: (
    t: { db: TestDatabase; siteId: number; input: (p: Partial<PurchaseInput>) => PurchaseInput },
  ) => Promise<void>,
  mode = dbModes().at(-1)!,
  currency = "USD",
) {
  const db = await createTestDatabase(mode);
  try {
    const { site } = await createSiteWithOwner(db.sql, { currency });
    const input = (p: Partial<PurchaseInput>): PurchaseInput => ({
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
    await fn({ db, siteId: site.id, input });
  } finally {
    await db.close();
  }
}

async function credits(db: TestDatabase, purchaseId: string, model = "last_touch") {
  const rows = await db.sql<{ touch: number; source: string; amount_site_minor: number }[]>`
    select touch, source, amount_site_minor from attribution_credits
    where purchase_id = ${purchaseId} and model = ${model} order by touch`;
  return rows.map((r) => ({ ...r }));
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `a checkout's visitor id attributes the purchase to that visitor's journey (${mode})`,
    inDbMode(mode),
    async () => {
      await withSite(async ({ db, siteId, input }) => {
        await insertSession(db.sql, siteId, {
          visitorId: "v1",
          startedAt: daysBefore(now, 10),
          source: "YouTube",
          channel: "Organic Video",
        });
        await insertSession(db.sql, siteId, { visitorId: "v1", startedAt: daysBefore(now, 1) });
        await insertSession(db.sql, siteId, {
          visitorId: "v1",
          startedAt: daysBefore(now, 40),
          source: "Twitter",
        });
        const { purchase, created } = await recordPurchase(
          { db },
          input({ visitorId: "v1", email: "Ann@Example.com" }),
        );
        assert.equal(created, true);
        assert.equal(purchase.visitor_id, "v1");
        assert.equal(purchase.match_method, "checkout_id");
        assert.equal(
          purchase.journey.length,
          2,
          "the 40-day-old visit is outside the 30-day window",
        );
        assert.deepEqual(await credits(db, purchase.id), [
          { touch: 0, source: "YouTube", amount_site_minor: 4900 },
        ]);
        const linear = await credits(db, purchase.id, "linear");
        assert.deepEqual(linear.map((c) => c.amount_site_minor), [2450, 2450]);
        const [identity] = await db.sql`
        select visitor_id, origin from identities where site_id = ${siteId} and email = 'ann@example.com'`;
        assert.deepEqual({ ...identity }, { visitor_id: "v1", origin: "purchase" });
      }, mode);
    },
  );
}

Deno.test("recording the same platform id twice stores one purchase", async () => {
  await withSite(async ({ db, siteId, input }) => {
    const first = input({ key: "pi:same", email: "a@example.com" });
    const a = await recordPurchase({ db }, first);
    const b = await recordPurchase({ db }, { ...first, ts: new Date(now.getTime() + 5000) });
    assert.equal(a.created, true);
    assert.equal(b.created, false);
    assert.equal(b.purchase.id, a.purchase.id);
    const [n] = await db.sql`select count(*)::int as n from purchases where site_id = ${siteId}`;
    assert.equal(n.n, 1);
  });
});

Deno.test("an email seen by identify() matches, merging the customer's devices", async () => {
  await withSite(async ({ db, siteId, input }) => {
    await insertSession(db.sql, siteId, {
      visitorId: "phone",
      startedAt: daysBefore(now, 5),
      source: "Instagram",
      channel: "Organic Social",
    });
    await insertSession(db.sql, siteId, {
      visitorId: "laptop",
      startedAt: daysBefore(now, 2),
      source: "Google",
      channel: "Organic Search",
    });
    await insertIdentify(db.sql, siteId, "phone", "bo@example.com", daysBefore(now, 5));
    await insertIdentify(db.sql, siteId, "laptop", "bo@example.com", daysBefore(now, 2));
    const { purchase } = await recordPurchase({ db }, input({ email: "bo@example.com" }));
    assert.equal(purchase.match_method, "email");
    assert.equal(purchase.visitor_id, "laptop");
    assert.equal(purchase.customer_key, "bo@example.com");
    assert.deepEqual((await credits(db, purchase.id, "first_touch")).map((c) => c.source), [
      "Instagram",
    ]);
    assert.deepEqual((await credits(db, purchase.id, "last_touch")).map((c) => c.source), [
      "Google",
    ]);
  });
});

Deno.test("a gift keeps purchaser and recipient apart", async () => {
  await withSite(async ({ db, siteId, input }) => {
    await insertSession(db.sql, siteId, {
      visitorId: "giver",
      startedAt: daysBefore(now, 3),
      source: "Newsletter",
    });
    await insertSession(db.sql, siteId, {
      visitorId: "friend",
      startedAt: daysBefore(now, 3),
      source: "Reddit",
    });
    await insertIdentify(db.sql, siteId, "friend", "friend@example.com", daysBefore(now, 3));
    const gift = await recordPurchase(
      { db },
      input({
        visitorId: "giver",
        email: "giver@example.com",
        giftRecipientEmail: "friend@example.com",
      }),
    );
    assert.equal(gift.purchase.visitor_id, "giver");
    assert.equal(gift.purchase.gift_recipient_email, "friend@example.com");
    assert.equal(gift.purchase.customer_key, "giver@example.com");
    assert.deepEqual((await credits(db, gift.purchase.id)).map((c) => c.source), ["Newsletter"]);
    const links = await db.sql`
      select visitor_id, email from identities where site_id = ${siteId} order by visitor_id`;
    assert.deepEqual(links.map((r) => [r.visitor_id, r.email]), [
      ["friend", "friend@example.com"],
      ["giver", "giver@example.com"],
    ]);
    // The recipient buying for themselves later is their own customer with their own journey.
    const own = await recordPurchase({ db }, input({ email: "friend@example.com" }));
    assert.equal(own.purchase.visitor_id, "friend");
    assert.deepEqual((await credits(db, own.purchase.id)).map((c) => c.source), ["Reddit"]);
  });
});

Deno.test("refunds mirror the sale negatively and renewals follow the subscription start", async () => {
  await withSite(async ({ db, siteId, input }) => {
    await insertSession(db.sql, siteId, {
      visitorId: "v",
      startedAt: daysBefore(now, 9),
      source: "YouTube",
    });
    await insertSession(db.sql, siteId, {
      visitorId: "v",
      startedAt: daysBefore(now, 8),
      source: "Google",
    });
    await insertSession(db.sql, siteId, {
      visitorId: "v",
      startedAt: daysBefore(now, 7),
      source: "Bing",
    });
    const start = await recordPurchase(
      { db },
      input({
        ts: daysBefore(now, 7),
        key: "invoice:in_1",
        kind: "subscription_start",
        amountMinor: 1000,
        visitorId: "v",
        subscriptionId: "sub_1",
        paymentRef: "pi_1",
      }),
    );
    const renewal = await recordPurchase(
      { db },
      input({
        ts: now,
        key: "invoice:in_2",
        kind: "renewal",
        amountMinor: 1000,
        subscriptionId: "sub_1",
      }),
    );
    assert.equal(renewal.purchase.parent_purchase_id, start.purchase.id);
    assert.equal(renewal.purchase.visitor_id, "v");
    const refund = await recordPurchase(
      { db },
      input({
        ts: now,
        key: "refund:re_1",
        kind: "refund",
        amountMinor: 1000,
        refundOf: { paymentRef: "pi_1" },
      }),
    );
    assert.equal(refund.purchase.amount_minor, -1000);
    const sale = await credits(db, start.purchase.id, "linear");
    assert.deepEqual(sale.map((c) => c.amount_site_minor), [333, 333, 334]);
    assert.deepEqual(
      (await credits(db, refund.purchase.id, "linear")).map((c) => c.amount_site_minor),
      [-333, -333, -334],
    );
    assert.deepEqual(
      (await credits(db, renewal.purchase.id, "linear")).map((c) => c.amount_site_minor),
      [333, 333, 334],
    );
  });
});

Deno.test("a refund that arrives before its sale is linked when the sale comes", async () => {
  await withSite(async ({ db, siteId, input }) => {
    await insertSession(db.sql, siteId, {
      visitorId: "v",
      startedAt: daysBefore(now, 2),
      source: "Google",
    });
    const refund = await recordPurchase(
      { db },
      input({
        key: "refund:re_9",
        kind: "refund",
        amountMinor: 500,
        paymentRef: "pi_9",
        refundOf: { paymentRef: "pi_9" },
      }),
    );
    assert.equal(refund.purchase.match_method, "none");
    const sale = await recordPurchase(
      { db },
      input({
        ts: daysBefore(now, 1),
        key: "pi:pi_9",
        paymentRef: "pi_9",
        amountMinor: 2000,
        visitorId: "v",
      }),
    );
    const [r] = await db
      .sql`select parent_purchase_id, visitor_id from purchases where id = ${refund.purchase.id}`;
    assert.equal(r.parent_purchase_id, sale.purchase.id);
    assert.equal(r.visitor_id, "v");
    assert.deepEqual(await credits(db, refund.purchase.id), [
      { touch: 0, source: "Google", amount_site_minor: -500 },
    ]);
  });
});

Deno.test("an unmatched purchase is matched once identify() shows its email", async () => {
  await withSite(async ({ db, siteId, input }) => {
    const { purchase } = await recordPurchase(
      { db },
      input({ ts: daysBefore(now, 0.5), email: "late@example.com" }),
    );
    assert.equal(purchase.match_method, "none");
    assert.deepEqual(await credits(db, purchase.id), [
      { touch: -1, source: "", amount_site_minor: 4900 },
    ]);
    assert.equal(await rematchPending({ db }, { siteId }), 0, "no new evidence yet");
    await insertSession(db.sql, siteId, {
      visitorId: "later",
      startedAt: daysBefore(now, 0.6),
      source: "Podcast",
    });
    await insertIdentify(db.sql, siteId, "later", "late@example.com", now);
    assert.equal(await rematchPending({ db }, { siteId }), 1);
    assert.deepEqual(await credits(db, purchase.id), [
      { touch: 0, source: "Podcast", amount_site_minor: 4900 },
    ]);
  });
});

Deno.test("a lone visitor at checkout time is a low-confidence match", async () => {
  await withSite(async ({ db, siteId, input }) => {
    await insertSession(db.sql, siteId, {
      visitorId: "solo",
      startedAt: new Date(now.getTime() - 10 * 60_000),
      source: "Pinterest",
      country: "DE",
      pages: ["/", "/pricing", "/checkout"],
    });
    await insertSession(db.sql, siteId, {
      visitorId: "browser",
      startedAt: new Date(now.getTime() - 8 * 60_000),
      source: "Google",
      country: "DE",
      pages: ["/blog"],
    });
    const { purchase } = await recordPurchase({ db }, input({ country: "DE" }));
    assert.equal(purchase.match_method, "fingerprint");
    assert.equal(purchase.visitor_id, "solo");
    assert.ok(purchase.match_confidence < 0.5);
  });
});

Deno.test("the tracker's report and the platform's record of one purchase are one purchase", async () => {
  await withSite(async ({ db, siteId, input }) => {
    await insertSession(db.sql, siteId, {
      visitorId: "tv",
      startedAt: daysBefore(now, 1),
      source: "TikTok",
    });
    const tracked = await recordPurchase(
      { db },
      input({
        provider: "tracker",
        key: "cs_123",
        orderId: "cs_123",
        visitorId: "tv",
        origin: "browser",
      }),
    );
    assert.equal(tracked.purchase.match_method, "tracker");
    const stripe = await recordPurchase(
      { db },
      input({ key: "pi:pi_123", orderId: "cs_123", paymentRef: "pi_123", email: "t@example.com" }),
    );
    assert.equal(stripe.purchase.visitor_id, "tv");
    const rows = await db.sql`select provider from purchases where site_id = ${siteId}`;
    assert.deepEqual(rows.map((r) => r.provider), ["stripe"]);
    // A second report of the same transaction adds nothing.
    const again = await recordPurchase(
      { db },
      input({
        provider: "tracker",
        key: "cs_123",
        orderId: "cs_123",
        visitorId: "tv",
        origin: "browser",
      }),
    );
    assert.equal(again.created, false);
    const [n] = await db.sql`select count(*)::int as n from purchases where site_id = ${siteId}`;
    assert.equal(n.n, 1);
  });
});

Deno.test("foreign currencies convert through the owner's rates and refunds cancel exactly", async () => {
  await withSite(async ({ db, siteId, input }) => {
    await setRate(db.sql, siteId, "JPY", "0.0065");
    const yen = await recordPurchase(
      { db },
      input({ amountMinor: 12345, currency: "jpy", paymentRef: "pi_y" }),
    );
    assert.equal(yen.purchase.amount_site_minor, 8024, "¥12,345 × 0.0065 = $80.2425 → 8024 cents");
    assert.equal(yen.purchase.converted, true);
    const eur = await recordPurchase({ db }, input({ amountMinor: 1000, currency: "EUR" }));
    assert.equal(eur.purchase.converted, true);
    const [ref] = await db
      .sql`select origin from currency_rates where site_id = ${siteId} and currency = 'EUR'`;
    assert.equal(ref.origin, "reference");
    const refund = await recordPurchase(
      { db },
      input({
        key: "refund:y",
        kind: "refund",
        amountMinor: 12345,
        currency: "JPY",
        refundOf: { paymentRef: "pi_y" },
      }),
    );
    assert.equal(refund.purchase.amount_site_minor, -8024);
    await setRate(db.sql, siteId, "JPY", "0.007");
    await revalueCurrency({ db }, siteId, "JPY");
    const rows = await db.sql`
      select kind, amount_site_minor from purchases where site_id = ${siteId} and currency = 'JPY'
      order by kind`;
    assert.deepEqual(rows.map((r) => [r.kind, r.amount_site_minor]), [["one_time", 8642], [
      "refund",
      -8642,
    ]]);
    const [sum] = await db.sql`
      select sum(c.amount_site_minor)::int as s from attribution_credits c
      join purchases p on p.id = c.purchase_id
      where p.site_id = ${siteId} and p.currency = 'JPY' and c.model = 'linear'`;
    assert.equal(sum.s, 0);
  });
});

Deno.test("a new purchase reaches the site's live channel", async () => {
  await withSite(async ({ db, siteId, input }) => {
    const bus = createMemoryBus();
    try {
      await insertSession(db.sql, siteId, {
        visitorId: "lv",
        startedAt: daysBefore(now, 1),
        source: "YouTube",
        city: "Berlin",
      });
      const got: LivePurchase[] = [];
      await bus.subscribe(liveChannel(siteId), (m) => got.push(m as LivePurchase));
      const started = performance.now();
      await recordPurchase({ db, bus }, input({ visitorId: "lv", product: "Course" }));
      await recordPurchase({ db, bus }, input({ key: "pi:old", origin: "backfill" }));
      // A live purchase after the backfilled one: once it is announced, the backfilled one
      // would have been too.
      await recordPurchase({ db, bus }, input({ key: "pi:later", product: "Marker" }));
      await waitFor(() => got.some((m) => m.product === "Marker"));
      assert.deepEqual(
        got.map((m) => m.product),
        ["Course", "Marker"],
        "backfilled purchases are not announced",
      );
      assert.equal(got[0].kind, "purchase");
      assert.equal(got[0].source, "YouTube");
      assert.equal(got[0].product, "Course");
      assert.equal(got[0].city, "Berlin");
      console.log(
        `live purchase published ${Math.round(performance.now() - started)} ms after the call`,
      );
    } finally {
      await bus.close();
    }
  });
});

Deno.test("a buyer who later signs in on another device gets that device's visits credited", async () => {
  await withSite(async ({ db, siteId, input }) => {
    await insertSession(db.sql, siteId, {
      visitorId: "phone",
      startedAt: daysBefore(now, 3),
      source: "Instagram",
    });
    await insertSession(db.sql, siteId, {
      visitorId: "laptop",
      startedAt: daysBefore(now, 9),
      source: "Podcast",
    });
    await insertIdentify(db.sql, siteId, "phone", "dev@example.com", daysBefore(now, 3));
    const { purchase } = await recordPurchase(
      { db },
      input({ ts: daysBefore(now, 1), email: "dev@example.com" }),
    );
    assert.deepEqual((await credits(db, purchase.id, "first_touch")).map((c) => c.source), [
      "Instagram",
    ]);
    // Minutes later the same person signs in on their laptop.
    await insertIdentify(db.sql, siteId, "laptop", "dev@example.com", new Date());
    assert.equal(await rematchPending({ db }, { siteId }), 1);
    assert.deepEqual((await credits(db, purchase.id, "first_touch")).map((c) => c.source), [
      "Podcast",
    ]);
    assert.equal(await rematchPending({ db }, { siteId }), 0, "nothing new the second time");

    // The owner shortens the attribution window to a week: the laptop visit falls out.
    await db.sql`update sites set attribution_window_days = 7 where id = ${siteId}`;
    await reattributeSite({ db }, siteId);
    assert.deepEqual((await credits(db, purchase.id, "first_touch")).map((c) => c.source), [
      "Instagram",
    ]);
  });
});

Deno.test("amounts beyond any real purchase are refused with a sentence, converted or not", async () => {
  await withSite(
    async ({ db, siteId, input }) => {
      const deps = { db };
      await assert.rejects(
        recordPurchase(deps, input({ amountMinor: 10 ** 15 })),
        /amount .* is larger than any purchase Sextant records/,
      );
      await assert.rejects(
        recordPurchase(deps, input({ kind: "refund", amountMinor: -(10 ** 15) })),
        /amount .* is larger than any purchase Sextant records/,
      );
      // Fine in dollars, too large once converted into the site's yen.
      await assert.rejects(
        recordPurchase(deps, input({ amountMinor: 9 * 10 ** 13 })),
        /in the site's currency .* is larger than any purchase Sextant records/,
      );
      await recordPurchase(deps, input({ amountMinor: 4900 }));
      const [n] = await db.sql`select count(*)::int as n from purchases where site_id = ${siteId}`;
      assert.equal(n.n, 1);
    },
    undefined,
    "JPY",
  );
});

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `one payment reported by Stripe and by Teachable counts once, and so does its refund (${mode})`,
    inDbMode(mode),
    async () => {
      await withSite(async ({ db, siteId, input }) => {
        const stripeSale = await recordPurchase(
          { db },
          input({
            key: "pi:pi_1",
            paymentRef: "pi_1",
            email: "Ann@Example.com",
            amountMinor: 9900,
          }),
        );
        const teachableSale = await recordPurchase({ db }, {
          ...input({ provider: "teachable", key: "transaction:77", amountMinor: 9900 }),
          ts: new Date(now.getTime() + 40_000),
          email: "ann@example.com",
          product: "Bread academy",
          paymentRef: "77",
        });
        assert.equal(teachableSale.created, false);
        assert.equal(teachableSale.purchase.id, stripeSale.purchase.id);
        assert.equal(
          teachableSale.purchase.product,
          "Bread academy",
          "the second report adds evidence",
        );
        // Its replay, and a different sale of the same buyer, are told apart.
        const replay = await recordPurchase(
          { db },
          input({ provider: "teachable", key: "transaction:77", amountMinor: 9900 }),
        );
        assert.equal(replay.purchase.id, stripeSale.purchase.id);
        const other = await recordPurchase(
          { db },
          input({
            provider: "teachable",
            key: "transaction:78",
            amountMinor: 2900,
            email: "ann@example.com",
          }),
        );
        assert.equal(other.created, true);

        // Both platforms report the refund; the second one refers to the sale by its own key.
        await recordPurchase(
          { db },
          input({
            provider: "teachable",
            key: "refund:77",
            kind: "refund",
            amountMinor: -9900,
            refundOf: { key: "transaction:77" },
          }),
        );
        await recordPurchase(
          { db },
          input({
            key: "refund:re_1",
            kind: "refund",
            amountMinor: -9900,
            refundOf: { paymentRef: "pi_1" },
          }),
        );
        const rows = await db.sql<
          { kind: string; amount_site_minor: number; parent: string | null }[]
        >`
          select kind, amount_site_minor, parent_purchase_id::text as parent from purchases
          where site_id = ${siteId} order by ts, kind`;
        assert.equal(rows.length, 3, "one sale, one refund, and the other sale");
        const refund = rows.find((r) => r.kind === "refund")!;
        assert.equal(refund.parent, stripeSale.purchase.id);
        const [sum] = await db.sql<{ total: number }[]>`
          select coalesce(sum(amount_site_minor), 0)::int as total from attribution_credits
          where site_id = ${siteId} and model = 'last_touch'`;
        assert.equal(sum.total, 2900, "the refunded sale nets to zero; the other sale remains");
      }, mode);
    },
  );
}
