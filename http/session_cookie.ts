/** The login session cookie: httpOnly, SameSite=Lax, Secure whenever Sextant is served over HTTPS. */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "./context.ts";
import {
  createLoginSession,
  deleteLoginSession,
  SESSION_COOKIE,
  SESSION_DAYS,
} from "../accounts/sessions.ts";

function secure(c: Context<AppEnv>): boolean {
  return c.get("app").config.PUBLIC_URL.startsWith("https:");
}

/** Starts a session for the user and sets its cookie. */
export async function signIn(c: Context<AppEnv>, userId: number): Promise<void> {
  const { token } = await createLoginSession(
    c.get("app").db.sql,
    userId,
    c.req.header("user-agent") ?? "",
  );
  setCookie(c, SESSION_COOKIE, token, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: secure(c),
    maxAge: SESSION_DAYS * 86400,
  });
}

/** Ends the current session (if any) and clears its cookie. */
export async function signOut(c: Context<AppEnv>): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token) await deleteLoginSession(c.get("app").db.sql, token);
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: secure(c) });
}
