/** The client's address, used only transiently (rate limits, geolocation) and never stored. */
import type { Context } from "hono";
import { createHash } from "node:crypto";
import type { AppEnv } from "./context.ts";
import type { Sql } from "../db/connect.ts";
import { DatabaseSalts } from "../ingest/visitor.ts";

/** X-Forwarded-For's first entry when TRUST_PROXY is on, else the socket's peer address. */
export function clientIp(c: Context<AppEnv>): string {
  return clientIpOf(c.req.raw.headers, c.env?.remoteAddr ?? "", c.get("app").config.TRUST_PROXY);
}

/** The same rule on plain headers (for handlers outside the app). */
export function clientIpOf(headers: Headers, remoteAddr: string, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = headers.get("x-forwarded-for");
    if (fwd) return fwd.split(",")[0].trim();
    const real = headers.get("x-real-ip");
    if (real) return real.trim();
  }
  return remoteAddr;
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
