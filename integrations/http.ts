/**
 * The JSON client platform modules call their APIs with: one auth header, a timeout per request,
 * backoff on 429 and 5xx that honours Retry-After, and every failure turned into a PlatformError
 * sentence naming the platform and what Sextant was doing. Hosts the owner chose (a Shopify
 * shop) go through the private-address guard.
 */
import { guardedFetch, type OutboundOptions, OutboundRefused } from "../lib/outbound.ts";
import { PlatformError } from "./types.ts";

/** How a client reaches one platform account. */
export interface ApiClientOptions {
  /** "Lemon Squeezy": used in sentences. */
  platform: string;
  baseUrl: string;
  /** The auth header and any fixed headers (`Paddle-Version`). */
  headers: Record<string, string>;
  /** Where to fix credentials, for the 401/403 sentences ("Settings → API"). */
  keysPage: string;
  /** Per request, retries included separately. */
  timeoutMs?: number;
  /** Attempts after the first for 429, 5xx and network failures. */
  retries?: number;
  /** First backoff wait; doubles each retry. */
  backoffMs?: number;
  /** The longest Retry-After honoured before giving up with a retriable error. */
  maxWaitMs?: number;
  /** Set for hosts a user named: requests go through the private-address guard. */
  guard?: OutboundOptions;
  /** Whether a refusal means the credentials themselves are wrong (for APIs that say so with 403). */
  badCredentials?: (status: number, body: unknown) => boolean;
}

/** One request. */
export interface ApiRequest {
  /** What Sextant was doing, for sentences: "read orders", "create a webhook". */
  doing: string;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A path under baseUrl, or a full URL the API itself handed out (a next-page link). */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Error statuses answered instead of thrown, for the caller to explain (a 404 meaning none). */
  accept?: readonly number[];
}

/** A successful answer. */
export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds or an HTTP date, as milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The platform's own explanation from an error body, whichever shape it uses: JSON:API
 * `errors[].detail`, `error.detail` (Paddle), `detail` as text or a list of `{msg}` (Polar),
 * `errors` as text or an object of lists (Shopify), or `message`.
 */
export function errorDetail(body: unknown): string {
  if (typeof body === "string") return body.trim().slice(0, 300);
  if (!body || typeof body !== "object") return "";
  const b = body as Record<string, unknown>;
  const texts: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === "string" && v.trim()) texts.push(v.trim());
  };
  if (Array.isArray(b.errors)) {
    for (const e of b.errors) {
      if (typeof e === "string") add(e);
      else if (e && typeof e === "object") {
        const o = e as Record<string, unknown>;
        add(o.detail ?? o.message ?? o.title);
      }
    }
  } else if (typeof b.errors === "string") add(b.errors);
  else if (b.errors && typeof b.errors === "object") {
    for (const [k, v] of Object.entries(b.errors)) {
      add(`${k} ${Array.isArray(v) ? v.join(", ") : String(v)}`);
    }
  }
  if (b.error && typeof b.error === "object") {
    const e = b.error as Record<string, unknown>;
    add(e.detail ?? e.message);
  } else add(b.error_description ?? b.error);
  if (Array.isArray(b.detail)) {
    for (const d of b.detail) add((d as Record<string, unknown>)?.msg);
  } else add(b.detail);
  add(b.message);
  return [...new Set(texts)].join("; ").slice(0, 300);
}

