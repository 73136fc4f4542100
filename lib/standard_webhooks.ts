/**
 * Standard Webhooks (standardwebhooks.com): how Polar and Whop sign what they send us, and how
 * Sextant signs what it sends out. Signed content is `id.timestamp.body`, HMAC-SHA256, base64,
 * in `webhook-signature` as space-separated `v1,<base64>` entries (several during key rotation).
 */
import { hmacSha256, timingSafeEqual } from "./crypto.ts";
import { decodeBase64, encodeBase64 } from "./encoding.ts";

/** How far a delivery's timestamp may be from our clock, both ways. */
export const TOLERANCE_S = 300;

/** A delivery whose signature headers are missing, wrong or outside the tolerance. */
export class StandardWebhookError extends Error {
  override name = "StandardWebhookError";
}

/**
 * The HMAC key of a secret: `whsec_<base64>` decodes to raw bytes. Some platforms (Polar, Whop)
 * hand out a plain secret that must be base64-encoded first; `plain` says so.
 */
export function webhookKey(secret: string, plain = false): Uint8Array {
  if (plain) return new TextEncoder().encode(secret);
  const b64 = secret.startsWith("whsec_") ? secret.slice(6) : secret;
  try {
    return decodeBase64(b64);
  } catch {
    throw new StandardWebhookError("The webhook secret is not valid base64.");
  }
}

/** A fresh `whsec_` secret for an endpoint Sextant sends to. */
export function newWebhookSecret(): string {
  return "whsec_" + encodeBase64(crypto.getRandomValues(new Uint8Array(24)));
}

/** The `v1,<base64>` signature of one delivery. */
export async function signatureOf(
  key: Uint8Array,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  return "v1," + encodeBase64(await hmacSha256(key, `${id}.${timestamp}.${body}`));
}

/** The three headers for an outgoing delivery signed with `secret` (a `whsec_` secret). */
export async function signDelivery(
  secret: string,
  id: string,
  body: string,
  now = new Date(),
): Promise<Record<string, string>> {
  const ts = Math.floor(now.getTime() / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": await signatureOf(webhookKey(secret), id, ts, body),
  };
}

/**
 * Checks a delivery's headers against `key`; returns its `webhook-id` (the idempotency key).
 * Throws StandardWebhookError with a reason fit for the delivery log.
 */
export async function verifyDelivery(
  key: Uint8Array,
  body: string,
  headers: Headers,
  now = new Date(),
): Promise<{ id: string; timestamp: number }> {
  const id = headers.get("webhook-id");
  const tsText = headers.get("webhook-timestamp");
  const sigs = headers.get("webhook-signature");
  if (!id || !tsText || !sigs) {
    throw new StandardWebhookError("The delivery has no webhook-id, -timestamp or -signature.");
  }
  const ts = /^\d{1,12}$/.test(tsText) ? Number(tsText) : NaN;
  if (!Number.isFinite(ts)) throw new StandardWebhookError("The webhook-timestamp is not a time.");
  if (Math.abs(now.getTime() / 1000 - ts) > TOLERANCE_S) {
    throw new StandardWebhookError("The delivery's timestamp is more than 5 minutes off.");
  }
  const expected = await signatureOf(key, id, ts, body);
  const ok = sigs.split(" ").some((s) => s.startsWith("v1,") && timingSafeEqual(s, expected));
  if (!ok) throw new StandardWebhookError("The delivery's signature does not match the secret.");
  return { id, timestamp: ts };
}
