/**
 * The signed-in frame: top bar with the site switcher, the site's sections, the account menu
 * (with the organization switcher) and theme choice. Pages get every prop from
 * `await shellProps(c, { active })` (http/shell.ts); the switchers appear when `nav` is given.
 */
import type { ComponentChildren } from "preact";
import { Form } from "./Form.tsx";
import type { OutboxAccess } from "../mail/outbox_access.ts";

export type Section =
  | "sites"
  | "dashboard"
  | "live"
  | "revenue"
  | "heatmaps"
  | "funnels"
  | "customers"
  | "install"
  | "settings"
  | "integrations"
  | "alerts"
  | "team"
  | "api-keys"
  | "account";

/** What the switchers list: the user's orgs and the sites of the org in view. */
export interface ShellNav {
  orgs: Array<{ id: number; name: string; role: string }>;
  currentOrgId: number | null;
  sites: Array<{ id: number; name: string; domain: string }>;
}

export interface ShellProps {
  /** `verified: false` shows the "confirm your email" banner. */
  user: { email: string; name: string; verified?: boolean; outbox?: OutboxAccess };
  /** CSRF token for the sign-out form. */
  csrf: string;
  /** The current path, so theme links come back here. */
  path: string;
  site?: { id: number; name: string; domain: string };
  active?: Section;
  nav?: ShellNav;
  children: ComponentChildren;
}

/** Without SMTP the link never leaves the server: say where it can be read instead. */
function OutboxHint(props: { access?: OutboxAccess }) {
  if (props.access === "all" || props.access === "own") {
    return (
      <>
        {" "}This server doesn't send mail (no SMTP_URL): read it at{" "}
        <a href="/dev/mail">/dev/mail</a>.
      </>
    );
  }
  if (props.access === "none") {
    return (
      <>
        {" "}This server doesn't send mail (no SMTP_URL): restart it with{" "}
        <code>MAIL_PREVIEW=on</code> to read it at /dev/mail, or set SMTP_URL to send it.
      </>
    );
  }
  return null;
}

function NavLink(props: { href: string; active: boolean; children: ComponentChildren }) {
  return (
    <a href={props.href} aria-current={props.active ? "page" : undefined}>
      {props.children}
    </a>
  );
}

/** Keeps the section when switching site: /sites/1/settings → /sites/2/settings. */
function sectionSuffix(active: Section | undefined): string {
  return active &&
      [
        "live",
        "revenue",
        "heatmaps",
        "funnels",
        "customers",
        "install",
        "settings",
        "integrations",
        "alerts",
      ].includes(active)
    ? `/${active}`
    : "";
}

function SiteSwitcher(props: { site: ShellProps["site"]; nav: ShellNav; active?: Section }) {
  const s = props.site;
  return (
    <details class="menu switcher">
      <summary aria-label="Switch site">
        <span class="site-name" title={s?.domain}>{s ? s.name : "All sites"}</span>
        <span aria-hidden="true" class="caret">▾</span>
      </summary>
      <div class="menu-panel left">
        <a href="/sites" aria-current={s ? undefined : "page"}>All sites</a>
        {props.nav.sites.map((x) => (
          <a
            href={`/sites/${x.id}${sectionSuffix(props.active)}`}
            aria-current={x.id === s?.id ? "page" : undefined}
            title={x.domain}
          >
            {x.name}
          </a>
        ))}
        <a href="/sites/new" class="muted">+ Add a site</a>
      </div>
    </details>
  );
}

export function AppShell(props: ShellProps) {
  const s = props.site;
  const back = encodeURIComponent(props.path);
  const nav = props.nav;
  const currentOrg = nav?.orgs.find((o) => o.id === nav.currentOrgId);
  return (
    <>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <a class="brand" href="/sites">
          <img src="/static/favicon.svg" alt="" /> <span class="brand-text">Sextant</span>
        </a>
        {nav
          ? <SiteSwitcher site={s} nav={nav} active={props.active} />
          : s && <span class="site-name" title={s.domain}>{s.name}</span>}
        <nav aria-label="Sections">
          {s
            ? (
              <>
                <NavLink href={`/sites/${s.id}`} active={props.active === "dashboard"}>
                  Dashboard
                </NavLink>
                <NavLink href={`/sites/${s.id}/live`} active={props.active === "live"}>
                  Live
                </NavLink>
                <NavLink href={`/sites/${s.id}/revenue`} active={props.active === "revenue"}>
                  Revenue
                </NavLink>
                <NavLink href={`/sites/${s.id}/heatmaps`} active={props.active === "heatmaps"}>
                  Heatmaps
                </NavLink>
                <NavLink href={`/sites/${s.id}/funnels`} active={props.active === "funnels"}>
                  Funnels
                </NavLink>
                <NavLink href={`/sites/${s.id}/customers`} active={props.active === "customers"}>
                  Customers
                </NavLink>
                <NavLink href={`/sites/${s.id}/alerts`} active={props.active === "alerts"}>
                  Alerts
                </NavLink>
                <NavLink href={`/sites/${s.id}/settings`} active={props.active === "settings"}>
                  Settings
                </NavLink>
              </>
            )
            : (
              <>
                <NavLink href="/sites" active={props.active === "sites"}>
                  Sites
                </NavLink>
                {currentOrg && (
                  <NavLink href={`/orgs/${currentOrg.id}`} active={props.active === "team"}>
                    Team
                  </NavLink>
                )}
                {currentOrg && ["owner", "admin"].includes(currentOrg.role) && (
                  <NavLink
                    href={`/orgs/${currentOrg.id}/api-keys`}
                    active={props.active === "api-keys"}
                  >
                    API keys
                  </NavLink>
                )}
              </>
            )}
        </nav>
        <span class="spacer" />
        <details class="menu">
          <summary aria-label="Account menu">{props.user.name || props.user.email}</summary>
          <div class="menu-panel">
            {nav && nav.orgs.length > 0 && (
              <>
                <span class="muted small">Organization</span>
                {nav.orgs.map((o) =>
                  o.id === nav.currentOrgId
                    ? (
                      <a href={`/orgs/${o.id}`} aria-current="true" class="org-current">
                        ✓ {o.name}
                      </a>
                    )
                    : (
                      <Form action={`/orgs/${o.id}/switch`} csrf={props.csrf}>
                        <button type="submit" class="link-button">{o.name}</button>
                      </Form>
                    )
                )}
                <a href="/orgs/new" class="small">+ New organization</a>
                <hr />
              </>
            )}
            <a href="/sites">All sites</a>
            <a href="/account">Account</a>
            <span class="muted small">Theme</span>
            <span class="row small">
              <a href={`/theme/light?back=${back}`}>Light</a>
              <a href={`/theme/dark?back=${back}`}>Dark</a>
              <a href={`/theme/system?back=${back}`}>System</a>
            </span>
            <Form action="/logout" csrf={props.csrf}>
              <button type="submit" class="link-button">Sign out</button>
            </Form>
          </div>
        </details>
      </header>
      {props.user.verified === false && (
        <div class="verify-banner" role="status">
          <span>
            Please confirm your email: we sent a link to <strong>{props.user.email}</strong>.
            <OutboxHint access={props.user.outbox} />
          </span>
          <Form action="/verify/resend" csrf={props.csrf} class="inline-form">
            <button type="submit" class="link-button">Send it again</button>
          </Form>
        </div>
      )}
      <main id="main" class="page">{props.children}</main>
    </>
  );
}
