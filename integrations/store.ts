/** The SQL of integrations, their webhook deliveries and their backfill runs. */
import type { Sql } from "../db/connect.ts";

export type IntegrationStatus = "connected" | "syncing" | "error" | "disconnected";

export interface Integration {
  id: number;
  site_id: number;
  provider: string;
  status: IntegrationStatus;
  /** Sealed credentials: a JSON map of named fields (older rows: the bare API key). */
  api_key_enc: string | null;
  webhook_secret_enc: string | null;
  key_hint: string;
  livemode: boolean;
  account_name: string;
  webhook_mode: "auto" | "manual";
  webhook_endpoint_id: string;
  webhook_note: string;
  last_error: string;
  last_error_at: Date | null;
  signature_failures: number;
  signature_alerted_at: Date | null;
  last_webhook_at: Date | null;
  connected_at: Date | null;
  disconnected_at: Date | null;
  created_at: Date;
}

/** An integration by id (webhooks arrive with only this). */
export async function findIntegration(sql: Sql, id: number): Promise<Integration | null> {
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const [row] = await sql<Integration[]>`select * from integrations where id = ${id}`;
  return row ?? null;
}

/** The site's connection to one platform, if it was ever connected. */
export async function findSiteIntegration(
  sql: Sql,
  siteId: number,
  provider: string,
): Promise<Integration | null> {
  const [row] = await sql<Integration[]>`
    select * from integrations where site_id = ${siteId} and provider = ${provider}`;
  return row ?? null;
}

/** The site's connected platforms (any status but disconnected), oldest connection first. */
export function listConnectedProviders(sql: Sql, siteId: number): Promise<{ provider: string }[]> {
  return sql<{ provider: string }[]>`
    select provider from integrations
    where site_id = ${siteId} and status <> 'disconnected' order by created_at, id`;
}

/** Stores validated credentials (creating the row on first connect, keeping its id after). */
export async function saveConnection(
  sql: Sql,
  v: {
    siteId: number;
    provider: string;
    /** Sealed JSON map of the credential fields. */
    credentialsEnc: string;
    keyHint: string;
    livemode: boolean;
    accountName: string;
  },
): Promise<Integration> {
  const [row] = await sql<Integration[]>`
    insert into integrations (site_id, provider, status, api_key_enc, key_hint, livemode,
      account_name, connected_at)
    values (${v.siteId}, ${v.provider}, 'connected', ${v.credentialsEnc}, ${v.keyHint}, ${v.livemode},
      ${v.accountName}, now())
    on conflict (site_id, provider) do update set
      status = 'connected', api_key_enc = excluded.api_key_enc, key_hint = excluded.key_hint,
      livemode = excluded.livemode, account_name = excluded.account_name,
      last_error = '', last_error_at = null, signature_failures = 0, connected_at = now(),
      disconnected_at = null
    returning *`;
  return row;
}

/** Records how webhooks reach Sextant. */
export async function saveWebhook(
  sql: Sql,
  id: number,
  v: {
    mode: Integration["webhook_mode"];
    endpointId: string;
    secretEnc: string | null;
    note: string;
  },
): Promise<void> {
  await sql`
    update integrations set webhook_mode = ${v.mode}, webhook_endpoint_id = ${v.endpointId},
      webhook_secret_enc = ${v.secretEnc}, webhook_note = ${v.note}, signature_failures = 0
    where id = ${id}`;
}

/** Replaces the sealed credentials of a connection that is still connected (a renewed token). */
export async function saveCredentials(sql: Sql, id: number, sealed: string): Promise<void> {
  await sql`update integrations set api_key_enc = ${sealed}
    where id = ${id} and status <> 'disconnected'`;
}

/** Sets the status; an error status keeps its sentence for the integrations page. */
export async function setStatus(
  sql: Sql,
  id: number,
  status: IntegrationStatus,
  error?: string,
): Promise<void> {
  if (error !== undefined) {
    await sql`update integrations set status = ${status}, last_error = ${error},
      last_error_at = now() where id = ${id}`;
  } else {
    await sql`update integrations set status = ${status} where id = ${id}`;
  }
}

/** Forgets the credentials; the row (and its history) stays for a later reconnect. */
export async function markDisconnected(sql: Sql, id: number): Promise<void> {
  await sql`
    update integrations set status = 'disconnected', api_key_enc = null,
      webhook_secret_enc = null, webhook_endpoint_id = '', disconnected_at = now()
    where id = ${id}`;
}

