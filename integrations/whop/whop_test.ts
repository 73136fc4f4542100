import assert from "node:assert/strict";
import { FakeWhop } from "../../testing/fake_whop.ts";
import { createWhop } from "./mod.ts";
import { fromPayment, monthlyAmount, whopMinor } from "./normalize.ts";
import { parseWhop, payment, plan } from "./objects.ts";
import { PlatformError, SignatureError } from "../types.ts";

async function withFake(
  fn: (fake: FakeWhop, whop: ReturnType<typeof createWhop>) => Promise<void>,
) {
  const fake = await FakeWhop.start();
  try {
    await fn(fake, createWhop(fake.url));
  } finally {
    await fake.close();
  }
}

Deno.test("Whop's decimal amounts become minor units, zero- and three-decimal currencies too", () => {
  assert.equal(whopMinor(19.99, "usd"), 1999);
  assert.equal(whopMinor(0.1 + 0.2, "usd"), 30);
  assert.equal(whopMinor(1500, "jpy"), 1500);
  assert.equal(whopMinor("12.345", "kwd"), 12345);
  assert.equal(whopMinor(49, "eur"), 4900);
  assert.throws(() => whopMinor("abc", "usd"), /could not read/);
});

Deno.test("Whop plans give a monthly amount whatever their billing period", () => {
  const p = (billing_period: number, renewal_price: number) =>
    parseWhop(plan, {
      id: "plan_1",
      plan_type: "renewal",
      renewal_price,
      billing_period,
      currency: "usd",
    }, "plan");
  assert.equal(monthlyAmount(p(30, 29)), 2900);
  assert.equal(monthlyAmount(p(31, 29)), 2900);
  assert.equal(monthlyAmount(p(365, 120)), 1000);
  assert.equal(monthlyAmount(p(90, 60)), 2000);
  assert.equal(monthlyAmount(p(7, 10)), Math.round(1000 / (7 / (365.25 / 12))));
  const oneTime = parseWhop(plan, {
    id: "plan_2",
    plan_type: "one_time",
    initial_price: 50,
    currency: "usd",
  }, "plan");
  assert.equal(monthlyAmount(oneTime), 0);
});

Deno.test("a Whop payment's billing reason says first payment, renewal or one-time", () => {
  const base = {
    id: "pay_1",
    status: "paid",
    created_at: "2026-11-01T10:00:00Z",
    total: 9.5,
    currency: "usd",
    user: { id: "user_1", email: "Fan@Example.com" },
    product: { id: "prod_1", title: "Inner circle" },
    membership: { id: "mem_1", status: "active" },
    metadata: { sextant_visitor_id: "vis-9" },
  };
  const start = fromPayment(
    parseWhop(payment, { ...base, billing_reason: "subscription_create" }, "payment"),
  )!;
  assert.equal(start.kind, "subscription_start");
  assert.equal(start.amountMinor, 950);
  assert.equal(start.subscriptionId, "mem_1");
  assert.equal(start.visitorId, "vis-9");
  assert.equal(start.product, "Inner circle");
  assert.equal(start.key, "payment:pay_1");
  const renewal = fromPayment(
    parseWhop(payment, { ...base, billing_reason: "subscription_cycle" }, "payment"),
  )!;
  assert.equal(renewal.kind, "renewal");
  const once = fromPayment(
    parseWhop(payment, { ...base, billing_reason: "one_time", membership: null }, "payment"),
  )!;
  assert.equal(once.kind, "one_time");
  assert.equal(fromPayment(parseWhop(payment, { ...base, status: "open" }, "payment")), null);
});

