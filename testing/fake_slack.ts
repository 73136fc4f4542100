/**
 * A local stand-in for Slack incoming webhooks, answering as Slack documents: POST JSON with
 * `text` and/or `blocks` → 200 `ok`; a body that isn't JSON → 400 `invalid_payload`; neither text
 * nor blocks → 400 `no_text`. `failing()` makes it answer 500 `rollup_error` (a Slack outage).
 * Other paths stand in for a generic webhook receiver (any JSON → 204). Every request is kept.
 */

/** One request the stand-in received. */
export interface ReceivedPost {
  path: string;
  headers: Headers;
  body: string;
  json: Record<string, unknown> | null;
}

/** A running stand-in. */
export interface FakeSlack {
  /** Base URL; any path works as a webhook URL (`${url}/services/T000/B000/XXXX`). */
  url: string;
  received: ReceivedPost[];
  /** Requests to paths containing `fragment` fail with 500 from now on. */
  failing(fragment: string): void;
  close(): Promise<void>;
}

/** Starts the stand-in on a free local port. */
export function startFakeSlack(): FakeSlack {
  const received: ReceivedPost[] = [];
  const failing: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const body = await req.text();
    let json: Record<string, unknown> | null = null;
    try {
      json = JSON.parse(body);
    } catch {
      // Slack answers a non-JSON body as below.
    }
    received.push({ path, headers: req.headers, body, json });
    if (req.method !== "POST") return new Response("invalid_request", { status: 405 });
    if (failing.some((f) => path.includes(f))) return new Response("rollup_error", { status: 500 });
    // Paths outside Slack's /services/ stand in for a generic receiver, which takes any JSON.
    if (!path.startsWith("/services/")) return new Response(null, { status: json ? 204 : 400 });
    if (!json) return new Response("invalid_payload", { status: 400 });
    if (!json.text && !json.blocks) return new Response("no_text", { status: 400 });
    return new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    received,
    failing: (fragment) => failing.push(fragment),
    close: () => server.shutdown(),
  };
}
