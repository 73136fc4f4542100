/** Organizations and memberships: who may see and change which sites. */
import type { Sql } from "../db/connect.ts";
import { Forbidden, Invalid, NotFound } from "../lib/errors.ts";

export type Role = "owner" | "admin" | "member" | "viewer";

/** Higher means more rights; a check asks for a minimum. */
export const ROLE_RANK: Record<Role, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };

/** Whether `role` grants at least `minimum`. */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minimum];
}

export interface Org {
  id: number;
  name: string;
  created_at: Date;
}

export interface Membership {
  org_id: number;
  org_name: string;
  role: Role;
}

/** Creates an organization owned by `ownerId`. */
export async function createOrg(sql: Sql, name: string, ownerId: number): Promise<Org> {
  return await sql.begin(async (tx) => {
    const [org] = await tx<Org[]>`
      insert into orgs (name) values (${name.trim() || "My organization"})
      returning id, name, created_at`;
    await tx`insert into memberships (org_id, user_id, role) values (${org.id}, ${ownerId}, 'owner')`;
    return org;
  }) as Org;
}

/** Adds (or changes) a member's role. */
export async function setMembership(
  sql: Sql,
  orgId: number,
  userId: number,
  role: Role,
): Promise<void> {
  await sql`
    insert into memberships (org_id, user_id, role) values (${orgId}, ${userId}, ${role})
    on conflict (org_id, user_id) do update set role = excluded.role`;
}

/** Every organization the user belongs to, with their role. */
export function listMemberships(sql: Sql, userId: number): Promise<Membership[]> {
  return sql<Membership[]>`
    select m.org_id, o.name as org_name, m.role
    from memberships m join orgs o on o.id = m.org_id
    where m.user_id = ${userId}
    order by o.name, o.id`;
}

/** The user's role in the org, or null when they are not a member. */
export async function roleIn(sql: Sql, userId: number, orgId: number): Promise<Role | null> {
  const [row] = await sql<{ role: Role }[]>`
    select role from memberships where user_id = ${userId} and org_id = ${orgId}`;
  return row?.role ?? null;
}

export interface Member {
  user_id: number;
  email: string;
  name: string;
  role: Role;
  joined_at: Date;
}

/** The org if the user belongs to it, with their role; otherwise null (callers 404). */
export async function findOrgForUser(
  sql: Sql,
  userId: number,
  orgId: number,
): Promise<{ org: Org; role: Role } | null> {
  if (!Number.isSafeInteger(orgId) || orgId <= 0) return null;
  const [row] = await sql<(Org & { role: Role })[]>`
    select o.id, o.name, o.created_at, m.role
    from orgs o join memberships m on m.org_id = o.id and m.user_id = ${userId}
    where o.id = ${orgId}`;
  if (!row) return null;
  const { role, ...org } = row;
  return { org, role };
}

/** Members of an org, owner first, then by name. */
export function listMembers(sql: Sql, orgId: number): Promise<Member[]> {
  return sql<Member[]>`
    select u.id as user_id, u.email, u.name, m.role, m.created_at as joined_at
    from memberships m join users u on u.id = m.user_id
    where m.org_id = ${orgId}
    order by case m.role when 'owner' then 0 when 'admin' then 1 when 'member' then 2 else 3 end,
             lower(u.name), u.email`;
}

/** Renames an org. */
export async function renameOrg(sql: Sql, orgId: number, name: string): Promise<void> {
  const clean = name.trim();
  if (!clean) throw new Invalid("name", "Give the organization a name.");
  if (clean.length > 100) throw new Invalid("name", "Keep the name under 100 characters.");
  await sql`update orgs set name = ${clean} where id = ${orgId}`;
}

/**
 * Changes a member's role. Admins and owners may do it; nobody becomes owner this way (that is
 * a transfer), the owner's own role is not changed, and only the owner changes an admin.
 */
