/**
 * Organizations: create, switch, the team page (members, roles, invites), rename, leave,
 * transfer ownership and delete.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { requireOrg, requireUser } from "../../http/middleware/auth.ts";
import { shellProps } from "../../http/shell.ts";
import { clientKey } from "../../http/client_ip.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { Notice } from "../../components/AuthCard.tsx";
import { Field, Form } from "../../components/Form.tsx";
import { timeAgo } from "../../components/format.ts";
import {
  changeMemberRole,
  createOrg,
  leaveOrg,
  listMembers,
  removeMember,
  renameOrg,
  type Role,
  roleAtLeast,
  switchOrg,
  transferOwnership,
} from "../../accounts/orgs.ts";
import { createInvite, listOpenInvites, revokeInvite } from "../../accounts/invites.ts";
import { deleteOrg } from "../../accounts/account_deletion.ts";
import { limitAction } from "../../accounts/rate_limits.ts";
import { sendMail } from "../../mail/mailer.ts";
import { inviteMessage } from "../../mail/messages.ts";
import { Forbidden, Invalid, NotFound } from "../../lib/errors.ts";
import { formId, type FormProblem, idParam, readForm, tryForm } from "../forms.ts";

const DONE: Record<string, string> = {
  invited: "Invitation sent.",
  "invite-revoked": "Invitation withdrawn.",
  "role-changed": "Role changed.",
  removed: "Member removed.",
  renamed: "Organization renamed.",
  transferred: "Ownership transferred. You're an admin now.",
  created: "Organization created. Add its first site below.",
};

const ROLE_HELP: Record<Role, string> = {
  owner: "everything, including deleting the organization",
  admin: "manage sites, members, API keys and integrations",
  member: "see everything, send test visits and add notes",
  viewer: "read-only access to dashboards",
};

function RoleSelect(props: { name: string; selected: string; allowAdmin: boolean; id?: string }) {
  return (
    <select name={props.name} id={props.id}>
      {(["admin", "member", "viewer"] as Role[]).filter((r) => r !== "admin" || props.allowAdmin)
        .map((r) => <option key={r} value={r} selected={r === props.selected}>{r}</option>)}
    </select>
  );
}

type Problems = Partial<
  Record<"invite" | "rename" | "transfer" | "members" | "delete", FormProblem>
>;

async function teamPage(c: Context<AppEnv>, problems: Problems = {}, inviteEmail = "") {
  const org = c.get("org");
  const role = c.get("role");
  const user = c.get("user")!;
  const sql = c.get("app").db.sql;
  const [members, invites, shell] = await Promise.all([
    listMembers(sql, org.id),
    roleAtLeast(role, "admin") ? listOpenInvites(sql, org.id) : Promise.resolve([]),
    shellProps(c, { active: "team", orgId: org.id }),
  ]);
  const isAdmin = roleAtLeast(role, "admin");
  const isOwner = role === "owner";
  const done = DONE[c.req.query("done") ?? ""];
  const verified = user.email_verified_at !== null;
  return renderPage(
    c,
    <AppShell {...shell}>
      <div class="narrow-page stack">
        <div class="page-header">
          <div>
            <h1>{org.name}</h1>
            <p class="muted small">Your role: {role} — {ROLE_HELP[role]}.</p>
          </div>
          {isAdmin && <a class="button secondary" href={`/orgs/${org.id}/api-keys`}>API keys</a>}
        </div>
        {done && <Notice kind="success">{done}</Notice>}
        {problems.members && <Notice kind="error">{problems.members.message}</Notice>}

        <section class="card stack" aria-labelledby="members-title">
          <h2 id="members-title">Members ({members.length})</h2>
          <div class="table-wrap">
            <table class="members">
              <thead>
                <tr>
                  <th>Person</th>
                  <th>Role</th>
                  {isAdmin && (
                    <th>
                      <span class="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {members.map((m) => {
                  const editable = isAdmin && m.role !== "owner" && m.user_id !== user.id &&
                    (isOwner || m.role !== "admin");
                  return (
                    <tr>
                      <td>
                        <strong>{m.name || m.email}</strong>
                        {m.user_id === user.id && <span class="badge">you</span>}
                        {m.name && <div class="muted small">{m.email}</div>}
                      </td>
                      <td>
                        {editable
                          ? (
                            <Form
                              action={`/orgs/${org.id}/members/${m.user_id}/role`}
                              csrf={shell.csrf}
                              class="row inline-form"
                            >
                              <label class="visually-hidden" for={`role-${m.user_id}`}>
                                Role of {m.email}
                              </label>
                              <RoleSelect
                                name="role"
                                selected={m.role}
                                allowAdmin={isOwner}
                                id={`role-${m.user_id}`}
                              />
                              <button type="submit" class="secondary small-button">Save</button>
                            </Form>
                          )
                          : <span class="badge">{m.role}</span>}
                      </td>
                      {isAdmin && (
                        <td class="num">
                          {editable && (
                            <Form
                              action={`/orgs/${org.id}/members/${m.user_id}/remove`}
                              csrf={shell.csrf}
                              class="inline-form"
                            >
                              <button type="submit" class="link-button negative">Remove</button>
                            </Form>
                          )}
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </section>

        {isAdmin && (
          <section class="card stack" aria-labelledby="invite-title">
            <h2 id="invite-title">Invite someone</h2>
            {!verified && (
              <Notice kind="info">
                Confirm your own email first — then you can send invitations.
              </Notice>
            )}
            {problems.invite && !problems.invite.field && (
              <Notice kind="error">{problems.invite.message}</Notice>
            )}
            <Form action={`/orgs/${org.id}/invites`} csrf={shell.csrf} class="invite-form">
              <Field
                label="Email"
                name="email"
                type="email"
                value={inviteEmail}
                required
                placeholder="teammate@example.com"
                error={problems.invite?.field ? problems.invite.message : undefined}
              />
              <div class="field">
                <label for="f-invite-role">Role</label>
                <RoleSelect name="role" selected="viewer" allowAdmin={isOwner} id="f-invite-role" />
              </div>
              <button type="submit" disabled={!verified}>Send invitation</button>
            </Form>
            {invites.length > 0 && (
              <>
                <h3>Pending invitations</h3>
                <ul class="plain-list">
                  {invites.map((i) => (
                    <li class="row spread">
                      <span>
                        {i.email} · {i.role}{" "}
                        <span class="muted small">sent {timeAgo(i.created_at)}</span>
                      </span>
                      <Form
                        action={`/orgs/${org.id}/invites/${i.id}/revoke`}
                        csrf={shell.csrf}
                        class="inline-form"
                      >
                        <button type="submit" class="link-button">Withdraw</button>
                      </Form>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>
        )}

        {isAdmin && (
          <section class="card stack" aria-labelledby="rename-title">
            <h2 id="rename-title">Name</h2>
            <Form action={`/orgs/${org.id}/rename`} csrf={shell.csrf} class="row inline-form">
              <label class="visually-hidden" for="f-org-name">Organization name</label>
              <input id="f-org-name" name="name" type="text" value={org.name} required />
              <button type="submit" class="secondary">Rename</button>
            </Form>
            {problems.rename && <div class="hint negative">{problems.rename.message}</div>}
          </section>
        )}

        {isOwner && members.length > 1 && (
          <section class="card stack" aria-labelledby="transfer-title">
            <h2 id="transfer-title">Transfer ownership</h2>
            <p class="muted">The new owner gets every right; you stay on as an admin.</p>
            {problems.transfer && <Notice kind="error">{problems.transfer.message}</Notice>}
            <Form action={`/orgs/${org.id}/transfer`} csrf={shell.csrf} class="row inline-form">
              <label class="visually-hidden" for="f-transfer">New owner</label>
              <select name="user_id" id="f-transfer">
                {members.filter((m) =>
                  m.user_id !== user.id
                ).map((m) => (
                  <option value={String(m.user_id)}>
                    {m.name ? `${m.name} (${m.email})` : m.email}
                  </option>
                ))}
              </select>
              <button type="submit" class="secondary">Transfer</button>
            </Form>
          </section>
        )}

        <section class="card stack danger-zone" aria-labelledby="leave-title">
          <h2 id="leave-title">{isOwner ? "Delete organization" : "Leave organization"}</h2>
          {isOwner
            ? (
              <>
                <p>
                  Deleting {org.name}{" "}
                  removes all its sites and their data for everyone. To leave instead, transfer
                  ownership first.
                </p>
                {problems.delete && <Notice kind="error">{problems.delete.message}</Notice>}
                <Form action={`/orgs/${org.id}/delete`} csrf={shell.csrf}>
                  <Field
                    label={`Type ${org.name} to confirm`}
                    name="confirm"
                    required
                    autocomplete="off"
                  />
                  <button type="submit" class="danger">Delete organization</button>
                </Form>
              </>
            )
            : (
              <Form action={`/orgs/${org.id}/leave`} csrf={shell.csrf}>
                <p>You'll lose access to its sites until someone invites you again.</p>
                <button type="submit" class="danger">Leave {org.name}</button>
              </Form>
            )}
        </section>
      </div>
    </AppShell>,
    { title: org.name, status: Object.values(problems).find(Boolean)?.status },
  );
}

export function registerTeam(app: Hono<AppEnv>): void {
  app.get("/orgs/new", requireUser(), async (c) => {
    const shell = await shellProps(c, { active: "team" });
    return renderPage(
      c,
      <AppShell {...shell}>
        <div class="narrow-page stack">
          <h1>New organization</h1>
          <p class="muted">
            An organization holds sites and the people who can see them — one per client or business
            keeps things tidy.
          </p>
          <Form action="/orgs/new" csrf={shell.csrf} class="card">
            <Field label="Name" name="name" required placeholder="Acme Courses" />
            <button type="submit">Create organization</button>
          </Form>
        </div>
      </AppShell>,
      { title: "New organization" },
    );
  });

  app.post("/orgs/new", requireUser(), async (c) => {
    const form = await readForm(c);
    const sql = c.get("app").db.sql;
    const name = (form.name ?? "").trim();
    if (!name) throw new Invalid("name", "Give the organization a name.");
    if (name.length > 100) throw new Invalid("name", "Keep the name under 100 characters.");
    const org = await createOrg(sql, name, c.get("user")!.id);
    await switchOrg(sql, c.get("user")!.id, org.id);
    return c.redirect("/sites", 303);
  });

  app.post("/orgs/:orgId/switch", requireOrg("viewer"), async (c) => {
    await switchOrg(c.get("app").db.sql, c.get("user")!.id, c.get("org").id);
    return c.redirect("/sites", 303);
  });

  app.get("/orgs/:orgId", requireOrg("viewer"), (c) => teamPage(c));

  app.post("/orgs/:orgId/rename", requireOrg("admin"), async (c) => {
    const form = await readForm(c);
    const r = await tryForm(() => renameOrg(c.get("app").db.sql, c.get("org").id, form.name ?? ""));
    if (!r.ok) return teamPage(c, { rename: r.problem });
    return c.redirect(`/orgs/${c.get("org").id}?done=renamed`, 303);
  });

  app.post("/orgs/:orgId/invites", requireOrg("admin"), async (c) => {
    const form = await readForm(c);
    const ctx = c.get("app");
    const org = c.get("org");
    const user = c.get("user")!;
    const r = await tryForm(async () => {
      if (!user.email_verified_at) {
        throw new Forbidden("Confirm your own email address before inviting others.");
      }
      await limitAction(ctx.bus.kv, "invite", 30, await clientKey(c));
      const { token, invite } = await createInvite(ctx.db.sql, {
        orgId: org.id,
        email: form.email ?? "",
        role: (form.role ?? "viewer") as Role,
        invitedBy: user.id,
        actorRole: c.get("role"),
      });
      await sendMail(ctx.db.sql, {
        to: invite.email,
        kind: "invite",
        message: inviteMessage({
          link: `${ctx.config.PUBLIC_URL}/invites/${encodeURIComponent(token)}`,
          orgName: org.name,
          inviterName: user.name || user.email,
          role: invite.role,
        }),
      });
    });
    if (!r.ok) return teamPage(c, { invite: r.problem }, form.email ?? "");
    return c.redirect(`/orgs/${org.id}?done=invited`, 303);
  });

  app.post("/orgs/:orgId/invites/:inviteId/revoke", requireOrg("admin"), async (c) => {
    const ok = await revokeInvite(c.get("app").db.sql, c.get("org").id, idParam(c, "inviteId"));
    if (!ok) throw new NotFound("That invitation doesn't exist or was already used.");
    return c.redirect(`/orgs/${c.get("org").id}?done=invite-revoked`, 303);
  });

  app.post("/orgs/:orgId/members/:userId/role", requireOrg("admin"), async (c) => {
    const form = await readForm(c);
    const r = await tryForm(() =>
      changeMemberRole(c.get("app").db.sql, {
        orgId: c.get("org").id,
        actorRole: c.get("role"),
        userId: idParam(c, "userId"),
        role: (form.role ?? "") as Role,
      })
    );
    if (!r.ok) return teamPage(c, { members: r.problem });
    return c.redirect(`/orgs/${c.get("org").id}?done=role-changed`, 303);
  });

  app.post("/orgs/:orgId/members/:userId/remove", requireOrg("admin"), async (c) => {
    const r = await tryForm(() =>
      removeMember(c.get("app").db.sql, {
        orgId: c.get("org").id,
        actorRole: c.get("role"),
        userId: idParam(c, "userId"),
      })
    );
    if (!r.ok) return teamPage(c, { members: r.problem });
    return c.redirect(`/orgs/${c.get("org").id}?done=removed`, 303);
  });

  app.post("/orgs/:orgId/transfer", requireOrg("owner"), async (c) => {
    const form = await readForm(c);
    const r = await tryForm(() =>
      transferOwnership(c.get("app").db.sql, {
        orgId: c.get("org").id,
        fromUserId: c.get("user")!.id,
        toUserId: formId(form, "user_id", "Choose the member who becomes the owner."),
      })
    );
    if (!r.ok) return teamPage(c, { transfer: r.problem });
    return c.redirect(`/orgs/${c.get("org").id}?done=transferred`, 303);
  });

  app.post("/orgs/:orgId/leave", requireOrg("viewer"), async (c) => {
    const r = await tryForm(() =>
      leaveOrg(c.get("app").db.sql, c.get("org").id, c.get("user")!.id)
    );
    if (!r.ok) return teamPage(c, { delete: r.problem });
    return c.redirect("/sites", 303);
  });

  app.post("/orgs/:orgId/delete", requireOrg("owner"), async (c) => {
    const form = await readForm(c);
    const org = c.get("org");
    if ((form.confirm ?? "").trim() !== org.name) {
      return teamPage(c, {
        delete: { message: `Type ${org.name} exactly to confirm.`, status: 400 },
      });
    }
    await deleteOrg(c.get("app").db.sql, org.id);
    return c.redirect("/sites", 303);
  });
}
