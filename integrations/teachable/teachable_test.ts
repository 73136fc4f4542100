import assert from "node:assert/strict";
import { FakeTeachable } from "../../testing/fake_teachable.ts";
import { createTeachable } from "./mod.ts";
import { PlatformError, SignatureError } from "../types.ts";

async function withFake(
  fn: (fake: FakeTeachable, teachable: ReturnType<typeof createTeachable>) => Promise<void>,
) {
  const fake = await FakeTeachable.start();
  try {
    await fn(fake, createTeachable(fake.url));
  } finally {
    await fake.close();
  }
}

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);

Deno.test("connecting Teachable tests the key and says what to do when it is refused", async () => {
  await withFake(async (fake, teachable) => {
    const key = fake.addKey();
    const info = await teachable.connect(`  ${key}\n`);
    assert.equal(info.keyHint, `…${key.slice(-4)}`);
    await assert.rejects(
      () => teachable.connect("not-a-real-key-at-all"),
      (e) =>
        e instanceof PlatformError &&
        e.message === "That Teachable API key was refused — copy it again from Settings → API.",
    );
    await assert.rejects(
      () => teachable.connect(fake.addKey({ api: false })),
      (e) => e instanceof PlatformError && /needs a plan that includes it/.test(e.message),
    );
    await assert.rejects(
      () => teachable.connect("   "),
      (e) => e instanceof PlatformError && /Paste your Teachable API key/.test(e.message),
    );
  });
});

Deno.test("Teachable webhooks are set up by hand: the note names the events to tick", async () => {
  await withFake(async (_fake, teachable) => {
    const setup = await teachable.registerWebhook({ apiKey: "k" }, "https://x.test/h");
    assert.equal(setup.mode, "manual");
    assert.match(setup.mode === "manual" ? setup.note : "", /Transaction\.created/);
  });
});

Deno.test("a Teachable signature is checked when a secret is set; a forged one is refused", async () => {
  await withFake(async (fake, teachable) => {
    const course = fake.course("Watercolour basics");
    const plan = fake.plan({ courseId: course.id, price: 4900 });
    const buyer = fake.user("painter@example.com");
    const t = fake.transaction({ userId: buyer.id, planId: plan.id });
    const body = JSON.stringify(fake.event("Transaction.created", t));
    const secret = "teachable-secret-123";
    const good = new Headers({ "teachable-signature": await fake.sign(body, secret) });
    const ev = await teachable.verifyWebhook(body, good, secret);
    assert.equal(ev.type, "Transaction.created");
    const forged = new Headers({ "teachable-signature": await fake.sign(body, "guess") });
    await assert.rejects(() => teachable.verifyWebhook(body, forged, secret), SignatureError);
    await assert.rejects(
      () => teachable.verifyWebhook(body, new Headers(), secret),
      SignatureError,
    );
    // Without a secret the URL token guards the endpoint; the body is only read.
    assert.equal((await teachable.verifyWebhook(body, new Headers(), null)).type, ev.type);
  });
});

