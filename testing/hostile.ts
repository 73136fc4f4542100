/**
 * Hostile input for every route: malformed, oversized, deeply nested, wrong-typed, unicode-edge
 * and injection values in paths, queries, headers and bodies. `probeRoute` throws the corpus at
 * one route and reports every answer of 500 or more; http/hostile_input_test.ts runs it over
 * every registered route. The corpus is exported so suites for other routes (webhooks) reuse it.
 */
import type { TestApp } from "./app.ts";
import { TestClient } from "./http_client.ts";

/** Strings that have broken parsers, databases, headers and templates somewhere. */
export const HOSTILE_STRINGS: Record<string, string> = {
  empty: "",
  nul: "a\0b",
  loneHighSurrogate: "x\uD800",
  loneLowSurrogate: "\uDC00y",
  rtlOverride: "\u202Etxt.exe",
  zeroWidth: "\u200B\uFEFF\u2060",
  lineSeparator: "a\u2028b\u2029c",
  emoji: "👩‍👩‍👧‍👦🏳️‍🌈",
  script: "<script>alert(1)</script>",
  attribute: `"'><img src=x onerror=alert(1)>`,
  sql: "' OR 1=1; drop table users; --",
  template: "${7*7}{{7*7}}<%= 7*7 %>",
  traversal: "../../../etc/passwd",
  crlf: "a\r\nSet-Cookie: hostile=1",
  badPercent: "%E0%A4%A%zz%",
  scheme: "javascript:alert(1)",
  protocolRelative: "//evil.example/%09/x",
  hugeNumber: "99999999999999999999999999",
  negative: "-1",
  float: "1e309",
  notANumber: "NaN",
  prototype: "__proto__",
  long: "x".repeat(100_000),
};

/** Values for path parameters (ids, tokens, fixed words), already as they appear in a URL. */
export const HOSTILE_PATH_SEGMENTS: string[] = [
  "abc",
  "-1",
  "0",
  "1.5",
  "99999999999999999999",
  "%00",
  "%",
  "%E0%A4%A",
  "%ff",
  "%3Cscript%3E",
  "..%2F..%2Fetc",
  "%0d%0aX:1",
  "x".repeat(5000),
];

/** JSON bodies of the wrong shape, type or size, as raw text. */
export const HOSTILE_JSON: Record<string, string> = {
  empty: "",
  whitespace: "   \n ",
  truncated: '{"s": "x", "e": [',
  notJson: "<xml/>",
  nullBody: "null",
  number: "42",
  bigNumber: "1e400",
  string: '"hello"',
  array: "[]",
  arrayOfObjects: '[{"s":"x"}]',
  emptyObject: "{}",
  // Under collect's 64 KB cap, so they reach the parser.
  deepArrays: "[".repeat(30_000) + "]".repeat(30_000),
  deepObjects: '{"a":'.repeat(10_000) + "1" + "}".repeat(10_000),
  deepUnclosed: "[".repeat(60_000),
  loneSurrogateEscape: '{"s": "\\ud800", "site": "\\udc00", "e": [{"t":"pageview","u":"\\ud800"}]}',
  nulEscape: '{"s": "a\\u0000b", "site": "\\u0000"}',
  protoPollution: '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}',
  duplicateKeys: '{"s": "a", "s": {"nested": true}}',
  bom: '\uFEFF{"s": "x"}',
  wrongTypes: '{"s": 1, "v": [], "e": "pageview", "site": false, "events": {"0": 1}}',
  wrongEventTypes:
    '{"s":"x","e":[{"t":1,"u":2,"p":[1,2],"a":"now"}],"site":"x","events":[{"type":[],"visitor_id":{}}]}',
  nestedProps:
    '{"s":"x","e":[{"t":"event","n":"x","u":"https://example.com/","p":{"a":{"b":{"c":[1,[2,[3]]]}}}}]}',
  manyEvents: JSON.stringify({ s: "x", e: Array(5000).fill({ t: "pageview", u: "x" }) }),
};

