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
    { amount: 4999, currency: "USD", product: "Course", transaction_id: "tx_1" },
    { amount: 1200, currency: "JPY", product: "Course", transaction_id: "tx_1" },
    { amount: 1234, currency: "KWD", product: "Course", transaction_id: "tx_1" },
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
