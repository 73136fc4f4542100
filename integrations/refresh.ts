/**
 * Subscription states for platforms that never say a subscription ended (Kajabi): every few hours
 * each connected integration's active subscriptions are read again from the platform, and what
 * changed (a deactivated purchase) is applied like a webhook's state, so MRR and churn follow.
 */
import type { AppContext } from "../http/context.ts";
import type { Integration } from "./store.ts";
import { platformFor } from "./platforms.ts";
import { applyChange, credentialsOf } from "./apply.ts";
import { MRR_STATUSES } from "../attribution/subscriptions.ts";
import { takeTurn } from "../jobs/turns.ts";

/** How often the job runs. */
export const REFRESH_EVERY_MS = 6 * 3_600_000;
/** The job's name. */
export const REFRESH_JOB = "subscription-refresh";
/** Subscriptions read per integration per run, picked at random so larger sets rotate. */
const BATCH = 200;

/** Reads again the active subscriptions of one integration; answers how many changed. */
export async function refreshIntegration(
  ctx: AppContext,
  integration: Integration,
): Promise<number> {
  const platform = platformFor(ctx.config, integration.provider);
  if (!platform.refresh || integration.status === "disconnected") return 0;
  const rows = await ctx.db.sql<{ subscription_id: string }[]>`
    select subscription_id from subscriptions
    where site_id = ${integration.site_id} and provider = ${integration.provider}
      and status = any(${[...MRR_STATUSES]}::text[])
    order by random() limit ${BATCH}`;
  if (rows.length === 0) return 0;
  const changes = await platform.refresh(
    await credentialsOf(ctx, integration),
    rows.map((r) => r.subscription_id),
  );
  for (const change of changes) await applyChange(ctx, integration, change, "webhook");
  return changes.length;
}

/** One run over every connected integration whose platform can refresh. */
export async function refreshSubscriptions(ctx: AppContext): Promise<void> {
  const integrations = await ctx.db.sql<Integration[]>`
    select * from integrations where status <> 'disconnected' order by id`;
  for (const i of integrations) {
    if (!platformFor(ctx.config, i.provider).refresh) continue;
    try {
      await refreshIntegration(ctx, i);
    } catch (e) {
      // One platform refusing must not keep the others from refreshing; the next run retries.
      ctx.log.warn("subscription refresh failed", {
        integration: i.id,
        error: (e as Error).message ?? String(e),
      });
    }
  }
}

/**
 * The job: every instance schedules it, one of them runs it per interval — each run calls the
 * platforms for every connected integration, so N instances must not make it N times the calls.
 */
export async function refreshSubscriptionsInTurn(ctx: AppContext): Promise<boolean> {
  if (!await takeTurn(ctx.db.sql, REFRESH_JOB, REFRESH_EVERY_MS)) return false;
  await refreshSubscriptions(ctx);
  return true;
}
