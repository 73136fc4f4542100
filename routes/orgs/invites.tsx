/** /invites/:token — see an invitation and accept it (signing in or up first when needed). */
import type { Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { csrfToken } from "../../http/middleware/csrf.ts";
import { loadUser, requireUser } from "../../http/middleware/auth.ts";
import { AuthCard, Notice } from "../../components/AuthCard.tsx";
import { Form } from "../../components/Form.tsx";
import { acceptInvite, findInviteByToken } from "../../accounts/invites.ts";
import { normalizeEmail } from "../../accounts/users.ts";
import { tryForm } from "../forms.ts";

export function registerInvites(app: Hono<AppEnv>): void {
  app.get("/invites/:token", loadUser(), async (c) => {
    const token = c.req.param("token");
    const found = await findInviteByToken(c.get("app").db.sql, token);
    if (!found.ok) {
      return renderPage(
        c,
        <AuthCard title="Invitation">
          <Notice kind="error">{found.message}</Notice>
          <p>
            <a class="button" href="/">Go to Sextant</a>
          </p>
        </AuthCard>,
        { title: "Invitation", status: 400 },
      );
    }
    const user = c.get("user");
    const here = `/invites/${encodeURIComponent(token)}`;
    const emailQ = encodeURIComponent(found.invite.email);
    const matches = user && normalizeEmail(user.email) === normalizeEmail(found.invite.email);
    return renderPage(
      c,
      <AuthCard
        title={`Join ${found.orgName}`}
        intro={`${found.inviterName} invited ${found.invite.email} to join as ${found.invite.role}.`}
      >
        {!user && (
          <p class="row">
            <a class="button" href={`/signup?email=${emailQ}&next=${encodeURIComponent(here)}`}>
              Create an account
            </a>
            <a class="button secondary" href={`/login?next=${encodeURIComponent(here)}`}>
              I have an account
            </a>
          </p>
        )}
        {user && !matches && (
          <Notice kind="error">
            You're signed in as {user.email}, but this invitation is for{" "}
            {found.invite.email}. Sign out and use the invited address.
          </Notice>
        )}
        {user && matches && (
          <Form action={here} csrf={await csrfToken(c)}>
            <button type="submit" class="wide">Accept and open {found.orgName}</button>
          </Form>
        )}
      </AuthCard>,
      { title: "Invitation" },
    );
  });

  app.post("/invites/:token", requireUser(), async (c) => {
    const r = await tryForm(() =>
      acceptInvite(c.get("app").db.sql, c.req.param("token"), c.get("user")!)
    );
    if (!r.ok) {
      return renderPage(
        c,
        <AuthCard title="Invitation">
          <Notice kind="error">{r.problem.message}</Notice>
          <p>
            <a class="button" href="/">Go to Sextant</a>
          </p>
        </AuthCard>,
        { title: "Invitation", status: r.problem.status },
      );
    }
    return c.redirect("/sites", 303);
  });
}
