/** Security headers on every response; a nonce-based Content-Security-Policy on pages. */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";

/** The HSTS header served when PUBLIC_URL is https: a year, subdomains included. */
export const HSTS = "max-age=31536000; includeSubDomains";

/** Whether answers should carry HSTS: only when people reach Sextant over https. */
export function wantsHsts(publicUrl: string): boolean {
  return publicUrl.startsWith("https://");
}

export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set("X-Content-Type-Options", "nosniff");
    if (wantsHsts(c.get("app").config.PUBLIC_URL)) h.set("Strict-Transport-Security", HSTS);
    h.set("Referrer-Policy", "strict-origin-when-cross-origin");
    if (
      (h.get("content-type") ?? "").startsWith("text/html") && !h.has("Content-Security-Policy")
    ) {
      const nonce = c.get("nonce");
      h.set(
        "Content-Security-Policy",
        [
          "default-src 'self'",
          `script-src 'self' 'nonce-${nonce}'`,
          "style-src 'self' 'unsafe-inline'",
          "img-src 'self' data: blob:",
          "connect-src 'self' ws: wss:",
          "worker-src 'self' blob:",
          "font-src 'self' data:",
          "frame-ancestors 'none'",
          "base-uri 'none'",
          ["form-action 'self'", ...(c.get("formActions") ?? [])].join(" "),
        ].join("; "),
      );
      if (!h.has("X-Frame-Options")) h.set("X-Frame-Options", "DENY");
    }
  };
}
