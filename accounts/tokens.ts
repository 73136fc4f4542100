/** One-time links we email (verify email, reset password): stored hashed, single use, expiring. */
import type { Sql } from "../db/connect.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";

export type TokenKind = "verify_email" | "reset_password";

/** How long each kind of link works. */
export const TOKEN_LIFETIME_MINUTES: Record<TokenKind, number> = {
  verify_email: 60 * 24 * 3,
  reset_password: 60,
};

/** Why a presented link did not work, so the page can say so. */
export type TokenProblem = "unknown" | "used" | "expired";

/** Issues a link token for the user; earlier unused links of the same kind stop working. */
export async function issueToken(
  sql: Sql,
  userId: number,
  kind: TokenKind,
  email = "",
): Promise<string> {
  const token = randomToken(32);
  await sql.begin(async (tx) => {
    await tx`
      update auth_tokens set expires_at = least(expires_at, now())
      where user_id = ${userId} and kind = ${kind} and used_at is null`;
    await tx`
      insert into auth_tokens (user_id, kind, token_hash, email, expires_at)
      values (${userId}, ${kind}, ${await sha256Hex(token)}, ${email},
              now() + make_interval(mins => ${TOKEN_LIFETIME_MINUTES[kind]}))`;
  });
  return token;
}

/**
 * Uses a token once: answers the user id (and email it was issued for) or the reason it cannot
 * be used. Marking it used happens in the same statement, so two clicks cannot both succeed.
 */
export async function consumeToken(
  sql: Sql,
  kind: TokenKind,
  token: string,
): Promise<{ ok: true; userId: number; email: string } | { ok: false; problem: TokenProblem }> {
  if (!token || token.length > 100) return { ok: false, problem: "unknown" };
  const hash = await sha256Hex(token);
  const [used] = await sql<{ user_id: number; email: string }[]>`
    update auth_tokens set used_at = now()
    where token_hash = ${hash} and kind = ${kind} and used_at is null and expires_at > now()
    returning user_id, email`;
  if (used) return { ok: true, userId: used.user_id, email: used.email };
  return { ok: false, problem: await tokenProblem(sql, kind, hash) };
}

/** Checks a token without using it (to show the reset form only for a working link). */
export async function peekToken(
  sql: Sql,
  kind: TokenKind,
  token: string,
): Promise<{ ok: true; userId: number } | { ok: false; problem: TokenProblem }> {
  if (!token || token.length > 100) return { ok: false, problem: "unknown" };
  const hash = await sha256Hex(token);
  const [row] = await sql<{ user_id: number }[]>`
    select user_id from auth_tokens
    where token_hash = ${hash} and kind = ${kind} and used_at is null and expires_at > now()`;
  if (row) return { ok: true, userId: row.user_id };
  return { ok: false, problem: await tokenProblem(sql, kind, hash) };
}

async function tokenProblem(sql: Sql, kind: TokenKind, hash: string): Promise<TokenProblem> {
  const [row] = await sql<{ used: boolean }[]>`
    select used_at is not null as used from auth_tokens
    where token_hash = ${hash} and kind = ${kind}`;
  if (!row) return "unknown";
  return row.used ? "used" : "expired";
}
