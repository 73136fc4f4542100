import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { waitFor } from "../testing/wait.ts";
import { hasRedisServer, startPrivateRedis } from "../testing/redis_server.ts";

Deno.test("/healthz reports the database and the bus as ok", async () => {
  const app = await startTestApp();
  try {
    const res = await app.fetch("/healthz");
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, "ok");
    assert.equal(body.database.ok, true);
    assert.equal(body.bus.ok, true);
  } finally {
    await app.stop();
  }
});

Deno.test({
  name: "/healthz answers 503 while Redis is stopped and recovers when it returns",
  ignore: !hasRedisServer(),
  async fn() {
    const redis = await startPrivateRedis();
    const app = await startTestApp({ env: { REDIS_URL: redis.url } });
    try {
      assert.equal((await app.fetch("/healthz")).status, 200);
      await redis.stop();
      const down = await app.fetch("/healthz");
      assert.equal(down.status, 503);
      const body = await down.json();
      assert.equal(body.bus.ok, false);
      assert.equal(body.database.ok, true);

      await redis.start();
      await waitFor(
        async () => {
          const res = await app.fetch("/healthz");
          await res.body?.cancel();
          return res.status === 200;
        },
        60_000,
        "healthy again once Redis is back",
      );
    } finally {
      await app.stop();
      await redis.stop();
    }
  },
});
