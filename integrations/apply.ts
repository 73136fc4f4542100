/** Hands what a platform reported to attribution: purchases and subscription states. */
import type { AppContext } from "../http/context.ts";
import { type RecordOutcome, recordPurchase } from "../attribution/record.ts";
import { applySubscriptionState } from "../attribution/subscriptions.ts";
import type { CredentialFields, Credentials, PlatformChange } from "./types.ts";
import type { Integration } from "./store.ts";
import { Invalid } from "../lib/errors.ts";

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
  await applySubscriptionState(ctx, {
    ...change.subscription,
    siteId: integration.site_id,
    provider: integration.provider,
  });
  return null;
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
  };
}
