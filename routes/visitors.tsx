/**
 * /sites/:siteId/visitors/:visitorId: one visitor's visits and, step by step, the visit asked
 * for (`?session=`) or the latest. Funnel drop-off lists link here.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { requireSite } from "../http/middleware/auth.ts";
import { shellProps } from "../http/shell.ts";
import { AppShell } from "../components/AppShell.tsx";
import { formatCount } from "../analytics/format.ts";
import { checkVisitorId, visitorPage } from "../analytics/visitors.ts";
import { countryLabel } from "../realtime/live_format.ts";

/** "2026-03-14 09:05 UTC". */
function when(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

async function visitorRoute(c: Context<AppEnv>) {
  const site = c.get("site");
  const visitorId = checkVisitorId(c.req.param("visitorId") ?? "");
  const session = c.req.query("session") || undefined;
  const page = await visitorPage(c.get("app").db.sql, site.id, visitorId, { session });
  const shell = await shellProps(c, { active: "funnels" });
  const base = `/sites/${site.id}/visitors/${encodeURIComponent(visitorId)}`;
  const shown = page.shown;
  return renderPage(
    c,
    <AppShell {...shell}>
      <div class="page-header">
        <div>
          <h1>
            Visitor <code>{visitorId.slice(0, 12)}</code>
          </h1>
          <p class="muted">
            {page.visits.length === 0
              ? "No visits stored for this visitor (they may have been erased)."
              : `${formatCount(page.visits.length)} visit${
                page.visits.length === 1 ? "" : "s"
              }, the latest first.`}
          </p>
        </div>
      </div>
      {shown && (
        <section class="card" aria-labelledby="visit-steps">
          <h2 id="visit-steps">Visit of {when(shown.started_at)}</h2>
          <p class="muted small">
            From {shown.source || "Direct / none"} ({shown.channel}) · {shown.device || "Unknown"} ·
            {" "}
            {shown.country ? countryLabel(shown.country) : "Unknown"}
          </p>
          {page.hits.length === 0
            ? <p class="muted">No pages or events are stored for this visit.</p>
            : (
              <ol class="journey-steps">
                {page.hits.map((h) => (
                  <li class={`step step-${h.type}`}>
                    <span class="muted small">{h.ts.toISOString().slice(11, 19)}</span>
                    {h.type === "pageview"
                      ? <span class="step-what">{h.pathname}</span>
                      : (
                        <span class="step-what">
                          {h.name || h.type} <span class="muted small">on {h.pathname}</span>
                        </span>
                      )}
                  </li>
                ))}
              </ol>
            )}
        </section>
      )}
      {page.visits.length > 0 && (
        <section class="card" aria-labelledby="visits">
          <h2 id="visits">Visits</h2>
          <div class="table-wrap">
            <table class="breakdown">
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Source</th>
                  <th scope="col" class="num">Pages</th>
                </tr>
              </thead>
              <tbody>
                {page.visits.map((v) => (
                  <tr>
                    <td>
                      <a
                        href={`${base}?session=${v.session_id}`}
                        aria-current={v.session_id === shown?.session_id ? "true" : undefined}
                      >
                        {when(v.started_at)}
                      </a>
                    </td>
                    <td>{v.source || "Direct / none"}</td>
                    <td class="num">{formatCount(v.pageviews)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </AppShell>,
    { title: `Visitor · ${site.name}` },
  );
}

export function registerVisitors(app: Hono<AppEnv>): void {
  app.get("/sites/:siteId{[0-9]+}/visitors/:visitorId", requireSite("viewer"), visitorRoute);
}
