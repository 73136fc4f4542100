/**
 * The Redis bus: pub/sub for live fan-out, a Stream with a consumer group for the durable ingest
 * queue (acknowledged entries are deleted, so XLEN is the backlog), and plain keys for the store.
 */
import { Redis } from "ioredis";
import type {
  BatchHandler,
  Bus,
  ConsumeOptions,
  KeyValue,
  QueueConsumer,
  QueueMessage,
} from "./types.ts";
import { sleep } from "./types.ts";
import { RedisTurn } from "./redis_turn.ts";

export interface RedisBusOptions {
  url: string;
  /** Prepended to every key, stream and channel; lets tests and several apps share one Redis. */
  prefix?: string;
}

type StreamEntries = Array<[string, string[]]>;

function connect(url: string, lazy = false): Redis {
  return new Redis(url, {
    // Fail fast while Redis is away so /healthz and collect can say so instead of hanging.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: lazy,
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  });
}

/** Resolves once `client` is connected and ready; rejects with a sentence if it errors first. */
export async function redisReady(client: Redis): Promise<void> {
  if (client.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const ok = () => {
      client.off("error", fail);
      resolve();
    };
    const fail = (e: Error) => {
      client.off("ready", ok);
      reject(new Error(`Cannot reach Redis: ${e.message}`));
    };
    client.once("ready", ok);
    client.once("error", fail);
  });
}

function decode(fields: string[]): unknown {
  const i = fields.indexOf("d");
  return i >= 0 ? JSON.parse(fields[i + 1]) : null;
}

