/**
 * Only same-site paths are followed after an action, so links cannot bounce users elsewhere.
 * Browsers drop tabs and newlines from URLs and read a backslash as a slash, so a target is
 * judged both as sent and percent-decoded: `/%09/evil.example` is `//evil.example` to them.
 */

const MAX_TARGET = 2000;
// Control characters (C0, DEL, C1), line separators and backslashes: none belong in our paths.
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/;

/** `target` when it is a path on this site, else `fallback`; safe to put in a Location header. */
export function safeRedirectPath(target: string | undefined, fallback = "/"): string {
  if (
    typeof target !== "string" || target.length > MAX_TARGET || !target.startsWith("/") ||
    !target.isWellFormed()
  ) {
    return fallback;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(target);
  } catch {
    return fallback;
  }
  for (const t of [target, decoded]) {
    if (t.startsWith("//") || UNSAFE.test(t)) return fallback;
  }
  // Header values must be ASCII: anything else (a decoded é in a path) goes back to %-encoding.
  return target.replace(/[^\x21-\x7e]/g, encodeURIComponent);
}

/** The path and query of a Referer header, or undefined when it is absent or not a URL. */
export function pathOfReferer(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    const url = new URL(referer);
    return url.pathname + url.search;
  } catch {
    return undefined;
  }
}
