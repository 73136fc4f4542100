import assert from "node:assert/strict";
import { FakeKajabi } from "../../testing/fake_kajabi.ts";
import { createKajabi } from "./mod.ts";
import { PlatformError } from "../types.ts";

async function withFake(
  fn: (fake: FakeKajabi, kajabi: ReturnType<typeof createKajabi>) => Promise<void>,
) {
  const fake = await FakeKajabi.start();
  try {
    await fn(fake, createKajabi(fake.url));
  } finally {
    await fake.close();
  }
}

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);

Deno.test("connecting Kajabi exchanges the client credentials and reads the site", async () => {
  await withFake(async (fake, kajabi) => {
    const creds = fake.addClient();
    const info = await kajabi.connect(creds);
    assert.equal(info.accountName, "Fake Academy");
    assert.equal(info.siteId, fake.site.id);
    assert.ok(!info.keyHint.includes(creds.clientSecret));
    await assert.rejects(
      () => kajabi.connect({ clientId: creds.clientId, clientSecret: "wrong" }),
      (e) =>
        e instanceof PlatformError &&
        /Kajabi refused that client id and secret — copy both again/.test(e.message),
    );
    await assert.rejects(
      () => kajabi.connect({ clientId: " ", clientSecret: "" }),
      (e) => e instanceof PlatformError && /Paste both/.test(e.message),
    );
  });
});

Deno.test("Kajabi hooks are registered through the API and removed again", async () => {
  await withFake(async (fake, kajabi) => {
    const creds = fake.addClient();
    const setup = await kajabi.registerWebhook(creds, "https://sextant.test/hook/tok");
    assert.equal(setup.mode, "auto");
    assert.deepEqual(fake.hooks.map((h) => [h.event, h.target_url]), [
      ["payment_succeeded", "https://sextant.test/hook/tok"],
    ]);
    if (setup.mode === "auto") await kajabi.unregisterWebhook(creds, setup.endpointId);
    assert.equal(fake.hooks.length, 0);
  });
});

Deno.test("a Kajabi payment hook becomes a purchase; renewals follow their purchase", async () => {
  await withFake(async (fake, kajabi) => {
    const creds = fake.addClient();
    const customer = fake.customer("Member@Example.com");
    const offer = fake.offer("Mastermind");
    const sub = fake.purchase({
      customerId: customer.id,
      offerId: offer.id,
      paymentType: "subscription",
      createdAt: daysAgo(35),
    });
    const first = fake.transaction({
      purchaseId: sub.id,
      amountInCents: 4900,
      createdAt: daysAgo(35),
    });
    const renewal = fake.transaction({ purchaseId: sub.id, amountInCents: 4900 });
    const normalize = async (items: Record<string, unknown>[]) => {
      const body = JSON.stringify({ id: "99", event: "payment_succeeded", payload: items });
      const ev = await kajabi.verifyWebhook(body, new Headers(), null);
      return await kajabi.normalize(creds, ev);
    };
    const [a, b, state, ...rest] = await normalize([fake.hookItem(first), fake.hookItem(renewal)]);
    assert.ok(a.type === "purchase" && b.type === "purchase");
    assert.ok(state.type === "subscription", "then the subscription's state, once");
    assert.deepEqual(rest, []);
    assert.deepEqual(
      [state.subscription.subscriptionId, state.subscription.status, state.subscription.mrrMinor],
      [`purchase:${sub.id}`, "active", 4900],
    );
    assert.deepEqual(
      [a.purchase.kind, a.purchase.amountMinor, a.purchase.email, a.purchase.product],
      ["subscription_start", 4900, "Member@Example.com", "Mastermind"],
    );
    assert.equal(b.purchase.kind, "renewal");
    assert.equal(b.purchase.subscriptionId, `purchase:${sub.id}`);
    assert.equal(a.purchase.key, `transaction:${first.id}`);
    const ignored = JSON.stringify({ id: "100", event: "order_created", payload: [] });
    assert.deepEqual(
      await kajabi.normalize(creds, await kajabi.verifyWebhook(ignored, new Headers(), null)),
      [],
    );
  });
});

Deno.test("a Kajabi backfill pages through 300 transactions with refunds, renewing its token", async () => {
  await withFake(async (fake, kajabi) => {
    const creds = fake.addClient();
    const offer = fake.offer("Photography course");
    for (let i = 0; i < 300; i++) {
      const c = fake.customer(`learner${i}@example.com`);
      const p = fake.purchase({
        customerId: c.id,
        offerId: offer.id,
        createdAt: new Date(Date.now() - (i + 1) * 2 * 3600_000),
      });
      fake.transaction({
        purchaseId: p.id,
        amountInCents: 19700,
        currency: i % 10 === 0 ? "JPY" : "USD",
        createdAt: new Date(Date.now() - (i + 1) * 2 * 3600_000),
      });
    }
    const refunded = fake.purchases[4];
    fake.transaction({ purchaseId: refunded.id, amountInCents: 5000, action: "refund" });
    const oldCustomer = fake.customer("old@example.com");
    const oldPurchase = fake.purchase({
      customerId: oldCustomer.id,
      offerId: offer.id,
      createdAt: daysAgo(50),
    });
    fake.transaction({ purchaseId: oldPurchase.id, amountInCents: 100, createdAt: daysAgo(50) });

    await kajabi.connect(creds);
    fake.expireTokens();
    fake.throttleNext = 2;
    const seen: number[] = [];
    const changes = await kajabi.backfill(creds, 30, {
      listed: (n) => Promise.resolve(void seen.push(n)),
    });
    const purchases = changes.flatMap((c) => c.type === "purchase" ? [c.purchase] : []);
    assert.equal(purchases.filter((p) => p.kind === "one_time").length, 300);
    const refunds = purchases.filter((p) => p.kind === "refund");
    assert.equal(refunds.length, 1);
    assert.equal(refunds[0].amountMinor, -5000);
    assert.equal(refunds[0].refundOf?.orderId, `purchase:${refunded.id}`);
    assert.ok(!purchases.some((p) => p.email === "old@example.com"), "older than 30 days");
    assert.ok(purchases.every((p, i) => i === 0 || purchases[i - 1].ts <= p.ts), "oldest first");
    assert.ok(
      purchases.every((p) =>
        p.email?.endsWith("@example.com") && p.product === "Photography course"
      ),
    );
    assert.ok(fake.requests.filter((r) => r.startsWith("GET /v1/transactions")).length >= 4);
    assert.ok(seen.length >= 3, "progress after each page");
  });
});