/** Connects to Redis and returns a bus; rejects when Redis cannot be reached at start. */
export async function createRedisBus(busOpts: RedisBusOptions): Promise<Bus> {
  const prefix = busOpts.prefix ?? "sextant:";
  // Commands issued in the same turn by concurrent requests (session reads and writes, queue
  // appends, publishes) go to Redis as a few commands in one write (redis_turn.ts).
  const main = connect(busOpts.url);
  const sub = connect(busOpts.url);
  // ioredis reports connection drops as 'error' events; the bus reports them through ping().
  main.on("error", () => {});
  sub.on("error", () => {});
  await Promise.all([redisReady(main), redisReady(sub)]);

  const handlers = new Map<string, Set<(m: unknown) => void>>();
  sub.on("message", (channel: string, payload: string) => {
    const set = handlers.get(channel);
    if (!set) return;
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch {
      return;
    }
    for (const h of set) h(message);
  });

  const consumers = new Set<Redis>();
  const k = (key: string) => prefix + key;

  // Everything but the consumers' reads goes through the turn: the commands concurrent requests
  // issue together become a few (see redis_turn.ts).
  const turn = new RedisTurn(main);
  const kv: KeyValue = {
    get: async (key) => (await turn.getMany([k(key)]))[0],
    getMany: (keys) => turn.getMany(keys.map(k)),
    set: (key, value, ttlMs) => turn.setMany([[k(key), value]], ttlMs),
    setMany: (entries, ttlMs) => turn.setMany(entries.map(([key, v]) => [k(key), v]), ttlMs),
    setIfAbsent: (key, value, ttlMs) => turn.setIfAbsent(k(key), value, ttlMs),
    del: (key) => turn.del(k(key)),
    incr: (key, ttlMs) => turn.incr(k(key), ttlMs),
  };

  return {
    kind: "redis",
    kv,
    publish: (channel, message) => turn.publish(k(channel), JSON.stringify(message ?? null)),
    async subscribe(channel, handler) {
      const full = k(channel);
      let set = handlers.get(full);
      if (!set) {
        handlers.set(full, set = new Set());
        await sub.subscribe(full);
      }
      set.add(handler);
      return async () => {
        set!.delete(handler);
        if (set!.size === 0 && handlers.get(full) === set) {
          handlers.delete(full);
          await sub.unsubscribe(full).catch(() => {});
        }
      };
    },
    async enqueue(queue, items) {
      // One entry per item, in the order given; resolves once Redis has stored them.
      await turn.xadd(k(queue), items.map((item) => JSON.stringify(item ?? null)));
    },
    depth: (queue) => main.xlen(k(queue)),
    consume<T>(queue: string, opts: ConsumeOptions, handler: BatchHandler<T>): QueueConsumer {
      const stream = k(queue);
      const batchSize = opts.batchSize ?? 500;
      const claimIdleMs = opts.claimIdleMs ?? 30_000;
      const stopper = new AbortController();
      let draining = false;
      let drainUntil = Infinity;
      // Blocking reads hold a connection, so each consumer gets its own.
      const conn = connect(busOpts.url, true);
      conn.on("error", () => {});
      consumers.add(conn);

      const ensureGroup = async () => {
        try {
          await conn.xgroup("CREATE", stream, opts.group, "0", "MKSTREAM");
        } catch (e) {
          if (!String((e as Error).message).includes("BUSYGROUP")) throw e;
        }
      };

      // Our own unacknowledged work exists only after a restart or a failed batch, and a dead
      // consumer's only once it has been idle for claimIdleMs: look for them then, not before
      // every batch (each look is a round trip, and the claim scans the pending list).
      let recovering = true;
      /** This consumer's connection id, so stop() can end a blocking read at once. */
      let connId: number | undefined;
      conn.on("ready", () => connId = undefined);
      let nextClaim = 0;
      const claimEveryMs = Math.max(10, Math.min(claimIdleMs / 2, 5000));
      const read = async (block: boolean): Promise<QueueMessage[]> => {
        let entries: StreamEntries = [];
        // 1. Our own unacknowledged work (we crashed or a batch failed).
        if (recovering) {
          const own = await conn.xreadgroup(
            "GROUP",
            opts.group,
            opts.consumer,
            "COUNT",
            batchSize,
            "STREAMS",
            stream,
            "0",
          ) as Array<[string, StreamEntries]> | null;
          entries = own?.[0]?.[1] ?? [];
          recovering = entries.length > 0;
        }
        // 2. Work a dead consumer took and never acknowledged.
        if (entries.length === 0 && Date.now() >= nextClaim) {
          nextClaim = Date.now() + claimEveryMs;
          const claimed = await conn.xautoclaim(
            stream,
            opts.group,
            opts.consumer,
            claimIdleMs,
            "0-0",
            "COUNT",
            batchSize,
          ) as [string, StreamEntries];
          entries = (claimed?.[1] ?? []).filter((e) => e && e[1]);
        }
        // 3. New work.
        if (entries.length === 0) {
          const args: Array<string | number> = [
            "GROUP",
            opts.group,
            opts.consumer,
            "COUNT",
            batchSize,
          ];
          if (block) args.push("BLOCK", Math.min(1000, claimEveryMs));
          const fresh = await (conn.xreadgroup as (...a: unknown[]) => Promise<unknown>)(
            ...args,
            "STREAMS",
            stream,
            ">",
          ) as Array<[string, StreamEntries]> | null;
          entries = fresh?.[0]?.[1] ?? [];
        }
        return entries.map(([id, fields]) => ({ id, data: decode(fields) }));
      };

      const loop = (async () => {
        let delay = opts.retryDelayMs ?? 100;
        let groupReady = false;
        while (true) {
          if (stopper.signal.aborted && (!draining || Date.now() > drainUntil)) return;
          try {
            if (conn.status === "wait") await conn.connect();
            connId ??= await conn.client("ID") as number;
            if (!groupReady) {
              await ensureGroup();
              groupReady = true;
            }
            const batch = await read(!stopper.signal.aborted);
            if (batch.length === 0) {
              if (stopper.signal.aborted) return;
              continue;
            }
            await handler(batch as QueueMessage<T>[]);
            const ids = batch.map((m) => m.id);
            await conn.multi().xack(stream, opts.group, ...ids).xdel(stream, ...ids).exec();
            delay = opts.retryDelayMs ?? 100;
          } catch (e) {
            recovering = true;
            opts.onError?.(e);
            await sleep(delay, draining ? undefined : stopper.signal);
            delay = Math.min(delay * 2, 5000);
          }
        }
      })();

      return {
        async stop({ drain = false, timeoutMs = 10_000 } = {}) {
          draining = drain;
          drainUntil = Date.now() + timeoutMs;
          stopper.abort();
          if (connId !== undefined) await main.client("UNBLOCK", connId).catch(() => {});
          await loop;
          consumers.delete(conn);
          conn.disconnect();
        },
      };
    },
    async ping(timeoutMs = 1000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        return await Promise.race([
          main.ping().then((r) => r === "PONG"),
          new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), timeoutMs)),
        ]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      for (const c of consumers) c.disconnect();
      sub.disconnect();
      await main.quit().catch(() => main.disconnect());
    },
  };
}
