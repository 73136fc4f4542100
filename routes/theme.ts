/** GET /theme/:choice — remembers light, dark or system in a cookie and goes back. No script. */
import type { Hono } from "hono";
import { setCookie } from "hono/cookie";
import type { AppEnv } from "../http/context.ts";
import { THEME_COOKIE } from "../http/theme.ts";
import { safeRedirectPath } from "../lib/redirect.ts";

export function registerTheme(app: Hono<AppEnv>): void {
  app.get("/theme/:choice{light|dark|system}", (c) => {
    const choice = c.req.param("choice");
    setCookie(c, THEME_COOKIE, choice, {
      path: "/",
      maxAge: 60 * 60 * 24 * 365,
      sameSite: "Lax",
      httpOnly: true,
      secure: c.get("app").config.PUBLIC_URL.startsWith("https:"),
    });
    return c.redirect(safeRedirectPath(c.req.query("back")), 303);
  });
}
