/** Sign-up, sign-in, email verification and password reset: the decisions, not the pages. */
import type { Sql } from "../db/connect.ts";
import { Invalid } from "../lib/errors.ts";
import { assertAcceptablePassword, hashPassword, verifyPassword } from "./passwords.ts";
import { createUser, findUserByEmail, setPassword, type User } from "./users.ts";
import { createOrg, type Org } from "./orgs.ts";
import { consumeToken, type TokenProblem } from "./tokens.ts";

/** A hash to verify against when the email is unknown, so both cases take the same time. */
let dummyHash: Promise<string> | undefined;

/** Creates the account and its first organization, which becomes the current one. */
export async function signUp(
  sql: Sql,
  input: { email: string; password: string; name?: string },
): Promise<{ user: User; org: Org }> {
  const user = await createUser(sql, input);
  const org = await createOrg(sql, defaultOrgName(user), user.id);
  await sql`update users set current_org_id = ${org.id} where id = ${user.id}`;
  return { user, org };
}

/** "Ada's sites" for Ada, "ada's sites" for ada@example.com without a name. */
export function defaultOrgName(user: { name: string; email: string }): string {
  const who = user.name.trim().split(/\s+/)[0] || user.email.split("@")[0];
  return `${who.slice(0, 60)}'s sites`;
}

/** The user when email and password match; null otherwise (same timing either way). */
export async function authenticate(sql: Sql, email: string, password: string) {
  const found = await findUserByEmail(sql, email);
  if (!found) {
    dummyHash ??= hashPassword("not-a-real-password-" + crypto.randomUUID());
    await verifyPassword(password, await dummyHash);
    return null;
  }
  if (!await verifyPassword(password, found.password_hash)) return null;
  const { password_hash: _hash, ...user } = found;
  return user as User;
}

/** What a person is told about a link that did not work. */
export function linkProblemSentence(problem: TokenProblem, what: "verify" | "reset"): string {
  const again = what === "verify"
    ? "Sign in and we'll send you a new one."
    : "Ask for a new one below.";
  switch (problem) {
    case "used":
      return `This link has already been used. ${
        what === "verify" ? "Your email may already be confirmed — sign in to check." : again
      }`;
    case "expired":
      return `This link has expired. ${again}`;
    default:
      return `This link isn't valid. Check that you copied all of it, or ${again[0].toLowerCase()}${
        again.slice(1)
      }`;
  }
}

/** Confirms the email a verification link was sent to; answers the user id. */
export async function verifyEmail(
  sql: Sql,
  token: string,
): Promise<{ ok: true; userId: number } | { ok: false; message: string }> {
  const used = await consumeToken(sql, "verify_email", token);
  if (!used.ok) return { ok: false, message: linkProblemSentence(used.problem, "verify") };
  const rows = await sql`
    update users set email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
    where id = ${used.userId} and email_normalized = ${used.email.toLowerCase()}
    returning id`;
  if (rows.length === 0) {
    return {
      ok: false,
      message: "This link was for an email address your account no longer uses.",
    };
  }
  return { ok: true, userId: used.userId };
}

/**
 * Sets a new password from a reset link and ends every session of the user (a reset is what
 * people do when they fear someone else is signed in). The password is checked before the link
 * is used up, so a too-short password does not burn the link.
 */
export async function resetPasswordWithToken(
  sql: Sql,
  token: string,
  password: string,
): Promise<{ ok: true; userId: number } | { ok: false; message: string }> {
  if (password.length < 1) throw new Invalid("password", "Please choose a new password.");
  assertAcceptablePassword(password);
  const used = await consumeToken(sql, "reset_password", token);
  if (!used.ok) return { ok: false, message: linkProblemSentence(used.problem, "reset") };
  await setPassword(sql, used.userId, password);
  // Proving control of the inbox also verifies it.
  await sql`
    update users set email_verified_at = coalesce(email_verified_at, now())
    where id = ${used.userId}`;
  await sql`delete from user_sessions where user_id = ${used.userId}`;
  return { ok: true, userId: used.userId };
}

/** Changes the password of a signed-in user who knows the current one; other sessions end. */
export async function changePassword(
  sql: Sql,
  input: { userId: number; current: string; next: string; keepSessionId: number | null },
): Promise<void> {
  const [row] = await sql<{ password_hash: string }[]>`
    select password_hash from users where id = ${input.userId}`;
  if (!row || !await verifyPassword(input.current, row.password_hash)) {
    throw new Invalid("current_password", "That isn't your current password.");
  }
  await setPassword(sql, input.userId, input.next);
  await sql`
    delete from user_sessions
    where user_id = ${input.userId} and id is distinct from ${input.keepSessionId}`;
}
