/**
 * Who may watch a site live: a signed-in member of its organization (session cookie), or the
 * holder of a valid shared-dashboard link for that site — when the link has a password, with
 * proof it was typed: the unlock cookie, or a live grant. The unlock cookie may be scoped to
 * /share/ and so never reach /socket.io/; the grant is how a shared page's islands carry that
 * proof there. Used by the Socket.IO handshake and the live JSON endpoints alike.
 */
import type { AppContext } from "../http/context.ts";
import type { Site } from "../accounts/sites.ts";
import { findSiteForUser, SITE_COLUMNS } from "../accounts/sites.ts";
import { findUserBySessionToken, SESSION_COOKIE } from "../accounts/sessions.ts";
import { findActiveShare, isShareUnlocked, shareUnlockCookie } from "../accounts/shares.ts";
import { hmacSha256, timingSafeEqual } from "../lib/crypto.ts";
import { encodeBase64Url } from "../lib/encoding.ts";

export type LiveViewer =
  | { via: "member"; site: Site; userId: number }
  | { via: "share"; site: Site; shareId: number };

export interface LiveCredentials {
  siteId: number;
  /** Cookies sent with the request (name → value). */
  cookies: Record<string, string>;
  shareToken?: string;
  /** A live grant for the share (see liveGrant). */
  shareGrant?: string;
}

/** How long a live grant lasts; islands fetch a fresh one on every (re)connection. */
export const LIVE_GRANT_MS = 6 * 60 * 60_000;

async function grantMac(secretKey: string, shareId: number, expires: number): Promise<string> {
  return encodeBase64Url(
    (await hmacSha256(secretKey, `live-grant|${shareId}|${expires}`)).slice(0, 24),
  );
}

/** A short-lived proof that the password of share `shareId` was given, for the live feed. */
export async function liveGrant(secretKey: string, shareId: number, now = Date.now()) {
  const expires = now + LIVE_GRANT_MS;
  return `${expires}.${await grantMac(secretKey, shareId, expires)}`;
}

/** Whether `grant` is a current live grant for share `shareId`. */
export async function isLiveGrantValid(
  secretKey: string,
  shareId: number,
  grant: string | undefined,
  now = Date.now(),
): Promise<boolean> {
  const m = /^(\d{13})\.([\w-]{32})$/.exec(grant ?? "");
  if (!m || Number(m[1]) < now) return false;
  return timingSafeEqual(m[2], await grantMac(secretKey, shareId, Number(m[1])));
}

async function siteById(ctx: AppContext, siteId: number): Promise<Site | null> {
  const [row] = await ctx.db.sql<Site[]>`
    select ${ctx.db.sql(SITE_COLUMNS as unknown as string[])} from sites where id = ${siteId}`;
  return row ?? null;
}

/** The viewer these credentials prove, or null when they prove nothing for this site. */
export async function authorizeLiveViewer(
  ctx: AppContext,
  cred: LiveCredentials,
): Promise<LiveViewer | null> {
  const { siteId } = cred;
  if (!Number.isSafeInteger(siteId) || siteId <= 0) return null;
  const sql = ctx.db.sql;
  const session = cred.cookies[SESSION_COOKIE];
  if (session) {
    const found = await findUserBySessionToken(sql, session);
    if (found) {
      const access = await findSiteForUser(sql, found.user.id, siteId);
      if (access) return { via: "member", site: access.site, userId: found.user.id };
    }
  }
  if (cred.shareToken) {
    const share = await findActiveShare(sql, cred.shareToken);
    if (!share || share.site_id !== siteId) return null;
    if (share.has_password) {
      const key = ctx.config.SECRET_KEY;
      const proof = cred.cookies[shareUnlockCookie(share.id)];
      const unlocked = await isShareUnlocked(key, share.id, proof) ||
        await isLiveGrantValid(key, share.id, cred.shareGrant);
      if (!unlocked) return null;
    }
    const site = await siteById(ctx, siteId);
    return site ? { via: "share", site, shareId: share.id } : null;
  }
  return null;
}
