/** Connecting, reconnecting and disconnecting a platform for a site. */
import type { AppContext } from "../http/context.ts";
import { Invalid } from "../lib/errors.ts";
import { platformFor } from "./platforms.ts";
import { PlatformError } from "./types.ts";
import { credentialsOf } from "./apply.ts";
import {
  findSiteIntegration,
  type Integration,
  latestSync,
  markDisconnected,
  queueSync,
  saveConnection,
  saveWebhook,
} from "./store.ts";
import { BACKFILL_DAYS, startSync } from "./sync.ts";

/** The URL a platform delivers this integration's webhooks to. */
export function webhookUrl(ctx: AppContext, integration: Integration): string {
  return `${ctx.config.PUBLIC_URL}/api/webhooks/${integration.provider}/${integration.id}`;
}

/**
 * Validates the key with a test call, stores it encrypted, registers the webhook endpoint when
 * the key allows it and starts the backfill. Throws Invalid with the platform's explanation.
 */
export async function connectPlatform(
  ctx: AppContext,
  siteId: number,
  provider: string,
  apiKey: string,
): Promise<Integration> {
  const platform = platformFor(ctx.config, provider);
  let info;
  try {
    info = await platform.connect(apiKey);
  } catch (e) {
    if (e instanceof PlatformError) throw new Invalid("apiKey", e.message);
    throw e;
  }
  const previous = await findSiteIntegration(ctx.db.sql, siteId, provider);
  if (previous?.webhook_mode === "auto" && previous.webhook_endpoint_id && previous.api_key_enc) {
    await platform.unregisterWebhook(
      await credentialsOf(ctx, previous),
      previous.webhook_endpoint_id,
    );
  }
  const key = apiKey.trim();
  const integration = await saveConnection(ctx.db.sql, {
    siteId,
    provider,
    apiKeyEnc: await ctx.secrets.encrypt(key),
    keyHint: info.keyHint,
    livemode: info.livemode,
    accountName: info.accountName,
  });
  const setup = await platform.registerWebhook(
    { apiKey: key, webhookSecret: null },
    webhookUrl(ctx, integration),
  ).catch((e) => ({
    mode: "manual" as const,
    note: e instanceof PlatformError ? e.message : "Add the webhook endpoint in Stripe yourself.",
  }));
  if (setup.mode === "auto") {
    await saveWebhook(ctx.db.sql, integration.id, {
      mode: "auto",
      endpointId: setup.endpointId,
      secretEnc: await ctx.secrets.encrypt(setup.secret),
      note: "",
    });
  } else {
    // Keep a secret pasted earlier: the owner's manual endpoint may still be there.
    await saveWebhook(ctx.db.sql, integration.id, {
      mode: "manual",
      endpointId: "",
      secretEnc: previous?.webhook_mode === "manual" ? previous.webhook_secret_enc : null,
      note: setup.note,
    });
  }
  const sync = await queueSync(ctx.db.sql, integration, BACKFILL_DAYS);
  startSync(ctx, sync.id);
  return (await findSiteIntegration(ctx.db.sql, siteId, provider))!;
}

/** Stores a webhook signing secret the owner copied from the platform. */
export async function saveWebhookSecret(
  ctx: AppContext,
  integration: Integration,
  secret: string,
): Promise<void> {
  const s = secret.trim();
  if (!/^whsec_[A-Za-z0-9+/=_-]{8,}$/.test(s)) {
    throw new Invalid(
      "webhookSecret",
      "That isn't a webhook signing secret. In Stripe, open the endpoint and click “Reveal” " +
        "under Signing secret; it starts with whsec_.",
    );
  }
  await saveWebhook(ctx.db.sql, integration.id, {
    mode: "manual",
    endpointId: "",
    secretEnc: await ctx.secrets.encrypt(s),
    note: integration.webhook_note,
  });
}

/** Removes the webhook endpoint Sextant created and forgets the credentials. */
export async function disconnectPlatform(ctx: AppContext, integration: Integration): Promise<void> {
  if (
    integration.webhook_mode === "auto" && integration.webhook_endpoint_id &&
    integration.api_key_enc
  ) {
    const platform = platformFor(ctx.config, integration.provider);
    await platform.unregisterWebhook(
      await credentialsOf(ctx, integration),
      integration.webhook_endpoint_id,
    );
  }
  await markDisconnected(ctx.db.sql, integration.id);
}

/** Starts another backfill (the "Sync again" button). */
export async function resync(ctx: AppContext, integration: Integration): Promise<void> {
  await credentialsOf(ctx, integration);
  const current = await latestSync(ctx.db.sql, integration.id);
  const alive = current?.heartbeat_at && Date.now() - current.heartbeat_at.getTime() < 120_000;
  if (current?.status === "queued" || (current?.status === "running" && alive)) {
    throw new Invalid("sync", "A sync is already running; its progress is shown above.");
  }
  const sync = await queueSync(ctx.db.sql, integration, BACKFILL_DAYS);
  startSync(ctx, sync.id);
}
