/** The in-process bus: what a single Sextant instance without Redis uses. */
import type {
  BatchHandler,
  Bus,
  ConsumeOptions,
  KeyValue,
  QueueConsumer,
  QueueMessage,
} from "./types.ts";
import { sleep } from "./types.ts";

interface Queue {
  /** Waiting messages are items[head…]; the slots before head were handed out. */
  items: QueueMessage[];
  head: number;
  /** Messages handed to a consumer and not yet acknowledged. */
  inFlight: number;
  wake: Set<() => void>;
}

// Under load the queue holds thousands of batches: taking and acknowledging must not scan it.
function take(q: Queue, n: number): QueueMessage[] {
  const batch = q.items.slice(q.head, q.head + n);
  q.head += batch.length;
  q.inFlight += batch.length;
  if (q.head === q.items.length) {
    q.items = [];
    q.head = 0;
  } else if (q.head > 1024 && q.head * 2 > q.items.length) {
    q.items = q.items.slice(q.head);
    q.head = 0;
  }
  return batch;
}

/** A failed batch goes back to the front, to be retried before anything newer. */
function putBack(q: Queue, batch: QueueMessage[]): void {
  q.items = batch.concat(q.items.slice(q.head));
  q.head = 0;
}

/** Creates an in-process bus. */
export function createMemoryBus(): Bus {
  const channels = new Map<string, Set<(m: unknown) => void>>();
  const queues = new Map<string, Queue>();
  const store = new Map<string, { value: string; expires: number }>();
  let seq = 0;
  let closed = false;

  const queue = (name: string): Queue => {
    let q = queues.get(name);
    if (!q) queues.set(name, q = { items: [], head: 0, inFlight: 0, wake: new Set() });
    return q;
  };

  const live = (key: string) => {
    const e = store.get(key);
    if (!e) return null;
    if (e.expires && e.expires <= Date.now()) {
      store.delete(key);
      return null;
    }
    return e;
  };
  const expiry = (ttlMs?: number) => (ttlMs ? Date.now() + ttlMs : 0);

  const kv: KeyValue = {
    get: (key) => Promise.resolve(live(key)?.value ?? null),
    getMany: (keys) => Promise.resolve(keys.map((k) => live(k)?.value ?? null)),
    set(key, value, ttlMs) {
      store.set(key, { value, expires: expiry(ttlMs) });
      return Promise.resolve();
    },
    setMany(entries, ttlMs) {
      for (const [k, v] of entries) store.set(k, { value: v, expires: expiry(ttlMs) });
      return Promise.resolve();
    },
    setIfAbsent(key, value, ttlMs) {
      if (live(key)) return Promise.resolve(false);
      store.set(key, { value, expires: expiry(ttlMs) });
      return Promise.resolve(true);
    },
    del(key) {
      store.delete(key);
      return Promise.resolve();
    },
    incr(key, ttlMs) {
      const e = live(key);
      const n = (e ? Number(e.value) : 0) + 1;
      store.set(key, { value: String(n), expires: e?.expires || expiry(ttlMs) });
      return Promise.resolve(n);
    },
  };

  // Expired keys would otherwise stay until read; sweep now and then.
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [k, e] of store) if (e.expires && e.expires <= now) store.delete(k);
  }, 60_000);
  Deno.unrefTimer(sweeper);

  return {
    kind: "memory",
    kv,
    publish(channel, message) {
      const handlers = channels.get(channel);
      if (handlers) {
        const payload = JSON.stringify(message ?? null);
        for (const h of handlers) queueMicrotask(() => h(JSON.parse(payload)));
      }
      return Promise.resolve();
    },
    subscribe(channel, handler) {
      let set = channels.get(channel);
      if (!set) channels.set(channel, set = new Set());
      set.add(handler);
      return Promise.resolve(() => {
        set!.delete(handler);
        if (set!.size === 0) channels.delete(channel);
        return Promise.resolve();
      });
    },
    enqueue(name, items) {
      if (closed) return Promise.reject(new Error("The bus is closed"));
      const q = queue(name);
      for (const data of items) {
        q.items.push({ id: `${Date.now()}-${seq++}`, data: data ?? null });
      }
      for (const w of q.wake) w();
      return Promise.resolve();
    },
    depth(name) {
      const q = queue(name);
      return Promise.resolve(q.items.length - q.head + q.inFlight);
    },
    consume<T>(name: string, opts: ConsumeOptions, handler: BatchHandler<T>): QueueConsumer {
      const q = queue(name);
      const batchSize = opts.batchSize ?? 500;
      const stopper = new AbortController();
      let draining = false;
      let drainUntil = Infinity;
      const loop = (async () => {
        let delay = opts.retryDelayMs ?? 100;
        while (true) {
          if (q.head === q.items.length) {
            if (stopper.signal.aborted) return;
            await new Promise<void>((resolve) => {
              const wake = () => {
                q.wake.delete(wake);
                stopper.signal.removeEventListener("abort", wake);
                resolve();
              };
              q.wake.add(wake);
              stopper.signal.addEventListener("abort", wake, { once: true });
            });
            continue;
          }
          if (stopper.signal.aborted && (!draining || Date.now() > drainUntil)) return;
          const batch = take(q, batchSize);
          let failed = false;
          try {
            await handler(batch as QueueMessage<T>[]);
            delay = opts.retryDelayMs ?? 100;
          } catch (e) {
            failed = true;
            putBack(q, batch);
            opts.onError?.(e);
          } finally {
            q.inFlight -= batch.length;
          }
          if (failed) {
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
          await loop;
        },
      };
    },
    ping: () => Promise.resolve(!closed),
    close() {
      closed = true;
      clearInterval(sweeper);
      channels.clear();
      return Promise.resolve();
    },
  };
}
