/**
 * One-click unsubscribe for reports and alerts (RFC 8058): the link in the mail and the headers
 * mail clients act on both point at a sign-in-free address whose token is an HMAC of what it
 * stops, so the POST needs no session and no CSRF token, and repeating it changes nothing.
 */
import { hmacSha256, timingSafeEqual, toHex } from "../lib/crypto.ts";

/** The headers that make mail clients offer (and perform) a one-click unsubscribe. */
export function listUnsubscribeHeaders(url: string): Record<string, string> {
  return { "List-Unsubscribe": `<${url}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" };
}

/** The token of an unsubscribe link for `what` ("digest-unsubscribe:12"). */
export async function unsubscribeTokenFor(secret: string, what: string): Promise<string> {
  return toHex(await hmacSha256(secret, what)).slice(0, 40);
}

/** Whether `token` is the one for `what`. */
export async function validUnsubscribeToken(
  secret: string,
  what: string,
  token: string,
): Promise<boolean> {
  return timingSafeEqual(token, await unsubscribeTokenFor(secret, what));
}
