import assert from "node:assert/strict";
import { LOGIN_LIMITS, loginVerdict, MAX_SLOWDOWN_MS, pairBlockMinutes } from "./rate_limits.ts";
import { startTestApp } from "../testing/app.ts";
import { TestClient } from "../testing/http_client.ts";
import { deleteKeys, testRedisUrl } from "../testing/bus.ts";
import { Redis } from "ioredis";

const clean = { pairBlockedUntil: null, ipFailures: 0, accountFailures: 0 };

Deno.test("failures on an account from everywhere only slow sign-ins, never refuse them", () => {
  assert.deepEqual(loginVerdict(clean, 0), { delayMs: 0 });
  for (const accountFailures of [LOGIN_LIMITS.perAccountSlow, 10_000, 1e9]) {
    const v = loginVerdict({ ...clean, accountFailures }, 0);
    assert.ok("delayMs" in v && v.delayMs > 0 && v.delayMs <= MAX_SLOWDOWN_MS, String(v));
  }
});

Deno.test("one address's refusal on one account grows with each failure, up to an hour", () => {
  assert.equal(pairBlockMinutes(LOGIN_LIMITS.perPair - 1), 0);
  const steps = [0, 1, 2, 3, 10].map((n) => pairBlockMinutes(LOGIN_LIMITS.perPair + n));
  assert.deepEqual(steps, [1, 2, 4, 8, 60]);
  const now = 1_000_000;
  assert.deepEqual(loginVerdict({ ...clean, pairBlockedUntil: now + 3.5 * 60_000 }, now), {
    refuseMinutes: 4,
  });
  assert.deepEqual(loginVerdict({ ...clean, pairBlockedUntil: now - 1 }, now), { delayMs: 0 });
});

Deno.test("rate-limit keys in Redis never hold a client address", {
  ignore: !testRedisUrl() || !Deno.env.get("TEST_DATABASE_URL"),
}, async () => {
  const prefix = `sextant-test:${crypto.randomUUID().slice(0, 8)}:`;
  const app = await startTestApp({ bus: "redis", busPrefix: prefix, env: { TRUST_PROXY: "on" } });
  const redis = new Redis(testRedisUrl()!);
  const address = "203.0.113.219";
  try {
    const client = new TestClient(app);
    client.forwardedFor = address;
    for (let i = 0; i < LOGIN_LIMITS.perPair + 1; i++) {
      await (await client.signIn("erin@example.com", "wrong")).text();
    }
    await (await client.post("/password/forgot", { email: "erin@example.com" })).text();
    await (await client.signUp("erin@example.com", "Sup3r-secret-Passw0rd!")).text();
    const keys = await redis.keys(`${prefix}*`);
    assert.ok(keys.some((k) => k.includes("login-fail")), "the limits did count, in Redis");
    assert.deepEqual(keys.filter((k) => k.includes(address)), []);
  } finally {
    redis.disconnect();
    await app.stop();
    await deleteKeys(testRedisUrl()!, prefix);
  }
});
