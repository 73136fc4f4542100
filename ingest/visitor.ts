/**
 * Step: identify the visitor. Normally the tracker's first-party id (localStorage + cookie) or
 * the API caller's id. In cookieless mode — or when the browser keeps no storage — the id is a
 * hash of a daily salt, the site, the IP and the user agent: stable for a day, unlinkable after
 * the salt is forgotten. Yesterday's hash is offered too, so a visit crossing midnight stays one.
 */
import { createHash } from "node:crypto";
import type { Sql } from "../db/connect.ts";
import { randomToken } from "../lib/crypto.ts";
import type { Batch } from "./types.ts";
import { isoTime } from "../lib/iso_time.ts";

export interface DailySalts {
  today: string;
  yesterday: string | null;
}

/** Where the salts come from (the database in production). */
export interface SaltSource {
  current(now: number): Promise<DailySalts>;
}

const DAY = 86_400_000;
const isoDay = (ms: number) => isoTime(ms).slice(0, 10);

/** Salts kept in `ingest_salts`; each day's is created once, older ones deleted. */
export class DatabaseSalts implements SaltSource {
  #day = "";
  #salts: DailySalts | null = null;
  #loading: Promise<DailySalts> | null = null;

  constructor(private readonly sql: Sql) {}

  current(now: number): Promise<DailySalts> {
    const day = isoDay(now);
    if (this.#salts && this.#day === day) return Promise.resolve(this.#salts);
    this.#loading ??= this.#load(now, day).finally(() => this.#loading = null);
    return this.#loading;
  }

  async #load(now: number, day: string): Promise<DailySalts> {
    const yesterday = isoDay(now - DAY);
    await this.sql`
      insert into ingest_salts (day, salt) values (${day}, ${randomToken(32)})
      on conflict (day) do nothing`;
    const rows = await this.sql<{ day: string; salt: string }[]>`
      select to_char(day, 'YYYY-MM-DD') as day, salt from ingest_salts
      where day in (${day}, ${yesterday})`;
    // Forgetting old salts is what makes old cookieless ids anonymous.
    await this.sql`delete from ingest_salts where day < ${yesterday}`;
    const byDay = new Map(rows.map((r) => [r.day, r.salt]));
    this.#salts = { today: byDay.get(day)!, yesterday: byDay.get(yesterday) ?? null };
    this.#day = day;
    return this.#salts;
  }
}

/** The cookieless visitor id for one salt; 22 URL-safe characters. */
export function cookielessId(salt: string, siteId: number, ip: string, userAgent: string): string {
  return createHash("sha256").update(`${salt}\u0000${siteId}\u0000${ip}\u0000${userAgent}`)
    .digest("base64url").slice(0, 22);
}

/** Sets visitorId (or cookieless candidates) on each event. */
export async function identifyVisitor(batch: Batch, salts: SaltSource): Promise<void> {
  let daily: DailySalts | null = null;
  for (const e of batch.events) {
    if (e.clientVisitorId && !(batch.site.cookieless && batch.req.via === "tracker")) {
      e.visitorId = e.clientVisitorId;
      continue;
    }
    daily ??= await salts.current(batch.req.now);
    const today = cookielessId(daily.today, batch.site.id, e.ip, e.userAgent);
    e.visitorId = today;
    e.visitorCandidates = daily.yesterday
      ? [today, cookielessId(daily.yesterday, batch.site.id, e.ip, e.userAgent)]
      : [today];
  }
}