Deno.test("connecting Whop checks the key against the company and explains refusals", async () => {
  await withFake(async (fake, whop) => {
    const { key, companyId } = fake.addKey({ title: "Chess Club" });
    const info = await whop.connect({ apiKey: key, companyId });
    assert.equal(info.accountName, "Chess Club");
    assert.ok(info.keyHint.startsWith("apik_…") && !info.keyHint.includes(key.slice(5, 20)));

    await assert.rejects(
      () => whop.connect({ apiKey: "apik_" + "x".repeat(30), companyId }),
      (e) =>
        e instanceof PlatformError &&
        /That Whop API key was refused — copy it again/.test(e.message),
    );
    const other = fake.addKey();
    await assert.rejects(
      () => whop.connect({ apiKey: key, companyId: other.companyId }),
      (e) => e instanceof PlatformError && /isn't allowed to read payments/.test(e.message),
    );
    await assert.rejects(
      () => whop.connect({ apiKey: key, companyId: "biz_unknown1" }),
      (e) => e instanceof PlatformError && /doesn't know the company biz_unknown1/.test(e.message),
    );
    await assert.rejects(
      () => whop.connect({ apiKey: key, companyId: "my club" }),
      (e) => e instanceof PlatformError && /starts with biz_/.test(e.message),
    );
    const noRead = fake.addKey({ companyId, read: false });
    await assert.rejects(
      () => whop.connect({ apiKey: noRead.key, companyId }),
      (e) => e instanceof PlatformError && /read access to payments/.test(e.message),
    );
  });
});

Deno.test("Whop webhooks are created through the API, or explained when the key may not", async () => {
  await withFake(async (fake, whop) => {
    const { key, companyId } = fake.addKey();
    const setup = await whop.registerWebhook(
      { apiKey: key, companyId },
      "https://sextant.test/hook",
    );
    assert.equal(setup.mode, "auto");
    assert.equal(fake.webhooks.length, 1);
    assert.equal(fake.webhooks[0].url, "https://sextant.test/hook");
    assert.ok(fake.webhooks[0].events.includes("payment.succeeded"));
    if (setup.mode === "auto") {
      assert.equal(setup.secret, fake.webhooks[0].webhook_secret);
      await whop.unregisterWebhook({ apiKey: key, companyId }, setup.endpointId);
    }
    assert.equal(fake.webhooks.length, 0);

    const limited = fake.addKey({ companyId, webhooks: false });
    const manual = await whop.registerWebhook(
      { apiKey: limited.key, companyId },
      "https://x.test/h",
    );
    assert.equal(manual.mode, "manual");
    assert.match(manual.mode === "manual" ? manual.note : "", /add one in Whop yourself/);
  });
});

