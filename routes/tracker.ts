/**
 * The tracker at stable URLs: `/s.js` (core) and `/s/heatmap.js?s=PUBLIC_ID` (the heatmap
 * module, sent only to sites with heatmaps on; others get an empty script). Cached for an hour
 * — stable names cannot be immutable — and readable from any origin.
 */
import type { Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { manifest } from "../http/assets.ts";
import { sendFile } from "../http/static.ts";
import { ingestorFor } from "../ingest/ingestor.ts";

const STATIC_ROOT = new URL("../static/", import.meta.url);
const HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Cross-Origin-Resource-Policy": "cross-origin",
};

function builtFile(name: string): URL | null {
  const url = manifest().files[name];
  return url ? new URL(url.replace(/^\/static\//, ""), STATIC_ROOT) : null;
}

export function registerTracker(app: Hono<AppEnv>): void {
  app.get("/s.js", async (c) => {
    const file = builtFile("tracker");
    const res = file && await sendFile(c, file, { maxAge: 3600, headers: HEADERS });
    return res ?? c.notFound();
  });
  app.get("/s/heatmap.js", async (c) => {
    const id = c.req.query("s") ?? "";
    const site = id ? await ingestorFor(c.get("app")).sites.byPublicId(id) : null;
    if (!site?.heatmaps_enabled) {
      return c.body("", 200, {
        ...HEADERS,
        "Content-Type": "text/javascript; charset=utf-8",
        "Cache-Control": "public, max-age=600",
      });
    }
    const file = builtFile("heatmap");
    const res = file && await sendFile(c, file, {
      maxAge: 600,
      headers: HEADERS,
    });
    return res ?? c.notFound();
  });
}
