/** The signed-in dashboard: /sites/:siteId, its breakdown pages, annotations and JSON. */
import type { Context, Hono } from "hono";
import type { ComponentChildren } from "preact";
import type { AppEnv } from "../http/context.ts";
import { requireSite } from "../http/middleware/auth.ts";
import { csrfToken } from "../http/middleware/csrf.ts";
import { AppShell } from "../components/AppShell.tsx";
import { roleAtLeast } from "../accounts/orgs.ts";
import { markDashboardSeen } from "../accounts/onboarding.ts";
import { createAnnotation, deleteAnnotation } from "../analytics/annotations.ts";
import { pathOfReferer, safeRedirectPath } from "../lib/redirect.ts";
import { idParam } from "./forms.ts";
import {
  type DashboardPlace,
  mountDashboardData,
  renderBreakdownPage,
  renderOverview,
} from "./dashboard_pages.tsx";

async function place(c: Context<AppEnv>): Promise<DashboardPlace> {
  const site = c.get("site");
  const csrf = await csrfToken(c);
  const user = c.get("user")!;
  const path = new URL(c.req.url);
  return {
    site,
    base: `/sites/${site.id}`,
    api: `/api/app/sites/${site.id}`,
    canAnnotate: roleAtLeast(c.get("role"), "member"),
    csrf,
    installHref: `/sites/${site.id}/install`,
    goalsHref: `/sites/${site.id}/goals`,
    frame: (body: ComponentChildren) => (
      <AppShell
        user={user}
        csrf={csrf}
        path={path.pathname + path.search}
        site={site}
        active="dashboard"
      >
        {body}
      </AppShell>
    ),
  };
}

export function registerDashboard(app: Hono<AppEnv>): void {
  app.get(
    "/sites/:siteId{[0-9]+}",
    requireSite("viewer"),
    async (c) => {
      await markDashboardSeen(c.get("app").db.sql, c.get("user")!.id, c.get("site").id);
      return renderOverview(c, await place(c));
    },
  );
  app.get(
    "/sites/:siteId{[0-9]+}/breakdown/:dimension",
    requireSite("viewer"),
    async (c) => renderBreakdownPage(c, await place(c)),
  );
  app.post("/sites/:siteId{[0-9]+}/annotations", requireSite("member"), async (c) => {
    const form = await c.req.parseBody();
    const site = c.get("site");
    await createAnnotation(c.get("app").db.sql, {
      siteId: site.id,
      day: String(form.day ?? ""),
      category: String(form.category ?? "note"),
      body: String(form.body ?? ""),
      createdBy: c.get("user")!.id,
    });
    return c.redirect(safeRedirectPath(String(form.back ?? ""), `/sites/${site.id}`), 303);
  });
  app.post(
    "/sites/:siteId{[0-9]+}/annotations/:annotationId{[0-9]+}/delete",
    requireSite("member"),
    async (c) => {
      const site = c.get("site");
      await deleteAnnotation(c.get("app").db.sql, site.id, idParam(c, "annotationId"));
      const back = pathOfReferer(c.req.header("referer"));
      return c.redirect(safeRedirectPath(back, `/sites/${site.id}`), 303);
    },
  );
  mountDashboardData(
    app,
    "/api/app/sites/:siteId{[0-9]+}",
    requireSite("viewer"),
    (c) => c.get("site"),
  );
}
