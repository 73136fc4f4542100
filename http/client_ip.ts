/** The client's address, used only transiently (rate limits, geolocation) and never stored. */
import type { Context } from "hono";
import type { AppEnv } from "./context.ts";

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
