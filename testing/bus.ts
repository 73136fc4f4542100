/** Buses for tests: in-process always, Redis when TEST_REDIS_URL is set (isolated by prefix). */
import type { Bus } from "../bus/mod.ts";
import { createMemoryBus } from "../bus/memory.ts";
import { createRedisBus } from "../bus/redis.ts";
import { Redis } from "ioredis";

export type BusKind = "memory" | "redis";

/** The Redis URL for tests, if any. */
export function testRedisUrl(): string | undefined {
  return Deno.env.get("TEST_REDIS_URL") || undefined;
}

/** Every bus kind available here. */
export function busKinds(): BusKind[] {
  return testRedisUrl() ? ["memory", "redis"] : ["memory"];
}

/** Every bus kind Sextant runs with; tests register on each so a missing one is counted. */
export const ALL_BUS_KINDS: readonly BusKind[] = ["memory", "redis"];

/** Options for a test that needs `kind`: ignored (reported as skipped) where it is missing. */
export function onBus(kind: BusKind): { ignore: boolean } {
  return { ignore: !busKinds().includes(kind) };
}

/** A unique key prefix so concurrent tests sharing one Redis never see each other. */
export function testPrefix(): string {
  return `sextant-test:${crypto.randomUUID().slice(0, 8)}:`;
}

/** A bus for one test; a Redis one deletes its prefixed keys when closed. */
export async function createTestBus(kind: BusKind, prefix = testPrefix()): Promise<Bus> {
  if (kind === "memory") return createMemoryBus();
  const url = testRedisUrl();
  if (!url) throw new Error("TEST_REDIS_URL is not set");
  const bus = await createRedisBus({ url, prefix });
  const close = bus.close.bind(bus);
  bus.close = async () => {
    await close();
    await deleteKeys(url, prefix);
  };
  return bus;
}

/** Removes every key under `prefix` (test clean-up; never used outside tests). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  } catch {
    // Redis is gone (a test stopped it); nothing to clean.
  } finally {
    redis.disconnect();
  }
}
