/** Login sessions: a random cookie token; the database keeps only its hash. */
import type { Sql } from "../db/connect.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";
import type { User } from "./users.ts";

export const SESSION_COOKIE = "sextant_session";
export const SESSION_DAYS = 30;

export interface LoginSession {
  id: number;
  user_id: number;
  user_agent: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}

/** Starts a session; returns the cookie token (only the caller ever sees it). */
export async function createLoginSession(
  sql: Sql,
  userId: number,
  userAgent = "",
): Promise<{ token: string; session: LoginSession }> {
  const token = randomToken(32);
  const [session] = await sql<LoginSession[]>`
    insert into user_sessions (user_id, token_hash, user_agent, expires_at)
    values (${userId}, ${await sha256Hex(token)}, ${userAgent.slice(0, 300)},
            now() + make_interval(days => ${SESSION_DAYS}))
    returning id, user_id, user_agent, created_at, last_seen_at, expires_at`;
  return { token, session };
}

/** The signed-in user for a cookie token, or null; refreshes last-seen at most once a minute. */
export async function findUserBySessionToken(
  sql: Sql,
  token: string,
): Promise<{ user: User; sessionId: number } | null> {
  if (!token || token.length > 100) return null;
  const [row] = await sql<(User & { session_id: number; last_seen_at: Date })[]>`
    select u.id, u.email, u.name, u.email_verified_at, u.created_at,
           s.id as session_id, s.last_seen_at
    from user_sessions s join users u on u.id = s.user_id
    where s.token_hash = ${await sha256Hex(token)} and s.expires_at > now()`;
  if (!row) return null;
  if (Date.now() - row.last_seen_at.getTime() > 60_000) {
    await sql`update user_sessions set last_seen_at = now() where id = ${row.session_id}`;
  }
  const { session_id, last_seen_at: _seen, ...user } = row;
  return { user, sessionId: session_id };
}

/** Ends one session by its token. */
export async function deleteLoginSession(sql: Sql, token: string): Promise<void> {
  await sql`delete from user_sessions where token_hash = ${await sha256Hex(token)}`;
}

/** The user's live sessions, most recently used first. */
export function listLoginSessions(sql: Sql, userId: number): Promise<LoginSession[]> {
  return sql<LoginSession[]>`
    select id, user_id, user_agent, created_at, last_seen_at, expires_at
    from user_sessions where user_id = ${userId} and expires_at > now()
    order by last_seen_at desc, id desc`;
}

/** Ends one of the user's sessions by id; false when it is not theirs or already gone. */
export async function revokeLoginSession(
  sql: Sql,
  userId: number,
  sessionId: number,
): Promise<boolean> {
  const rows = await sql`
    delete from user_sessions where id = ${sessionId} and user_id = ${userId} returning id`;
  return rows.length > 0;
}

/** Ends every session of the user except `keepId`; answers how many ended. */
export async function revokeOtherSessions(
  sql: Sql,
  userId: number,
  keepId: number | null,
): Promise<number> {
  const rows = await sql`
    delete from user_sessions where user_id = ${userId} and id is distinct from ${keepId}
    returning id`;
  return rows.length;
}

/** A short description of a session's browser and system from its user agent ("Chrome on macOS"). */
export function describeUserAgent(ua: string): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /OPR\//.test(ua)
    ? "Opera"
    : /Firefox\//.test(ua)
    ? "Firefox"
    : /Chrome\//.test(ua)
    ? "Chrome"
    : /Safari\//.test(ua)
    ? "Safari"
    : "Browser";
  const os = /iPhone|iPad/.test(ua)
    ? "iOS"
    : /Android/.test(ua)
    ? "Android"
    : /Mac OS X/.test(ua)
    ? "macOS"
    : /Windows/.test(ua)
    ? "Windows"
    : /CrOS/.test(ua)
    ? "ChromeOS"
    : /Linux/.test(ua)
    ? "Linux"
    : "";
  return os ? `${browser} on ${os}` : browser;
}
