/**
 * Rate limits on the account endpoints, counted in the bus's key-value store so every instance
 * shares them. Email addresses are hashed in keys, and client addresses arrive already hashed
 * with the day's salt (`clientKey`), so the store never holds either.
 *
 * Sign-in counts failures per account and client address together: that pair is refused for a
 * while that grows with each further failure, so an attacker's address is slowed without locking
 * the owner out from theirs. Failures on an account from everywhere only slow every attempt down,
 * past a much higher ceiling, and warn the owner by email.
 */
import type { KeyValue } from "../bus/types.ts";
import { TooManyRequests } from "../lib/errors.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { normalizeEmail } from "./users.ts";

const MINUTE = 60_000;
const WINDOW_MS = 15 * MINUTE;
/** Failures of one pair are remembered this long (a success clears them). */
const PAIR_WINDOW_MS = 24 * 60 * MINUTE;

/** Failed sign-ins allowed before each limit applies (within 15 minutes; a day per pair). */
export const LOGIN_LIMITS = {
  /** One account from one client address: then refused, for longer each time. */
  perPair: 5,
  /** One client address across accounts: then refused for 15 minutes. */
  perIp: 30,
  /** One account from everywhere: past this every attempt is slowed, never refused. */
  perAccountSlow: 50,
  /** One account from everywhere: its owner is emailed once a day. */
  alertOwner: 5,
};
/** Longest wait the account-wide ceiling adds to an attempt. */
export const MAX_SLOWDOWN_MS = 3000;

/** What the counters say about one sign-in attempt. */
export interface LoginState {
  /** When the pair's refusal ends (ms), if it is refused. */
  pairBlockedUntil: number | null;
  ipFailures: number;
  accountFailures: number;
}

/** Minutes a pair is refused after its `failures`-th failure: 1, 2, 4 … up to an hour. */
export function pairBlockMinutes(failures: number): number {
  if (failures < LOGIN_LIMITS.perPair) return 0;
  return Math.min(60, 2 ** (failures - LOGIN_LIMITS.perPair));
}

/** Refuse (with the minutes to wait) or let through after `delayMs`; never refuses an account. */
export function loginVerdict(
  s: LoginState,
  now: number,
): { refuseMinutes: number } | { delayMs: number } {
  if (s.pairBlockedUntil !== null && s.pairBlockedUntil > now) {
    return { refuseMinutes: Math.max(1, Math.ceil((s.pairBlockedUntil - now) / MINUTE)) };
  }
  if (s.ipFailures >= LOGIN_LIMITS.perIp) return { refuseMinutes: WINDOW_MS / MINUTE };
  const over = s.accountFailures - LOGIN_LIMITS.perAccountSlow;
  return { delayMs: over < 0 ? 0 : Math.min(MAX_SLOWDOWN_MS, 100 * (over + 1)) };
}

async function emailHash(email: string): Promise<string> {
  return (await sha256Hex(normalizeEmail(email))).slice(0, 32);
}

async function emailKey(prefix: string, email: string): Promise<string> {
  return `${prefix}:e:${await emailHash(email)}`;
}

async function loginKeys(address: string, email: string) {
  const account = await emailHash(email);
  return {
    pair: `login-fail:pair:${account}:${address}`,
    block: `login-block:${account}:${address}`,
    ip: `login-fail:ip:${address}`,
    account: `login-fail:e:${account}`,
    alerted: `login-alerted:e:${account}`,
  };
}

/**
 * Throws 429 with a sentence when this client address is refused for this account (or for every
 * account); otherwise waits as long as the account-wide ceiling asks.
 */
export async function assertLoginAllowed(
  kv: KeyValue,
  address: string,
  email: string,
  now = Date.now(),
): Promise<void> {
  const k = await loginKeys(address, email);
  const [block, ip, account] = await kv.getMany([k.block, k.ip, k.account]);
  const verdict = loginVerdict({
    pairBlockedUntil: block ? Number(block) : null,
    ipFailures: Number(ip ?? 0),
    accountFailures: Number(account ?? 0),
  }, now);
  if ("refuseMinutes" in verdict) {
    const n = verdict.refuseMinutes;
    throw new TooManyRequests(
      n * 60,
      `Too many attempts from here; try again in ${n} minute${n === 1 ? "" : "s"}.`,
    );
  }
  if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
}

/**
 * Counts a failed sign-in against the pair, the address and the account; answers whether the
 * account's owner should now be warned (once a day).
 */
export async function recordLoginFailure(
  kv: KeyValue,
  address: string,
  email: string,
  now = Date.now(),
): Promise<{ warnOwner: boolean }> {
  const k = await loginKeys(address, email);
  const pair = await kv.incr(k.pair, PAIR_WINDOW_MS);
  await kv.incr(k.ip, WINDOW_MS);
  const account = await kv.incr(k.account, WINDOW_MS);
  const minutes = pairBlockMinutes(pair);
  if (minutes > 0) await kv.set(k.block, String(now + minutes * MINUTE), minutes * MINUTE);
  const warnOwner = account >= LOGIN_LIMITS.alertOwner &&
    await kv.setIfAbsent(k.alerted, "1", 24 * 60 * MINUTE);
  return { warnOwner };
}

/** A successful sign-in clears the failures of this account from this address. */
export async function clearLoginFailures(
  kv: KeyValue,
  address: string,
  email: string,
): Promise<void> {
  const k = await loginKeys(address, email);
  await kv.del(k.pair);
  await kv.del(k.block);
}

/**
 * Counts one request of `action` (sign-up, password reset, resend verification…) and throws
 * 429 past `limit` per client address — and per email address when one is given — in 15 minutes.
 */
export async function limitAction(
  kv: KeyValue,
  action: string,
  limit: number,
  address: string,
  email?: string,
): Promise<void> {
  const counts = [await kv.incr(`${action}:ip:${address}`, WINDOW_MS)];
  if (email) counts.push(await kv.incr(await emailKey(action, email), WINDOW_MS));
  if (counts.some((n) => n > limit)) {
    throw new TooManyRequests(
      WINDOW_MS / 1000,
      "You've done that a lot in the last few minutes. Please wait 15 minutes and try again.",
    );
  }
}
