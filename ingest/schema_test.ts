import assert from "node:assert/strict";
import { isPlainTrackerBody, trackerBodySchema } from "./schema.ts";
import { collectRequests } from "../bench/bodies.ts";

const base = () => ({
  s: "pub123",
  v: "visitor-0001",
  sc: "1920x1080",
  l: "en-US",
  z: "Europe/Berlin",
  d: 0,
  b: 0,
  hm: 0,
  e: [{
    t: "event",
    u: "https://example.com/",
    r: "https://www.google.com/",
    ti: "Home",
    n: "Signup",
    p: { plan: "pro", seats: 3, trial: true, coupon: null },
    a: 10,
    sd: 50,
    em: 1200,
    id: "a@example.com",
    x: 1,
    y: 2,
    w: 1200,
    h: 3000,
    sel: "button",
  }],
});

const odd = [
  undefined,
  null,
  "",
  "x".repeat(5000),
  -1,
  1.5,
  2,
  1e12,
  true,
  [],
  {},
  { "": 1 },
  { ["k".repeat(101)]: 1 },
  Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])),
];

Deno.test("the hand-written tracker check accepts only bodies zod accepts", () => {
  let taken = 0;
  let declined = 0;
  const agree = (body: Record<string, unknown>) => {
    if (isPlainTrackerBody(body)) {
      taken++;
      assert.ok(trackerBodySchema.safeParse(body).success, JSON.stringify(body).slice(0, 300));
    } else declined++;
  };
  agree(base());
  assert.ok(isPlainTrackerBody(base()));
  for (const key of Object.keys(base())) {
    for (const value of odd) agree({ ...base(), [key]: value });
  }
  for (const key of Object.keys(base().e[0])) {
    for (const value of odd) {
      const b = base();
      agree({ ...b, e: [{ ...b.e[0], [key]: value }] });
    }
  }
  for (const value of odd) agree({ ...base(), e: [{ ...base().e[0], p: { plan: value } }] });
  agree({ ...base(), e: Array.from({ length: 51 }, () => base().e[0]) });
  agree({ ...base(), e: [null] });
  agree({ ...base(), v: "short" });
  agree({ ...base(), sc: "1920*1080" });
  agree({ ...base(), e: [{ ...base().e[0], t: "teleport" }] });
  // The fast path must both take ordinary variants and hand odd ones to zod.
  assert.ok(taken > 30, `variants taken by the hand-written check: ${taken}`);
  assert.ok(declined > 50, `variants left to zod: ${declined}`);
  for (
    const bad of [
      { ...base(), e: [null] },
      { ...base(), v: "short" },
      { ...base(), e: [{ ...base().e[0], t: "teleport" }] },
      { ...base(), e: Array.from({ length: 51 }, () => base().e[0]) },
    ]
  ) {
    assert.equal(isPlainTrackerBody(bad), false, JSON.stringify(bad).slice(0, 120));
    assert.equal(trackerBodySchema.safeParse(bad).success, false);
  }
});

Deno.test("real tracker bodies take the hand-written path", () => {
  for (const r of collectRequests("pub123", "example.com", 200)) {
    const body = JSON.parse(r.body);
    assert.ok(isPlainTrackerBody(body), r.body);
    assert.ok(trackerBodySchema.safeParse(body).success);
  }
});
