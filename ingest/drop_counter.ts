/** Counts dropped events in memory and adds them to `ingest_drops` now and then. */
import type { Sql } from "../db/connect.ts";
import { addDrops } from "./store.ts";
import type { DropReason } from "./types.ts";

export class DropCounter {
  #pending = new Map<string, number>();

  /** Adds a batch's drops for a site. */
  add(siteId: number, drops: Partial<Record<DropReason, number>>, now: number): void {
    const day = new Date(now).toISOString().slice(0, 10);
    for (const [reason, n] of Object.entries(drops)) {
      if (!n) continue;
      const key = `${siteId}|${day}|${reason}`;
      this.#pending.set(key, (this.#pending.get(key) ?? 0) + n);
    }
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
