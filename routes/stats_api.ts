/** GET /api/v1/sites/:siteId/stats (Bearer API key, rate limited) and GET /api/openapi.json. */
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context.ts";
import { requireApiKey } from "../http/middleware/auth.ts";
import { rateLimit } from "../http/middleware/rate_limit.ts";
import { findSiteById, type Site } from "../accounts/sites.ts";
import { NotFound } from "../lib/errors.ts";
import { parseStatsParams } from "../analytics/query.ts";
import { openApiDocument, runStatsQuery } from "../analytics/api.ts";

/** Requests one API key may make per minute. */
export const API_RATE_LIMIT = 120;

/** The middleware every /api/v1 route starts with: a valid key, within its rate limit. */
export function apiKeyRoute(): MiddlewareHandler<AppEnv> {
  const auth = requireApiKey();
  const limit = rateLimit({
    name: "api",
    limit: API_RATE_LIMIT,
    windowMs: 60_000,
    key: (c) => String(c.get("apiKey").keyId),
  });
  return (c, next) =>
    auth(c, async () => {
      await limit(c, next);
    });
}

/** The `:siteId` of an /api/v1 route, if the request's key may use it; 404 otherwise. */
export async function apiSite(c: Context<AppEnv>): Promise<Site> {
  const key = c.get("apiKey");
  const site = await findSiteById(c.get("app").db.sql, Number(c.req.param("siteId")));
  // Another organization's site, or one the key is not limited to, does not exist for it.
  if (!site || site.org_id !== key.orgId || (key.siteId !== null && key.siteId !== site.id)) {
    throw new NotFound("There is no site with that id for this API key.");
  }
  return site;
}

export function registerStatsApi(app: Hono<AppEnv>): void {
  app.get("/api/v1/sites/:siteId/stats", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const query = parseStatsParams(new URL(c.req.url).searchParams);
    return c.json(await runStatsQuery(c.get("app").db.sql, site, query), 200, {
      "Cache-Control": "no-store",
    });
  });
  app.get("/api/openapi.json", (c) =>
    c.json(openApiDocument(c.get("app").config.PUBLIC_URL), 200, {
      "Cache-Control": "public, max-age=300",
      "Access-Control-Allow-Origin": "*",
    }));
}
