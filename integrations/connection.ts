/**
 * Connecting, reconnecting and disconnecting a platform for a site, driven by the platform's
 * description: the fields it asks for, how its webhooks are set up and proven.
 */
import type { AppContext } from "../http/context.ts";
import { Invalid } from "../lib/errors.ts";
import { randomToken, sha256Hex, timingSafeEqual } from "../lib/crypto.ts";
import { platformFor } from "./platforms.ts";
import {
  ChoiceNeeded,
  type ConnectInfo,
  type CredentialFields,
  type Credentials,
  type Platform,
  PlatformError,
} from "./types.ts";
import { credentialsOf, openCredentials, sealCredentials } from "./apply.ts";
import {
  findSiteIntegration,
  type Integration,
  latestSync,
  markDisconnected,
  queueSync,
  saveConnection,
  saveOAuthState,
  saveWebhook,
  takeOAuthState,
} from "./store.ts";
import { BACKFILL_DAYS, startSync } from "./sync.ts";

/** A connect the platform accepted in part: the owner must pick one of `options` for `field`. */
export class ChoiceRequired extends Invalid {
  constructor(
    field: string,
    message: string,
    readonly options: readonly { value: string; label: string }[],
  ) {
    super(field, message);
  }
}

/**
 * The URL a platform delivers this integration's webhooks to; for platforms that sign nothing,
 * it ends with the integration's secret token.
 */
export async function webhookUrl(ctx: AppContext, integration: Integration): Promise<string> {
  const base = `${ctx.config.PUBLIC_URL}/api/webhooks/${integration.provider}/${integration.id}`;
  const platform = platformFor(ctx.config, integration.provider);
  if (platform.webhook.proof !== "url_token" || !integration.webhook_secret_enc) return base;
  return `${base}/${await ctx.secrets.decrypt(integration.webhook_secret_enc)}`;
}

/** Checks a URL token against the stored one without leaking where they differ. */
export async function tokenMatches(
  ctx: AppContext,
  integration: Integration,
  token: string,
): Promise<boolean> {
  if (!integration.webhook_secret_enc || !token) return false;
  return timingSafeEqual(await ctx.secrets.decrypt(integration.webhook_secret_enc), token);
}

/** Trims the fields the platform asks for, dropping anything else; Invalid for empty ones. */
function formFields(platform: Platform, given: CredentialFields): CredentialFields {
  const out: CredentialFields = {};
  for (const f of platform.fields) {
    const v = (given[f.name] ?? "").trim();
    if (!v && !f.optional) {
      throw new Invalid(f.name, `Paste your ${platform.name} ${f.label.toLowerCase()}.`);
    }
    if (v) out[f.name] = v;
  }
  return out;
}

/** A platform refusal as a form error beside the field it concerns. */
function asInvalid(platform: Platform, e: unknown): never {
  if (e instanceof ChoiceNeeded) throw new ChoiceRequired(e.field, e.message, e.options);
  if (e instanceof PlatformError) {
    throw new Invalid(platform.fields[0]?.name ?? "apiKey", e.message);
  }
  throw e;
}

/**
 * Validates the credentials with a test call, stores them encrypted, registers the webhook
 * endpoint when the credentials allow it and starts the backfill. Throws Invalid with the
 * platform's explanation. A bare string is the API key of a one-field platform.
 */
export async function connectPlatform(
  ctx: AppContext,
  siteId: number,
  provider: string,
  given: CredentialFields | string,
): Promise<Integration> {
  const platform = platformFor(ctx.config, provider);
  if (platform.auth === "oauth") {
    throw new Invalid("provider", `${platform.name} connects through its own approval screen.`);
  }
  const fields = typeof given === "string"
    ? { [platform.fields[0].name]: given.trim() }
    : formFields(platform, given);
  let info: ConnectInfo;
  try {
    info = await platform.connect(fields);
  } catch (e) {
    asInvalid(platform, e);
  }
  return await storeConnection(ctx, platform, siteId, info.fields ?? fields, info);
}