Deno.test("Teachable charges become a sale, a subscription start, a renewal and refunds", async () => {
  await withFake(async (fake, teachable) => {
    const creds = { apiKey: fake.addKey() };
    const course = fake.course("Bread academy");
    const once = fake.plan({ courseId: course.id, price: 19900, name: "Lifetime" });
    const monthly = fake.plan({ courseId: course.id, price: 2900, type: "subscription" });
    const buyer = fake.user("baker@example.com");
    const normalize = (type: string, object: Record<string, unknown> & { id: number }) => {
      const payload = fake.event(type, object);
      return teachable.normalize(creds, { id: String(payload.id), type, payload });
    };

    const sale = fake.transaction({ userId: buyer.id, planId: once.id });
    const [a] = await normalize("Transaction.created", sale);
    assert.ok(a.type === "purchase");
    assert.deepEqual(
      [
        a.purchase.kind,
        a.purchase.amountMinor,
        a.purchase.currency,
        a.purchase.email,
        a.purchase.product,
      ],
      ["one_time", 19900, "USD", "baker@example.com", "Bread academy"],
    );

    const first = fake.transaction({
      userId: buyer.id,
      planId: monthly.id,
      createdAt: daysAgo(31),
    });
    const firstChanges = await normalize("Transaction.created", first);
    const start = firstChanges.find((c) => c.type === "purchase");
    assert.ok(start?.type === "purchase" && start.purchase.kind === "subscription_start");
    const state = firstChanges.find((c) => c.type === "subscription");
    assert.ok(state?.type === "subscription" && state.subscription.mrrMinor === 2900);

    const renewal = fake.transaction({
      userId: buyer.id,
      planId: monthly.id,
      saleId: Number(first.sale_id),
    });
    const [r] = await normalize("Transaction.created", renewal);
    assert.ok(r.type === "purchase");
    assert.equal(r.purchase.kind, "renewal");
    assert.equal(r.purchase.subscriptionId, `sale:${first.sale_id}`);

    fake.refund(sale.id, 5000);
    const refunded = await normalize("Transaction.refunded", sale);
    const refund = refunded.find((c) => c.type === "refund_total");
    assert.ok(refund?.type === "refund_total");
    assert.equal(refund.refund.totalMinor, 5000, "a partial refund");
    assert.equal(refund.refund.saleKey, `transaction:${sale.id}`);
    assert.equal(refund.refund.email, "baker@example.com");
    fake.refund(renewal.id);
    const full = (await normalize("Transaction.refunded", renewal)).find((c) =>
      c.type === "refund_total"
    );
    assert.ok(full?.type === "refund_total" && full.refund.totalMinor === 2900, "the whole price");

    const [canceled] = await normalize("Sale.subscription_canceled", {
      id: Number(first.sale_id),
      user_id: buyer.id,
      pricing_plan_id: monthly.id,
      created_at: first.created_at,
      canceled_at: new Date().toISOString(),
    });
    assert.ok(canceled.type === "subscription");
    assert.equal(canceled.subscription.status, "canceled");
    assert.equal(canceled.subscription.subscriptionId, `sale:${first.sale_id}`);
  });
});

Deno.test("a Teachable backfill pages through 300 transactions of 30 days despite 429s", async () => {
  await withFake(async (fake, teachable) => {
    const creds = { apiKey: fake.addKey() };
    const course = fake.course("Guitar from zero");
    const plan = fake.plan({ courseId: course.id, price: 9900 });
    const yen = fake.plan({ courseId: course.id, price: 12000, currency: "JPY" });
    for (let i = 0; i < 300; i++) {
      const u = fake.user(`student${i}@example.com`);
      fake.transaction({
        userId: u.id,
        planId: i % 10 === 0 ? yen.id : plan.id,
        createdAt: new Date(Date.now() - (i + 1) * 2 * 3600_000),
      });
    }
    const old = fake.transaction({
      userId: fake.users[0].id,
      planId: plan.id,
      createdAt: daysAgo(45),
    });
    fake.refund(fake.transactions[5].id);
    fake.throttleNext = 2;
    const seen: number[] = [];
    const changes = await teachable.backfill(creds, 30, {
      listed: (n) => Promise.resolve(void seen.push(n)),
    });
    const purchases = changes.flatMap((c) => c.type === "purchase" ? [c.purchase] : []);
    assert.equal(purchases.length, 300);
    assert.equal(changes.filter((c) => c.type === "refund_total").length, 1);
    assert.ok(!purchases.some((p) => p.key === `transaction:${old.id}`));
    assert.ok(purchases.every((p, i) => i === 0 || purchases[i - 1].ts <= p.ts), "oldest first");
    assert.ok(purchases.every((p) => p.email?.endsWith("@example.com")), "emails looked up");
    assert.equal(purchases.find((p) => p.currency === "JPY")?.amountMinor, 12000);
    const listPages = fake.requests.filter((r) => r.startsWith("GET /transactions?"));
    assert.ok(listPages.length >= 3, "several pages");
    assert.equal(seen[0], 300, "the total is known from the first page");
  });
});
