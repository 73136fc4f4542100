/** One JSON line per request: method, path, status, duration. No addresses, no query strings. */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";

export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const ms = Math.round((performance.now() - start) * 10) / 10;
    const path = c.req.path;
    const quiet = path === "/healthz" || path.startsWith("/static/") || path === "/api/collect";
    const fields = {
      requestId: c.get("requestId"),
      method: c.req.method,
      path,
      status: c.res.status,
      ms,
    };
    const log = c.get("app").log;
    if (c.res.status >= 500) log.error("request", fields);
    else if (quiet) log.debug("request", fields);
    else log.info("request", fields);
  };
}
