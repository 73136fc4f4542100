/** Revenue's background jobs: tracker purchases, webhook retries, stalled backfills, re-matching. */
import type { AppContext } from "../http/context.ts";
import type { Scheduler } from "../jobs/scheduler.ts";
import { recordTrackerRevenue } from "../attribution/tracker_revenue.ts";
import { TRACKER_REVENUE_JOB } from "../jobs/names.ts";
import { rematchPending } from "../attribution/rematch.ts";
import { retryDueDeliveries } from "./webhooks.ts";
import { claimSync } from "./store.ts";
import { runSync } from "./sync.ts";
import { runInBackground } from "./background.ts";
import { REFRESH_EVERY_MS, REFRESH_JOB, refreshSubscriptionsInTurn } from "./refresh.ts";

/** Schedules the jobs on this instance. */
export function registerRevenueJobs(ctx: AppContext, scheduler: Scheduler): void {
  // The ingest writer wakes this job when it stores revenue events; the interval catches events
  // stored while the job was not running here (another instance's writer, a restart).
  scheduler.every(TRACKER_REVENUE_JOB, 5_000, () => recordTrackerRevenue(ctx));
  scheduler.every("webhook-retries", 5_000, () => retryDueDeliveries(ctx));
  scheduler.every("revenue-rematch", 30_000, () => rematchPending(ctx));
  scheduleSubscriptionRefresh(ctx, scheduler);
  // A backfill queued by an instance that stopped, or stalled, is picked up here.
  scheduler.every("integration-syncs", 15_000, async () => {
    const sync = await claimSync(ctx.db.sql);
    if (sync) runInBackground(ctx, "backfill", (signal) => runSync(ctx, sync, signal));
  });
}

/** The 6-hourly subscription refresh; instances take turns, so it runs once per interval. */
export function scheduleSubscriptionRefresh(ctx: AppContext, scheduler: Scheduler): void {
  scheduler.every(REFRESH_JOB, REFRESH_EVERY_MS, () => refreshSubscriptionsInTurn(ctx));
}
