/**
 * Backfills: on connect, the last 30 days are fetched from the platform and recorded like
 * webhooks would have been, with progress the integrations page shows live ("Syncing 142
 * purchases… 45/142") and a summary at the end ("142 synced, 67 matched to visitors").
 */
import type { AppContext } from "../http/context.ts";
import { platformFor } from "./platforms.ts";
import { applyChange, credentialsOf } from "./apply.ts";
import {
  claimSync,
  findIntegration,
  finishSync,
  saveSyncProgress,
  setStatus,
  type Sync,
} from "./store.ts";
import { runInBackground, stopSignal } from "./background.ts";
import { AccessLost, type PlatformChange } from "./types.ts";

/** Days fetched when a platform is connected. */
export const BACKFILL_DAYS = 30;
const PROGRESS_EVERY_MS = 250;

/** Runs one claimed backfill to the end (or until the instance stops). */
export async function runSync(
  ctx: AppContext,
  sync: Sync,
  signal = stopSignal(ctx),
): Promise<void> {
  const integration = await findIntegration(ctx.db.sql, sync.integration_id);
  if (!integration || integration.status === "disconnected") {
    await finishSync(ctx.db.sql, sync.id, "failed", "The integration was disconnected.");
    return;
  }
  const sql = ctx.db.sql;
  await setStatus(sql, integration.id, "syncing");
  try {
    const creds = await credentialsOf(ctx, integration);
    const platform = platformFor(ctx.config, integration.provider);
    await saveSyncProgress(sql, sync.id, { phase: "listing", total: 0, processed: 0 });
    const changes = await platform.backfill(creds, sync.days, {
      listed: (n) => saveSyncProgress(sql, sync.id, { phase: "listing", total: n }),
    });
    // Progress counts what the owner calls purchases: charges and refunds.
    const counted = (c: PlatformChange) => c.type === "purchase" || c.type === "refund_total";
    const total = changes.filter(counted).length;
    await saveSyncProgress(sql, sync.id, { phase: "syncing", total, processed: 0 });
    let processed = 0;
    let synced = 0;
    let matched = 0;
    let savedAt = 0;
    for (const change of changes) {
      if (signal.aborted) return; // Left "running": another instance resumes it once stale.
      const outcome = await applyChange(ctx, integration, change, "backfill");
      if (counted(change)) processed++;
      if (outcome) {
        synced++;
        if (outcome.purchase.match_method !== "none") matched++;
      }
      if (Date.now() - savedAt > PROGRESS_EVERY_MS) {
        savedAt = Date.now();
        await saveSyncProgress(sql, sync.id, { processed, synced, matched });
      }
    }
    await saveSyncProgress(sql, sync.id, { processed, synced, matched });
    await finishSync(sql, sync.id, "done");
    await setStatus(sql, integration.id, "connected");
    ctx.log.info("backfill finished", { integration: integration.id, synced, matched });
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    await finishSync(sql, sync.id, "failed", message);
    await setStatus(
      sql,
      integration.id,
      "error",
      // Lost access is the state to fix, whatever Sextant was doing when it was refused.
      e instanceof AccessLost
        ? message
        : `The sync of the last ${sync.days} days failed: ${message}`,
    );
    ctx.log.warn("backfill failed", { integration: integration.id, error: message });
  }
}

/** Starts a queued backfill now, in the background. */
export function startSync(ctx: AppContext, syncId: number): Promise<void> {
  return runInBackground(ctx, "backfill", async (signal) => {
    const sync = await claimSync(ctx.db.sql, syncId);
    if (sync) await runSync(ctx, sync, signal);
  });
}

/** Runs backfills nobody is running (queued, or stalled by a stopped instance). */
export async function runPendingSyncs(ctx: AppContext): Promise<number> {
  let n = 0;
  for (let sync = await claimSync(ctx.db.sql); sync; sync = await claimSync(ctx.db.sql)) {
    await runSync(ctx, sync);
    n++;
    if (stopSignal(ctx).aborted) break;
  }
  return n;
}
