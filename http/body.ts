/** Reads a request body as text with a hard size cap, even when no Content-Length is sent. */
import { Invalid, PayloadTooLarge } from "../lib/errors.ts";

// decode() without { stream } keeps no state between calls; one decoder serves every request.
const utf8 = new TextDecoder();

/** The body as UTF-8 text; throws PayloadTooLarge past `maxBytes`. */
export async function readCappedText(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  const tooLarge = () =>
    new PayloadTooLarge(`The body is larger than ${Math.round(maxBytes / 1024)} KB.`);
  if (declared > maxBytes) throw tooLarge();
  if (!req.body) return "";
  if (Number.isFinite(declared)) {
    const buf = await req.arrayBuffer();
    if (buf.byteLength > maxBytes) throw tooLarge();
    return utf8.decode(buf);
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
  return utf8.decode(all);
}

/** Parses a capped JSON body; a syntax error is a 400 naming the body. */
export async function readCappedJson(req: Request, maxBytes: number): Promise<unknown> {
  const text = await readCappedText(req, maxBytes);
  if (!text.trim()) throw new Invalid("body", "The body is empty; send a JSON object.");
  try {
    return JSON.parse(text);
  } catch {
    throw new Invalid("body", "The body is not valid JSON.");
  }
}
