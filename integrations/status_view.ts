/** The connection status the integrations page shows and its island polls, as plain JSON. */
import type { Integration, Sync } from "./store.ts";

export interface SyncView {
  status: Sync["status"];
  phase: Sync["phase"];
  days: number;
  total: number;
  processed: number;
  synced: number;
  matched: number;
  error: string;
  /** ISO time. */
  finishedAt: string | null;
}

export interface StatusView {
  /** connected | syncing | error | disconnected */
  status: Integration["status"];
  lastError: string;
  /** ISO time. */
  lastErrorAt: string | null;
  sync: SyncView | null;
}

/** Builds the view from stored rows. */
export function statusView(integration: Integration, sync: Sync | null): StatusView {
  return {
    status: integration.status,
    lastError: integration.last_error,
    lastErrorAt: integration.last_error_at?.toISOString() ?? null,
    sync: sync
      ? {
        status: sync.status,
        phase: sync.phase,
        days: sync.days,
        total: sync.total,
        processed: sync.processed,
        synced: sync.synced,
        matched: sync.matched,
        error: sync.error,
        finishedAt: sync.finished_at?.toISOString() ?? null,
      }
      : null,
  };
}

/** The sentence for a backfill's progress or outcome. */
export function syncSentence(s: SyncView): string {
  const n = (x: number, one: string, many: string) =>
    `${x.toLocaleString("en-US")} ${x === 1 ? one : many}`;
  if (s.status === "queued") return `Waiting to sync the last ${s.days} days…`;
  if (s.status === "running" && s.phase === "listing") {
    return s.total > 0
      ? `Finding purchases from the last ${s.days} days… ${n(s.total, "found", "found")}`
      : `Finding purchases from the last ${s.days} days…`;
  }
  if (s.status === "running") {
    return `Syncing ${n(s.total, "purchase", "purchases")}… ${s.processed}/${s.total}`;
  }
  if (s.status === "failed") return `The sync stopped: ${s.error}`;
  if (s.synced === 0) {
    return `No purchases in the last ${s.days} days; new ones arrive as they happen.`;
  }
  return `${s.synced.toLocaleString("en-US")} synced, ${
    s.matched.toLocaleString("en-US")
  } matched to visitors`;
}
