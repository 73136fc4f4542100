import assert from "node:assert/strict";
import { AppError } from "../lib/errors.ts";
import { validate } from "./validate.ts";
import { siteFixture, trackerRequest } from "./test_support.ts";

const site = siteFixture({ allowed_hosts: ["shop.example.org"] });
const sites = { byPublicId: (id: string) => Promise.resolve(id === site.public_id ? site : null) };

async function rejects(req: Parameters<typeof validate>[0], status: number, field?: RegExp) {
  try {
    await validate(req, sites);
  } catch (e) {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.status, status, e.message);
    if (field) assert.match(e.message, field);
    return e.message;
  }
  assert.fail("expected a rejection");
}

Deno.test("malformed bodies are 400 with the field named", async () => {
  const pv = { t: "pageview", u: "https://example.com/" };
  await rejects({ ...trackerRequest(site, [pv]), body: [] }, 400, /JSON object/);
  await rejects({ ...trackerRequest(site, [pv]), body: { e: [pv] } }, 400, /Field s/);
  await rejects(trackerRequest(site, []), 400, /Field e: must hold at least one event/);
  await rejects(
    trackerRequest(site, [{ t: "teleport", u: "https://example.com/" }]),
    400,
    /e\[0\]\.t/,
  );
  await rejects(trackerRequest(site, [{ t: "pageview", u: "/relative" }]), 400, /e\[0\]\.u/);
  await rejects(
    trackerRequest(site, [{ t: "pageview", u: "javascript:alert(1)" }]),
    400,
    /e\[0\]\.u/,
  );
  await rejects(
    trackerRequest(site, [pv, { t: "event", u: "https://example.com/" }]),
    400,
    /e\[1\]/,
  );
  await rejects(trackerRequest(site, [{ ...pv, sd: 140 }]), 400, /e\[0\]\.sd/);
  await rejects(trackerRequest(site, [{ ...pv, p: { nested: { a: 1 } } }]), 400, /e\[0\]\.p/);
  await rejects(trackerRequest(site, [pv], { v: "bad id!" }), 400, /Field v/);
  await rejects(
    trackerRequest(site, [{ t: "identify", u: "https://example.com/" }]),
    400,
    /identify/,
  );
  const rev = { t: "revenue", u: "https://example.com/", p: { amount: "lots", currency: "USD" } };
  await rejects(trackerRequest(site, [rev]), 400, /amount/);
  const rev2 = { t: "revenue", u: "https://example.com/", p: { amount: 5, currency: "DOLLARS" } };
  await rejects(trackerRequest(site, [rev2]), 400, /currency/);
});

Deno.test("an unknown site is 404 and a foreign origin 403", async () => {
  const pv = { t: "pageview", u: "https://example.com/" };
  const unknown = trackerRequest(site, [pv]);
  (unknown.body as { s: string }).s = "nope";
  await rejects(unknown, 404, /data-site/);
  await rejects({ ...trackerRequest(site, [pv]), origin: "https://evil.test" }, 403, /evil\.test/);
  // Subdomains and the site's extra hosts are fine.
  for (
    const origin of [
      "https://www.example.com",
      "https://blog.example.com",
      "https://shop.example.org",
    ]
  ) {
    await validate({ ...trackerRequest(site, [pv]), origin }, sites);
  }
  // Without an Origin header the page URL must be the site's.
  await rejects(
    { ...trackerRequest(site, [{ t: "pageview", u: "https://evil.test/" }]), origin: null },
    403,
  );
});

Deno.test("revenue amounts become minor units of their currency", async () => {
  const ev = (amount: number, currency: string) => ({
    t: "revenue",
    u: "https://example.com/thanks",
    p: { amount, currency, product: "Course", transaction_id: "tx_1" },
  });
  const b = await validate(
    trackerRequest(site, [ev(49.99, "usd"), ev(1200, "JPY"), ev(1.234, "KWD")]),
    sites,
  );
  assert.deepEqual(b.events.map((e) => e.props), [
    { amount: 4999, currency: "USD", product: "Course", transaction_id: "tx_1", via: "browser" },
    { amount: 1200, currency: "JPY", product: "Course", transaction_id: "tx_1", via: "browser" },
    { amount: 1234, currency: "KWD", product: "Course", transaction_id: "tx_1", via: "browser" },
  ]);
});

