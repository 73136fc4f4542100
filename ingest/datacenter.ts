/**
 * Datacenter hint: is an IPv4 address announced by a cloud or hosting provider? Browsing
 * people do not live in AWS; scrapers and headless fleets do. Ranges come from the offline
 * IP-to-ASN table shipped in an npm package; only the providers below are kept in memory.
 * VPN providers are deliberately absent: their users are people.
 */
import { Lru } from "./lru.ts";
import { ipv4ToNumber } from "./ip.ts";

/** Autonomous systems of cloud compute and hosting providers. */
export const HOSTING_ASNS: ReadonlyMap<number, string> = new Map([
  [16509, "Amazon AWS"],
  [14618, "Amazon AWS"],
  [396982, "Google Cloud"],
  [8075, "Microsoft Azure"],
  [14061, "DigitalOcean"],
  [24940, "Hetzner"],
  [16276, "OVH"],
  [63949, "Akamai Linode"],
  [20473, "Vultr"],
  [31898, "Oracle Cloud"],
  [45102, "Alibaba Cloud"],
  [132203, "Tencent Cloud"],
  [12876, "Scaleway"],
  [51167, "Contabo"],
  [60781, "Leaseweb"],
  [8560, "IONOS"],
  [47583, "Hostinger"],
  [36352, "ColoCrossing"],
]);

const TABLE = new URL("../node_modules/@ip-location-db/asn/asn-ipv4-num.csv", import.meta.url);

let starts: Float64Array | null = null;
let ends: Float64Array | null = null;
let loading: Promise<number> | null = null;
const cache = new Lru<string, boolean>(20_000);

/**
 * Loads the provider ranges in the background (the table is large: parsing yields to the event
 * loop every few thousand lines). Until it is done, no address is flagged.
 */
export function warmDatacenters(): Promise<number> {
  loading ??= (async () => {
    let text: string;
    try {
      text = await Deno.readTextFile(TABLE);
    } catch {
      return 0; // Without the table there is no hint; nothing else changes.
    }
    const s: number[] = [];
    const e: number[] = [];
    let at = 0;
    let lines = 0;
    while (at < text.length) {
      let nl = text.indexOf("\n", at);
      if (nl < 0) nl = text.length;
      const c1 = text.indexOf(",", at);
      const c2 = text.indexOf(",", c1 + 1);
      const c3 = text.indexOf(",", c2 + 1);
      if (c1 > at && c2 > c1 && c2 < nl) {
        const asn = Number(text.slice(c2 + 1, c3 > c2 && c3 < nl ? c3 : nl));
        if (HOSTING_ASNS.has(asn)) {
          s.push(Number(text.slice(at, c1)));
          e.push(Number(text.slice(c1 + 1, c2)));
        }
      }
      at = nl + 1;
      if (++lines % 20_000 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    // The table is sorted by range start; binary search relies on that order.
    ends = Float64Array.from(e);
    starts = Float64Array.from(s);
    cache.clear();
    return s.length;
  })();
  return loading;
}

/** True when the IPv4 address belongs to a cloud or hosting provider (IPv6: never). */
export function isDatacenterIp(ip: string): boolean {
  if (!starts) {
    warmDatacenters();
    return false;
  }
  const hit = cache.get(ip);
  if (hit !== undefined) return hit;
  const n = ipv4ToNumber(ip);
  let found = false;
  if (n !== null && ends) {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= n) {
        if (n <= ends[mid]) {
          found = true;
          break;
        }
        lo = mid + 1;
      } else hi = mid - 1;
    }
  }
  cache.set(ip, found);
  return found;
}
