/** Static assets and the favicon. */
import type { Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { sendFile, serveStatic } from "../http/static.ts";

export function registerStatic(app: Hono<AppEnv>): void {
  app.get("/static/*", serveStatic);
  app.get(
    "/favicon.ico",
    async (c) =>
      (await sendFile(c, new URL("../static/favicon.svg", import.meta.url), { maxAge: 86400 })) ??
        c.notFound(),
  );
}
