/**
 * Shared dashboards: the public read-only page /share/:token (optionally behind a password,
 * optionally expiring) and the page where a site's admins create and revoke those links.
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { ComponentChildren } from "preact";
import { getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { requireSite } from "../http/middleware/auth.ts";
import { csrfToken } from "../http/middleware/csrf.ts";
import { rateLimit } from "../http/middleware/rate_limit.ts";
import { clientIp } from "../http/client_ip.ts";
import { AppShell } from "../components/AppShell.tsx";
import { Field, Form } from "../components/Form.tsx";
import { findSiteById } from "../accounts/sites.ts";
import {
  checkSharePassword,
  createShare,
  findActiveShare,
  isShareUnlocked,
  listShares,
  revokeShare,
  shareUnlockCookie,
  shareUnlockValue,
} from "../accounts/shares.ts";
import { assertAcceptablePassword } from "../accounts/passwords.ts";
import { idParam } from "./forms.ts";
import { Invalid, NotFound, Unauthorized } from "../lib/errors.ts";
import { formatDay } from "../analytics/period.ts";
import {
  type DashboardPlace,
  mountDashboardData,
  renderBreakdownPage,
  renderOverview,
} from "./dashboard_pages.tsx";

const GONE = "This shared dashboard link is not valid, has expired or was turned off.";

function ShareFrame(props: { c: Context<AppEnv>; name?: string; children: ComponentChildren }) {
  const back = encodeURIComponent(new URL(props.c.req.url).pathname);
  return (
    <>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <a class="brand" href="/">
          <img src="/static/favicon.svg" alt="" /> Sextant
        </a>
        {props.name && <span class="site-name">{props.name}</span>}
        <span class="badge">Shared · read-only</span>
        <span class="spacer" />
        <nav class="row small" aria-label="Theme">
          <a href={`/theme/light?back=${back}`}>Light</a>
          <a href={`/theme/dark?back=${back}`}>Dark</a>
        </nav>
      </header>
      <main id="main" class="page">{props.children}</main>
    </>
  );
}

async function passwordPage(c: Context<AppEnv>, token: string, error?: string) {
  return renderPage(
    c,
    <main class="center-page">
      <div class="card narrow stack">
        <h1>This dashboard is password protected</h1>
        <p class="muted">Enter the password you were given to see it.</p>
        {error && <p class="alert error" role="alert">{error}</p>}
        <Form action={`/share/${encodeURIComponent(token)}/unlock`} csrf={await csrfToken(c)}>
          <Field label="Password" name="password" type="password" required autocomplete="off" />
          <button type="submit">View dashboard</button>
        </Form>
      </div>
    </main>,
    { title: "Shared dashboard", status: error ? 401 : 401 },
  );
}

/** Resolves the share token; sets `site`. Pages ask for the password, JSON answers 401. */
function requireShare(kind: "page" | "json"): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { db, config } = c.get("app");
    const token = c.req.param("token") ?? "";
    const share = await findActiveShare(db.sql, token);
    const site = share ? await findSiteById(db.sql, share.site_id) : null;
    if (!share || !site) throw new NotFound(GONE);
    if (share.password_hash) {
      const unlocked = await isShareUnlocked(
        config.SECRET_KEY,
        share.id,
        getCookie(c, shareUnlockCookie(share.id)),
      );
      if (!unlocked) {
        if (kind === "json") throw new Unauthorized("This dashboard needs its password first.");
        return await passwordPage(c, token);
      }
    }
    c.set("site", site);
    c.set("role", "viewer");
    await next();
  };
}

function sharePlace(c: Context<AppEnv>): DashboardPlace {
  const token = encodeURIComponent(c.req.param("token") ?? "");
  const site = c.get("site");
  return {
    site,
    base: `/share/${token}`,
    shareToken: c.req.param("token") ?? "",
    api: `/share/${token}/api`,
    canAnnotate: false,
    frame: (body) => <ShareFrame c={c} name={site.name}>{body}</ShareFrame>,
  };
}

