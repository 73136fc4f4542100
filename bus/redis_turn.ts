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
import type { Redis } from "ioredis";
import { setImmediate } from "node:timers";

type Phase = "write" | "append" | "read" | "publish";
const PHASES: readonly Phase[] = ["write", "append", "read", "publish"];

/** Sends the units of several operations as one command; answers one result per unit. */
type Sender = (client: Redis, units: string[][]) => Promise<unknown[]>;

interface Op {
  phase: Phase;
  /** Consecutive operations of a phase with the same key are merged; null: sent alone. */
  merge: string | null;
  send: Sender;
  units: string[][];
  resolve: (results: unknown[]) => void;
  reject: (error: unknown) => void;
}

/** A Lua script as a function of keys and arguments (EVALSHA, loading it when Redis lacks it). */
function script(client: Redis, name: string, lua: string) {
  client.defineCommand(name, { lua });
  const call = (client as unknown as Record<string, (...a: Array<string | number>) => unknown>)[
    name
  ];
  return (keys: string[], argv: Array<string | number>) =>
    call.call(client, keys.length, ...keys, ...argv) as Promise<unknown>;
}

const SET_PX = `
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ARGV[1]) end
return #KEYS`;
// XADD takes one entry; this appends many, one entry per item, in order, atomically.
const XADD_MANY = `
local ids = {}
for i = 1, #ARGV do ids[i] = redis.call('XADD', KEYS[1], '*', 'd', ARGV[i]) end
return ids`;
const PUBLISH_MANY = `
for i = 1, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end
return #ARGV / 2`;

export class RedisTurn {
  private ops: Op[] = [];
  private readonly setPx;
  private readonly xaddMany;
  private readonly publishMany;

  constructor(private readonly client: Redis) {
    this.setPx = script(client, "sextantSetPx", SET_PX);
    this.xaddMany = script(client, "sextantXaddMany", XADD_MANY);
    this.publishMany = script(client, "sextantPublishMany", PUBLISH_MANY);
  }

  /** Values of `keys` (null where absent). */
  getMany(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.add("read", "mget", keys.map((k) => [k]), async (c, units) => {
      return await c.mget(...units.map((u) => u[0]));
    }) as Promise<(string | null)[]>;
  }

  /** Sets every entry, each with the expiry when given. */
  async setMany(entries: Array<[string, string]>, ttlMs?: number): Promise<void> {
    if (entries.length === 0) return;
    await this.add("write", `set:${ttlMs ?? ""}`, entries, async (c, units) => {
      if (ttlMs) await this.setPx(units.map((u) => u[0]), [ttlMs, ...units.map((u) => u[1])]);
      else await c.mset(...units.flat());
      return units.map(() => null);
    });
  }

  /** Appends one stream entry per payload; answers their ids. */
  xadd(stream: string, payloads: string[]): Promise<string[]> {
    if (payloads.length === 0) return Promise.resolve([]);
    return this.add("append", `xadd:${stream}`, payloads.map((p) => [p]), async (_c, units) => {
      return await this.xaddMany([stream], units.map((u) => u[0])) as string[];
    }) as Promise<string[]>;
  }

  async publish(channel: string, payload: string): Promise<void> {
    await this.add("publish", "publish", [[channel, payload]], async (_c, units) => {
      await this.publishMany([], units.flat());
      return units.map(() => null);
    });
  }

  /** Any other write, sent on its own in its place among the turn's writes. */
  async write<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    const [r] = await this.add("write", null, [[]], async (c) => [await command(c)]);
    return r as T;
  }

  private add(phase: Phase, merge: string | null, units: string[][], send: Sender) {
    return new Promise<unknown[]>((resolve, reject) => {
      if (this.ops.length === 0) setImmediate(() => this.flush());
      this.ops.push({ phase, merge, send, units, resolve, reject });
    });
  }

  /** Sends the turn's operations; the client's auto-pipelining puts them in one write. */
  private flush(): void {
    const ops = this.ops;
    this.ops = [];
    for (const phase of PHASES) {
      let run: Op[] = [];
      for (const op of ops) {
        if (op.phase !== phase) continue;
        if (run.length && (op.merge === null || op.merge !== run[0].merge)) {
          this.send(run);
          run = [];
        }
        run.push(op);
      }
      if (run.length) this.send(run);
    }
  }

  private send(run: Op[]): void {
    const units = run.flatMap((op) => op.units);
    let answer: Promise<unknown[]>;
    try {
      answer = run[0].send(this.client, units);
    } catch (e) {
      answer = Promise.reject(e);
    }
    answer.then((results) => {
      let at = 0;
      for (const op of run) {
        op.resolve(results.slice(at, at + op.units.length));
        at += op.units.length;
      }
    }, (error) => {
      for (const op of run) op.reject(error);
    });
  }
}