/** Request headers that have tripped servers up. */
export const HOSTILE_HEADERS: Record<string, Record<string, string>> = {
  malformedCookie: { cookie: "sextant_session=%E0%A4%A; =; ;;; theme=\u00ff; a=b=c" },
  hugeCookie: { cookie: `sextant_session=${"x".repeat(6000)}; sextant_csrf=${"y".repeat(6000)}` },
  latin1Cookie: { cookie: "sextant_session=\u00ff\u00fe" },
  malformedReferer: { referer: "http://[::1" },
  relativeReferer: { referer: "/%09/evil.example" },
  latin1Referer: { referer: "http://example.com/\u00e9\u00ff" },
  hostileReferer: { referer: "https://evil.example//evil.example/%0d%0a" },
  forwardedGarbage: { "x-forwarded-for": "not-an-ip, \u00ff, ::::::, 999.1.1.1" },
  acceptJunk: { accept: "*/*;q=abc, text/html;;;", "accept-language": "\u00ff;q=2" },
  hugeHeader: { "x-padding": "p".repeat(12_000) },
  requestId: { "x-request-id": "<script>\u00ff" + "r".repeat(500) },
  origin: { origin: "null" },
  badOrigin: { origin: "http://[::1" },
};

/** Content types a body may claim, matching or not. */
export const HOSTILE_CONTENT_TYPES: string[] = [
  "application/json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "multipart/form-data; boundary=",
  "multipart/form-data; boundary=zzz",
  "application/octet-stream",
  "text/html; charset=utf-7",
  "application/x-www-form-urlencoded; charset=\u00ff",
];

/** Form field names the app's forms use, filled with hostile values in form bodies. */
export const FORM_FIELDS = [
  "email",
  "password",
  "current_password",
  "confirm",
  "name",
  "domain",
  "timezone",
  "currency",
  "allowed_hosts",
  "excluded_ips",
  "excluded_paths",
  "retention_days",
  "attribution_window_days",
  "role",
  "user_id",
  "site_id",
  "label",
  "expires",
  "body",
  "day",
  "category",
  "back",
  "next",
  "token",
  "apiKey",
  "webhookSecret",
  "rate",
  "includes",
];

/** Query parameters the app reads, filled with hostile values in query strings. */
export const QUERY_PARAMS = [
  "period",
  "from",
  "to",
  "f",
  "filter",
  "dimension",
  "metrics",
  "metric",
  "sort",
  "page",
  "limit",
  "interval",
  "acq",
  "pages",
  "loc",
  "tech",
  "next",
  "back",
  "token",
  "email",
  "notice",
  "done",
  "welcome",
];

/** Invalid UTF-8 byte sequences. */
export const INVALID_UTF8 = new Uint8Array([0x61, 0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0x62]);

/** How a request is made on a route: as a signed-in browser (with CSRF) or with a Bearer key. */
export interface Caller {
  client: TestClient;
  /** Bearer key for /api/v1 routes. */
  apiKey?: string;
}

/** One request the probe makes, described for the report. */
interface Probe {
  what: string;
  path: string;
  init: RequestInit & { headers?: Record<string, string> };
}

const FORM_TYPE = "application/x-www-form-urlencoded";

function formOf(value: string): URLSearchParams {
  const form = new URLSearchParams();
  for (const f of FORM_FIELDS) form.set(f, value);
  return form;
}

function multipartOf(value: string): FormData {
  const form = new FormData();
  for (const f of FORM_FIELDS) form.set(f, value);
  form.set("file", new Blob([INVALID_UTF8]), "x\u202E.txt");
  return form;
}

function queryOf(value: string): string {
  const q = new URLSearchParams();
  // Every parameter at full length would make a URL no client sends; one long one is enough.
  for (const p of QUERY_PARAMS) q.set(p, value.length > 1000 ? value.slice(0, 1000) : value);
  q.set(QUERY_PARAMS[0], value.slice(0, 30_000));
  return q.toString();
}

/** A route to probe: its method, its pattern as registered and a good value for each parameter. */
export interface HostileRoute {
  method: string;
  pattern: string;
  /** A value (as it appears in a URL) for each `:param` of the pattern. */
  params: Record<string, string>;
}

/** `:name` or `:name{regex}` in a route pattern. */
export const ROUTE_PARAM = /:([A-Za-z_][A-Za-z0-9_]*)(\{[^}]*\})?\??/g;

/** The pattern with its parameters replaced by `values`. */
export function fillPattern(pattern: string, values: Record<string, string>): string {
  return pattern.replace(ROUTE_PARAM, (_, name: string) => values[name] ?? "x");
}

