import assert from "node:assert/strict";
import { ConfigError, loadConfig, parseEnv } from "./config.ts";

Deno.test("defaults are documented values; absent DATABASE_URL and REDIS_URL mean embedded", () => {
  const env = parseEnv({});
  assert.equal(env.PORT, 8000);
  assert.equal(env.DATA_DIR, "./data");
  assert.equal(env.DATABASE_URL, undefined);
  assert.equal(env.REDIS_URL, undefined);
  assert.equal(env.LOG_LEVEL, "info");
  assert.equal(env.CHROMIUM_PATH, "/usr/bin/chromium");
  assert.equal(env.TRUST_PROXY_HOPS, 1);
});

Deno.test("a bad value stops start-up with one sentence naming the variable", () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: "eighty" }, /^PORT: /],
    [{ PORT: "70000" }, /^PORT: /],
    [{ DATABASE_URL: "mysql://x" }, /^DATABASE_URL must be a URL starting with postgres:\/\//],
    [{ REDIS_URL: "localhost:6379" }, /^REDIS_URL must be a URL/],
    [{ LOG_LEVEL: "loud" }, /^LOG_LEVEL: /],
    [{ SECRET_KEY: "short" }, /^SECRET_KEY must be at least 32 characters long/],
  ];
  for (const [env, pattern] of cases) {
    assert.throws(() => parseEnv(env), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, pattern);
      assert.equal(e.message.split("\n").length, 1, "one line");
      return true;
    });
  }
});

Deno.test("a secret shown in a bad value is not echoed back", () => {
  assert.throws(
    () => parseEnv({ DATABASE_URL: "mysql://user:hunter2@db/x" }),
    (e: Error) => !e.message.includes("hunter2"),
  );
});

Deno.test("without SECRET_KEY a key is generated once and kept in DATA_DIR", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await loadConfig({ DATA_DIR: dir });
    const second = await loadConfig({ DATA_DIR: dir });
    assert.ok(first.SECRET_KEY.length >= 32);
    assert.equal(first.SECRET_KEY, second.SECRET_KEY);
    const mode = (await Deno.stat(`${dir}/secret.key`)).mode! & 0o777;
    assert.equal(mode, 0o600);
    assert.equal(first.PUBLIC_URL, "http://localhost:8000");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