/** The sentence for a refused request. */
function explain(
  opts: ApiClientOptions,
  doing: string,
  status: number,
  body: unknown,
): PlatformError {
  const detail = errorDetail(body);
  const name = opts.platform;
  const why = detail ? ` (${detail.replace(/\.$/, "")})` : "";
  if (status === 401 || opts.badCredentials?.(status, body)) {
    return new PlatformError(
      `${name} didn't accept these credentials${why}: they may have been revoked, expired or ` +
        `mistyped. Copy them again from ${opts.keysPage}.`,
    );
  }
  if (status === 403) {
    return new PlatformError(
      `${name} doesn't allow these credentials to ${doing}${why}. Check their permissions in ` +
        `${opts.keysPage}.`,
    );
  }
  if (status === 404) {
    return new PlatformError(
      `${name} couldn't find what Sextant asked for when trying to ${doing}${why}.`,
    );
  }
  if (status === 429) {
    return new PlatformError(
      `${name} is limiting requests for this account; Sextant will try again shortly.`,
      true,
    );
  }
  if (status >= 500) {
    return new PlatformError(
      `${name} had a problem answering (${status}); Sextant will try again shortly.`,
      true,
    );
  }
  return new PlatformError(`${name} refused to ${doing}${why || ` (HTTP ${status})`}.`);
}

/** A JSON API client for one platform account. */
export class ApiClient {
  constructor(readonly opts: ApiClientOptions) {}

  /** Sends the request, retrying what may succeed later; throws PlatformError otherwise. */
  async request<T = unknown>(req: ApiRequest): Promise<ApiResponse<T>> {
    const o = this.opts;
    // Joined as text so a base URL's own path (an /api prefix) stays in front of the request's.
    const url = new URL(
      /^https?:\/\//.test(req.path)
        ? req.path
        : `${o.baseUrl.replace(/\/$/, "")}/${req.path.replace(/^\//, "")}`,
    );
    if (url.origin !== new URL(o.baseUrl).origin) {
      // A link the API handed out must not carry the credentials to another host.
      throw new PlatformError(`${o.platform} pointed Sextant to another host (${url.host}).`);
    }
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": "Sextant",
      ...o.headers,
      ...req.headers,
    };
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers["content-type"] ??= "application/json";
    } else if (req.form) {
      body = new URLSearchParams(req.form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const retries = o.retries ?? 3;
    const maxWait = o.maxWaitMs ?? 60_000;
    for (let attempt = 0;; attempt++) {
      const backoff = (o.backoffMs ?? 500) * 2 ** attempt;
      let res: Response;
      try {
        const init: RequestInit = { method: req.method ?? "GET", headers, body };
        res = o.guard
          ? await guardedFetch(url.toString(), init, {
            ...o.guard,
            timeoutMs: o.timeoutMs ?? 20_000,
          })
          : await fetch(url, { ...init, signal: AbortSignal.timeout(o.timeoutMs ?? 20_000) });
      } catch (e) {
        if (e instanceof OutboundRefused) throw new PlatformError(e.message);
        if (attempt < retries) {
          await sleep(backoff);
          continue;
        }
        const timedOut = (e as Error).name === "TimeoutError";
        throw new PlatformError(
          timedOut
            ? `${o.platform} didn't answer in time when Sextant tried to ${req.doing}; it will try again.`
            : `Sextant couldn't reach ${o.platform} to ${req.doing}. Check this server's internet connection.`,
          true,
        );
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // Left as text: an HTML error page from a proxy still explains something.
      }
      if (res.ok || req.accept?.includes(res.status)) {
        if (res.ok && typeof parsed === "string" && text) {
          throw new PlatformError(
            `${o.platform} answered with something other than JSON when Sextant tried to ${req.doing}.`,
            true,
          );
        }
        return { status: res.status, body: parsed as T, headers: res.headers };
      }
      const again = res.status === 429 || res.status >= 500;
      if (again && attempt < retries) {
        const wait = retryAfterMs(res.headers.get("retry-after")) ?? backoff;
        if (wait <= maxWait) {
          await sleep(wait);
          continue;
        }
      }
      throw explain(o, req.doing, res.status, parsed);
    }
  }

  /** GET with a query. */
  get<T = unknown>(doing: string, path: string, query?: ApiRequest["query"]) {
    return this.request<T>({ doing, path, query });
  }

  /** POST a JSON body. */
  post<T = unknown>(doing: string, path: string, json: unknown) {
    return this.request<T>({ doing, method: "POST", path, json });
  }

  /** DELETE. */
  delete<T = unknown>(doing: string, path: string) {
    return this.request<T>({ doing, method: "DELETE", path });
  }
}
