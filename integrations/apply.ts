/** Hands what a platform reported to attribution: purchases and subscription states. */
import type { AppContext } from "../http/context.ts";
import {
  announcePurchase,
  normalizeInput,
  type RecordOutcome,
  recordPurchase,
  storePurchase,
} from "../attribution/record.ts";
import type { Sql } from "../db/connect.ts";
import { applySubscriptionState } from "../attribution/subscriptions.ts";
import { recordPaymentFailure } from "../attribution/payment_failures.ts";
import { platformDescription } from "./platforms.ts";
import type { CredentialFields, Credentials, PlatformChange, RefundTotal } from "./types.ts";
import { type Integration, saveCredentials, setStatus } from "./store.ts";
import { Invalid } from "../lib/errors.ts";
import { recordEnrollment } from "../customers/enrollments.ts";

/** Applies one change for the integration's site; answers the purchase outcome when there is one. */
export async function applyChange(
  ctx: AppContext,
  integration: Integration,
  change: PlatformChange,
  origin: "webhook" | "backfill",
): Promise<RecordOutcome | null> {
  if (change.type === "purchase") {
    return await recordPurchase(ctx, { ...change.purchase, siteId: integration.site_id, origin });
  }
  if (change.type === "refund_total") {
    return await recordRefundTotal(ctx, integration, change.refund, origin);
  }
  if (change.type === "enrollment") {
    await recordEnrollment(ctx.db.sql, {
      ...change.enrollment,
      siteId: integration.site_id,
      provider: integration.provider,
    });
    return null;
  }
  if (change.type === "payment_failed") {
    await recordPaymentFailure(ctx.db.sql, {
      ...change.failure,
      siteId: integration.site_id,
      provider: integration.provider,
    });
    return null;
  }
  await applySubscriptionState(ctx, {
    ...change.subscription,
    siteId: integration.site_id,
    provider: integration.provider,
  }, { failuresReported: reportsEachFailure(integration.provider) });
  return null;
}

/** Whether the platform sends every failed payment as its own event. */
function reportsEachFailure(provider: string): boolean {
  return platformDescription(provider)?.failedPayments === "each";
}

/**
 * Records the part of a running refund total not yet recorded, keyed by the total so the same
 * report twice stores one refund. Null when nothing new was refunded. Totals of one sale are
 * compared and stored one at a time: two at once (a webhook and a backfill page) would each see
 * nothing refunded yet and store both differences.
 */
async function recordRefundTotal(
  ctx: AppContext,
  integration: Integration,
  r: RefundTotal,
  origin: "webhook" | "backfill",
): Promise<RecordOutcome | null> {
  const prefix = `${r.saleKey}:refunded:`;
  const key = `${prefix}${r.totalMinor}`;
  const lock = `refund-total|${integration.site_id}|${integration.provider}|${r.saleKey}`;
  const stored = await ctx.db.sql.begin(async (txRaw) => {
    const tx = txRaw as unknown as Sql;
    await tx`select pg_advisory_xact_lock(hashtextextended(${lock}, 0))`;
    const [done] = await tx<{ n: number; seen: boolean }[]>`
      select coalesce(sum(abs(amount_minor)), 0)::bigint::float8 as n,
        bool_or(provider_event_id = ${key}) as seen
      from purchases
      where site_id = ${integration.site_id} and provider = ${integration.provider}
        and kind = 'refund' and starts_with(provider_event_id, ${prefix})`;
    const delta = r.totalMinor - Number(done?.n ?? 0);
    if (done?.seen || delta <= 0) return null;
    const input = normalizeInput({
      siteId: integration.site_id,
      provider: integration.provider,
      key,
      ts: r.ts,
      kind: "refund",
      amountMinor: -delta,
      currency: r.currency,
      orderId: r.orderId,
      email: r.email,
      refundOf: { key: r.saleKey },
      origin,
    });
    return { input, outcome: await storePurchase(tx, input) };
  });
  if (!stored) return null;
  await announcePurchase(ctx, stored.input, stored.outcome);
  return stored.outcome;
}

/** Seals credential fields for the integrations row. */
export function sealCredentials(ctx: AppContext, fields: CredentialFields): Promise<string> {
  return ctx.secrets.encrypt(JSON.stringify(fields));
}

/** Reads sealed credentials; rows stored before named fields hold the bare API key. */
export async function openCredentials(ctx: AppContext, sealed: string): Promise<CredentialFields> {
  const text = await ctx.secrets.decrypt(sealed);
  if (!text.startsWith("{")) return { apiKey: text };
  const parsed = JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

/** See `Credentials.renew`: the lock and the fresh read make the second of two renewals a read. */
async function renewOneAtATime(
  ctx: AppContext,
  id: number,
  held: CredentialFields,
  trade: (current: CredentialFields) => Promise<CredentialFields | null>,
): Promise<CredentialFields | null> {
  return await ctx.db.sql.begin(async (txRaw) => {
    const tx = txRaw as unknown as Sql;
    await tx`select pg_advisory_xact_lock(hashtextextended(${`renew-credentials|${id}`}, 0))`;
    const [row] = await tx<{ api_key_enc: string | null }[]>`
      select api_key_enc from integrations where id = ${id} and status <> 'disconnected'`;
    if (!row?.api_key_enc) return null;
    const stored = await openCredentials(ctx, row.api_key_enc);
    if (stored.refreshToken !== held.refreshToken) return stored;
    const next = await trade(stored);
    if (next) await saveCredentials(tx, id, await sealCredentials(ctx, next));
    return next;
  });
}

/** The integration's decrypted credentials; Invalid when it is not connected. */
export async function credentialsOf(
  ctx: AppContext,
  integration: Integration,
): Promise<Credentials> {
  if (!integration.api_key_enc) {
    throw new Invalid("integration", "This integration is disconnected. Connect it again first.");
  }
  return {
    fields: await openCredentials(ctx, integration.api_key_enc),
    webhookSecret: integration.webhook_secret_enc
      ? await ctx.secrets.decrypt(integration.webhook_secret_enc)
      : null,
    renew: (held, trade) => renewOneAtATime(ctx, integration.id, held, trade),
    lost: (sentence) => setStatus(ctx.db.sql, integration.id, "error", sentence),
  };
}
