/**
 * Outbound JSON calls to a platform's REST API: a timeout per try, and retries with backoff on
 * rate limits (429, honouring Retry-After), server errors (5xx) and network failures. Callers turn
 * a final failure into a sentence naming the platform and what to do.
 */

/** What came back from a call that was not retried away. */
export interface RestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty or non-JSON body. */
  body: unknown;
}

/** A call that failed after every retry: no answer at all (network) or an error status. */
export class RestFailure extends Error {
  override name = "RestFailure";
  constructor(
    message: string,
    /** 0 when the platform could not be reached. */
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export interface RestOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Tries in all for retriable failures. */
  tries?: number;
  timeoutMs?: number;
}

/** Longest wait between tries, whatever Retry-After asks for. */
const MAX_WAIT_MS = 30_000;
/** First backoff step; doubles each try. */
export const BACKOFF_BASE_MS = 500;

function waitOf(res: Response | null, attempt: number): number {
  const after = res?.headers.get("retry-after");
  if (after && /^\d+$/.test(after.trim())) return Math.min(Number(after) * 1000, MAX_WAIT_MS);
  const jitter = Math.random() * BACKOFF_BASE_MS;
  return Math.min(BACKOFF_BASE_MS * 2 ** attempt + jitter, MAX_WAIT_MS);
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Calls `url`; answers any status below 500 other than 429 (the caller decides what 4xx means),
 * retries the rest and throws RestFailure when they keep failing.
 */
export async function callRest(url: string, opts: RestOptions = {}): Promise<RestResponse> {
  const tries = opts.tries ?? 4;
  const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form).toString();
  }
  let last: RestFailure = new RestFailure("no attempt made", 0, null);
  for (let attempt = 0; attempt < tries; attempt++) {
    let res: Response | null = null;
    try {
      res = await fetch(url, {
        method: opts.method ?? "GET",
        headers,
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 20_000),
      });
    } catch (e) {
      last = new RestFailure((e as Error).message, 0, null);
    }
    if (res) {
      const parsed = await readBody(res);
      if (res.status !== 429 && res.status < 500) {
        return { status: res.status, headers: res.headers, body: parsed };
      }
      last = new RestFailure(`HTTP ${res.status}`, res.status, parsed);
    }
    if (attempt + 1 < tries) await new Promise((r) => setTimeout(r, waitOf(res, attempt)));
  }
  throw last;
}
