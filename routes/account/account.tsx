/**
 * /account — profile, password, "sessions on other devices" with revoke, data export (GDPR) and
 * account deletion.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { requireUser } from "../../http/middleware/auth.ts";
import { shellProps } from "../../http/shell.ts";
import { signOut } from "../../http/session_cookie.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { Notice } from "../../components/AuthCard.tsx";
import { Field, Form } from "../../components/Form.tsx";
import { timeAgo } from "../../components/format.ts";
import { MIN_PASSWORD_LENGTH } from "../../accounts/passwords.ts";
import { changePassword } from "../../accounts/auth.ts";
import {
  describeUserAgent,
  listLoginSessions,
  revokeLoginSession,
  revokeOtherSessions,
} from "../../accounts/sessions.ts";
import { exportAccountData } from "../../accounts/data_export.ts";
import { deleteAccount, sharedOwnedOrgs } from "../../accounts/account_deletion.ts";
import { NotFound } from "../../lib/errors.ts";
import { type FormProblem, idParam, readForm, tryForm } from "../forms.ts";
import { sendPasswordChangedEmail } from "../auth/mailers.ts";

const DONE: Record<string, string> = {
  profile: "Profile saved.",
  password: "Password changed. Your other devices are signed out.",
  "session-revoked": "That device is signed out.",
  "others-revoked": "Every other device is signed out.",
  "verification-sent": "We sent a new confirmation link. It works for 3 days.",
  "already-verified": "Your email is already confirmed.",
};

type Problems = Partial<Record<"profile" | "password" | "delete", FormProblem>>;

async function accountPage(c: Context<AppEnv>, problems: Problems = {}) {
  const user = c.get("user")!;
  const sql = c.get("app").db.sql;
  const [sessions, blocking, shell] = await Promise.all([
    listLoginSessions(sql, user.id),
    sharedOwnedOrgs(sql, user.id),
    shellProps(c, { active: "account" }),
  ]);
  const current = c.get("sessionId");
  const done = DONE[c.req.query("done") ?? ""];
  const others = sessions.filter((s) => s.id !== current).length;
  return renderPage(
    c,
    <AppShell {...shell}>
      <div class="narrow-page stack">
        <h1>Your account</h1>
        {done && <Notice kind="success">{done}</Notice>}

        <section class="card stack" aria-labelledby="profile-title">
          <h2 id="profile-title">Profile</h2>
          <Form action="/account/profile" csrf={shell.csrf}>
            <Field
              label="Name"
              name="name"
              value={user.name}
              autocomplete="name"
              error={problems.profile?.message}
            />
            <div class="field">
              <span class="label-like">Email</span>
              <div>
                {user.email}{" "}
                {user.email_verified_at
                  ? <span class="badge ok">confirmed</span>
                  : <span class="badge bad">not confirmed</span>}
              </div>
            </div>
            <button type="submit" class="secondary">Save profile</button>
          </Form>
          {!user.email_verified_at && (
            <Form action="/verify/resend" csrf={shell.csrf} class="inline-form">
              <button type="submit" class="link-button">Send the confirmation link again</button>
            </Form>
          )}
        </section>

        <section class="card stack" aria-labelledby="password-title">
          <h2 id="password-title">Password</h2>
          {problems.password &&
            !["current_password", "password"].includes(problems.password.field ?? "") && (
            <Notice kind="error">{problems.password.message}</Notice>
          )}
          <Form action="/account/password" csrf={shell.csrf}>
            <Field
              label="Current password"
              name="current_password"
              type="password"
              required
              autocomplete="current-password"
              error={problems.password?.field === "current_password"
                ? problems.password.message
                : undefined}
            />
            <Field
              label="New password"
              name="password"
              type="password"
              required
              minLength={MIN_PASSWORD_LENGTH}
              autocomplete="new-password"
              hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
              error={problems.password?.field === "password"
                ? problems.password.message
                : undefined}
            />
            <button type="submit" class="secondary">Change password</button>
          </Form>
        </section>

        <section class="card stack" aria-labelledby="sessions-title">
          <div class="row spread">
            <h2 id="sessions-title">Signed-in devices</h2>
            {others > 0 && (
              <Form action="/account/sessions/revoke-others" csrf={shell.csrf} class="inline-form">
                <button type="submit" class="secondary">Sign out all other devices</button>
              </Form>
            )}
          </div>
          <ul class="plain-list sessions">
            {sessions.map((s) => (
              <li class="row spread">
                <span>
                  <strong>{describeUserAgent(s.user_agent)}</strong>
                  {s.id === current && <span class="badge ok">this device</span>}
                  <div class="muted small">
                    Signed in {timeAgo(s.created_at)} · last active {timeAgo(s.last_seen_at)}
                  </div>
                </span>
                {s.id !== current && (
                  <Form
                    action={`/account/sessions/${s.id}/revoke`}
                    csrf={shell.csrf}
                    class="inline-form"
                  >
                    <button type="submit" class="link-button">Sign out</button>
                  </Form>
                )}
              </li>
            ))}
          </ul>
        </section>

        <section class="card stack" aria-labelledby="export-title">
          <h2 id="export-title">Your data</h2>
          <p>
            Download everything Sextant keeps about you — profile, organizations, sites' settings,
            devices, API keys and emails — as a zip of CSV and JSON files.
          </p>
          <Form action="/account/export" csrf={shell.csrf} class="inline-form">
            <button type="submit" class="secondary">Download my data</button>
          </Form>
        </section>

        <section class="card stack danger-zone" aria-labelledby="delete-title">
          <h2 id="delete-title">Delete account</h2>
          {blocking.length > 0
            ? (
              <Notice kind="info">
                You own{" "}
                {blocking.join(", ")}, which other people use. Transfer ownership from the team page
                first; then you can delete your account.
              </Notice>
            )
            : (
              <p>
                This deletes your account, your organizations that nobody else uses, and all their
                sites and data. It can't be undone.
              </p>
            )}
          {problems.delete && !problems.delete.field && (
            <Notice kind="error">{problems.delete.message}</Notice>
          )}
          <Form action="/account/delete" csrf={shell.csrf}>
            <Field
              label="Your password"
              name="password"
              type="password"
              required
              autocomplete="current-password"
              error={problems.delete?.field === "password" ? problems.delete.message : undefined}
            />
            <Field
              label={`Type ${user.email} to confirm`}
              name="confirm"
              required
              autocomplete="off"
              error={problems.delete?.field === "confirm" ? problems.delete.message : undefined}
            />
            <button type="submit" class="danger" disabled={blocking.length > 0}>
              Delete my account
            </button>
          </Form>
        </section>
      </div>
    </AppShell>,
    { title: "Account", status: Object.values(problems).find(Boolean)?.status },
  );
}

export function registerAccount(app: Hono<AppEnv>): void {
  app.get("/account", requireUser(), (c) => accountPage(c));

  app.post("/account/profile", requireUser(), async (c) => {
    const form = await readForm(c);
    const name = (form.name ?? "").trim();
    if (name.length > 100) {
      return accountPage(c, {
        profile: { message: "Keep your name under 100 characters.", status: 400 },
      });
    }
    await c.get("app").db.sql`update users set name = ${name}, updated_at = now() where id = ${
      c.get("user")!.id
    }`;
    return c.redirect("/account?done=profile", 303);
  });

  app.post("/account/password", requireUser(), async (c) => {
    const form = await readForm(c);
    const ctx = c.get("app");
    const user = c.get("user")!;
    const r = await tryForm(() =>
      changePassword(ctx.db.sql, {
        userId: user.id,
        current: form.current_password ?? "",
        next: form.password ?? "",
        keepSessionId: c.get("sessionId"),
      })
    );
    if (!r.ok) return accountPage(c, { password: r.problem });
    await sendPasswordChangedEmail(ctx, user.email);
    return c.redirect("/account?done=password", 303);
  });

  app.post("/account/sessions/revoke-others", requireUser(), async (c) => {
    await revokeOtherSessions(c.get("app").db.sql, c.get("user")!.id, c.get("sessionId"));
    return c.redirect("/account?done=others-revoked", 303);
  });

  app.post("/account/sessions/:sessionId/revoke", requireUser(), async (c) => {
    const ok = await revokeLoginSession(
      c.get("app").db.sql,
      c.get("user")!.id,
      idParam(c, "sessionId"),
    );
    if (!ok) throw new NotFound("That device is already signed out.");
    return c.redirect("/account?done=session-revoked", 303);
  });

  app.post("/account/export", requireUser(), async (c) => {
    const user = c.get("user")!;
    const zip = await exportAccountData(c.get("app").db.sql, user.id);
    const day = new Date().toISOString().slice(0, 10);
    return new Response(zip as BodyInit, {
      headers: {
        "Content-Type": "application/zip",
        "Content-Disposition": `attachment; filename="sextant-data-${day}.zip"`,
        "Cache-Control": "no-store",
      },
    });
  });

  app.post("/account/delete", requireUser(), async (c) => {
    const form = await readForm(c);
    const r = await tryForm(() =>
      deleteAccount(c.get("app").db.sql, {
        userId: c.get("user")!.id,
        password: form.password ?? "",
        confirmEmail: form.confirm ?? "",
      })
    );
    if (!r.ok) return accountPage(c, { delete: r.problem });
    await signOut(c);
    return c.redirect("/login?notice=account-deleted", 303);
  });
}
