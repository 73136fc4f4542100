/** The client's address, used only transiently (rate limits, geolocation) and never stored. */
import type { Context } from "hono";
import { createHash } from "node:crypto";
import type { AppEnv } from "./context.ts";
import type { Sql } from "../db/connect.ts";
import { DatabaseSalts } from "../ingest/visitor.ts";
import type { Config } from "../config.ts";

/** Whether to believe proxy headers, and how many proxies in front of Sextant append to them. */
export interface ProxyTrust {
  trustProxy: boolean;
  hops: number;
}

/** The proxy settings of a config. */
export function proxyTrust(config: Pick<Config, "TRUST_PROXY" | "TRUST_PROXY_HOPS">): ProxyTrust {
  return { trustProxy: config.TRUST_PROXY, hops: config.TRUST_PROXY_HOPS };
}

/** The client's address for a request inside the app (see clientIpOf). */
export function clientIp(c: Context<AppEnv>): string {
  return clientIpOf(c.req.raw.headers, c.env?.remoteAddr ?? "", proxyTrust(c.get("app").config));
}

/**
 * The address the nearest untrusted hop connected from. Each proxy appends the address it saw
 * to X-Forwarded-For, so anything left of the entries our own `hops` proxies added was written
 * by the client and is ignored: the right-most untrusted entry is the one to believe. Without
 * TRUST_PROXY, the socket's peer address.
 */
export function clientIpOf(headers: Headers, remoteAddr: string, trust: ProxyTrust): string {
  if (!trust.trustProxy) return remoteAddr;
  const fwd = headers.get("x-forwarded-for");
  if (fwd) {
    const hops = fwd.split(",").map((s) => s.trim()).filter(Boolean);
    if (hops.length) return hops[Math.max(0, hops.length - trust.hops)];
  }
  const real = headers.get("x-real-ip")?.trim();
  return real || remoteAddr;
}

const salts = new WeakMap<Sql, DatabaseSalts>();

/**
 * The client's address as it may appear in a rate-limit key: hashed with the day's rotating
 * salt (the one cookieless visitor ids use), so no store ever holds an address.
 */
export async function clientKey(c: Context<AppEnv>, now = Date.now()): Promise<string> {
  return await saltedKey(c.get("app").db.sql, clientIp(c), now);
}

/** Any caller identity (an address, "address:token"…) hashed with the day's salt. */
export async function saltedKey(sql: Sql, value: string, now = Date.now()): Promise<string> {
  let source = salts.get(sql);
  if (!source) salts.set(sql, source = new DatabaseSalts(sql));
  const { today } = await source.current(now);
  return createHash("sha256").update(`${today}\u0000${value}`).digest("base64url").slice(0, 22);
}
