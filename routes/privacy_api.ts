/**
 * The public API's GDPR tools (Bearer key, rate limited like the stats API):
 * POST /api/v1/sites/:siteId/erasure with {"visitor_id": …} or {"email": …}, and
 * GET /api/v1/sites/:siteId/export?visitor_id=…|email=… (a JSON attachment).
 */
import type { Context, Hono } from "hono";
import type { Site } from "../accounts/sites.ts";
import type { AppEnv } from "../http/context.ts";
import { readCappedText } from "../http/body.ts";
import { Invalid } from "../lib/errors.ts";
import { eraseVisitor, exportFileName, exportVisitor, parseSubject } from "../privacy/mod.ts";
import { apiKeyRoute, apiSite } from "./stats_api.ts";

/** An export as a JSON file download (the settings page and the API send the same). */
export function exportDownload(c: Context<AppEnv>, site: Site, data: unknown): Response {
  return c.body(JSON.stringify(data, null, 2), 200, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Disposition": `attachment; filename="${exportFileName(site)}"`,
    "Cache-Control": "no-store",
  });
}

/** Reads a small JSON object body; anything else is a 400 saying what to send (`hint`). */
export async function jsonObject(
  req: Request,
  hint = 'Send a JSON object: {"visitor_id": "…"} or {"email": "…"}.',
): Promise<Record<string, unknown>> {
  const text = await readCappedText(req, 4096);
  try {
    const value = JSON.parse(text || "{}");
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // Falls through to the sentence below.
  }
  throw new Invalid("body", hint);
}

export function registerPrivacyApi(app: Hono<AppEnv>): void {
  app.post("/api/v1/sites/:siteId/erasure", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const subject = parseSubject(await jsonObject(c.req.raw));
    const actor = { apiKeyId: c.get("apiKey").keyId };
    const erased = await eraseVisitor(c.get("app").db.sql, site, subject, actor);
    return c.json({ erased: erased.counts, linked: erased.linked }, 200, {
      "Cache-Control": "no-store",
    });
  });

  app.get("/api/v1/sites/:siteId/export", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const subject = parseSubject(c.req.query());
    const actor = { apiKeyId: c.get("apiKey").keyId };
    const data = await exportVisitor(c.get("app").db.sql, site, subject, actor);
    return exportDownload(c, site, data);
  });
}
