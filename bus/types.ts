/**
 * The bus: live fan-out (pub/sub), the durable ingest queue and a small shared key-value store.
 * Two implementations — Redis and in-process — honour the same contract (bus/contract_test.ts).
 * Messages are JSON: what goes in comes out as its JSON round-trip in both. Queued items must
 * already be plain JSON values, and a caller must not change them after enqueueing: the
 * in-process queue hands the very objects over rather than pay for a copy on every event.
 */

export interface QueueMessage<T = unknown> {
  id: string;
  data: T;
}

export interface ConsumeOptions {
  /** Consumers in one group share the work; each message goes to one of them. */
  group: string;
  /** This consumer's name; a restarted consumer with the same name resumes its own pending work. */
  consumer: string;
  /** Most messages handed to the handler at once. */
  batchSize?: number;
  /** Messages another consumer took but did not acknowledge for this long are taken over. */
  claimIdleMs?: number;
  /** First retry delay after a failed batch; doubles up to 5 s. */
  retryDelayMs?: number;
  /** Called with the error whenever a batch fails (it will be retried). */
  onError?: (error: unknown) => void;
}

export interface QueueConsumer {
  /**
   * Stops taking new work; with `drain` it first empties the queue, giving up after `timeoutMs`
   * (default 10 s) when batches keep failing. Redis keeps what is left; in-process loses it.
   */
  stop(opts?: { drain?: boolean; timeoutMs?: number }): Promise<void>;
}

/** Handles a batch; resolving acknowledges every message in it, rejecting retries the batch. */
export type BatchHandler<T> = (batch: QueueMessage<T>[]) => Promise<void>;

export interface KeyValue {
  get(key: string): Promise<string | null>;
  getMany(keys: string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  setMany(entries: Array<[string, string]>, ttlMs?: number): Promise<void>;
  /** Sets only when absent; answers whether it did. */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  del(key: string): Promise<void>;
  /** Increments a counter, starting its expiry on first use; for fixed-window rate limits. */
  incr(key: string, ttlMs: number): Promise<number>;
}

export interface Bus {
  readonly kind: "redis" | "memory";
  publish(channel: string, message: unknown): Promise<void>;
  /** Resolves once the subscription is active; the returned function unsubscribes. */
  subscribe(channel: string, handler: (message: unknown) => void): Promise<() => Promise<void>>;
  /**
   * Appends plain JSON values to a durable queue; resolves when stored (Redis) or held
   * (in-process, uncopied).
   */
  enqueue(queue: string, items: unknown[]): Promise<void>;
  /** Messages waiting or in flight, for back-pressure. */
  depth(queue: string): Promise<number>;
  consume<T>(queue: string, opts: ConsumeOptions, handler: BatchHandler<T>): QueueConsumer;
  kv: KeyValue;
  /** True when the backing store answers. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Waits `ms`, or less when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