async function managePage(c: Context<AppEnv>, opts: { error?: string; created?: string } = {}) {
  const { db, secrets, config } = c.get("app");
  const site = c.get("site");
  const csrf = await csrfToken(c);
  const shares = await listShares(db.sql, secrets, site.id);
  const now = Date.now();
  const url = new URL(c.req.url);
  return renderPage(
    c,
    <AppShell
      user={c.get("user")!}
      csrf={csrf}
      path={url.pathname}
      site={site}
      active="settings"
    >
      <div class="page-header">
        <div>
          <p class="small">
            <a href={`/sites/${site.id}`}>← Dashboard</a>
          </p>
          <h1>Share this dashboard</h1>
          <p class="muted">
            Anyone with a link sees the dashboard read-only: numbers, charts and exports, never
            settings. Add a password or an expiry date, and turn a link off at any time.
          </p>
        </div>
      </div>
      {opts.created && (
        <p class="alert success" role="status">
          Link created: <a href={opts.created}>{opts.created}</a>
        </p>
      )}
      <div class="grid two">
        <section class="card">
          <h2>New link</h2>
          {opts.error && <p class="alert error" role="alert">{opts.error}</p>}
          <Form action={`/sites/${site.id}/share`} csrf={csrf}>
            <Field label="Label" name="label" hint="Who is it for? Only you see this." />
            <Field
              label="Password (optional)"
              name="password"
              type="password"
              autocomplete="new-password"
              hint="At least 10 characters. Leave empty for an open link."
            />
            <Field
              label="Expires on (optional)"
              name="expires"
              type="date"
              hint="The link stops working at the end of that day (UTC)."
            />
            <button type="submit">Create link</button>
          </Form>
        </section>
        <section class="card">
          <h2>Links</h2>
          {shares.length === 0 && <p class="muted">No shared links yet.</p>}
          <ul class="share-list">
            {shares.map((s) => {
              const link = `${config.PUBLIC_URL}/share/${s.token}`;
              const expired = s.expires_at !== null && s.expires_at.getTime() <= now;
              const state = s.revoked_at ? "Turned off" : expired ? "Expired" : "Active";
              return (
                <li>
                  <div class="row">
                    <strong>{s.label || "Untitled link"}</strong>
                    <span class={`badge ${state === "Active" ? "ok" : "bad"}`}>{state}</span>
                    {s.has_password && <span class="badge">Password</span>}
                    {s.expires_at && (
                      <span class="muted small">
                        until {formatDay(s.expires_at.toISOString().slice(0, 10))}
                      </span>
                    )}
                  </div>
                  {state === "Active" && (
                    <>
                      <code class="share-link">{link}</code>
                      <Form action={`/sites/${site.id}/share/${s.id}/revoke`} csrf={csrf}>
                        <button type="submit" class="secondary">Turn off</button>
                      </Form>
                    </>
                  )}
                </li>
              );
            })}
          </ul>
        </section>
      </div>
    </AppShell>,
    { title: "Share", status: opts.error ? 400 : 200 },
  );
}

export function registerShare(app: Hono<AppEnv>): void {
  app.get("/share/:token", requireShare("page"), (c) => renderOverview(c, sharePlace(c)));
  app.get(
    "/share/:token/breakdown/:dimension",
    requireShare("page"),
    (c) => renderBreakdownPage(c, sharePlace(c)),
  );
  app.post(
    "/share/:token/unlock",
    rateLimit({
      name: "share-unlock",
      limit: 10,
      windowMs: 60_000,
      key: (c) => `${clientIp(c)}:${c.req.param("token")}`,
    }),
    async (c) => {
      const { db, config } = c.get("app");
      const token = c.req.param("token");
      const share = await findActiveShare(db.sql, token);
      if (!share) throw new NotFound(GONE);
      const form = await c.req.parseBody();
      const ok = share.password_hash &&
        await checkSharePassword(share.password_hash, String(form.password ?? ""));
      if (!ok) return await passwordPage(c, token, "That password is not right. Try again.");
      setCookie(
        c,
        shareUnlockCookie(share.id),
        await shareUnlockValue(config.SECRET_KEY, share.id),
        {
          path: "/share/",
          httpOnly: true,
          sameSite: "Lax",
          secure: config.PUBLIC_URL.startsWith("https:"),
          maxAge: 60 * 60 * 24 * 30,
        },
      );
      return c.redirect(`/share/${encodeURIComponent(token)}`, 303);
    },
  );
  mountDashboardData(app, "/share/:token/api", requireShare("json"), (c) => c.get("site"));

  app.get("/sites/:siteId{[0-9]+}/share", requireSite("admin"), (c) => managePage(c));
  app.post("/sites/:siteId{[0-9]+}/share", requireSite("admin"), async (c) => {
    const { db, secrets, config } = c.get("app");
    const site = c.get("site");
    const form = await c.req.parseBody();
    const password = String(form.password ?? "");
    const expires = String(form.expires ?? "");
    try {
      if (password) assertAcceptablePassword(password);
      let expiresAt: Date | null = null;
      if (expires) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(expires)) {
          throw new Invalid("expires", "Pick an expiry date like 2026-12-31.");
        }
        expiresAt = new Date(`${expires}T23:59:59.999Z`);
        if (expiresAt.getTime() <= Date.now()) {
          throw new Invalid("expires", "The expiry date is in the past; pick a later one.");
        }
      }
      const { token } = await createShare(db.sql, secrets, {
        siteId: site.id,
        label: String(form.label ?? "").slice(0, 100),
        password: password || undefined,
        expiresAt,
        createdBy: c.get("user")!.id,
      });
      return await managePage(c, { created: `${config.PUBLIC_URL}/share/${token}` });
    } catch (e) {
      if (e instanceof Invalid) return await managePage(c, { error: e.message });
      throw e;
    }
  });
  app.post(
    "/sites/:siteId{[0-9]+}/share/:shareId{[0-9]+}/revoke",
    requireSite("admin"),
    async (c) => {
      await revokeShare(c.get("app").db.sql, c.get("site").id, idParam(c, "shareId"));
      return c.redirect(`/sites/${c.get("site").id}/share`, 303);
    },
  );
}
