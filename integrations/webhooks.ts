/**
 * Incoming platform webhooks: verify the signature, store the delivery raw, process it
 * idempotently, retry failures with backoff (three attempts in all), replay on request.
 */
import type { AppContext } from "../http/context.ts";
import { platformFor } from "./platforms.ts";
import { MalformedWebhook, PlatformError, SignatureError } from "./types.ts";
import { applyChange, credentialsOf } from "./apply.ts";
import {
  claimDueDeliveries,
  countSignatureFailure,
  type Delivery,
  findDelivery,
  findIntegration,
  insertDelivery,
  insertMalformedDelivery,
  type Integration,
  noteVerifiedDelivery,
  saveAttempt,
  setStatus,
} from "./store.ts";
import { evaluateSite } from "../alerts/evaluate.ts";
import { SIGNATURE_ALERT_AFTER } from "../alerts/detectors/integration.ts";
import { Invalid } from "../lib/errors.ts";
import { tokenMatches } from "./connection.ts";

/** Attempts in all, and the waits between them. */
export const MAX_ATTEMPTS = 3;
export const RETRY_DELAYS_MS = [30_000, 120_000];
/** Consecutive bad signatures before the owner is told. */
export { SIGNATURE_ALERT_AFTER };
/** Largest body accepted. */
export const MAX_BODY_BYTES = 1_000_000;

export interface WebhookAnswer {
  status: 200 | 400 | 404 | 413 | 500;
  body: { received?: boolean; duplicate?: boolean; error?: string };
}

/**
 * Handles one delivery to /api/webhooks/:provider/:integrationId[/:token]; `urlToken` is the
 * last segment for platforms that sign nothing.
 */
export async function receiveWebhook(
  ctx: AppContext,
  provider: string,
  integrationId: number,
  rawBody: string,
  headers: Headers,
  urlToken = "",
): Promise<WebhookAnswer> {
  const integration = await findIntegration(ctx.db.sql, integrationId);
  if (!integration || integration.provider !== provider || integration.status === "disconnected") {
    return { status: 404, body: { error: "There is no connected integration at this address." } };
  }
  if (new TextEncoder().encode(rawBody).length > MAX_BODY_BYTES) {
    return { status: 413, body: { error: "That webhook body is too large." } };
  }
  if (!integration.webhook_secret_enc) {
    ctx.log.warn("webhook refused: no signing secret", { integration: integration.id });
    return {
      status: 400,
      body: { error: "This endpoint has no signing secret yet; add it on the integrations page." },
    };
  }
  const platform = platformFor(ctx.config, provider);
  let event;
  try {
    if (platform.webhook.proof === "url_token" && !await tokenMatches(ctx, integration, urlToken)) {
      throw new SignatureError("The webhook address's secret token is missing or wrong.");
    }
    const secret = await ctx.secrets.decrypt(integration.webhook_secret_enc);
    const fields = platform.webhook.proof === "url_token" && integration.api_key_enc
      ? (await credentialsOf(ctx, integration)).fields
      : undefined;
    event = await platform.verifyWebhook(rawBody, headers, secret, fields);
  } catch (e) {
    if (e instanceof MalformedWebhook) {
      // The platform did sign it, so it is not a signature failure; kept for the owner to see.
      await noteVerifiedDelivery(ctx.db.sql, integration.id);
      await insertMalformedDelivery(ctx.db.sql, { integration, body: rawBody, error: e.message });
      ctx.log.warn("webhook unreadable", { integration: integration.id, reason: e.message });
      return { status: 400, body: { error: e.message } };
    }
    if (!(e instanceof SignatureError)) throw e;
    await signatureFailed(ctx, integration, e.message);
    return { status: 400, body: { error: e.message } };
  }
  await noteVerifiedDelivery(ctx.db.sql, integration.id);
  const delivery = await insertDelivery(ctx.db.sql, {
    integration,
    eventId: event.id,
    eventType: event.type,
    body: rawBody,
    dedupeKey: event.dedupeKey,
  });
  if (!delivery) {
    ctx.log.info("webhook already received", { integration: integration.id, event: event.id });
    return { status: 200, body: { received: true, duplicate: true } };
  }
  // Stored: from here on a failure is ours to retry, so the platform hears 200 either way.
  await processDelivery(ctx, integration, delivery);
  return { status: 200, body: { received: true } };
}

