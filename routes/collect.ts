/**
 * `POST /api/collect` (the browser tracker) and `POST /api/v1/events` (servers, with an API
 * key): both parse, rate-limit and hand the request to the ingest pipeline; 202 when accepted.
 * Collect is the hottest path Sextant has, so it is served ahead of the app's middleware chain
 * (http/fast_path.ts); it reads no cookies and renders no pages, so it needs none of it.
 */
import type { Context, Hono } from "hono";
import type { AppContext, AppEnv } from "../http/context.ts";
import { clientIpOf, proxyTrust } from "../http/client_ip.ts";
import { readCappedJson } from "../http/body.ts";
import { errorResponse, jsonResponse, registerFastPath } from "../http/fast_path.ts";
import { requireApiKey } from "../http/middleware/auth.ts";
import { AppError, TooManyRequests } from "../lib/errors.ts";
import { ingestorFor } from "../ingest/ingestor.ts";
import { HSTS, wantsHsts } from "../http/middleware/security_headers.ts";

/** Collect bodies above this are refused (413). */
export const COLLECT_MAX_BYTES = 64 * 1024;
const API_MAX_BYTES = 512 * 1024;

// Browsers may read our answers (and errors) from any site; no cookies are involved.
const CORS = { "access-control-allow-origin": "*" };
const CORS_HSTS = { ...CORS, "strict-transport-security": HSTS };
// Only a preflight needs to hear what may be sent (and may remember it for a day): every header
// on the hot path's answers is paid for thousands of times a second.
const PREFLIGHT = {
  ...CORS,
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "Content-Type",
  "access-control-max-age": "86400",
};
const PREFLIGHT_HSTS = { ...PREFLIGHT, "strict-transport-security": HSTS };

async function collect(ctx: AppContext, req: Request, remoteAddr: string): Promise<Response> {
  // Served ahead of the app's middleware, so the security header that matters here is set here.
  const hsts = wantsHsts(ctx.config.PUBLIC_URL);
  if (req.method === "OPTIONS") {
    return new Response(null, { status: 204, headers: hsts ? PREFLIGHT_HSTS : PREFLIGHT });
  }
  const headers = hsts ? CORS_HSTS : CORS;
  try {
    if (req.method !== "POST") {
      throw new AppError(405, "Send events with POST; see docs/tracking.md.", "method");
    }
    const ingestor = ingestorFor(ctx);
    const ip = clientIpOf(req.headers, remoteAddr, proxyTrust(ctx.config));
    const wait = ingestor.limiter.hit(ip);
    if (wait) {
      throw new TooManyRequests(wait, "Too many events from this address. Please slow down.");
    }
    const body = await readCappedJson(req, COLLECT_MAX_BYTES);
    const result = await ingestor.accept({
      via: "tracker",
      body,
      ip,
      userAgent: req.headers.get("user-agent") ?? "",
      origin: req.headers.get("origin"),
      now: Date.now(),
    });
    return jsonResponse(result, 202, headers);
  } catch (e) {
    return errorResponse(ctx, e, headers);
  }
}

async function events(c: Context<AppEnv>) {
  const body = await readCappedJson(c.req.raw, API_MAX_BYTES);
  const result = await ingestorFor(c.get("app")).accept({
    via: "api",
    body,
    ip: "",
    userAgent: c.req.header("user-agent") ?? "",
    origin: null,
    now: Date.now(),
    apiKey: c.get("apiKey"),
  });
  return c.json(result, 202);
}

export function registerCollect(app: Hono<AppEnv>): void {
  registerFastPath("/api/collect", collect);
  // The same handler inside the app, for in-process callers (the install page's test visit).
  app.on(
    ["POST", "OPTIONS"],
    "/api/collect",
    (c) => collect(c.get("app"), c.req.raw, c.env?.remoteAddr ?? ""),
  );
  app.post("/api/v1/events", requireApiKey(), events);
}
