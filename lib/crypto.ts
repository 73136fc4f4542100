/** Small crypto helpers on Web Crypto: tokens, hashes, HMAC, AES-256-GCM for secrets at rest. */
import { decodeBase64Url, encodeBase64Url } from "./encoding.ts";

const enc = new TextEncoder();

/** A random URL-safe token with `bytes` of entropy. */
export function randomToken(bytes = 32): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** SHA-256 of a string as hex; used to store tokens and keys so a database leak reveals nothing. */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(text))));
}

/** HMAC-SHA256 of `data` under `key`, as raw bytes. */
export async function hmacSha256(
  key: string | Uint8Array,
  data: string | Uint8Array,
): Promise<Uint8Array> {
  const raw = typeof key === "string" ? enc.encode(key) : key;
  const k = await crypto.subtle.importKey(
    "raw",
    raw as BufferSource,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const body = typeof data === "string" ? enc.encode(data) : data;
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, body as BufferSource));
}

/** Compares two strings without leaking where they differ through timing. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = enc.encode(a);
  const y = enc.encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Encrypts and decrypts secrets (integration tokens, webhook secrets) with AES-256-GCM. */
export class SecretBox {
  private constructor(private readonly key: CryptoKey) {}

  /** Derives the AES key from the app's SECRET_KEY with HKDF so the raw secret is never the key. */
  static async fromSecret(secret: string): Promise<SecretBox> {
    const base = await crypto.subtle.importKey("raw", enc.encode(secret), "HKDF", false, [
      "deriveKey",
    ]);
    const key = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: enc.encode("sextant"), info: enc.encode("secretbox") },
      base,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
    return new SecretBox(key);
  }

  /** Returns `v1.<iv>.<ciphertext>` in base64url. */
  async encrypt(plain: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, this.key, enc.encode(plain));
    return `v1.${encodeBase64Url(iv)}.${encodeBase64Url(new Uint8Array(ct))}`;
  }

  /** Reverses `encrypt`; throws when the value was tampered with or made under another key. */
  async decrypt(sealed: string): Promise<string> {
    const [version, iv, ct] = sealed.split(".");
    if (version !== "v1" || !iv || !ct) throw new Error("Not a sealed secret");
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: decodeBase64Url(iv) as BufferSource },
      this.key,
      decodeBase64Url(ct) as BufferSource,
    );
    return new TextDecoder().decode(plain);
  }
}
