/** Fixed-window rate limits on the bus's key-value store, so every instance shares the count. */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { TooManyRequests } from "../../lib/errors.ts";
import { saltedKey } from "../client_ip.ts";

export interface RateLimitOptions {
  /** Names the limit in keys ("api"). */
  name: string;
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  /** Who is counted: an API key id, an IP address… (hashed with the day's salt in the key). */
  key: (c: Context<AppEnv>) => string;
}

/** Answers 429 with Retry-After once a caller exceeds `limit` requests in a window. */
export function rateLimit(opts: RateLimitOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const window = Math.floor(Date.now() / opts.windowMs);
    const who = await saltedKey(c.get("app").db.sql, opts.key(c));
    const key = `ratelimit:${opts.name}:${who}:${window}`;
    const count = await c.get("app").bus.kv.incr(key, opts.windowMs);
    const resetIn = Math.ceil(((window + 1) * opts.windowMs - Date.now()) / 1000);
    c.header("X-RateLimit-Limit", String(opts.limit));
    c.header("X-RateLimit-Remaining", String(Math.max(0, opts.limit - count)));
    if (count > opts.limit) {
      throw new TooManyRequests(
        resetIn,
        `You have made more than ${opts.limit} requests in ${
          Math.round(opts.windowMs / 1000)
        } seconds. Try again in ${resetIn} s.`,
      );
    }
    await next();
  };
}
