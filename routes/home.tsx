/** GET / — signed-in people go to their next onboarding step or their sites; others sign in. */
import type { Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { loadUser } from "../http/middleware/auth.ts";
import { currentMembership } from "../accounts/orgs.ts";
import { listSitesInOrg } from "../accounts/sites.ts";
import { onboardingFor } from "../accounts/onboarding.ts";

export function registerHome(app: Hono<AppEnv>): void {
  app.get("/", loadUser(), async (c) => {
    const user = c.get("user");
    const sql = c.get("app").db.sql;
    const notice = c.req.query("notice");
    if (!user) {
      // A fresh install has nobody to sign in yet: the first visitor creates the account.
      const [anyone] = await sql`select 1 from users limit 1`;
      return c.redirect(
        anyone ? `/login${notice ? `?notice=${encodeURIComponent(notice)}` : ""}` : "/signup",
        303,
      );
    }
    const membership = await currentMembership(sql, user.id);
    if (!membership) return c.redirect("/orgs/new", 303);
    const sites = await listSitesInOrg(sql, membership.org_id);
    const guide = await onboardingFor(sql, user.id, sites);
    // Until the script is installed the next step is the place to be; after that, the sites.
    const step = guide.current?.key;
    if (!guide.dismissed && (step === "site" || step === "install")) {
      return c.redirect(guide.current!.href, 303);
    }
    return c.redirect("/sites", 303);
  });
}
