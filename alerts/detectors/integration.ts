/**
 * Integration trouble: a payment platform whose webhooks keep failing their signature check, or
 * whose sync ended in an error. Judged from the integrations' own state, not the rollups.
 */
import type { Sql } from "../../db/connect.ts";
import { type Judgement, unknown } from "./types.ts";
import { platformName } from "../../integrations/platforms.ts";

/** Consecutive rejected signatures that count as trouble (one stray forgery does not). */
export const SIGNATURE_ALERT_AFTER = 5;

/** Trouble with any of the site's connected platforms, or normal. */
export async function integrationTrouble(
  sql: Sql,
  siteId: number,
  now: number,
): Promise<Judgement> {
  const rows = await sql<
    { provider: string; status: string; last_error: string; signature_failures: number }[]
  >`
    select provider, status, last_error, signature_failures from integrations
    where site_id = ${siteId} and status <> 'disconnected'
    order by provider`;
  if (rows.length === 0) return unknown(now, now);
  const problems = rows.flatMap((r) => {
    const name = platformName(r.provider);
    const out: string[] = [];
    if (r.signature_failures >= SIGNATURE_ALERT_AFTER) {
      out.push(
        `${name} webhooks to Sextant are being rejected: Sextant rejected ${r.signature_failures}` +
          " webhook deliveries in a row because their signature didn't check out. If you rolled " +
          `the webhook signing secret in ${name}, paste the new one on the site's integrations ` +
          "page; if you did not, someone may be sending forged events.",
      );
    }
    if (r.status === "error") {
      out.push(`${name} stopped syncing: ${r.last_error || "the last sync failed"}.`);
    }
    return out;
  });
  const failures = rows.reduce((n, r) => n + r.signature_failures, 0);
  return {
    state: problems.length ? "anomalous" : "normal",
    periodStart: now,
    periodEnd: now,
    actual: failures,
    expected: 0,
    lower: 0,
    upper: SIGNATURE_ALERT_AFTER - 1,
    summary: problems.length
      ? problems.join(" ")
      : "Payment integrations are working again: webhooks are accepted and syncs succeed.",
  };
}
