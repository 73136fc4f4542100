/** Password hashing with argon2id (OWASP parameters: 19 MiB, 2 iterations, 1 lane). */
import { argon2id, argon2Verify } from "hash-wasm";
import { Invalid } from "../lib/errors.ts";

export const MIN_PASSWORD_LENGTH = 10;

/** Rejects passwords we will not accept, with a sentence saying why. */
export function assertAcceptablePassword(password: string, field = "password"): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new Invalid(
      field,
      `Your password needs at least ${MIN_PASSWORD_LENGTH} characters (it has ${password.length}).`,
    );
  }
  if (password.length > 512) throw new Invalid(field, "That password is too long (512 max).");
}

/** Returns an encoded argon2id hash (`$argon2id$v=19$…`) with a fresh salt. */
export function hashPassword(password: string): Promise<string> {
  return argon2id({
    password,
    salt: crypto.getRandomValues(new Uint8Array(16)),
    parallelism: 1,
    iterations: 2,
    memorySize: 19456,
    hashLength: 32,
    outputType: "encoded",
  });
}

/** True when `password` matches the stored hash; never throws on a malformed hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  try {
    return await argon2Verify({ password, hash });
  } catch {
    return false;
  }
}