Deno.test("identify keeps emails lower-cased and user ids as given", async () => {
  const b = await validate(
    trackerRequest(site, [
      { t: "identify", u: "https://example.com/", id: " Ada@Example.COM ", p: { plan: "pro" } },
      { t: "identify", u: "https://example.com/", id: "user_42", p: { email: "Bob@Example.com" } },
    ]),
    sites,
  );
  assert.deepEqual(b.events.map((e) => e.identify), [
    { identifier: "ada@example.com", email: "ada@example.com", traits: { plan: "pro" } },
    { identifier: "user_42", email: "bob@example.com", traits: { email: "Bob@Example.com" } },
  ]);
});

Deno.test("query strings are kept off stored referrers; hash routing keeps the hash", async () => {
  const b = await validate(
    trackerRequest(site, [{
      t: "pageview",
      u: "https://example.com/app#/settings",
      r: "https://mail.example.net/inbox?token=secret#x",
    }], { extra: { hm: 1 } }),
    sites,
  );
  assert.equal(b.events[0].referrer, "https://mail.example.net/inbox");
  assert.equal(b.events[0].pathname, "/app#/settings");
});

const revenue = (amount: unknown, currency: unknown = "USD") => ({
  t: "revenue",
  u: "https://example.com/thanks",
  p: { amount, currency },
});

function apiRequest(events: Array<Record<string, unknown>>) {
  return {
    via: "api" as const,
    body: { site: site.public_id, events },
    ip: "",
    userAgent: "",
    origin: null,
    now: Date.now(),
    apiKey: { keyId: 1, orgId: site.org_id, siteId: null, scopes: [] },
  };
}

Deno.test("the browser may report only real currencies and positive amounts within the site's limit", async () => {
  await rejects(trackerRequest(site, [revenue(10, "XYZ")]), 400, /ISO 4217.*"XYZ" is not one/);
  await rejects(trackerRequest(site, [revenue(-20)]), 400, /refund.*payment platform/);
  await rejects(trackerRequest(site, [revenue(0)]), 400, /more than zero/);
  await rejects(trackerRequest(site, [revenue(1e300)]), 400, /at most \$100,000\.00/);
  await rejects(trackerRequest(site, [revenue(100_000.01)]), 400, /at most \$100,000\.00/);
  await validate(trackerRequest(site, [revenue(100_000)]), sites);

  // The limit is the site's, in its own currency; other currencies are compared roughly.
  const small = siteFixture({ revenue_max_major: 500, currency: "EUR" });
  const smallSites = { byPublicId: () => Promise.resolve(small) };
  await validate(trackerRequest(small, [revenue(499, "EUR"), revenue(50_000, "JPY")]), smallSites);
  for (const [amount, currency] of [[501, "EUR"], [200_000, "JPY"]] as const) {
    try {
      await validate(trackerRequest(small, [revenue(amount, currency)]), smallSites);
      assert.fail(`${amount} ${currency} should be refused`);
    } catch (e) {
      assert.ok(e instanceof AppError && e.status === 400, String(e));
      assert.match(e.message, /at most €500\.00/);
    }
  }
});

Deno.test("server-side revenue is bounded the same way but may report refunds", async () => {
  const ev = (amount: number, currency = "USD") => ({
    type: "revenue",
    visitor_id: "v-1",
    props: { amount, currency },
  });
  const b = await validate(apiRequest([ev(-20), ev(30)]), sites);
  assert.deepEqual(b.events.map((e) => e.props), [
    { amount: -2000, currency: "USD", via: "api" },
    { amount: 3000, currency: "USD", via: "api" },
  ]);
  await rejects(apiRequest([ev(1e12)]), 400, /events\[0\]\.props\.amount.*at most/);
  await rejects(apiRequest([ev(-1e12)]), 400, /at most/);
  await rejects(apiRequest([ev(5, "ABC")]), 400, /ISO 4217/);
});
