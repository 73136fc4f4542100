/**
 * Shared dashboards: a public read-only link per site, optionally password-protected and
 * expiring. A visitor who typed the password carries a signed cookie proving it.
 */
import type { Sql } from "../db/connect.ts";
import {
  hmacSha256,
  randomToken,
  type SecretBox,
  sha256Hex,
  timingSafeEqual,
} from "../lib/crypto.ts";
import { encodeBase64Url } from "../lib/encoding.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";

export interface DashboardShare {
  id: number;
  site_id: number;
  label: string;
  has_password: boolean;
  expires_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
}

/** Creates a share link; returns the token (also kept encrypted so the link can be shown again). */
export async function createShare(
  sql: Sql,
  box: SecretBox,
  input: {
    siteId: number;
    label?: string;
    password?: string;
    expiresAt?: Date | null;
    createdBy?: number;
  },
): Promise<{ share: DashboardShare; token: string }> {
  const token = randomToken(24);
  const [share] = await sql<DashboardShare[]>`
    insert into dashboard_shares (site_id, token_hash, token_sealed, label, password_hash,
                                  expires_at, created_by)
    values (${input.siteId}, ${await sha256Hex(token)}, ${await box.encrypt(token)},
            ${input.label?.trim() ?? ""},
            ${input.password ? await hashPassword(input.password) : null},
            ${input.expiresAt ?? null}, ${input.createdBy ?? null})
    returning id, site_id, label, password_hash is not null as has_password, expires_at,
              revoked_at, created_at`;
  return { share, token };
}

/** The live (not revoked, not expired) share for a token, with its password hash, or null. */
export async function findActiveShare(
  sql: Sql,
  token: string,
): Promise<(DashboardShare & { password_hash: string | null }) | null> {
  if (!token || token.length > 100) return null;
  const [row] = await sql<(DashboardShare & { password_hash: string | null })[]>`
    select id, site_id, label, password_hash is not null as has_password, password_hash,
           expires_at, revoked_at, created_at
    from dashboard_shares
    where token_hash = ${await sha256Hex(token)} and revoked_at is null
      and (expires_at is null or expires_at > now())`;
  return row ?? null;
}

/** Checks a typed password against the share's. */
export function checkSharePassword(passwordHash: string, password: string): Promise<boolean> {
  return verifyPassword(password, passwordHash);
}

/** Cookie value proving the password of share `shareId` was given (bound to the app secret). */
export async function shareUnlockValue(secretKey: string, shareId: number): Promise<string> {
  return encodeBase64Url((await hmacSha256(secretKey, `share-unlock|${shareId}`)).slice(0, 24));
}

/** Name of the cookie carrying the unlock proof for a share. */
export function shareUnlockCookie(shareId: number): string {
  return `sextant_share_${shareId}`;
}

/** Whether a presented cookie value unlocks the share. */
export async function isShareUnlocked(
  secretKey: string,
  shareId: number,
  cookieValue: string | undefined,
): Promise<boolean> {
  if (!cookieValue) return false;
  return timingSafeEqual(cookieValue, await shareUnlockValue(secretKey, shareId));
}

/** Shares of a site, newest first, with their tokens decrypted for display to its members. */
export async function listShares(
  sql: Sql,
  box: SecretBox,
  siteId: number,
): Promise<(DashboardShare & { token: string })[]> {
  const rows = await sql<(DashboardShare & { token_sealed: string })[]>`
    select id, site_id, label, password_hash is not null as has_password, expires_at,
           revoked_at, created_at, token_sealed
    from dashboard_shares where site_id = ${siteId} order by created_at desc, id desc`;
  return await Promise.all(rows.map(async ({ token_sealed, ...s }) => ({
    ...s,
    token: await box.decrypt(token_sealed),
  })));
}

/** Revokes a share of this site; false when there is none. */
export async function revokeShare(sql: Sql, siteId: number, shareId: number): Promise<boolean> {
  const rows = await sql`
    update dashboard_shares set revoked_at = coalesce(revoked_at, now())
    where id = ${shareId} and site_id = ${siteId} returning id`;
  return rows.length > 0;
}
