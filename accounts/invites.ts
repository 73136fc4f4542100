/** Invitations to join an organization by email: one open invite per address, 7 days, single use. */
import type { Sql } from "../db/connect.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";
import { Conflict, Forbidden, Invalid } from "../lib/errors.ts";
import { type Role, ROLE_RANK, roleIn, setMembership } from "./orgs.ts";
import { assertEmail, normalizeEmail } from "./users.ts";

export const INVITE_DAYS = 7;

export interface Invite {
  id: number;
  org_id: number;
  email: string;
  role: Role;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

const INVITE_COLUMNS = [
  "id",
  "org_id",
  "email",
  "role",
  "created_at",
  "expires_at",
  "accepted_at",
  "revoked_at",
];

/**
 * Invites `email` with `role`; inviting the same address again replaces the open invite (a new
 * link, a fresh expiry). Answers the invite and the token for the emailed link.
 */
export async function createInvite(
  sql: Sql,
  input: { orgId: number; email: string; role: Role; invitedBy: number; actorRole: Role },
): Promise<{ invite: Invite; token: string }> {
  assertEmail(input.email);
  if (!["admin", "member", "viewer"].includes(input.role)) {
    throw new Invalid("role", "Choose admin, member or viewer.");
  }
  if (input.role === "admin" && input.actorRole !== "owner") {
    throw new Forbidden("Only the owner can invite admins.");
  }
  const email = normalizeEmail(input.email);
  const [member] = await sql`
    select 1 from memberships m join users u on u.id = m.user_id
    where m.org_id = ${input.orgId} and u.email_normalized = ${email}`;
  if (member) throw new Conflict(`${input.email.trim()} is already a member of this organization.`);
  const token = randomToken(32);
  const hash = await sha256Hex(token);
  const invite = await sql.begin(async (tx) => {
    await tx`
      update invites set revoked_at = now()
      where org_id = ${input.orgId} and email_normalized = ${email}
        and accepted_at is null and revoked_at is null`;
    const [row] = await tx<Invite[]>`
      insert into invites (org_id, email, email_normalized, role, token_hash, invited_by, expires_at)
      values (${input.orgId}, ${input.email.trim()}, ${email}, ${input.role}, ${hash},
              ${input.invitedBy}, now() + make_interval(days => ${INVITE_DAYS}))
      returning ${tx(INVITE_COLUMNS)}`;
    return row;
  }) as Invite;
  return { invite, token };
}

/** Open (not accepted, revoked or expired) invites of an org, newest first. */
export function listOpenInvites(sql: Sql, orgId: number): Promise<Invite[]> {
  return sql<Invite[]>`
    select ${sql(INVITE_COLUMNS)} from invites
    where org_id = ${orgId} and accepted_at is null and revoked_at is null and expires_at > now()
    order by created_at desc, id desc`;
}

/** Revokes an open invite of this org; false when there is none. */
export async function revokeInvite(sql: Sql, orgId: number, inviteId: number): Promise<boolean> {
  const rows = await sql`
    update invites set revoked_at = now()
    where id = ${inviteId} and org_id = ${orgId} and accepted_at is null and revoked_at is null
    returning id`;
  return rows.length > 0;
}

export type InviteLookup =
  | { ok: true; invite: Invite; orgName: string; inviterName: string }
  | { ok: false; message: string };

/** Finds an invite by its link token and says why it cannot be used when it cannot. */
export async function findInviteByToken(sql: Sql, token: string): Promise<InviteLookup> {
  if (!token || token.length > 100) return { ok: false, message: INVALID };
  const [row] = await sql<(Invite & { org_name: string; inviter: string })[]>`
    select ${sql(INVITE_COLUMNS.map((c) => `i.${c}`))}, o.name as org_name,
           coalesce(nullif(u.name, ''), u.email, 'A teammate') as inviter
    from invites i join orgs o on o.id = i.org_id left join users u on u.id = i.invited_by
    where i.token_hash = ${await sha256Hex(token)}`;
  if (!row) return { ok: false, message: INVALID };
  if (row.accepted_at) return { ok: false, message: "This invitation has already been accepted." };
  if (row.revoked_at) {
    return { ok: false, message: "This invitation was withdrawn. Ask for a new one." };
  }
  if (row.expires_at.getTime() <= Date.now()) {
    return {
      ok: false,
      message: "This invitation has expired. Ask whoever invited you for a new one.",
    };
  }
  const { org_name, inviter, ...invite } = row;
  return { ok: true, invite, orgName: org_name, inviterName: inviter };
}

const INVALID = "This invitation link isn't valid. Check that you copied all of it.";

/**
 * Accepts an invite for a signed-in user whose email matches it; they join with the invited role
 * (keeping a higher role they may already have) and the org becomes their current one.
 */
export async function acceptInvite(
  sql: Sql,
  token: string,
  user: { id: number; email: string },
): Promise<{ orgId: number }> {
  const found = await findInviteByToken(sql, token);
  if (!found.ok) throw new Invalid("token", found.message);
  if (normalizeEmail(user.email) !== normalizeEmail(found.invite.email)) {
    throw new Forbidden(
      `This invitation is for ${found.invite.email}, but you're signed in as ${user.email}. ` +
        "Sign out and sign in (or sign up) with the invited address.",
    );
  }
  const orgId = found.invite.org_id;
  await sql.begin(async (tx) => {
    const taken = await tx`
      update invites set accepted_at = now()
      where id = ${found.invite.id} and accepted_at is null returning id`;
    if (taken.length === 0) {
      throw new Invalid("token", "This invitation has already been accepted.");
    }
    const existing = await roleIn(tx as unknown as Sql, user.id, orgId);
    if (!existing || ROLE_RANK[existing] < ROLE_RANK[found.invite.role]) {
      await setMembership(tx as unknown as Sql, orgId, user.id, found.invite.role);
    }
    await tx`update users set current_org_id = ${orgId} where id = ${user.id}`;
  });
  return { orgId };
}
