/** The contract both bus implementations honour; every test runs on each available kind. */
import assert from "node:assert/strict";
import { ALL_BUS_KINDS, busKinds, createTestBus, onBus, testPrefix } from "../testing/bus.ts";
import type { QueueMessage } from "./types.ts";
import { waitFor as until } from "../testing/wait.ts";

for (const kind of ALL_BUS_KINDS) {
  Deno.test(
    `${kind} bus: a subscriber receives published messages as JSON, until it leaves`,
    onBus(kind),
    async () => {
      const bus = await createTestBus(kind);
      try {
        const got: unknown[] = [];
        const leave = await bus.subscribe("live:1", (m) => got.push(m));
        const other: unknown[] = [];
        await bus.subscribe("live:2", (m) => other.push(m));
        await bus.publish("live:1", { n: 1, at: new Date(0) });
        await until(() => got.length === 1);
        assert.deepEqual(got[0], { n: 1, at: "1970-01-01T00:00:00.000Z" });
        assert.equal(other.length, 0);
        await leave();
        await bus.publish("live:1", { n: 2 });
        await bus.publish("live:2", { n: 3 });
        await until(() => other.length === 1);
        assert.equal(got.length, 1);
      } finally {
        await bus.close();
      }
    },
  );

  Deno.test(
    `${kind} bus: queued items are handed over in order and acknowledged once handled`,
    onBus(kind),
    async () => {
      const bus = await createTestBus(kind);
      try {
        await bus.enqueue("q", [1, 2, 3]);
        assert.equal(await bus.depth("q"), 3);
        const seen: number[] = [];
        const consumer = bus.consume<number>(
          "q",
          { group: "w", consumer: "a", batchSize: 2 },
          (batch) => {
            seen.push(...batch.map((m) => m.data));
            return Promise.resolve();
          },
        );
        await bus.enqueue("q", [4]);
        await until(() => seen.length === 4);
        await consumer.stop();
        assert.deepEqual(seen, [1, 2, 3, 4]);
        assert.equal(await bus.depth("q"), 0);
      } finally {
        await bus.close();
      }
    },
  );

  Deno.test(
    `${kind} bus: a failed batch is retried until it succeeds, nothing is lost`,
    onBus(kind),
    async () => {
      const bus = await createTestBus(kind);
      try {
        let attempts = 0;
        const stored: number[] = [];
        const errors: unknown[] = [];
        const consumer = bus.consume<number>(
          "q",
          { group: "w", consumer: "a", retryDelayMs: 5, onError: (e) => errors.push(e) },
          (batch) => {
            attempts++;
            if (attempts < 3) return Promise.reject(new Error("database is down"));
            stored.push(...batch.map((m) => m.data));
            return Promise.resolve();
          },
        );
        await bus.enqueue("q", [10, 11]);
        await until(() => stored.length === 2);
        await consumer.stop();
        assert.deepEqual(stored.sort(), [10, 11]);
        assert.equal(errors.length, 2);
        assert.equal(await bus.depth("q"), 0);
      } finally {
        await bus.close();
      }
    },
  );

  Deno.test(`${kind} bus: stopping with drain empties the queue first`, onBus(kind), async () => {
    const bus = await createTestBus(kind);
    try {
      const stored: number[] = [];
      const consumer = bus.consume<number>(
        "q",
        { group: "w", consumer: "a", batchSize: 10 },
        async (b) => {
          await new Promise((r) => setTimeout(r, 20));
          stored.push(...b.map((m) => m.data));
        },
      );
      await bus.enqueue("q", Array.from({ length: 50 }, (_, i) => i));
      await consumer.stop({ drain: true });
      assert.equal(stored.length, 50);
      assert.equal(await bus.depth("q"), 0);
    } finally {
      await bus.close();
    }
  });

  Deno.test(
    `${kind} bus: appends issued together are each stored once, in the order issued`,
    onBus(kind),
    async () => {
      const bus = await createTestBus(kind);
      try {
        // Like concurrent collect requests: every append of one turn travels together.
        await Promise.all(
          Array.from({ length: 300 }, (_, i) => bus.enqueue("q", [2 * i, 2 * i + 1])),
        );
        assert.equal(await bus.depth("q"), 600);
        const seen: number[] = [];
        const consumer = bus.consume<number>(
          "q",
          { group: "w", consumer: "a", batchSize: 64 },
          (batch) => {
            seen.push(...batch.map((m) => m.data));
            return Promise.resolve();
          },
        );
        await until(() => seen.length >= 600);
        await consumer.stop();
        assert.deepEqual(seen, Array.from({ length: 600 }, (_, i) => i));
        assert.equal(await bus.depth("q"), 0);
      } finally {
        await bus.close();
      }
    },
  );

  Deno.test(
    `${kind} bus: a read issued with writes sees them; each caller gets its own answer`,
    onBus(kind),
    async () => {
      const bus = await createTestBus(kind);
      try {
        await bus.kv.set("old", "0", 60_000);
        const [, , , mine, theirs, single] = await Promise.all([
          bus.kv.setMany([["x", "1"], ["y", "2"]], 60_000),
          bus.kv.set("z", "3"),
          bus.kv.del("old"),
          bus.kv.getMany(["x", "y", "missing"]),
          bus.kv.getMany(["z", "old"]),
          bus.kv.get("y"),
        ]);
        assert.deepEqual(mine, ["1", "2", null]);
        assert.deepEqual(theirs, ["3", null]);
        assert.equal(single, "2");
      } finally {
        await bus.close();
      }
    },
  );

  Deno.test(
    `${kind} bus: key-value entries expire, counters count, setIfAbsent only sets once`,
    onBus(kind),
    async () => {
      const bus = await createTestBus(kind);
      try {
        // Entries that must still be there live for a minute; the ones that must expire live
        // 50 ms, and the test waits for their expiry itself rather than for a fixed time.
        await bus.kv.set("a", "1", 60_000);
        await bus.kv.set("short", "1", 50);
        await bus.kv.setMany([["b", "2"], ["c", "3"]]);
        assert.deepEqual(await bus.kv.getMany(["a", "b", "c", "missing"]), ["1", "2", "3", null]);
        assert.equal(await bus.kv.setIfAbsent("b", "x"), false);
        assert.equal(await bus.kv.setIfAbsent("d", "4", 60_000), true);
        assert.equal(await bus.kv.get("d"), "4");
        assert.equal(await bus.kv.incr("n", 60_000), 1);
        assert.equal(await bus.kv.incr("n", 60_000), 2);
        await until(async () => (await bus.kv.get("short")) === null);
        assert.equal(await bus.kv.get("a"), "1");
        assert.equal(await bus.kv.incr("w", 50), 1);
        await until(async () => (await bus.kv.incr("w", 50)) === 1);
        await bus.kv.del("b");
        assert.equal(await bus.kv.get("b"), null);
      } finally {
        await bus.close();
      }
    },
  );
}