/** Saves accepted credentials, sets up webhooks and queues the backfill. */
async function storeConnection(
  ctx: AppContext,
  platform: Platform,
  siteId: number,
  fields: CredentialFields,
  info: ConnectInfo,
): Promise<Integration> {
  const provider = platform.id;
  const previous = await findSiteIntegration(ctx.db.sql, siteId, provider);
  if (previous?.webhook_mode === "auto" && previous.webhook_endpoint_id && previous.api_key_enc) {
    await removeWebhook(ctx, platform, previous, await credentialsOf(ctx, previous));
  }
  const integration = await saveConnection(ctx.db.sql, {
    siteId,
    provider,
    credentialsEnc: await sealCredentials(ctx, fields),
    keyHint: info.keyHint,
    livemode: info.livemode,
    accountName: info.accountName,
  });
  const tokened = platform.webhook.proof === "url_token";
  // A URL token survives reconnects, like the URL itself: a manual endpoint keeps working.
  const keptSecret = previous?.webhook_mode === "manual" || tokened
    ? previous?.webhook_secret_enc ?? null
    : null;
  const tokenEnc = tokened ? keptSecret ?? await ctx.secrets.encrypt(randomToken(24)) : null;
  if (tokenEnc) {
    await saveWebhook(ctx.db.sql, integration.id, {
      mode: "manual",
      endpointId: "",
      secretEnc: tokenEnc,
      note: "",
    });
  }
  const url = await webhookUrl(ctx, { ...integration, webhook_secret_enc: tokenEnc });
  const setup = platform.webhook.setup === "manual"
    ? { mode: "manual" as const, note: "" }
    : await platform.registerWebhook({ fields, webhookSecret: null }, url).catch((e) => ({
      mode: "manual" as const,
      note: `${e instanceof PlatformError ? e.message + " " : ""}Add the webhook in ` +
        `${platform.name} yourself as shown here, or set PUBLIC_URL to an address ` +
        `${platform.name} can reach and connect again.`,
    }));
  if (setup.mode === "auto") {
    await saveWebhook(ctx.db.sql, integration.id, {
      mode: "auto",
      endpointId: setup.endpointId,
      secretEnc: tokenEnc ?? await ctx.secrets.encrypt(setup.secret),
      note: "",
    });
  } else {
    // Keep a secret pasted earlier: the owner's manual endpoint may still be there.
    await saveWebhook(ctx.db.sql, integration.id, {
      mode: "manual",
      endpointId: "",
      secretEnc: tokenEnc ?? keptSecret,
      note: setup.note,
    });
  }
  const sync = await queueSync(ctx.db.sql, integration, BACKFILL_DAYS);
  startSync(ctx, sync.id);
  return (await findSiteIntegration(ctx.db.sql, siteId, provider))!;
}

/** Where the platform sends the owner back after approving Sextant. */
export function oauthRedirectUri(ctx: AppContext, provider: string): string {
  return `${ctx.config.PUBLIC_URL}/integrations/oauth/${provider}/callback`;
}

/**
 * Starts an OAuth connect: remembers what the form asked (a shop) under a fresh state and
 * answers the platform's approval URL.
 */
export async function startOAuth(
  ctx: AppContext,
  siteId: number,
  userId: number,
  provider: string,
  given: CredentialFields,
): Promise<string> {
  const platform = platformFor(ctx.config, provider);
  if (!platform.oauth) {
    // Said beside the key field, where the form shows it.
    throw new Invalid(
      platform.fields[0]?.name ?? "provider",
      `${platform.name} connects with a key on this Sextant: paste one below.`,
    );
  }
  // Beside a key form, the approval screen needs none of the key's fields.
  const fields = platform.auth === "oauth" ? formFields(platform, given) : {};
  const state = randomToken(24);
  let url: string;
  try {
    url = await platform.oauth.authorizeUrl(fields, state, oauthRedirectUri(ctx, provider));
  } catch (e) {
    asInvalid(platform, e);
  }
  await saveOAuthState(ctx.db.sql, {
    stateHash: await sha256Hex(state),
    siteId,
    provider,
    userId,
    fieldsEnc: await sealCredentials(ctx, fields),
  });
  return url;
}

/**
 * Finishes an OAuth connect from the platform's callback: the state must be one this user
 * started (as an admin of the site it names) within the hour. Answers the site's id and the
 * integration; throws Invalid with a sentence otherwise.
 */
export async function finishOAuth(
  ctx: AppContext,
  userId: number,
  provider: string,
  callback: URLSearchParams,
): Promise<{ siteId: number; integration: Integration | null; error?: string }> {
  const platform = platformFor(ctx.config, provider);
  if (!platform.oauth) throw new Invalid("provider", `${platform.name} connects with a key.`);
  const state = callback.get("state") ?? "";
  const saved = state
    ? await takeOAuthState(ctx.db.sql, { stateHash: await sha256Hex(state), provider, userId })
    : null;
  if (!saved) {
    throw new Invalid(
      "state",
      `That ${platform.name} approval has expired or wasn't started by you. Start again from the ` +
        "site's integrations page.",
    );
  }
  const siteId = saved.site_id;
  const denied = callback.get("error");
  if (denied) {
    return {
      siteId,
      integration: null,
      error: `${platform.name} didn't approve the connection (${denied.slice(0, 100)}). ` +
        "Try again and approve Sextant's access.",
    };
  }
  try {
    const result = await platform.oauth.exchange(
      await openCredentials(ctx, saved.fields_enc),
      callback,
      oauthRedirectUri(ctx, provider),
    );
    return {
      siteId,
      integration: await storeConnection(ctx, platform, siteId, result.fields, result),
    };
  } catch (e) {
    if (e instanceof PlatformError) return { siteId, integration: null, error: e.message };
    throw e;
  }
}

