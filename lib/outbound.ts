/**
 * Outbound requests a user can aim (screenshots, Slack and webhook URLs, automations) must not
 * reach this server's own network: loopback, private, link-local, carrier-grade NAT or cloud
 * metadata addresses. Every hop of a redirect is checked again. Tests and trusted self-hosted
 * networks can allow private addresses with OUTBOUND_ALLOW_PRIVATE.
 *
 * The name is resolved here and again by fetch, so a DNS answer that changes in between (DNS
 * rebinding) is not fully excluded; pinning the address would break TLS name checks for the
 * plain fetch API, and the answers we check are the ones a rebinding host must serve first.
 */

/** The URL may not be fetched; the message says why in words a person understands. */
export class OutboundRefused extends Error {
  override name = "OutboundRefused";
}

export interface OutboundOptions {
  /** Allow loopback and private addresses (tests, trusted networks). */
  allowPrivate?: boolean;
  /** host:port pairs allowed whatever they resolve to (a local fake in a test); others are checked. */
  allowHosts?: string[];
  /** Gives up after this long, redirects included. */
  timeoutMs?: number;
  /** How many redirects to follow, each checked again. */
  maxRedirects?: number;
}

function v4Parts(ip: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function privateV4([a, b, c]: number[]): boolean {
  return a === 0 || a === 10 || a === 127 || a >= 224 || // this network, private, loopback, multicast+
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && c === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)); // benchmarking
}

/** Expands an IPv6 address to its eight 16-bit groups; null when it isn't one. */
function v6Groups(ip: string): number[] | null {
  let text = ip.replace(/^\[|\]$/g, "").split("%")[0].toLowerCase();
  const tail = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  if (tail) {
    const p = v4Parts(tail[1]);
    if (!p) return null;
    text = text.slice(0, -tail[1].length) +
      ((p[0] << 8) | p[1]).toString(16) + ":" + ((p[2] << 8) | p[3]).toString(16);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return null;
  const groups = [...head, ...Array(fill).fill("0"), ...rest];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

/** True for addresses outbound requests must not reach (and for anything that isn't an IP). */
export function isPrivateAddress(ip: string): boolean {
  const v4 = v4Parts(ip);
  if (v4) return privateV4(v4);
  const g = v6Groups(ip);
  if (!g) return true;
  const embeddedV4 = [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255];
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, which also covers :: and ::1).
    return g[5] === 0 && g[6] === 0 && g[7] <= 1 ? true : privateV4(embeddedV4);
  }
  if (g[0] === 0x64 && g[1] === 0xff9b) return privateV4(embeddedV4); // NAT64
  return (g[0] & 0xfe00) === 0xfc00 || // unique local
    (g[0] & 0xffc0) === 0xfe80 || // link-local
    (g[0] & 0xff00) === 0xff00 || // multicast
    (g[0] === 0x2001 && g[1] === 0x0db8); // documentation
}

async function addressesOf(host: string): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, "");
  if (v4Parts(bare) || v6Groups(bare)) return [bare];
  if (bare === "localhost" || bare.endsWith(".localhost")) return ["127.0.0.1", "::1"];
  const found: string[] = [];
  for (const type of ["A", "AAAA"] as const) {
    try {
      found.push(...await Deno.resolveDns(bare, type));
    } catch {
      // One family missing is normal; none at all is reported below.
    }
  }
  return found;
}

/**
 * Parses and checks a URL a user gave us: http(s) only, and every address its host resolves to
 * must be public unless `allowPrivate`. Returns the parsed URL or throws OutboundRefused.
 */
export async function checkOutboundUrl(raw: string, opts: OutboundOptions = {}): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefused("That isn't a web address (it should start with https://).");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OutboundRefused("Only http:// and https:// addresses can be used.");
  }
  if (opts.allowPrivate || opts.allowHosts?.includes(url.host)) return url;
  const addresses = await addressesOf(url.hostname);
  if (addresses.length === 0) {
    throw new OutboundRefused(`${url.hostname} could not be found (no DNS record).`);
  }
  if (addresses.some(isPrivateAddress)) {
    throw new OutboundRefused(
      `${url.hostname} points to a private or local network address, which Sextant doesn't contact.`,
    );
  }
  return url;
}

/**
 * fetch for user-aimed URLs: checks the URL, follows redirects by hand checking each hop, and
 * gives up after `timeoutMs`. Throws OutboundRefused for a refused hop, or fetch's own errors.
 */
export async function guardedFetch(
  raw: string,
  init: RequestInit = {},
  opts: OutboundOptions = {},
): Promise<Response> {
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
  let url = await checkOutboundUrl(raw, opts);
  let request: RequestInit = { ...init, redirect: "manual", signal };
  for (let hop = 0;; hop++) {
    const res = await fetch(url, request);
    const location = res.headers.get("location");
    if (res.status < 300 || res.status > 399 || !location) return res;
    await res.body?.cancel();
    if (hop >= (opts.maxRedirects ?? 3)) {
      throw new OutboundRefused(`${url.hostname} redirected too many times.`);
    }
    url = await checkOutboundUrl(new URL(location, url).toString(), opts);
    // As browsers do: 303, and 301/302 after POST, continue as GET without the body.
    if (
      res.status === 303 || ((res.status === 301 || res.status === 302) && init.method === "POST")
    ) {
      request = { ...request, method: "GET", body: undefined };
    }
  }
}
