/**
 * Reads form bodies once, for every handler after it: capped in size, a body that cannot be
 * parsed is a 400 rather than a parser's exception, and text fields are made storable (no NUL,
 * no lone surrogates: PostgreSQL refuses both). Handlers keep calling `c.req.parseBody()`, which
 * answers from Hono's body cache that this fills.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { readCappedBytes } from "../body.ts";
import { Invalid } from "../../lib/errors.ts";
import { storableText } from "../../lib/text.ts";

/** Form posts above this are refused (413): the largest form, a site's settings, is a few KB. */
export const FORM_MAX_BYTES = 1024 * 1024;
/** A CSV export uploaded for import: years of a busy site's pages by day fit well within this. */
export const IMPORT_MAX_BYTES = 50 * 1024 * 1024;
const IMPORT_PATH = /^\/sites\/[^/]+\/import$/;

/** The cap on a form post to `path`, and the sentence a larger one gets. */
function capOf(path: string): { bytes: number; sentence?: string } {
  if (IMPORT_PATH.test(path)) {
    return {
      bytes: IMPORT_MAX_BYTES,
      sentence: `That file is larger than ${IMPORT_MAX_BYTES / 1024 / 1024} MB: export a ` +
        "shorter date range (or pages only) and import the parts one after another.",
    };
  }
  return { bytes: FORM_MAX_BYTES };
}

const FORM_TYPES = new Set(["multipart/form-data", "application/x-www-form-urlencoded"]);
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
// Bodies these read themselves: JSON APIs and signed webhooks (their bytes must stay untouched).
const OWN_BODIES = /^\/api\/(collect$|v1\/|webhooks\/)/;

export function formBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    const media = type.split(";")[0].trim().toLowerCase();
    if (SAFE.has(c.req.method) || !FORM_TYPES.has(media) || OWN_BODIES.test(c.req.path)) {
      return await next();
    }
    const cap = capOf(c.req.path);
    const bytes = await readCappedBytes(c.req.raw, cap.bytes, cap.sentence);
    let parsed: FormData;
    try {
      parsed = await new Response(bytes, { headers: { "content-type": type } }).formData();
    } catch {
      throw new Invalid(
        "body",
        "We couldn't read that form. Please reload the page and try again.",
      );
    }
    const clean = new FormData();
    for (const [key, value] of parsed) {
      clean.append(storableText(key), typeof value === "string" ? storableText(value) : value);
    }
    // Hono types the cache as values but keeps promises in it (and awaits them).
    (c.req.bodyCache as unknown as { formData: Promise<FormData> }).formData = Promise.resolve(
      clean,
    );
    await next();
  };
}
