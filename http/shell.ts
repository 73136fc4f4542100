/** Builds the props every signed-in page passes to AppShell, switchers included. */
import type { Context } from "hono";
import type { AppEnv } from "./context.ts";
import type { Section, ShellNav } from "../components/AppShell.tsx";
import { csrfToken } from "./middleware/csrf.ts";
import { outboxAccess } from "../mail/outbox_access.ts";
import { currentMembership, listMemberships } from "../accounts/orgs.ts";
import { listSitesInOrg, type Site } from "../accounts/sites.ts";

/**
 * Props for `<AppShell>` on a page behind requireUser/requireSite: the user, CSRF token, path,
 * the authorized site (when the route has one) and the org/site switchers.
 * Use: `<AppShell {...await shellProps(c, { active: "dashboard" })}>…</AppShell>`.
 */
export async function shellProps(
  c: Context<AppEnv>,
  opts: { active?: Section; orgId?: number } = {},
) {
  const user = c.get("user")!;
  const sql = c.get("app").db.sql;
  const site = c.get("site") as Site | undefined;
  const orgs = await listMemberships(sql, user.id);
  const orgId = site?.org_id ?? opts.orgId ?? (await currentMembership(sql, user.id))?.org_id ??
    null;
  const sites = orgId ? await listSitesInOrg(sql, orgId) : [];
  const nav: ShellNav = {
    orgs: orgs.map((o) => ({ id: o.org_id, name: o.org_name, role: o.role })),
    currentOrgId: orgId,
    sites: sites.map((s) => ({ id: s.id, name: s.name, domain: s.domain })),
  };
  return {
    user: {
      email: user.email,
      name: user.name,
      verified: user.email_verified_at !== null,
      outbox: outboxAccess(c.get("app").config),
    },
    csrf: await csrfToken(c),
    path: c.req.path,
    site: site ? { id: site.id, name: site.name, domain: site.domain } : undefined,
    active: opts.active,
    nav,
  };
}
