/**
 * API keys: `sx_<random>`, shown once at creation. We store its SHA-256 (a 256-bit random key
 * needs no slow hash) and an 8-character prefix to recognise it in lists.
 */
import type { Sql } from "../db/connect.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";
import { Invalid } from "../lib/errors.ts";

export interface ApiKey {
  id: number;
  org_id: number;
  site_id: number | null;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** Who a verified key acts for. */
export interface ApiKeyPrincipal {
  keyId: number;
  orgId: number;
  /** When set, the key may only touch this site. */
  siteId: number | null;
  /** Extra permissions (`import`: historical timestamps on the events API). */
  scopes: string[];
}

/** Scopes a key may be given. */
export const API_KEY_SCOPES = ["import"] as const;

/** Creates a key; the returned `secret` is the only time the full key exists outside the user. */
export async function createApiKey(
  sql: Sql,
  input: {
    orgId: number;
    name: string;
    siteId?: number | null;
    createdBy?: number | null;
    scopes?: Array<(typeof API_KEY_SCOPES)[number]>;
  },
): Promise<{ key: ApiKey; secret: string }> {
  const name = input.name.trim();
  if (!name) throw new Invalid("name", "Give the key a name so you can recognise it later.");
  const secret = `sx_${randomToken(32)}`;
  const [key] = await sql<ApiKey[]>`
    insert into api_keys (org_id, site_id, name, prefix, key_hash, created_by, scopes)
    values (${input.orgId}, ${input.siteId ?? null}, ${name.slice(0, 100)}, ${secret.slice(0, 11)},
            ${await sha256Hex(secret)}, ${input.createdBy ?? null}, ${input.scopes ?? []}::text[])
    returning id, org_id, site_id, name, prefix, scopes, created_at, last_used_at, revoked_at`;
  return { key, secret };
}

/** Resolves a presented key to its principal, or null when unknown or revoked. */
export async function verifyApiKey(sql: Sql, secret: string): Promise<ApiKeyPrincipal | null> {
  if (!secret.startsWith("sx_") || secret.length > 100) return null;
  const [row] = await sql<
    { id: number; org_id: number; site_id: number | null; scopes: string[] }[]
  >`
    update api_keys set last_used_at = now()
    where key_hash = ${await sha256Hex(secret)} and revoked_at is null
    returning id, org_id, site_id, scopes`;
  return row ? { keyId: row.id, orgId: row.org_id, siteId: row.site_id, scopes: row.scopes } : null;
}

/** Keys of an org, newest first (never the secret). */
export function listApiKeys(sql: Sql, orgId: number): Promise<ApiKey[]> {
  return sql<ApiKey[]>`
    select id, org_id, site_id, name, prefix, scopes, created_at, last_used_at, revoked_at
    from api_keys where org_id = ${orgId} order by created_at desc, id desc`;
}

/** Revokes a key of this org; false when there is no such key. */
export async function revokeApiKey(sql: Sql, orgId: number, keyId: number): Promise<boolean> {
  const rows = await sql`
    update api_keys set revoked_at = coalesce(revoked_at, now())
    where id = ${keyId} and org_id = ${orgId} returning id`;
  return rows.length > 0;
}
