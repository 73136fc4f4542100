/**
 * CSRF protection for every state-changing request made with a cookie: the request must carry
 * a token (form field `_csrf` or header `X-CSRF-Token`) bound to the visitor's session (or, when
 * signed out, to a random cookie), and a present Origin header must be our own.
 * Bearer-key APIs, the collect endpoint and signed webhooks are exempt: no cookie, no CSRF.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../context.ts";
import { hmacSha256, randomToken, timingSafeEqual } from "../../lib/crypto.ts";
import { encodeBase64Url } from "../../lib/encoding.ts";
import { Forbidden } from "../../lib/errors.ts";
import { SESSION_COOKIE } from "../../accounts/sessions.ts";

const ANON_COOKIE = "sextant_csrf";
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
const EXEMPT = [
  /^\/api\/collect$/,
  /^\/api\/v1\//,
  /^\/api\/webhooks\//,
  // One-click unsubscribe (RFC 8058): mail clients POST without cookies; the link is signed.
  /^\/(digests|alerts)\/unsubscribe$/,
];

function binding(c: Context<AppEnv>, create: boolean): string {
  const session = getCookie(c, SESSION_COOKIE);
  if (session) return `s:${session}`;
  let anon = getCookie(c, ANON_COOKIE);
  if (!anon && create) {
    anon = randomToken(18);
    setCookie(c, ANON_COOKIE, anon, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: c.get("app").config.PUBLIC_URL.startsWith("https:"),
    });
  }
  return anon ? `a:${anon}` : "";
}

async function tokenFor(c: Context<AppEnv>, bound: string): Promise<string> {
  const mac = await hmacSha256(c.get("app").config.SECRET_KEY, `csrf|${bound}`);
  return encodeBase64Url(mac.slice(0, 24));
}

/** The token to embed in forms (and in pages whose islands post with fetch). */
export function csrfToken(c: Context<AppEnv>): Promise<string> {
  return tokenFor(c, binding(c, true));
}

/** Rejects unsafe requests without a valid token (403 with a sentence). */
export function csrf(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (SAFE.has(c.req.method) || EXEMPT.some((r) => r.test(c.req.path))) return await next();
    const origin = c.req.header("origin");
    if (origin && origin !== "null" && new URL(c.req.url).origin !== origin) {
      const own = new URL(c.get("app").config.PUBLIC_URL).origin;
      if (origin !== own) {
        throw new Forbidden("This form was sent from another site, so we ignored it.");
      }
    }
    let sent = c.req.header("x-csrf-token") ?? "";
    if (!sent) {
      const type = c.req.header("content-type") ?? "";
      if (type.includes("form")) {
        const body = await c.req.parseBody();
        sent = typeof body._csrf === "string" ? body._csrf : "";
      }
    }
    const bound = binding(c, false);
    if (!bound || !sent || !timingSafeEqual(sent, await tokenFor(c, bound))) {
      throw new Forbidden(
        "Your form expired or came from somewhere else. Please reload the page and try again.",
      );
    }
    await next();
  };
}
