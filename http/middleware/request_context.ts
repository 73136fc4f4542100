/** Gives every request its id, CSP nonce and the app's services. */
import type { MiddlewareHandler } from "hono";
import type { AppContext, AppEnv } from "../context.ts";
import { randomToken } from "../../lib/crypto.ts";

export function requestContext(app: AppContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("app", app);
    c.set("requestId", c.req.header("x-request-id")?.slice(0, 64) || randomToken(9));
    c.set("nonce", randomToken(16));
    await next();
  };
}
