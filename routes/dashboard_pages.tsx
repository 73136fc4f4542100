/**
 * What a dashboard serves, whoever is looking: the overview page, a breakdown's full table, the
 * JSON the Dashboard island fetches and the CSV/zip exports. Signed-in routes (dashboard.tsx)
 * and public share links (share.tsx) mount these on their own prefixes after authorizing.
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { ComponentChildren } from "preact";
import type { AppEnv } from "../http/context.ts";
import type { Site } from "../accounts/sites.ts";
import { renderPage } from "../http/render.tsx";
import { loadDashboard, loadPanel, readView } from "../analytics/dashboard.ts";
import {
  type Dimension,
  DIMENSION_INFO,
  DIMENSIONS,
  METRIC_INFO,
  metricsFor,
  MONEY_METRICS,
} from "../analytics/dimensions.ts";
import { breakdownCsv, exportAll, exportName } from "../analytics/export.ts";
import { columnFormatter } from "../analytics/format.ts";
import { checkQuery } from "../analytics/query.ts";
import { breakdown } from "../analytics/stats.ts";
import { valueLabel, viewHref } from "../analytics/view.ts";
import { withoutFilter } from "../analytics/url.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import Dashboard from "../islands/Dashboard.tsx";
import LiveSummary from "../islands/LiveSummary.tsx";
import PurchaseFeed from "../islands/PurchaseFeed.tsx";

/** Where a dashboard lives and what its viewer may do. */
export interface DashboardPlace {
  site: Site;
  /** Page path: "/sites/12" or "/share/<token>". */
  base: string;
  /** JSON and export path: "/api/app/sites/12" or "/share/<token>/api". */
  api: string;
  canAnnotate: boolean;
  csrf?: string;
  installHref?: string;
  /** Where goals are managed (signed-in dashboards only). */
  goalsHref?: string;
  /** The share link's token when a visitor views it publicly (the live islands need it). */
  shareToken?: string;
  /** Wraps the page body (the signed-in shell, or the public share frame). */
  frame: (body: ComponentChildren) => ComponentChildren;
}

function params(c: Context<AppEnv>): URLSearchParams {
  return new URL(c.req.url).searchParams;
}

/** The overview page, rendered complete on the server. */
export async function renderOverview(c: Context<AppEnv>, place: DashboardPlace) {
  const { db } = c.get("app");
  const data = await loadDashboard(db.sql, place.site, params(c));
  const body = (
    <>
      <div class="page-header">
        <h1>
          {place.site.name}
          <span class="muted small domain">{place.site.domain}</span>
        </h1>
      </div>
      <div class="live-slot" data-slot="live-summary">
        <LiveSummary siteId={place.site.id} shareToken={place.shareToken} />
      </div>
      <Dashboard
        data={data}
        base={place.base}
        api={place.api}
        csrf={place.csrf}
        canAnnotate={place.canAnnotate}
        installHref={place.installHref}
        goalsHref={place.goalsHref}
      />
      <div class="live-slot" data-slot="purchase-feed">
        <PurchaseFeed siteId={place.site.id} shareToken={place.shareToken} />
      </div>
    </>
  );
  return renderPage(c, place.frame(body), { title: place.site.name, bodyClass: "dash-page" });
}

function parseDimension(raw: string): Dimension {
  if (!(DIMENSIONS as readonly string[]).includes(raw)) {
    throw new NotFound("There is no such breakdown.");
  }
  return raw as Dimension;
}

