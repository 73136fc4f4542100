/** Counts dropped events in memory and adds them to `ingest_drops` now and then. */
import type { Sql } from "../db/connect.ts";
import { addDrops } from "./store.ts";
import type { DropReason } from "./types.ts";

export class DropCounter {
  #pending = new Map<string, number>();
  /** Per site, every drop this instance counted since it started (never flushed away). */
  #seen = new Map<number, Partial<Record<DropReason, number>>>();

  /** Adds a batch's drops for a site. */
  add(siteId: number, drops: Partial<Record<DropReason, number>>, now: number): void {
    const day = new Date(now).toISOString().slice(0, 10);
    const seen = this.#seen.get(siteId) ?? {};
    this.#seen.set(siteId, seen);
    for (const [reason, n] of Object.entries(drops) as Array<[DropReason, number]>) {
      if (!n) continue;
      seen[reason] = (seen[reason] ?? 0) + n;
      const key = `${siteId}|${day}|${reason}`;
      this.#pending.set(key, (this.#pending.get(key) ?? 0) + n);
    }
  }

  /** This instance's running drop totals for a site, by reason (a copy). */
  seen(siteId: number): Partial<Record<DropReason, number>> {
    return { ...this.#seen.get(siteId) };
  }

  /** Counts for a site not yet written to the database, by reason. */
  pendingFor(siteId: number): Partial<Record<DropReason, number>> {
    const out: Partial<Record<DropReason, number>> = {};
    for (const [key, n] of this.#pending) {
      const [site, , reason] = key.split("|");
      if (Number(site) === siteId) out[reason as DropReason] = (out[reason as DropReason] ?? 0) + n;
    }
    return out;
  }

  /** Writes what was counted since the last flush; on failure keeps it for the next one. */
  async flush(sql: Sql): Promise<void> {
    if (this.#pending.size === 0) return;
    const taken = this.#pending;
    this.#pending = new Map();
    const rows = [...taken].map(([key, count]) => {
      const [site, day, reason] = key.split("|");
      return { site_id: Number(site), day, reason, count };
    });
    try {
      await addDrops(sql, rows);
    } catch (e) {
      for (const [k, n] of taken) this.#pending.set(k, (this.#pending.get(k) ?? 0) + n);
      throw e;
    }
  }
}