Deno.test({
  name: "redis bus: work a crashed consumer took is taken over by another consumer of the group",
  ignore: !busKinds().includes("redis"),
  async fn() {
    const prefix = testPrefix();
    const a = await createTestBus("redis", prefix);
    const b = await createTestBus("redis", prefix);
    try {
      await a.enqueue("q", [1, 2, 3]);
      // Consumer "a" takes the batch and never acknowledges it: it "crashes" mid-batch.
      let grabbed: QueueMessage<number>[] = [];
      const crashing = a.consume<number>(
        "q",
        { group: "w", consumer: "a", batchSize: 10 },
        (batch) => {
          grabbed = batch;
          return new Promise(() => {});
        },
      );
      await until(() => grabbed.length === 3);
      // Another instance's consumer takes over work idle for longer than claimIdleMs.
      const stored: number[] = [];
      const survivor = b.consume<number>(
        "q",
        { group: "w", consumer: "b", claimIdleMs: 100 },
        (batch) => {
          stored.push(...batch.map((m) => m.data));
          return Promise.resolve();
        },
      );
      await until(() => stored.length === 3);
      assert.deepEqual(stored.sort(), [1, 2, 3]);
      await survivor.stop();
      void crashing;
      assert.equal(await b.depth("q"), 0);
    } finally {
      await b.close();
      await a.close();
    }
  },
});

Deno.test({
  name: "redis bus: two instances share pub/sub channels",
  ignore: !busKinds().includes("redis"),
  async fn() {
    const prefix = testPrefix();
    const a = await createTestBus("redis", prefix);
    const b = await createTestBus("redis", prefix);
    try {
      const got: unknown[] = [];
      await b.subscribe("live:9", (m) => got.push(m));
      await a.publish("live:9", { hello: "from a" });
      await until(() => got.length === 1);
      assert.deepEqual(got, [{ hello: "from a" }]);
    } finally {
      await a.close();
      await b.close();
    }
  },
});
