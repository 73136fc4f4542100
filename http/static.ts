/**
 * Static files from static/: hashed bundles under /static/build/ are cached for a year, other
 * files for an hour. Text files are gzip-compressed once and kept in memory.
 */
import type { Context } from "hono";

const STATIC_ROOT = new URL("../static/", import.meta.url);

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".woff2": "font/woff2",
  ".pbf": "application/x-protobuf",
};

interface Entry {
  body: Uint8Array;
  gzip?: Uint8Array;
  type: string;
  etag: string;
  mtime: number;
}

const cache = new Map<string, Entry>();

async function load(file: URL): Promise<Entry | null> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(file);
  } catch {
    return null;
  }
  if (!stat.isFile) return null;
  const mtime = stat.mtime?.getTime() ?? 0;
  const key = file.href;
  const hit = cache.get(key);
  if (hit && hit.mtime === mtime) return hit;
  const body = await Deno.readFile(file);
  const ext = file.pathname.slice(file.pathname.lastIndexOf("."));
  const type = TYPES[ext] ?? "application/octet-stream";
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", body));
  const etag = `"${[...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("")}"`;
  let gzip: Uint8Array | undefined;
  if (/^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512) {
    const stream = new Blob([body]).stream().pipeThrough(new CompressionStream("gzip"));
    gzip = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  const entry = { body, gzip, type, etag, mtime };
  cache.set(key, entry);
  return entry;
}

/** Sends a file with caching headers; `immutable` for content-hashed names. */
export async function sendFile(
  c: Context,
  file: URL,
  opts: { maxAge: number; immutable?: boolean; headers?: Record<string, string> },
): Promise<Response | null> {
  const entry = await load(file);
  if (!entry) return null;
  const headers: Record<string, string> = {
    "Content-Type": entry.type,
    "Cache-Control": `public, max-age=${opts.maxAge}${opts.immutable ? ", immutable" : ""}`,
    "ETag": entry.etag,
    "Vary": "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
    ...opts.headers,
  };
  if (c.req.header("if-none-match") === entry.etag) {
    return new Response(null, { status: 304, headers });
  }
  const gz = entry.gzip && /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
  if (gz) headers["Content-Encoding"] = "gzip";
  const body = gz ? entry.gzip! : entry.body;
  return new Response(c.req.method === "HEAD" ? null : body as BodyInit, { headers });
}

/** Handler for GET /static/*. */
export async function serveStatic(c: Context): Promise<Response> {
  const rel = decodeURIComponent(c.req.path.replace(/^\/static\//, ""));
  if (rel.split("/").some((part) => part === ".." || part.startsWith("."))) return c.notFound();
  const hashed = rel.startsWith("build/") && /-[A-Z0-9]{8,}\.(js|css|json|svg)$/i.test(rel);
  const res = await sendFile(c, new URL(rel, STATIC_ROOT), {
    maxAge: hashed ? 31536000 : 3600,
    immutable: hashed,
  });
  return res ?? c.notFound();
}
