/** Turns thrown errors into a friendly HTML page or a JSON body with a sentence. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../lib/errors.ts";
import type { AppEnv } from "./context.ts";
import { renderPage } from "./render.tsx";
import { ErrorPage } from "../components/ErrorPage.tsx";

/** Whether the caller wants JSON rather than a page. */
export function wantsJson(c: Context<AppEnv>): boolean {
  const path = c.req.path;
  if (path.startsWith("/api/") || path === "/healthz") return true;
  const accept = c.req.header("accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

/**
 * Errors that only input can cause: malformed percent-encoding, and PostgreSQL's data exceptions
 * (class 22: a number out of range, text that is not a number, a NUL byte).
 */
function isBadInput(err: Error): boolean {
  if (err instanceof URIError) return true;
  const code = (err as { code?: unknown }).code;
  return err.name === "PostgresError" && typeof code === "string" && code.startsWith("22");
}

/** Hono onError handler: typed errors keep their status and message; others become 500s. */
export function handleError(err: Error, c: Context<AppEnv>): Response {
  let status = 500;
  let message = "Something went wrong on our side. Please try again in a moment.";
  let code = "internal";
  let details: Record<string, unknown> | undefined;
  if (err instanceof AppError) {
    status = err.status;
    message = err.message;
    code = err.code;
    details = err.details;
  } else if (err instanceof HTTPException) {
    status = err.status;
    message = err.status === 413 ? "That request is too large." : err.message || message;
    code = "http";
  } else if (isBadInput(err)) {
    // A value a route should have checked itself: still the sender's mistake, not ours.
    status = 400;
    message = "That request holds a value we can't use. Check what you sent and try again.";
    code = "invalid";
    c.get("app")?.log.warn("input reached a step that refused it", {
      requestId: c.get("requestId"),
      path: c.req.path,
      error: err,
    });
  } else {
    c.get("app")?.log.error("unhandled error", {
      requestId: c.get("requestId"),
      path: c.req.path,
      error: err,
    });
  }
  const headers: Record<string, string> = {};
  if (details?.retryAfter) headers["Retry-After"] = String(details.retryAfter);
  if (wantsJson(c)) {
    return c.json({ error: message, code, ...details }, status as ContentfulStatusCode, headers);
  }
  return renderPage(c, <ErrorPage status={status} message={message} />, {
    title: status === 404 ? "Not found" : "Something went wrong",
    status,
    headers,
  });
}
