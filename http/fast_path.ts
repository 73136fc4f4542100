/**
 * Paths served straight from Deno.serve, without the Hono middleware chain (request ids, CSP
 * nonces, CSRF, page rendering): for the collect endpoint only, where every microsecond is paid
 * thousands of times a second. Handlers answer JSON and must do their own error mapping.
 */
import type { AppContext } from "./context.ts";
import { AppError } from "../lib/errors.ts";

export type FastHandler = (
  ctx: AppContext,
  req: Request,
  remoteAddr: string,
) => Promise<Response> | Response;

const handlers = new Map<string, FastHandler>();

/** Serves `path` (exact match) with `handler` ahead of the app. */
export function registerFastPath(path: string, handler: FastHandler): void {
  handlers.set(path, handler);
}

/** The fast handler for a path, if one is registered. */
export function fastPathFor(pathname: string): FastHandler | undefined {
  return handlers.get(pathname);
}

/**
 * The fast handler for a request URL whose path, as sent, is a registered one: cheaper than
 * parsing the URL, which costs more than the rest of routing a collect request. Callers parse
 * and try fastPathFor when this finds nothing (a path may only normalize to a registered one).
 */
export function fastPathForRawUrl(url: string): FastHandler | undefined {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return undefined;
  let end = url.indexOf("?", start);
  if (end < 0) end = url.length;
  const hash = url.indexOf("#", start);
  if (hash >= 0 && hash < end) end = hash;
  return handlers.get(url.slice(start, end));
}

const JSON_HEADERS = {
  "content-type": "application/json; charset=UTF-8",
  "x-content-type-options": "nosniff",
};
// Callers pass the same few header objects every time; merge each once, not per response.
const merged = new WeakMap<Record<string, string>, Record<string, string>>();

/** A JSON response with the headers every API answer carries, plus `headers`. */
export function jsonResponse(
  body: unknown,
  status: number,
  headers: Record<string, string> = {},
): Response {
  let all = merged.get(headers);
  if (!all) merged.set(headers, all = { ...JSON_HEADERS, ...headers });
  return new Response(JSON.stringify(body), { status, headers: all });
}

/** The same JSON the app's error handler gives for API paths: a sentence, a code, details. */
export function errorResponse(
  ctx: AppContext,
  err: unknown,
  headers: Record<string, string> = {},
): Response {
  if (err instanceof AppError) {
    const extra: Record<string, string> = { ...headers };
    if (err.details?.retryAfter) extra["Retry-After"] = String(err.details.retryAfter);
    return jsonResponse({ error: err.message, code: err.code, ...err.details }, err.status, extra);
  }
  ctx.log.error("unhandled error", { error: err });
  return jsonResponse(
    { error: "Something went wrong on our side. Please try again in a moment.", code: "internal" },
    500,
    headers,
  );
}