/** Every request the probe makes on a route. */
export function probesFor(route: HostileRoute): Probe[] {
  const { method, params } = route;
  const path = fillPattern(route.pattern, params);
  const probes: Probe[] = [];
  const unsafe = method !== "GET" && method !== "HEAD";
  const add = (what: string, p: string, init: Probe["init"] = {}) =>
    probes.push({ what, path: p, init: { method, ...init } });
  const plainBody = unsafe ? { body: "", headers: { "content-type": FORM_TYPE } } : {};

  for (const name of Object.keys(params)) {
    for (const seg of HOSTILE_PATH_SEGMENTS) {
      const p = fillPattern(route.pattern, { ...params, [name]: seg });
      add(`:${name} = ${seg.slice(0, 20)}`, p, plainBody);
    }
  }
  for (const [name, value] of Object.entries(HOSTILE_STRINGS)) {
    add(`query all = ${name}`, `${path}?${queryOf(value)}`, plainBody);
  }
  add("query raw bad percent", `${path}?period=%&f=%E0%A4%A&page=%zz&%=%&next=%ff%09`, plainBody);
  add("query repeated", `${path}?${"f=a&".repeat(2000)}`, plainBody);
  for (const [name, headers] of Object.entries(HOSTILE_HEADERS)) {
    add(`header ${name}`, path, { ...plainBody, headers: { ...plainBody.headers, ...headers } });
  }
  if (!unsafe) return probes;

  for (const [name, value] of Object.entries(HOSTILE_STRINGS)) {
    add(`form all = ${name}`, path, {
      headers: { "content-type": FORM_TYPE, referer: "http://[::1" },
      body: formOf(value).toString(),
    });
  }
  for (const name of ["script", "crlf", "loneHighSurrogate", "long"]) {
    add(`multipart all = ${name}`, path, { body: multipartOf(HOSTILE_STRINGS[name]) });
  }
  for (const [name, text] of Object.entries(HOSTILE_JSON)) {
    add(`json ${name}`, path, { headers: { "content-type": "application/json" }, body: text });
  }
  for (const type of HOSTILE_CONTENT_TYPES) {
    add(`content-type ${type}`, path, {
      headers: { "content-type": type },
      body: "a=%&b=%E0%A4%A&c[d][e]=1&&&=&" + "--zzz\r\nContent-Disposition: x\r\n\r\n",
    });
  }
  add("form invalid utf-8", path, { headers: { "content-type": FORM_TYPE }, body: INVALID_UTF8 });
  add("json invalid utf-8", path, {
    headers: { "content-type": "application/json" },
    body: new Uint8Array([...new TextEncoder().encode('{"s":"'), ...INVALID_UTF8, 0x22, 0x7d]),
  });
  add("no content-type", path, { body: "x" });
  add("huge form", path, {
    headers: { "content-type": FORM_TYPE },
    body: `email=${"a".repeat(3_000_000)}`,
  });
  return probes;
}

/** An answer of 500 or more: `METHOD /route [what] → status`. */
export type Failure = string;

/**
 * Sends every probe for one route as `caller` and answers the 5xx it got. Browser requests carry
 * the caller's cookies and CSRF token (so handlers, not the CSRF guard, meet the input); /api/v1
 * requests carry the Bearer key.
 */
export async function probeRoute(caller: Caller, route: HostileRoute): Promise<Failure[]> {
  const failures: Failure[] = [];
  const api = route.pattern.startsWith("/api/v1/");
  for (const probe of probesFor(route)) {
    const headers: Record<string, string> = { ...probe.init.headers };
    if (api && caller.apiKey) headers.authorization = `Bearer ${caller.apiKey}`;
    else if (probe.init.method !== "GET" && probe.init.method !== "HEAD") {
      headers["x-csrf-token"] = await caller.client.csrfToken();
    }
    let status: number;
    try {
      const res = await caller.client.fetch(probe.path, { ...probe.init, headers });
      status = res.status;
      await res.body?.cancel();
    } catch (e) {
      const message = (e as Error).message.slice(0, 200);
      failures.push(`${route.method} ${route.pattern} [${probe.what}] → ${message}`);
      continue;
    }
    if (status >= 500) {
      failures.push(`${route.method} ${route.pattern} [${probe.what}] → ${status}`);
    }
  }
  return failures;
}

/** Sends raw bytes as one HTTP/1.1 request and answers the status code of the reply. */
export async function rawRequest(app: TestApp, head: Uint8Array | string): Promise<number> {
  const { port } = app;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const bytes = typeof head === "string" ? new TextEncoder().encode(head) : head;
    await conn.write(bytes);
    const buf = new Uint8Array(64);
    let text = "";
    while (!text.includes("\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
    return m ? Number(m[1]) : 0;
  } finally {
    conn.close();
  }
}