/** A breakdown's full table: every metric, sortable by any column, 50 rows a page, exportable. */
export async function renderBreakdownPage(c: Context<AppEnv>, place: DashboardPlace) {
  const { db } = c.get("app");
  const dimension = parseDimension(c.req.param("dimension") ?? "");
  const p = params(c);
  const { query, view } = readView(p);
  const metrics = metricsFor(dimension);
  const q = checkQuery({
    ...query,
    dimension,
    // Every metric, the raw-read page ones included: the panel leaves those to this page.
    metrics,
    sort: p.get("sort")
      ? { metric: p.get("sort")!.split(":")[0], direction: p.get("sort")!.split(":")[1] ?? "desc" }
      : undefined,
    page: Number(p.get("page") ?? 1) || 1,
    limit: 50,
  });
  const [result, flags] = await Promise.all([
    breakdown(db.sql, place.site, q),
    db.sql<{ has_revenue: boolean }[]>`
      select exists (select 1 from purchases where site_id = ${place.site.id}) as has_revenue`,
  ]);
  // Without any purchase, money columns would be a wall of zeros.
  const shown = flags[0].has_revenue || dimension === "goal"
    ? metrics
    : metrics.filter((m) => !MONEY_METRICS.includes(m));
  const formats = shown.map((m) =>
    columnFormatter(METRIC_INFO[m].unit, result.rows.map((r) => r.values[m]), place.site.currency)
  );
  const sort = q.sort ?? { metric: metrics[0], direction: "desc" as const };
  const info = DIMENSION_INFO[dimension];
  const here = `${place.base}/breakdown/${dimension}`;
  const link = (extra: Record<string, string>) =>
    viewHref(here, view, { sort: `${sort.metric}:${sort.direction}`, ...extra });
  const pages = Math.max(1, Math.ceil(result.totalRows / 50));
  const body = (
    <>
      <div class="page-header">
        <div>
          <p class="small">
            <a href={viewHref(place.base, view)}>← {place.site.name} dashboard</a>
          </p>
          <h1>{info.label} breakdown</h1>
          <p class="muted small">
            {result.period.label} · {result.totalRows} {result.totalRows === 1 ? "row" : "rows"}
          </p>
        </div>
        <a
          class="button secondary"
          href={viewHref(`${place.api}/export/${dimension}.csv`, view)}
          download
        >
          Export CSV
        </a>
      </div>
      {view.filters.length > 0 && (
        <div class="chips" aria-label="Active filters">
          {view.filters.map((f) => (
            <a class="chip" href={viewHref(here, { ...view, ...withoutFilter(view, f.dimension) })}>
              {DIMENSION_INFO[f.dimension].label} {f.op.replace("_", " ")}{" "}
              {valueLabel(f.dimension, f.value)} <span aria-hidden="true">×</span>
            </a>
          ))}
        </div>
      )}
      <div class="card table-wrap">
        <table class="breakdown full">
          <thead>
            <tr>
              <th scope="col">{info.label}</th>
              {shown.map((m) => {
                const active = sort.metric === m;
                const next = active && sort.direction === "desc" ? "asc" : "desc";
                return (
                  <th
                    scope="col"
                    class="num"
                    aria-sort={active
                      ? (sort.direction === "asc" ? "ascending" : "descending")
                      : undefined}
                  >
                    <a href={viewHref(here, view, { sort: `${m}:${next}` })}>
                      {METRIC_INFO[m].label}
                      {active ? (sort.direction === "asc" ? " ↑" : " ↓") : ""}
                    </a>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {result.rows.length === 0 && (
              <tr>
                <td colSpan={shown.length + 1} class="muted">Nothing in this period.</td>
              </tr>
            )}
            {result.rows.map((r) => (
              <tr>
                <td class="label-cell">
                  {r.value === null ? <span class="unmatched">Unmatched</span> : (
                    <a
                      href={viewHref(place.base, {
                        ...view,
                        filters: [
                          ...view.filters.filter((f) => f.dimension !== dimension),
                          { dimension, op: "is", value: r.value },
                        ],
                      })}
                    >
                      {valueLabel(dimension, r.value)}
                    </a>
                  )}
                </td>
                {shown.map((m, i) => <td key={m} class="num">{formats[i](r.values[m])}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <nav class="pager" aria-label="Pages">
          {q.page > 1
            ? <a href={link({ page: String(q.page - 1) })} rel="prev">← Previous</a>
            : <span />}
          <span class="muted small">Page {q.page} of {pages}</span>
          {q.page < pages
            ? <a href={link({ page: String(q.page + 1) })} rel="next">Next →</a>
            : <span />}
        </nav>
      )}
    </>
  );
  return renderPage(c, place.frame(body), { title: `${info.label} · ${place.site.name}` });
}

/** JSON for the island and the exports, mounted under `prefix` behind `guard`. */
export function mountDashboardData(
  app: Hono<AppEnv>,
  prefix: string,
  guard: MiddlewareHandler<AppEnv>,
  site: (c: Context<AppEnv>) => Site,
): void {
  app.get(`${prefix}/dashboard`, guard, async (c) => {
    const data = await loadDashboard(c.get("app").db.sql, site(c), params(c));
    return c.json(data, 200, { "Cache-Control": "no-store" });
  });
  app.get(`${prefix}/breakdown`, guard, async (c) => {
    const p = params(c);
    const { query } = readView(p);
    const asked = p.get("dimension") ?? "";
    if (!(DIMENSIONS as readonly string[]).includes(asked)) {
      throw new Invalid("dimension", `dimension must be one of: ${DIMENSIONS.join(", ")}.`);
    }
    const dimension = asked as Dimension;
    const sort = p.get("sort");
    const panel = await loadPanel(c.get("app").db.sql, site(c), query, dimension, {
      sort: sort
        ? checkQuery({
          dimension,
          sort: { metric: sort.split(":")[0], direction: sort.split(":")[1] ?? "desc" },
        }).sort
        : undefined,
      page: Number(p.get("page") ?? 1) || 1,
      limit: Math.min(100, Number(p.get("limit") ?? 10) || 10),
    });
    return c.json(panel, 200, { "Cache-Control": "no-store" });
  });
  app.get(`${prefix}/export/:file{[a-z_]+\\.csv}`, guard, async (c) => {
    const dimension = parseDimension(c.req.param("file").replace(/\.csv$/, ""));
    const { query } = readView(params(c));
    const s = site(c);
    const csv = await breakdownCsv(c.get("app").db.sql, s, query, dimension);
    return c.body(csv, 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${exportName(s, query, dimension)}.csv"`,
      "Cache-Control": "no-store",
    });
  });
  app.get(`${prefix}/export.zip`, guard, async (c) => {
    const { query } = readView(params(c));
    const s = site(c);
    const zip = await exportAll(c.get("app").db.sql, s, query);
    return c.body(zip as unknown as ArrayBuffer, 200, {
      "Content-Type": "application/zip",
      "Content-Disposition": `attachment; filename="${exportName(s, query, "all")}.zip"`,
      "Cache-Control": "no-store",
    });
  });
}
