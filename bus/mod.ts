/** Opens the bus the configuration asks for: Redis when REDIS_URL is set, in-process otherwise. */
import { createMemoryBus } from "./memory.ts";
import { createRedisBus } from "./redis.ts";
import type { Bus } from "./types.ts";

export type { Bus, KeyValue, QueueConsumer, QueueMessage } from "./types.ts";

/** Returns a connected bus; `prefix` namespaces Redis keys and channels. */
export function openBus(opts: { redisUrl?: string; prefix?: string }): Promise<Bus> {
  return opts.redisUrl
    ? createRedisBus({ url: opts.redisUrl, prefix: opts.prefix })
    : Promise.resolve(createMemoryBus());
}