/** Stores a webhook signing secret the owner copied from the platform. */
export async function saveWebhookSecret(
  ctx: AppContext,
  integration: Integration,
  secret: string,
): Promise<void> {
  const prompt = platformFor(ctx.config, integration.provider).webhook.secret;
  if (!prompt) throw new Invalid("webhookSecret", "This platform has no signing secret to paste.");
  const s = secret.trim();
  const problem = prompt.check(s);
  if (problem) throw new Invalid("webhookSecret", problem);
  await saveWebhook(ctx.db.sql, integration.id, {
    mode: "manual",
    endpointId: "",
    secretEnc: await ctx.secrets.encrypt(s),
    note: integration.webhook_note,
  });
}

/**
 * Gives a platform that signs nothing a new secret webhook address: the old token stops working
 * at once. A hook Sextant registered is moved to the new address; a pasted one must be updated
 * in the platform by the owner (the page shows the new address).
 */
export async function rotateWebhookToken(ctx: AppContext, integration: Integration): Promise<void> {
  const platform = platformFor(ctx.config, integration.provider);
  if (platform.webhook.proof !== "url_token") {
    throw new Invalid(
      "token",
      `${platform.name} signs its webhooks; there is no address to renew.`,
    );
  }
  const creds = await credentialsOf(ctx, integration);
  const tokenEnc = await ctx.secrets.encrypt(randomToken(24));
  const renewed = { ...integration, webhook_secret_enc: tokenEnc };
  if (integration.webhook_mode === "auto" && integration.webhook_endpoint_id) {
    // A hook left behind points at the old token, which no longer works: nothing is recorded.
    await removeWebhook(ctx, platform, integration, creds);
    const setup = await platform.registerWebhook(creds, await webhookUrl(ctx, renewed))
      .catch((e) => ({
        mode: "manual" as const,
        note: e instanceof PlatformError ? e.message : `Add the webhook in ${platform.name} again.`,
      }));
    await saveWebhook(ctx.db.sql, integration.id, {
      mode: setup.mode,
      endpointId: setup.mode === "auto" ? setup.endpointId : "",
      secretEnc: tokenEnc,
      note: setup.mode === "auto" ? "" : setup.note,
    });
    return;
  }
  await saveWebhook(ctx.db.sql, integration.id, {
    mode: integration.webhook_mode,
    endpointId: integration.webhook_endpoint_id,
    secretEnc: tokenEnc,
    note: integration.webhook_note,
  });
}

/**
 * Removes the webhook endpoint Sextant registered, if it did; answers why the platform didn't
 * (logged), so the owner can be told to remove it on the platform's side.
 */
async function removeWebhook(
  ctx: AppContext,
  platform: Platform,
  integration: Integration,
  creds: Credentials | null,
): Promise<string | undefined> {
  if (integration.webhook_mode !== "auto" || !integration.webhook_endpoint_id) return undefined;
  try {
    if (!creds) throw new PlatformError("Sextant can no longer read the saved credentials.");
    await platform.unregisterWebhook(creds, integration.webhook_endpoint_id);
    return undefined;
  } catch (e) {
    const why = (e as Error).message ?? String(e);
    ctx.log.warn("webhook not removed", {
      integration: integration.id,
      provider: integration.provider,
      error: why,
    });
    return why;
  }
}

/**
 * Removes the webhook endpoint Sextant created, gives back access the platform granted, and
 * forgets the credentials. Always disconnects: answers what the platform didn't confirm (the
 * access withdrawn, the webhook removed), for the owner to finish on the platform's side.
 */
export async function disconnectPlatform(
  ctx: AppContext,
  integration: Integration,
): Promise<{ revokeFailed?: string; webhookLeft?: string }> {
  const platform = platformFor(ctx.config, integration.provider);
  // Credentials that can't be read (a changed SECRET_KEY) must not keep the connection alive.
  const creds = integration.api_key_enc
    ? await credentialsOf(ctx, integration).catch(() => null)
    : null;
  const webhookLeft = await removeWebhook(ctx, platform, integration, creds);
  let revokeFailed: string | undefined;
  if (creds && platform.revokeAccess) {
    // The owner asked to disconnect: a platform that won't confirm the revocation doesn't
    // keep Sextant connected; the credentials are forgotten here and the owner is told.
    try {
      await platform.revokeAccess(creds);
    } catch (e) {
      revokeFailed = (e as Error).message;
      ctx.log.warn("access not revoked at disconnect", {
        integration: integration.id,
        provider: integration.provider,
        error: revokeFailed,
      });
    }
  }
  await markDisconnected(ctx.db.sql, integration.id);
  return { revokeFailed, webhookLeft };
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