export async function changeMemberRole(
  sql: Sql,
  input: { orgId: number; actorRole: Role; userId: number; role: Role },
): Promise<void> {
  if (!["admin", "member", "viewer"].includes(input.role)) {
    throw new Invalid(
      "role",
      "Choose admin, member or viewer. To hand over the organization, transfer ownership.",
    );
  }
  const target = await roleIn(sql, input.userId, input.orgId);
  if (!target) throw new NotFound("That person isn't a member of this organization.");
  if (target === "owner") {
    throw new Forbidden("The owner's role can't be changed. Transfer ownership instead.");
  }
  if ((target === "admin" || input.role === "admin") && input.actorRole !== "owner") {
    throw new Forbidden("Only the owner can make or change admins.");
  }
  await setMembership(sql, input.orgId, input.userId, input.role);
}

/** Removes a member (not the owner; only the owner removes admins). */
export async function removeMember(
  sql: Sql,
  input: { orgId: number; actorRole: Role; userId: number },
): Promise<void> {
  const target = await roleIn(sql, input.userId, input.orgId);
  if (!target) throw new NotFound("That person isn't a member of this organization.");
  if (target === "owner") throw new Forbidden("The owner can't be removed.");
  if (target === "admin" && input.actorRole !== "owner") {
    throw new Forbidden("Only the owner can remove an admin.");
  }
  await sql`delete from memberships where org_id = ${input.orgId} and user_id = ${input.userId}`;
}

/** Leaves an org; the owner must transfer ownership first. */
export async function leaveOrg(sql: Sql, orgId: number, userId: number): Promise<void> {
  const role = await roleIn(sql, userId, orgId);
  if (!role) throw new NotFound("You aren't a member of that organization.");
  if (role === "owner") {
    throw new Forbidden(
      "You own this organization. Transfer ownership to another member before leaving, or delete it.",
    );
  }
  await sql`delete from memberships where org_id = ${orgId} and user_id = ${userId}`;
}

/** Hands the org to another member; the old owner stays on as admin. */
export async function transferOwnership(
  sql: Sql,
  input: { orgId: number; fromUserId: number; toUserId: number },
): Promise<void> {
  await sql.begin(async (tx) => {
    const [from] = await tx<{ role: Role }[]>`
      select role from memberships where org_id = ${input.orgId} and user_id = ${input.fromUserId}
      for update`;
    if (from?.role !== "owner") throw new Forbidden("Only the owner can transfer ownership.");
    if (input.toUserId === input.fromUserId) {
      throw new Invalid("user_id", "Choose another member to become the owner.");
    }
    const moved = await tx`
      update memberships set role = 'owner'
      where org_id = ${input.orgId} and user_id = ${input.toUserId} returning user_id`;
    if (moved.length === 0) {
      throw new Invalid("user_id", "The new owner must already be a member of the organization.");
    }
    await tx`
      update memberships set role = 'admin'
      where org_id = ${input.orgId} and user_id = ${input.fromUserId}`;
  });
}

/** Makes `orgId` the org the user works in (they must be a member). */
export async function switchOrg(sql: Sql, userId: number, orgId: number): Promise<boolean> {
  const rows = await sql`
    update users set current_org_id = ${orgId}
    where id = ${userId}
      and exists (select 1 from memberships where org_id = ${orgId} and user_id = ${userId})
    returning id`;
  return rows.length > 0;
}

/** The org the user is working in: their chosen one while still a member, else their first. */
export async function currentMembership(sql: Sql, userId: number): Promise<Membership | null> {
  const [row] = await sql<Membership[]>`
    select m.org_id, o.name as org_name, m.role
    from memberships m join orgs o on o.id = m.org_id
    left join users u on u.id = m.user_id
    where m.user_id = ${userId}
    order by (m.org_id = u.current_org_id) desc nulls last, m.created_at, m.org_id
    limit 1`;
  return row ?? null;
}
