/** Builds the Hono application: middleware, every route, error and not-found handling. */
import { Hono } from "hono";
import type { AppContext, AppEnv } from "./context.ts";
import { requestContext } from "./middleware/request_context.ts";
import { requestLog } from "./middleware/request_log.ts";
import { securityHeaders } from "./middleware/security_headers.ts";
import { csrf } from "./middleware/csrf.ts";
import { formBody } from "./middleware/form_body.ts";
import { handleError } from "./errors.tsx";
import { NotFound } from "../lib/errors.ts";
import { registerRoutes } from "../routes/mod.ts";

/** The app for one running instance; `extra` lets tests mount routes of their own. */
export function createApp(ctx: AppContext, extra?: (app: Hono<AppEnv>) => void): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestContext(ctx));
  app.use("*", requestLog());
  app.use("*", securityHeaders());
  app.use("*", formBody());
  app.use("*", csrf());
  registerRoutes(app);
  extra?.(app);
  app.notFound((c) => handleError(new NotFound(), c));
  app.onError(handleError);
  return app;
}
