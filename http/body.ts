/** Reads a request body as text with a hard size cap, even when no Content-Length is sent. */
import { Invalid, PayloadTooLarge } from "../lib/errors.ts";

// decode() without { stream } keeps no state between calls; one decoder serves every request.
const utf8 = new TextDecoder();

/** The body as UTF-8 text; throws PayloadTooLarge past `maxBytes`. */
export async function readCappedText(req: Request, maxBytes: number): Promise<string> {
  return utf8.decode(await readCappedBytes(req, maxBytes));
}

/** The body's bytes; throws PayloadTooLarge past `maxBytes`. */
export async function readCappedBytes(
  req: Request,
  maxBytes: number,
  sentence?: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  const tooLarge = () =>
    new PayloadTooLarge(
      sentence ?? `The body is larger than ${Math.round(maxBytes / 1024)} KB.`,
    );
  if (declared > maxBytes) throw tooLarge();
  if (!req.body) return new Uint8Array();
  if (Number.isFinite(declared)) {
    const buf = await req.arrayBuffer();
    if (buf.byteLength > maxBytes) throw tooLarge();
    return new Uint8Array(buf);
  }
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}

/** JSON bodies may nest this deep; real bodies nest three or four levels. */
export const MAX_JSON_DEPTH = 32;

const OPEN_OBJECT = 0x7b, OPEN_ARRAY = 0x5b, CLOSE_OBJECT = 0x7d, CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22, BACKSLASH = 0x5c;

/**
 * How deeply `text` nests objects and arrays, counted in one pass over the raw text (strings
 * skipped) so that no later step that walks the parsed value recursively can be exhausted.
 * Stops counting once past `limit`.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) inString = true;
    else if (ch === OPEN_OBJECT || ch === OPEN_ARRAY) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (ch === CLOSE_OBJECT || ch === CLOSE_ARRAY) depth--;
  }
  return max;
}

/** Parses a capped JSON body; a syntax error or too deep a nesting is a 400 naming the body. */
export async function readCappedJson(req: Request, maxBytes: number): Promise<unknown> {
  const text = await readCappedText(req, maxBytes);
  if (!text.trim()) throw new Invalid("body", "The body is empty; send a JSON object.");
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new Invalid(
      "body",
      `The body nests deeper than ${MAX_JSON_DEPTH} levels; send flat objects (see docs/tracking.md).`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Invalid("body", "The body is not valid JSON.");
  }
}
