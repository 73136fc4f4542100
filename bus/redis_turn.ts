/**
 * Commands that concurrent requests issue in one turn of the event loop, sent to Redis as a few
 * commands instead of one each: every session read of the turn is one MGET, every session write
 * one script call, every queue append to a stream one script call (still one stream entry per
 * item) and every publish one script call. Each caller's promise settles with its own part of
 * the answer, once Redis has answered. The client's per-command cost, not Redis, is what limits
 * collect in Redis mode: with ~50 requests in flight, a turn typically holds 5–20 of each.
 *
 * Order: writes go first, in the order they were issued; then queue appends, reads and publishes,
 * each in issue order. A read therefore sees every write issued before it (and possibly one
 * issued beside it in the same turn, which a concurrent reader could not tell apart).
 */
import type { ChainableCommander, Redis } from "ioredis";
import { setImmediate } from "node:timers";

type Phase = "write" | "append" | "read" | "publish";
const PHASES: readonly Phase[] = ["write", "append", "read", "publish"];

/** Queues one command for the units of several operations on the turn's pipeline. */
type Command = (p: ChainableCommander, units: string[][]) => void;
/** Splits that command's reply into one result per unit. */
type Answer = (reply: unknown, units: string[][]) => unknown[];

interface Op {
  phase: Phase;
  /** Consecutive operations of a phase with the same key are merged; null: sent alone. */
  merge: string | null;
  command: Command;
  answer: Answer;
  units: string[][];
  resolve: (results: unknown[]) => void;
  reject: (error: unknown) => void;
}

/** Defines a Lua script as a command (EVALSHA, loading it where Redis lacks it). */
function script(client: Redis, name: string, lua: string) {
  client.defineCommand(name, { lua });
  return (p: ChainableCommander, keys: string[], argv: Array<string | number>) =>
    (p as unknown as Record<string, (...a: Array<string | number>) => unknown>)[name](
      keys.length,
      ...keys,
      ...argv,
    );
}

const SET_PX = `
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ARGV[1]) end
return #KEYS`;
// XADD takes one entry; this appends many, one entry per item, in order, atomically.
const XADD_MANY = `
local ids = {}
for i = 1, #ARGV do ids[i] = redis.call('XADD', KEYS[1], '*', 'd', ARGV[i]) end
return ids`;
// INCR whose expiry starts with the first count, in one command.
const INCR_PX = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1], 'NX')
return n`;
const PUBLISH_MANY = `
for i = 1, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end
return #ARGV / 2`;

export class RedisTurn {
  private ops: Op[] = [];
  private readonly setPx;
  private readonly xaddMany;
  private readonly incrPx;
  private readonly publishMany;

  /** `client` must not auto-pipeline: each turn is one pipeline of its own, sent at once. */
  constructor(private readonly client: Redis) {
    this.setPx = script(client, "sextantSetPx", SET_PX);
    this.xaddMany = script(client, "sextantXaddMany", XADD_MANY);
    this.incrPx = script(client, "sextantIncrPx", INCR_PX);
    this.publishMany = script(client, "sextantPublishMany", PUBLISH_MANY);
  }

  /** Values of `keys` (null where absent). */
  getMany(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.add(
      "read",
      "mget",
      keys.map((k) => [k]),
      (p, units) => p.mget(...units.map((u) => u[0])),
      (reply) => reply as unknown[],
    ) as Promise<(string | null)[]>;
  }

  /** Sets every entry, each with the expiry when given. */
  async setMany(entries: Array<[string, string]>, ttlMs?: number): Promise<void> {
    if (entries.length === 0) return;
    await this.add("write", `set:${ttlMs ?? ""}`, entries, (p, units) => {
      if (ttlMs) this.setPx(p, units.map((u) => u[0]), [ttlMs, ...units.map((u) => u[1])]);
      else p.mset(...units.flat());
    }, none);
  }

  /** Sets `key` only when absent; answers whether it did. */
  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    const [r] = await this.add("write", null, [[key, value]], (p) => {
      if (ttlMs) p.set(key, value, "PX", ttlMs, "NX");
      else p.set(key, value, "NX");
    }, (reply) => [reply]);
    return r === "OK";
  }

  async del(key: string): Promise<void> {
    await this.add("write", null, [[key]], (p) => p.del(key), none);
  }

  /** Increments a counter, starting its expiry on first use. */
  async incr(key: string, ttlMs: number): Promise<number> {
    const [n] = await this.add(
      "write",
      null,
      [[key]],
      (p) => this.incrPx(p, [key], [ttlMs]),
      (reply) => [reply],
    );
    return n as number;
  }

  /** Appends one stream entry per payload; answers their ids. */
  xadd(stream: string, payloads: string[]): Promise<string[]> {
    if (payloads.length === 0) return Promise.resolve([]);
    return this.add(
      "append",
      `xadd:${stream}`,
      payloads.map((p) => [p]),
      (p, units) => this.xaddMany(p, [stream], units.map((u) => u[0])),
      (reply) => reply as string[],
    ) as Promise<string[]>;
  }

  async publish(channel: string, payload: string): Promise<void> {
    await this.add(
      "publish",
      "publish",
      [[channel, payload]],
      (p, units) => this.publishMany(p, [], units.flat()),
      none,
    );
  }

  private add(
    phase: Phase,
    merge: string | null,
    units: string[][],
    command: Command,
    answer: Answer,
  ) {
    return new Promise<unknown[]>((resolve, reject) => {
      if (this.ops.length === 0) setImmediate(() => this.flush());
      this.ops.push({ phase, merge, command, answer, units, resolve, reject });
    });
  }

  /**
   * Sends the turn's operations as one pipeline, written at once: not queued behind an earlier
   * turn still waiting for its answer, as the client's own auto-pipelining would.
   */
  private flush(): void {
    const ops = this.ops;
    this.ops = [];
    const runs: Op[][] = [];
    for (const phase of PHASES) {
      let run: Op[] = [];
      for (const op of ops) {
        if (op.phase !== phase) continue;
        if (run.length && (op.merge === null || op.merge !== run[0].merge)) {
          runs.push(run);
          run = [];
        }
        run.push(op);
      }
      if (run.length) runs.push(run);
    }
    const p = this.client.pipeline();
    const unitsOf = runs.map((run) => run.flatMap((op) => op.units));
    runs.forEach((run, i) => run[0].command(p, unitsOf[i]));
    p.exec().then((replies) => {
      runs.forEach((run, i) => {
        const [error, reply] = replies?.[i] ?? [new Error("Redis did not answer")];
        if (error) {
          for (const op of run) op.reject(error);
          return;
        }
        let results: unknown[];
        try {
          results = run[0].answer(reply, unitsOf[i]);
        } catch (e) {
          for (const op of run) op.reject(e);
          return;
        }
        let at = 0;
        for (const op of run) {
          op.resolve(results.slice(at, at + op.units.length));
          at += op.units.length;
        }
      });
    }, (error) => {
      for (const op of ops) op.reject(error);
    });
  }
}

const none: Answer = (_reply, units) => units.map(() => null);
