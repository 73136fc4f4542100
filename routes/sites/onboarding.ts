/** Onboarding actions: skip the revenue step, mark the dashboard step, hide the guide. */
import type { Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { requireSite, requireUser } from "../../http/middleware/auth.ts";
import { dismissOnboarding, setOnboardingFlag } from "../../accounts/onboarding.ts";
import { pathOfReferer, safeRedirectPath } from "../../lib/redirect.ts";

export function registerOnboarding(app: Hono<AppEnv>): void {
  app.get("/onboarding", requireUser(), (c) => c.redirect("/", 303));

  app.post("/sites/:siteId/onboarding/skip-revenue", requireSite("viewer"), async (c) => {
    await setOnboardingFlag(
      c.get("app").db.sql,
      c.get("user")!.id,
      "revenue_skipped",
      c.get("site").id,
    );
    return c.redirect(
      safeRedirectPath(pathOfReferer(c.req.header("referer")), "/sites"),
      303,
    );
  });

  app.post("/sites/:siteId/onboarding/dashboard", requireSite("viewer"), async (c) => {
    const site = c.get("site");
    await setOnboardingFlag(c.get("app").db.sql, c.get("user")!.id, "dashboard_seen", site.id);
    return c.redirect(`/sites/${site.id}`, 303);
  });

  app.post("/onboarding/dismiss", requireUser(), async (c) => {
    await dismissOnboarding(c.get("app").db.sql, c.get("user")!.id, true);
    return c.redirect("/sites", 303);
  });
}
