/** Users: creation, lookup and password changes. */
import type { Sql } from "../db/connect.ts";
import { Conflict, Invalid } from "../lib/errors.ts";
import { assertAcceptablePassword, hashPassword } from "./passwords.ts";

export interface User {
  id: number;
  email: string;
  name: string;
  email_verified_at: Date | null;
  created_at: Date;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Lowercased and trimmed: the form emails are compared in. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Rejects malformed addresses with a sentence. */
export function assertEmail(email: string, field = "email"): void {
  if (!EMAIL.test(email.trim()) || email.length > 254) {
    throw new Invalid(field, "Please enter a valid email address, like you@example.com.");
  }
}

/** Creates a user; throws Conflict when the email is taken. */
export async function createUser(
  sql: Sql,
  input: { email: string; password: string; name?: string; verified?: boolean },
): Promise<User> {
  assertEmail(input.email);
  assertAcceptablePassword(input.password);
  const hash = await hashPassword(input.password);
  const rows = await sql<User[]>`
    insert into users (email, email_normalized, name, password_hash, email_verified_at)
    values (${input.email.trim()}, ${normalizeEmail(input.email)}, ${input.name?.trim() ?? ""},
            ${hash}, ${input.verified ? sql`now()` : null})
    on conflict (email_normalized) do nothing
    returning id, email, name, email_verified_at, created_at`;
  if (rows.length === 0) throw new Conflict("An account with that email already exists.");
  return rows[0];
}

/** The user with this email and their password hash, or null. */
export async function findUserByEmail(
  sql: Sql,
  email: string,
): Promise<(User & { password_hash: string }) | null> {
  const [row] = await sql<(User & { password_hash: string })[]>`
    select id, email, name, email_verified_at, created_at, password_hash
    from users where email_normalized = ${normalizeEmail(email)}`;
  return row ?? null;
}

/** The user with this id, or null. */
export async function findUserById(sql: Sql, id: number): Promise<User | null> {
  const [row] = await sql<User[]>`
    select id, email, name, email_verified_at, created_at from users where id = ${id}`;
  return row ?? null;
}

/** Sets a new password (hashed) for the user. */
export async function setPassword(sql: Sql, userId: number, password: string): Promise<void> {
  assertAcceptablePassword(password);
  const hash = await hashPassword(password);
  await sql`update users set password_hash = ${hash}, updated_at = now() where id = ${userId}`;
}
