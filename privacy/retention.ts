/**
 * Data retention: each site keeps visitor data for its chosen number of days (two years unless
 * the owner picks otherwise), and raw webhook bodies for 30 days. Applied by jobs/retention.ts.
 */
import type { Sql } from "../db/connect.ts";
import type { ReservedSql } from "../db/session_lock.ts";
import { randomToken } from "../lib/crypto.ts";
import { dropOldRefusedBatches, dropOldWebhookBodies, siteRetentions, trimSite } from "./store.ts";

/** Days visitor data is kept when a site has not chosen (sites.retention_days is null). */
export const DEFAULT_RETENTION_DAYS = 730;

/** Days a webhook delivery's raw body is kept; enough to retry, inspect and replay it. */
export const WEBHOOK_BODY_RETENTION_DAYS = 30;

/**
 * Days a batch the database refused is kept in ingest_rejects for an operator to inspect; its
 * raw payload holds visitor ids and pages, so it does not stay longer than a webhook body.
 */
export const REFUSED_BATCH_RETENTION_DAYS = 30;

/** The choices of the settings page: the value stored ("" for the default) and its label. */
export const RETENTION_CHOICES: [string, string][] = [
  ["30", "30 days"],
  ["90", "90 days"],
  ["180", "6 months"],
  ["365", "1 year"],
  ["", "2 years (default)"],
  ["1095", "3 years"],
  ["1825", "5 years"],
];

/** Rows removed or stripped of personal data, per table, summed over sites. */
export type RetentionCounts = Record<string, number>;

/** Applies every site's retention once; idempotent, so a second run finds nothing. */
export async function applyRetention(conn: Sql | ReservedSql): Promise<RetentionCounts> {
  const totals: RetentionCounts = {};
  const add = (counts: Record<string, number>) => {
    for (const [k, n] of Object.entries(counts)) totals[k] = (totals[k] ?? 0) + n;
  };
  const salt = randomToken(16);
  for (const site of await siteRetentions(conn, DEFAULT_RETENTION_DAYS)) {
    add(await trimSite(conn, site.id, site.days, salt));
    add({
      webhook_bodies: await dropOldWebhookBodies(conn, site.id, WEBHOOK_BODY_RETENTION_DAYS),
    });
  }
  add({ ingest_rejects: await dropOldRefusedBatches(conn, REFUSED_BATCH_RETENTION_DAYS) });
  return totals;
}
