/**
 * /dev/mail — the outbox, readable in the browser when mail goes nowhere (no SMTP_URL).
 * MAIL_PREVIEW (set by `deno task dev`) shows everyone's mail; in demo mode a signed-in person
 * sees only mail addressed to them. Otherwise the page does not exist.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { loadUser } from "../http/middleware/auth.ts";
import { findOutboxMail, listOutbox } from "../mail/mailer.ts";
import { outboxAccess } from "../mail/outbox_access.ts";
import { NotFound } from "../lib/errors.ts";
import { timeAgo } from "../components/format.ts";
import { idParam } from "./forms.ts";

/** Who may read which mail here: everything, one address, or nothing (404). */
function scope(c: Context<AppEnv>): { all: true } | { to: string } | null {
  const access = outboxAccess(c.get("app").config);
  if (access === "all") return { all: true };
  const user = c.get("user");
  return access === "own" && user ? { to: user.email } : null;
}

/** Text with its http(s) links made clickable (everything else stays escaped text). */
function Linkified(props: { text: string }) {
  const parts = props.text.split(/(https?:\/\/[^\s<>"]+)/g);
  return (
    <>
      {parts.map((p, i) => i % 2 === 1 ? <a key={i} href={p}>{p}</a> : p)}
    </>
  );
}

export function registerDevMail(app: Hono<AppEnv>): void {
  app.get("/dev/mail", loadUser(), async (c) => {
    const s = scope(c);
    if (!s) throw new NotFound();
    const mails = await listOutbox(c.get("app").db.sql, "to" in s ? { to: s.to } : {});
    return renderPage(
      c,
      <main class="page narrow-page stack">
        <h1>Outbox</h1>
        <p class="muted">
          Mail isn't sent from this server (no SMTP_URL), so here is what would have gone out.
        </p>
        {mails.length === 0
          ? <p class="empty">No mail yet. Sign up or ask for a password reset to see one here.</p>
          : (
            <ul class="plain-list outbox">
              {mails.map((m) => (
                <li>
                  <a href={`/dev/mail/${m.id}`}>{m.subject}</a>
                  <div class="muted small">To {m.to_address} · {timeAgo(m.created_at)}</div>
                </li>
              ))}
            </ul>
          )}
      </main>,
      { title: "Outbox" },
    );
  });

  app.get("/dev/mail/:mailId", loadUser(), async (c) => {
    const s = scope(c);
    if (!s) throw new NotFound();
    const mail = await findOutboxMail(
      c.get("app").db.sql,
      idParam(c, "mailId"),
      "to" in s ? s.to : undefined,
    );
    if (!mail) throw new NotFound("That email isn't in the outbox.");
    return renderPage(
      c,
      <main class="page narrow-page stack">
        <p>
          <a href="/dev/mail">← Outbox</a>
        </p>
        <h1>{mail.subject}</h1>
        <p class="muted small">To {mail.to_address} · {mail.created_at.toISOString()}</p>
        <pre class="mail-text"><Linkified text={mail.text} /></pre>
      </main>,
      { title: mail.subject },
    );
  });
}
