/**
 * Rate limits on the account endpoints, counted in the bus's key-value store so every instance
 * shares them. Sign-in counts failures per address and per IP; mail-sending endpoints count
 * every request. Addresses are hashed in keys so the store never holds them.
 */
import type { KeyValue } from "../bus/types.ts";
import { TooManyRequests } from "../lib/errors.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { normalizeEmail } from "./users.ts";

const WINDOW_MS = 15 * 60_000;
/** Failed sign-ins allowed per address (then per IP) in 15 minutes. */
export const LOGIN_LIMITS = { perEmail: 5, perIp: 30 };

async function emailKey(prefix: string, email: string): Promise<string> {
  return `${prefix}:e:${(await sha256Hex(normalizeEmail(email))).slice(0, 32)}`;
}

/** Throws 429 with a sentence when this address or IP has failed too often lately. */
export async function assertLoginAllowed(kv: KeyValue, ip: string, email: string): Promise<void> {
  const [byEmail, byIp] = await kv.getMany([
    await emailKey("login-fail", email),
    `login-fail:ip:${ip}`,
  ]);
  if (Number(byEmail ?? 0) >= LOGIN_LIMITS.perEmail) {
    throw new TooManyRequests(
      WINDOW_MS / 1000,
      "Too many failed sign-in attempts for this account. Please wait 15 minutes, or reset your password.",
    );
  }
  if (Number(byIp ?? 0) >= LOGIN_LIMITS.perIp) {
    throw new TooManyRequests(
      WINDOW_MS / 1000,
      "Too many failed sign-in attempts from your network. Please wait 15 minutes and try again.",
    );
  }
}

/** Counts a failed sign-in against the address and the IP. */
export async function recordLoginFailure(kv: KeyValue, ip: string, email: string): Promise<void> {
  await kv.incr(await emailKey("login-fail", email), WINDOW_MS);
  await kv.incr(`login-fail:ip:${ip}`, WINDOW_MS);
}

/** A successful sign-in clears the address's failures. */
export async function clearLoginFailures(kv: KeyValue, email: string): Promise<void> {
  await kv.del(await emailKey("login-fail", email));
}

/**
 * Counts one request of `action` (sign-up, password reset, resend verification…) and throws
 * 429 past `limit` per IP — and per address when one is given — in 15 minutes.
 */
export async function limitAction(
  kv: KeyValue,
  action: string,
  limit: number,
  ip: string,
  email?: string,
): Promise<void> {
  const counts = [await kv.incr(`${action}:ip:${ip}`, WINDOW_MS)];
  if (email) counts.push(await kv.incr(await emailKey(action, email), WINDOW_MS));
  if (counts.some((n) => n > limit)) {
    throw new TooManyRequests(
      WINDOW_MS / 1000,
      "You've done that a lot in the last few minutes. Please wait 15 minutes and try again.",
    );
  }
}
