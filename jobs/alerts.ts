/**
 * Alert jobs: evaluation of every site's rules every few minutes, and the Slack/webhook delivery
 * loop. Evaluation reads every active site's rollups, so instances take turns (`takeTurn`) and
 * it runs once per interval. Should two evaluate at once anyway, opening an incident and claiming
 * a delivery are single statements guarded by unique indexes and SKIP LOCKED: nothing is sent
 * twice.
 */
import type { AppContext } from "../http/context.ts";
import type { Scheduler } from "./scheduler.ts";
import { evaluateAll } from "../alerts/evaluate.ts";
import { ALERT_DELIVERY_JOB, deliverDue } from "../alerts/deliver.ts";
import { sendDueDigests } from "../digests/schedule.ts";
import { takeTurn } from "./turns.ts";

/** How often rules are evaluated: well inside the 15 minutes an anomaly may take to be told. */
export const ALERT_EVALUATION_MS = 5 * 60_000;
/** The evaluation job's name. */
export const ALERT_EVALUATION_JOB = "alerts";

/** Schedules alert evaluation and delivery on this instance. */
export function registerAlertJobs(ctx: AppContext, scheduler: Scheduler): void {
  scheduler.every(ALERT_EVALUATION_JOB, ALERT_EVALUATION_MS, async () => {
    if (await takeTurn(ctx.db.sql, ALERT_EVALUATION_JOB, ALERT_EVALUATION_MS)) {
      await evaluateAll(ctx);
    }
  });
  scheduler.every(ALERT_DELIVERY_JOB, 15_000, () => deliverDue(ctx));
  // Digests go out within a few minutes of their local hour; the period claim sends each once.
  scheduler.every("digests", 5 * 60_000, () => sendDueDigests(ctx));
}