async function signatureFailed(ctx: AppContext, integration: Integration, reason: string) {
  const updated = await countSignatureFailure(ctx.db.sql, integration.id);
  ctx.log.warn("webhook signature rejected", {
    integration: integration.id,
    site: integration.site_id,
    reason,
    consecutive: updated.signature_failures,
  });
  // The alert rule opens one incident (and sends once) however many more arrive.
  if (updated.signature_failures >= SIGNATURE_ALERT_AFTER) {
    await evaluateSite(ctx, integration.site_id, new Date(), "integration");
  }
}

/** Processes a stored delivery once; schedules a retry or gives up after MAX_ATTEMPTS. */
export async function processDelivery(
  ctx: AppContext,
  integration: Integration,
  delivery: Delivery,
): Promise<Delivery["status"]> {
  const attempts = delivery.attempts + 1;
  const platform = platformFor(ctx.config, integration.provider);
  try {
    if (delivery.body === null) {
      throw new Error("The delivery's body was removed (privacy request).");
    }
    const creds = await credentialsOf(ctx, integration);
    const changes = await platform.normalize(creds, {
      id: delivery.event_id,
      type: delivery.event_type,
      payload: JSON.parse(delivery.body),
    });
    for (const change of changes) await applyChange(ctx, integration, change, "webhook");
    const status = changes.length > 0 ? "processed" : "ignored";
    await saveAttempt(ctx.db.sql, delivery.id, { status, attempts });
    if (integration.status === "error") await setStatus(ctx.db.sql, integration.id, "connected");
    return status;
  } catch (e) {
    const message = e instanceof PlatformError || e instanceof Error ? e.message : String(e);
    // A purchase Sextant refuses (an absurd amount…) is refused again on every retry.
    const refused = e instanceof Invalid;
    const last = refused || attempts >= MAX_ATTEMPTS;
    const delay = RETRY_DELAYS_MS[Math.min(attempts - 1, RETRY_DELAYS_MS.length - 1)];
    await saveAttempt(ctx.db.sql, delivery.id, {
      status: last ? "failed" : "retrying",
      attempts,
      error: message,
      nextAttemptAt: last ? null : new Date(Date.now() + delay),
    });
    if (last && !refused) {
      await setStatus(
        ctx.db.sql,
        integration.id,
        "error",
        `A ${platform.name} event (${delivery.event_type}) could not be recorded after ${attempts} tries: ${message}`,
      );
    }
    ctx.log.warn("webhook processing failed", {
      delivery: delivery.id,
      event: delivery.event_id,
      attempts,
      error: message,
    });
    return last ? "failed" : "retrying";
  }
}

/** Retries deliveries whose backoff has passed; returns how many it tried. */
export async function retryDueDeliveries(ctx: AppContext): Promise<number> {
  const due = await claimDueDeliveries(ctx.db.sql);
  for (const d of due) {
    const integration = await findIntegration(ctx.db.sql, d.integration_id);
    if (integration) await processDelivery(ctx, integration, d);
  }
  return due.length;
}

/** Processes a delivery again on the owner's request (attempts start over). */
export async function replayDelivery(
  ctx: AppContext,
  integration: Integration,
  deliveryId: number,
): Promise<Delivery["status"] | null> {
  const d = await findDelivery(ctx.db.sql, integration.id, deliveryId);
  if (!d) return null;
  return await processDelivery(ctx, integration, { ...d, attempts: 0 });
}