Deno.test("Whop deliveries verify with Standard Webhooks; forged, unsigned and stale ones don't", async () => {
  await withFake(async (fake, whop) => {
    const secret = "ws_" + "a1".repeat(16);
    const body = JSON.stringify(fake.event("payment.succeeded", { id: "pay_1" }));
    const ok = await whop.verifyWebhook(body, new Headers(await fake.sign(body, secret)), secret);
    assert.equal(ok.type, "payment.succeeded");

    const forged = await fake.sign(body, "ws_someone_else_secret");
    await assert.rejects(
      () => whop.verifyWebhook(body, new Headers(forged), secret),
      SignatureError,
    );
    await assert.rejects(
      () => whop.verifyWebhook(body, new Headers({ "content-type": "application/json" }), secret),
      SignatureError,
    );
    const stale = await fake.sign(body, secret, {
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    await assert.rejects(
      () => whop.verifyWebhook(body, new Headers(stale), secret),
      SignatureError,
    );
    const tampered = body.replace("pay_1", "pay_2");
    await assert.rejects(
      async () => whop.verifyWebhook(tampered, new Headers(await fake.sign(body, secret)), secret),
      SignatureError,
    );
  });
});

Deno.test("Whop events become a purchase, a renewal, a partial refund and membership states", async () => {
  await withFake(async (fake, whop) => {
    const { key, companyId } = fake.addKey();
    const creds = { apiKey: key, companyId };
    const monthly = fake.plan({ companyId, renewalPrice: 29, billingPeriod: 30 });
    const m = fake.membership({ companyId, planId: monthly.id, email: "fan@example.com" });
    const first = fake.payment({
      companyId,
      total: 29,
      email: "fan@example.com",
      billingReason: "subscription_create",
      membershipId: m.id,
    });
    const renew = fake.payment({
      companyId,
      total: 29,
      email: "fan@example.com",
      billingReason: "subscription_cycle",
      membershipId: m.id,
    });
    const normalize = (type: string, data: unknown) => {
      const payload = fake.event(type, data);
      return whop.normalize(creds, { id: payload.id, type, payload });
    };
    const [a] = await normalize("payment.succeeded", first);
    assert.equal(a.type === "purchase" && a.purchase.kind, "subscription_start");
    const [b] = await normalize("payment.succeeded", renew);
    assert.equal(b.type === "purchase" && b.purchase.kind, "renewal");
    assert.equal(b.type === "purchase" && b.purchase.amountMinor, 2900);

    const r = fake.refund({ paymentId: renew.id, amount: 10.5 });
    const [c] = await normalize("refund.updated", r);
    assert.ok(c.type === "purchase");
    assert.equal(c.purchase.kind, "refund");
    assert.equal(c.purchase.amountMinor, -1050);
    assert.equal(c.purchase.refundOf?.key, `payment:${renew.id}`);
    assert.equal(c.purchase.email, "fan@example.com");
    assert.deepEqual(await normalize("refund.updated", { ...r, status: "pending" }), []);

    const [active] = await normalize("membership.activated", m);
    assert.ok(active.type === "subscription");
    assert.equal(active.subscription.mrrMinor, 2900);
    assert.equal(active.subscription.status, "active");
    const ended = { ...m, status: "canceled", canceled_at: new Date().toISOString() };
    const [gone] = await normalize("membership.deactivated", ended);
    assert.ok(gone.type === "subscription");
    assert.equal(gone.subscription.status, "canceled");
    assert.ok(gone.subscription.canceledAt instanceof Date);
    assert.deepEqual(await normalize("course.created", {}), []);
  });
});

Deno.test("a Whop backfill pages through 300 payments of 30 days, with refunds, despite 429s", async () => {
  await withFake(async (fake, whop) => {
    const { key, companyId } = fake.addKey();
    const now = Date.now();
    for (let i = 0; i < 300; i++) {
      fake.payment({
        companyId,
        total: 10 + (i % 7),
        currency: i % 10 === 0 ? "jpy" : "usd",
        email: `buyer${i}@example.com`,
        createdAt: new Date(now - (i + 1) * 2 * 3600_000),
      });
    }
    const old = fake.payment({ companyId, total: 99, createdAt: new Date(now - 40 * 86_400_000) });
    fake.refund({ paymentId: String(fake.payments[3].id), amount: 5 });
    const otherCompany = fake.addKey();
    fake.payment({ companyId: otherCompany.companyId, total: 1 });
    fake.throttleNext = 2;
    const seen: number[] = [];
    const changes = await whop.backfill({ apiKey: key, companyId }, 30, {
      listed: (n) => Promise.resolve(void seen.push(n)),
    });
    const purchases = changes.flatMap((c) => c.type === "purchase" ? [c.purchase] : []);
    assert.equal(purchases.filter((p) => p.kind !== "refund").length, 300);
    assert.ok(!purchases.some((p) => p.key === `payment:${old.id}`), "older than 30 days");
    const refunds = purchases.filter((p) => p.kind === "refund");
    assert.equal(refunds.length, 1);
    assert.equal(refunds[0].amountMinor, -500);
    assert.ok(purchases.every((p, i) => i === 0 || purchases[i - 1].ts <= p.ts), "oldest first");
    const yen = purchases.find((p) => p.currency === "jpy")!;
    assert.ok(yen.amountMinor >= 10 && yen.amountMinor <= 16, "yen are whole units");
    assert.ok(fake.requests.filter((r) => r.startsWith("GET /payments?")).length >= 3, "paged");
    assert.ok(seen.length >= 2 && seen.at(-1) === purchases.length, "progress reported");
  });
});
