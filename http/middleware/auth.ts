/**
 * Authentication and authorization middleware. Handlers behind them start with the data they
 * need already authorized: `c.get("user")`, `c.get("site")`, `c.get("role")`, `c.get("apiKey")`.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "../context.ts";
import { findUserBySessionToken, SESSION_COOKIE } from "../../accounts/sessions.ts";
import { findSiteForUser } from "../../accounts/sites.ts";
import { findOrgForUser, type Role, roleAtLeast } from "../../accounts/orgs.ts";
import { verifyApiKey } from "../../accounts/api_keys.ts";
import { Forbidden, NotFound, Unauthorized } from "../../lib/errors.ts";
import { wantsJson } from "../errors.tsx";

/** Resolves the session cookie once per request and caches the answer on the context. */
async function ensureUser(c: Context<AppEnv>) {
  if (c.get("user") === undefined) {
    const token = getCookie(c, SESSION_COOKIE);
    const found = token ? await findUserBySessionToken(c.get("app").db.sql, token) : null;
    c.set("user", found?.user ?? null);
    c.set("sessionId", found?.sessionId ?? null);
  }
  return c.get("user");
}

/** Signed-out callers get the sign-in page (pages) or 401 (JSON). */
function deny(c: Context<AppEnv>): Response {
  if (wantsJson(c)) throw new Unauthorized();
  const next = c.req.path + (new URL(c.req.url).search || "");
  return c.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
}

/** Reads the session cookie and sets `user` (null when signed out); never refuses. */
export function loadUser(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await ensureUser(c);
    await next();
  };
}

/** Lets only signed-in users through. */
export function requireUser(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!await ensureUser(c)) return deny(c);
    await next();
  };
}

/**
 * Authorizes the `:siteId` route parameter for the signed-in user. A site of another
 * organization is indistinguishable from a missing one (404); a role below `minimum` is 403.
 */
export function requireSite(minimum: Role = "viewer", param = "siteId"): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = await ensureUser(c);
    if (!user) return deny(c);
    const found = await findSiteForUser(c.get("app").db.sql, user.id, Number(c.req.param(param)));
    if (!found) throw new NotFound("We couldn't find that site.");
    if (!roleAtLeast(found.role, minimum)) {
      throw new Forbidden(`You need the ${minimum} role on this site to do that.`);
    }
    c.set("site", found.site);
    c.set("role", found.role);
    await next();
  };
}

/**
 * Authorizes the `:orgId` route parameter like requireSite does sites: another organization is
 * a 404, a role below `minimum` a 403. Sets `org` and `role`.
 */
export function requireOrg(minimum: Role = "viewer", param = "orgId"): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = await ensureUser(c);
    if (!user) return deny(c);
    const found = await findOrgForUser(c.get("app").db.sql, user.id, Number(c.req.param(param)));
    if (!found) throw new NotFound("We couldn't find that organization.");
    if (!roleAtLeast(found.role, minimum)) {
      throw new Forbidden(`You need the ${minimum} role in this organization to do that.`);
    }
    c.set("org", found.org);
    c.set("role", found.role);
    await next();
  };
}

/** Requires `Authorization: Bearer sx_…`; sets `apiKey`. */
export function requireApiKey(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new Unauthorized("Send your API key as: Authorization: Bearer sx_…");
    const principal = await verifyApiKey(c.get("app").db.sql, m[1]);
    if (!principal) throw new Unauthorized("That API key is not valid or has been revoked.");
    c.set("apiKey", principal);
    await next();
  };
}
