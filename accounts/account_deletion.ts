/**
 * Deleting an account (GDPR art. 17). Organizations the user is alone in go with it, sites and
 * all; an organization shared with others must be handed over first, so nobody loses data they
 * rely on without a choice.
 */
import type { Sql } from "../db/connect.ts";
import { Forbidden, Invalid } from "../lib/errors.ts";
import { verifyPassword } from "./passwords.ts";
import { normalizeEmail } from "./users.ts";
import { markSitesDeleted } from "./site_deletion.ts";

/** Orgs the user owns that have other members (these block deletion), by name. */
export async function sharedOwnedOrgs(sql: Sql, userId: number): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select o.name from memberships m join orgs o on o.id = m.org_id
    where m.user_id = ${userId} and m.role = 'owner'
      and exists (select 1 from memberships x where x.org_id = m.org_id and x.user_id <> ${userId})
    order by o.name`;
  return rows.map((r) => r.name);
}

/** Deletes an organization with all its sites (their data is purged by the deletion job). */
export async function deleteOrg(sql: Sql, orgId: number): Promise<void> {
  const sites = await sql<{ id: number }[]>`select id from sites where org_id = ${orgId}`;
  await markSitesDeleted(sql, sites.map((s) => s.id));
  await sql`delete from orgs where id = ${orgId}`;
}

/**
 * Deletes the user after checking their password and the typed email; their solo orgs go too.
 */
export async function deleteAccount(
  sql: Sql,
  input: { userId: number; password: string; confirmEmail: string },
): Promise<void> {
  const [user] = await sql<{ email: string; password_hash: string }[]>`
    select email, password_hash from users where id = ${input.userId}`;
  if (!user) return;
  if (normalizeEmail(input.confirmEmail) !== normalizeEmail(user.email)) {
    throw new Invalid("confirm", `Type your email (${user.email}) exactly to confirm.`);
  }
  if (!await verifyPassword(input.password, user.password_hash)) {
    throw new Invalid("password", "That password isn't right.");
  }
  const shared = await sharedOwnedOrgs(sql, input.userId);
  if (shared.length > 0) {
    throw new Forbidden(
      `You own ${shared.join(", ")}, which other people use. Transfer ownership (or remove the ` +
        "other members) first, then delete your account.",
    );
  }
  const solo = await sql<{ org_id: number }[]>`
    select m.org_id from memberships m
    where m.user_id = ${input.userId}
      and not exists (select 1 from memberships x where x.org_id = m.org_id and x.user_id <> ${input.userId})`;
  for (const { org_id } of solo) await deleteOrg(sql, org_id);
  // Mail and open invites addressed to them hold their address: personal data that goes too.
  await sql`delete from invites where email_normalized = ${normalizeEmail(user.email)}`;
  await sql`delete from email_outbox where lower(to_address) = ${normalizeEmail(user.email)}`;
  await sql`delete from users where id = ${input.userId}`;
}