/** Counts a delivery with a bad signature; returns the run of consecutive failures. */
export async function countSignatureFailure(sql: Sql, id: number): Promise<Integration> {
  const [row] = await sql<Integration[]>`
    update integrations set signature_failures = signature_failures + 1
    where id = ${id} returning *`;
  return row;
}

/** A verified delivery resets the failure run. */
export async function noteVerifiedDelivery(sql: Sql, id: number): Promise<void> {
  await sql`
    update integrations set signature_failures = 0, last_webhook_at = now()
    where id = ${id}`;
}

export type DeliveryStatus =
  | "received"
  | "processed"
  | "ignored"
  | "retrying"
  | "failed"
  | "malformed";

export interface Delivery {
  id: number;
  integration_id: number;
  site_id: number;
  provider: string;
  event_id: string;
  event_type: string;
  /** Null once removed (erasure, or the 30-day retention of raw bodies). */
  body: string | null;
  body_removed_at: Date | null;
  received_at: Date;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_error: string;
  processed_at: Date | null;
}

/**
 * Stores a delivery exactly as received; null when `dedupeKey` was seen before for this
 * integration (a replay, or the platform retrying what we already have).
 */
export async function insertDelivery(
  sql: Sql,
  v: {
    integration: Integration;
    eventId: string;
    eventType: string;
    body: string;
    dedupeKey?: string;
  },
): Promise<Delivery | null> {
  const [row] = await sql<Delivery[]>`
    insert into webhook_deliveries (integration_id, site_id, provider, event_id, event_type, body,
      dedupe_key)
    values (${v.integration.id}, ${v.integration.site_id}, ${v.integration.provider},
      ${v.eventId}, ${v.eventType}, ${v.body}, ${v.dedupeKey ?? null})
    on conflict (integration_id, dedupe_key) where dedupe_key is not null do nothing
    returning *`;
  return row ?? null;
}

/**
 * Keeps a signed delivery that could not be read, exactly as it came: PostgreSQL text cannot
 * hold NUL, so such a body is kept as bytes too.
 */
export async function insertMalformedDelivery(
  sql: Sql,
  v: { integration: Integration; body: string; error: string },
): Promise<void> {
  const hasNul = v.body.includes("\0");
  await sql`
    insert into webhook_deliveries (integration_id, site_id, provider, event_id, event_type, body,
      raw_body, status, last_error)
    values (${v.integration.id}, ${v.integration.site_id}, ${v.integration.provider}, '', '',
      ${hasNul ? v.body.replaceAll("\0", "\uFFFD") : v.body},
      ${hasNul ? new TextEncoder().encode(v.body) : null}, 'malformed', ${v.error})`;
}

/** A delivery of one integration. */
export async function findDelivery(
  sql: Sql,
  integrationId: number,
  id: number,
): Promise<Delivery | null> {
  const [row] = await sql<Delivery[]>`
    select * from webhook_deliveries where integration_id = ${integrationId} and id = ${id}`;
  return row ?? null;
}

/** Records the outcome of one processing attempt. */
export async function saveAttempt(
  sql: Sql,
  id: number,
  v: { status: DeliveryStatus; attempts: number; error?: string; nextAttemptAt?: Date | null },
): Promise<void> {
  const done = v.status === "processed" || v.status === "ignored";
  await sql`
    update webhook_deliveries set status = ${v.status}, attempts = ${v.attempts},
      last_error = ${v.error ?? ""}, next_attempt_at = ${v.nextAttemptAt ?? null},
      processed_at = ${done ? new Date() : null}
    where id = ${id}`;
}

/** Takes deliveries whose retry is due, leasing them for a minute so no one else does. */
export function claimDueDeliveries(sql: Sql, limit = 20): Promise<Delivery[]> {
  return sql<Delivery[]>`
    update webhook_deliveries set next_attempt_at = now() + interval '1 minute'
    where id in (
      select id from webhook_deliveries
      where status = 'retrying' and next_attempt_at <= now()
      order by next_attempt_at limit ${limit}
      for update skip locked)
    returning *`;
}

