/** The background jobs every instance runs. */
import type { AppContext } from "../http/context.ts";
import type { Scheduler } from "./scheduler.ts";
import { refreshRollups } from "../db/rollups.ts";
import { rebuildHeatmapZones } from "../analytics/heatmaps.ts";
import { gatherStatistics, STATISTICS_INTERVAL_MS } from "../db/statistics.ts";
import { purgeDeletedSites } from "../accounts/site_deletion.ts";
import { scheduleRetention } from "./retention.ts";
import { registerRevenueJobs } from "../integrations/jobs.ts";
import { runScreenshots, SCREENSHOT_INTERVAL_MS, SCREENSHOT_JOB } from "./screenshots.ts";
import { runAllAutomations } from "../customers/automations.ts";
import { registerAlertJobs } from "./alerts.ts";
import { runImport } from "../imports/run.ts";
import { stopSignal } from "../integrations/background.ts";

export function registerJobs(ctx: AppContext, scheduler: Scheduler): void {
  // Plain PostgreSQL needs this for fresh numbers; TimescaleDB without background workers
  // (embedded) needs it to materialize, and it folds in late data everywhere.
  scheduler.every("rollups", 10_000, () => refreshRollups(ctx.db.sql, ctx.log));
  // Heatmap rollups are kept by local day: a site that changed its time zone gets them rebuilt.
  scheduler.every("heatmap-zones", 60_000, () => rebuildHeatmapZones(ctx.db.sql));
  // Deleted sites vanish at once; their analytics rows are removed here, in the background.
  scheduler.every(
    "purge-deleted-sites",
    60_000,
    () => purgeDeletedSites(ctx.db.sql, ctx.config.DATA_DIR),
  );
  scheduleRetention(scheduler, ctx.db.sql, ctx.log);
  registerRevenueJobs(ctx, scheduler);
  // The embedded database has no autovacuum, so nothing gathers planner statistics; without
  // them some reports pick plans that take minutes. A server's autovacuum does this itself.
  if (ctx.db.mode === "embedded") {
    scheduler.every("statistics", STATISTICS_INTERVAL_MS, () => gatherStatistics(ctx.db.sql));
  }
  // Heatmap screenshots: requested from the heatmap page (which wakes the job), refreshed weekly.
  scheduler.every(SCREENSHOT_JOB, SCREENSHOT_INTERVAL_MS, () =>
    runScreenshots({
      sql: ctx.db.sql,
      dataDir: ctx.config.DATA_DIR,
      chromiumPath: ctx.config.CHROMIUM_PATH,
      allowPrivate: ctx.config.OUTBOUND_ALLOW_PRIVATE,
      log: ctx.log,
    }));
  // Customer automations; each trigger event is claimed before acting, so instances never repeat.
  scheduler.every("customer-automations", 60_000, () => runAllAutomations(ctx));
  registerAlertJobs(ctx, scheduler);
  // Imports queued by an instance that stopped (or stopped between chunks) are taken up here.
  scheduler.every("imports", 15_000, () => runImport(ctx, undefined, stopSignal(ctx)));
}
