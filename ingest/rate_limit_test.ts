import assert from "node:assert/strict";
import { RateLimiter } from "./rate_limit.ts";

Deno.test("a client over its per-minute budget waits until the window ends", () => {
  const limiter = new RateLimiter(3);
  const t0 = 1_000_000;
  assert.equal(limiter.hit("a", t0), 0);
  assert.equal(limiter.hit("a", t0 + 1), 0);
  assert.equal(limiter.hit("a", t0 + 2), 0);
  assert.equal(limiter.hit("a", t0 + 15_000), 45, "seconds until the window resets");
  assert.equal(limiter.hit("b", t0 + 15_000), 0, "other clients are unaffected");
  assert.equal(limiter.hit("a", t0 + 60_000), 0, "a new window starts afresh");
});

Deno.test("a limit of 0 turns rate limiting off", () => {
  const limiter = new RateLimiter(0);
  for (let i = 0; i < 1000; i++) assert.equal(limiter.hit("a"), 0);
});