/** Recent deliveries of an integration, newest first (without bodies). */
export function listDeliveries(
  sql: Sql,
  integrationId: number,
  limit = 20,
): Promise<Omit<Delivery, "body" | "body_removed_at">[]> {
  return sql<Omit<Delivery, "body" | "body_removed_at">[]>`
    select id, integration_id, site_id, provider, event_id, event_type, received_at, status,
      attempts, next_attempt_at, last_error, processed_at
    from webhook_deliveries where integration_id = ${integrationId}
    order by received_at desc, id desc limit ${limit}`;
}

/** Deliveries that failed for good. */
export async function countFailedDeliveries(sql: Sql, integrationId: number): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from webhook_deliveries
    where integration_id = ${integrationId} and status = 'failed'`;
  return row.n;
}

export type SyncStatus = "queued" | "running" | "done" | "failed";

export interface Sync {
  id: number;
  integration_id: number;
  site_id: number;
  days: number;
  status: SyncStatus;
  phase: "listing" | "syncing";
  total: number;
  processed: number;
  synced: number;
  matched: number;
  error: string;
  heartbeat_at: Date | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** Queues a backfill. */
export async function queueSync(sql: Sql, integration: Integration, days: number): Promise<Sync> {
  const [row] = await sql<Sync[]>`
    insert into integration_syncs (integration_id, site_id, days)
    values (${integration.id}, ${integration.site_id}, ${days}) returning *`;
  return row;
}

/**
 * Takes one backfill to run: a queued one, or a running one whose worker stopped reporting
 * (an instance that crashed mid-way).
 */
export async function claimSync(sql: Sql, id?: number): Promise<Sync | null> {
  const [row] = await sql<Sync[]>`
    update integration_syncs set status = 'running', started_at = coalesce(started_at, now()),
      heartbeat_at = now()
    where id = (
      select id from integration_syncs
      where (status = 'queued' or (status = 'running' and heartbeat_at < now() - interval '2 minutes'))
        and (${id ?? null}::bigint is null or id = ${id ?? null})
      order by created_at limit 1
      for update skip locked)
    returning *`;
  return row ?? null;
}

/** Saves progress (and proves the worker is alive). */
export async function saveSyncProgress(
  sql: Sql,
  id: number,
  v: Partial<Pick<Sync, "phase" | "total" | "processed" | "synced" | "matched">>,
): Promise<void> {
  await sql`
    update integration_syncs set
      phase = coalesce(${v.phase ?? null}, phase),
      total = coalesce(${v.total ?? null}::int, total),
      processed = coalesce(${v.processed ?? null}::int, processed),
      synced = coalesce(${v.synced ?? null}::int, synced),
      matched = coalesce(${v.matched ?? null}::int, matched),
      heartbeat_at = now()
    where id = ${id}`;
}

/** Ends a backfill. */
export async function finishSync(
  sql: Sql,
  id: number,
  status: "done" | "failed",
  error = "",
): Promise<void> {
  await sql`
    update integration_syncs set status = ${status}, error = ${error}, finished_at = now(),
      heartbeat_at = now()
    where id = ${id}`;
}

/** The newest backfill of an integration. */
export async function latestSync(sql: Sql, integrationId: number): Promise<Sync | null> {
  const [row] = await sql<Sync[]>`
    select * from integration_syncs where integration_id = ${integrationId}
    order by created_at desc, id desc limit 1`;
  return row ?? null;
}

/** Remembers an OAuth connect in progress under the hash of its state. */
export async function saveOAuthState(
  sql: Sql,
  v: { stateHash: string; siteId: number; provider: string; userId: number; fieldsEnc: string },
): Promise<void> {
  await sql`delete from integration_oauth_states where created_at < now() - interval '1 hour'`;
  await sql`
    insert into integration_oauth_states (state_hash, site_id, provider, user_id, fields_enc)
    values (${v.stateHash}, ${v.siteId}, ${v.provider}, ${v.userId}, ${v.fieldsEnc})`;
}

/** Takes (and forgets) an OAuth state younger than an hour that this user started. */
export async function takeOAuthState(
  sql: Sql,
  v: { stateHash: string; provider: string; userId: number },
): Promise<{ site_id: number; fields_enc: string } | null> {
  const [row] = await sql<{ site_id: number; fields_enc: string }[]>`
    delete from integration_oauth_states
    where state_hash = ${v.stateHash} and provider = ${v.provider} and user_id = ${v.userId}
      and created_at > now() - interval '1 hour'
    returning site_id::int, fields_enc`;
  return row ?? null;
}
