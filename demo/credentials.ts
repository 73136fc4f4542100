/**
 * The demo account's sign-in. Its first password is derived from SECRET_KEY, so every start can
 * show it again without keeping it anywhere readable; it is shown only while the stored argon2
 * hash still verifies it, so a demo whose owner changed the password stops advertising it.
 */
import type { AppContext } from "../http/context.ts";
import { signUp } from "../accounts/auth.ts";
import { verifyPassword } from "../accounts/passwords.ts";
import { hmacSha256 } from "../lib/crypto.ts";
import { encodeBase64Url } from "../lib/encoding.ts";

export const DEMO_EMAIL = "demo@sextant.local";

/** The demo's first password: the same on every start for one SECRET_KEY. */
export async function demoPassword(secretKey: string): Promise<string> {
  const mac = await hmacSha256(secretKey, "sextant demo account password");
  return encodeBase64Url(mac).slice(0, 16);
}

/** Creates the (already verified) demo account with its first password. */
export async function createDemoAccount(ctx: AppContext) {
  const password = await demoPassword(ctx.config.SECRET_KEY);
  const { user, org } = await signUp(ctx.db.sql, { email: DEMO_EMAIL, password, name: "Demo" });
  await ctx.db.sql`update users set email_verified_at = now() where id = ${user.id}`;
  return { user, org, password };
}

// Verifying argon2 costs tens of milliseconds: remember the answer per stored hash, so the
// login page stays cheap and a changed password (a new hash) is checked once again.
const checked = new WeakMap<AppContext, { hash: string; ok: boolean }>();

/** The demo's email and password while that password still signs in on a demo instance, else null. */
export async function workingDemoLogin(
  ctx: AppContext,
): Promise<{ email: string; password: string } | null> {
  if (ctx.config.SEXTANT_DEMO === "off") return null;
  const [row] = await ctx.db.sql<{ password_hash: string }[]>`
    select password_hash from users where email_normalized = ${DEMO_EMAIL}`;
  if (!row) return null;
  const password = await demoPassword(ctx.config.SECRET_KEY);
  let memo = checked.get(ctx);
  if (memo?.hash !== row.password_hash) {
    memo = { hash: row.password_hash, ok: await verifyPassword(password, row.password_hash) };
    checked.set(ctx, memo);
  }
  return memo.ok ? { email: DEMO_EMAIL, password } : null;
}
