/**
 * /sites/:siteId/heatmaps — where people click, move, look and how far they scroll on one page,
 * drawn over the page's screenshot; its CSV, screenshot images and "Retake screenshot"; and
 * GET /api/v1/sites/:siteId/heatmaps for API keys. All read analytics/heatmaps.ts on the one
 * parsed stats query, so the period and dashboard filters mean what they mean elsewhere.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { requireSite } from "../http/middleware/auth.ts";
import { shellProps } from "../http/shell.ts";
import { AppShell } from "../components/AppShell.tsx";
import { Form } from "../components/Form.tsx";
import HeatmapView from "../islands/HeatmapView.tsx";
import type { Site } from "../accounts/sites.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { LAYOUTS } from "../lib/layout.ts";
import { OutboundRefused } from "../lib/outbound.ts";
import { chromiumInstalled } from "../lib/chromium.ts";
import { toCsv } from "../analytics/csv.ts";
import { formatCount, formatPercent } from "../analytics/format.ts";
import { parseStatsParams, type StatsQuery } from "../analytics/query.ts";
import { PERIODS } from "../analytics/period.ts";
import {
  HEATMAP_MODES,
  heatmapCsv,
  type HeatmapMode,
  heatmapPages,
  type HeatmapParams,
  heatmapReport,
  heatmapStatsParams,
  outlineElements,
  pageOrigin,
  parseHeatmapParams,
} from "../analytics/heatmaps.ts";
import {
  readScreenshot,
  requestScreenshots,
  SCREENSHOT_JOB,
  type ScreenshotRow,
  screenshotsOf,
} from "../jobs/screenshots.ts";
import { apiKeyRoute, apiSite } from "./stats_api.ts";

type C = Context<AppEnv>;

const MODE_LABELS: Record<HeatmapMode, string> = {
  clicks: "Clicks",
  moves: "Moves",
  attention: "Attention",
  scroll: "Scroll",
  rage: "Rage clicks",
  dead: "Dead clicks",
};
const PERIOD_LABELS: Partial<Record<(typeof PERIODS)[number], string>> = {
  today: "Today",
  "7d": "7 days",
  "30d": "30 days",
  "90d": "90 days",
  "12mo": "12 months",
};

/** Every heatmap route. */
export function registerHeatmaps(app: Hono<AppEnv>): void {
  app.get("/sites/:siteId{[0-9]+}/heatmaps", requireSite("viewer"), heatmapPage);
  app.get("/sites/:siteId{[0-9]+}/heatmaps.csv", requireSite("viewer"), async (c) => {
    const site = c.get("site");
    const { query, heat } = readRequest(c);
    const report = await heatmapReport(c.get("app").db.sql, site, query, heat, {
      elements: 1000,
    });
    const name = `${site.domain}${heat.page}-${heat.layout}-${heat.mode}.csv`;
    return c.body(toCsv(heatmapCsv(report)), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
      "Cache-Control": "no-store",
    });
  });
  app.get("/sites/:siteId{[0-9]+}/heatmaps/screenshot", requireSite("viewer"), async (c) => {
    const site = c.get("site");
    const { heat } = readRequest(c);
    const rows = await screenshotsOf(c.get("app").db.sql, site.id, heat.page);
    const row = rows.find((r) => r.layout === heat.layout && r.file);
    const bytes = row && await readScreenshot(c.get("app").config.DATA_DIR, row);
    if (!bytes) throw new NotFound("There is no screenshot of that page yet.");
    return c.body(bytes, 200, {
      "Content-Type": "image/webp",
      "Cache-Control": "private, max-age=300",
    });
  });
  app.get(
    "/sites/:siteId{[0-9]+}/heatmaps/screenshots.json",
    requireSite("viewer"),
    async (c) => {
      const { heat } = readRequest(c);
      const rows = await screenshotsOf(c.get("app").db.sql, c.get("site").id, heat.page);
      return c.json({ screenshots: rows.map(screenshotJson) }, 200, {
        "Cache-Control": "no-store",
      });
    },
  );
  app.post("/sites/:siteId{[0-9]+}/heatmaps/screenshots", requireSite("member"), async (c) => {
    const site = c.get("site");
    const form = await c.req.parseBody();
    const params = new URLSearchParams(String(form.back ?? "").replace(/^[^?]*\??/, ""));
    params.set("page", String(form.page ?? ""));
    const heat = parseHeatmapParams(params);
    const { sql } = c.get("app").db;
    const origin = await pageOrigin(sql, site.id, heat.page) ?? `https://${site.domain}`;
    try {
      await requestScreenshots(sql, site, heat.page, origin + heat.page);
    } catch (e) {
      if (e instanceof OutboundRefused) throw new Invalid("page", e.message);
      throw e;
    }
    c.get("app").wake?.(SCREENSHOT_JOB);
    return c.redirect(`/sites/${site.id}/heatmaps?${params}`, 303);
  });
  app.get("/api/v1/sites/:siteId/heatmaps", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const { query, heat } = readRequest(c);
    const sql = c.get("app").db.sql;
    const shots = await screenshotsOf(sql, site.id, heat.page);
    const report = outlineElements(
      await heatmapReport(sql, site, query, heat),
      shownRects(shots, heat.layout),
    );
    return c.json({ ...report, screenshots: shots.map(screenshotJson) }, 200, {
      "Cache-Control": "no-store",
    });
  });
}

/** The element boxes of the layout's screenshot, when one is shown (taken, not failed since). */
function shownRects(shots: ScreenshotRow[], layout: string) {
  const shot = shots.find((s) => s.layout === layout);
  return shot?.file && shot.status !== "failed" ? shot.rects : null;
}

function screenshotJson(r: ScreenshotRow) {
  return {
    layout: r.layout,
    status: r.status,
    error: r.error || null,
    width: r.width,
    height: r.height,
    bytes: r.bytes,
    taken_at: r.taken_at?.toISOString() ?? null,
  };
}

/** The stats query (period, filters) and heatmap choices of a request; `page` required. */
function readRequest(c: C): { query: StatsQuery; heat: HeatmapParams } {
  const params = new URL(c.req.url).searchParams;
  return { query: parseStatsParams(heatmapStatsParams(params)), heat: parseHeatmapParams(params) };
}

/** A link to this page with some parameters changed (empty string removes one). */
function hrefWith(siteId: number, params: URLSearchParams, change: Record<string, string>) {
  const p = new URLSearchParams(params);
  for (const [k, v] of Object.entries(change)) v ? p.set(k, v) : p.delete(k);
  const s = p.toString();
  return `/sites/${siteId}/heatmaps${s ? `?${s}` : ""}`;
}

async function heatmapPage(c: C): Promise<Response> {
  const site = c.get("site") as Site;
  const { sql } = c.get("app").db;
  const config = c.get("app").config;
  const shell = await shellProps(c, { active: "heatmaps" });
  const params = new URL(c.req.url).searchParams;
  const read = {
    query: parseStatsParams(heatmapStatsParams(params)),
    heat: params.get("page") ? parseHeatmapParams(params) : null,
  };
  const search = params.get("search") ?? "";
  const pages = await heatmapPages(sql, site, read.query, { search, limit: 100 });
  const heat = read.heat ??
    (pages[0]
      ? parseHeatmapParams(
        new URLSearchParams({ ...Object.fromEntries(params), page: pages[0].page }),
      )
      : null);
  const shots = heat ? await screenshotsOf(sql, site.id, heat.page) : [];
  const report = heat
    ? outlineElements(
      await heatmapReport(sql, site, read.query, heat),
      shownRects(shots, heat.layout),
    )
    : null;
  const shot = heat ? shots.find((s) => s.layout === heat.layout) : undefined;
  const chromium = chromiumInstalled(config.CHROMIUM_PATH);
  const current = heat
    ? new URLSearchParams({ ...Object.fromEntries(params), page: heat.page })
    : params;
  const link = (change: Record<string, string>) => hrefWith(site.id, current, change);
  const filters = [...params.getAll("filter"), ...params.getAll("f")];

  const body = (
    <AppShell {...shell}>
      <div class="page-header">
        <div>
          <h1>Heatmaps</h1>
          <p class="muted">Where visitors click, move, look and how far they scroll.</p>
        </div>
        {report && report.totals.clicks > 0 && (
          <a
            class="button secondary small-button"
            href={`/sites/${site.id}/heatmaps.csv?${current}`}
            download
          >
            Export CSV
          </a>
        )}
      </div>
      {!site.heatmaps_enabled && (
        <section class="card empty" id="heatmaps-off">
          <h2>Heatmaps are off for this site</h2>
          <p>
            Turn on “Record heatmaps” in the site's settings, then add <code>data-heatmaps</code>
            {" "}
            to your snippet (the install page shows it).
          </p>
          <p class="row center">
            <a class="button" href={`/sites/${site.id}/settings`}>Open settings</a>
            <a class="button secondary" href={`/sites/${site.id}/install`}>See the snippet</a>
          </p>
        </section>
      )}
      <form method="get" class="heatmap-controls card" action={`/sites/${site.id}/heatmaps`}>
        {filters.map((f) => <input key={f} type="hidden" name="filter" value={f} />)}
        <div class="field">
          <label for="hm-page">Page</label>
          <select id="hm-page" name="page">
            {heat && !pages.some((p) => p.page === heat.page) && (
              <option value={heat.page} selected>{heat.page}</option>
            )}
            {pages.map((p) => (
              <option value={p.page} selected={p.page === heat?.page}>
                {p.page} ({formatCount(p.clicks)} clicks)
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="hm-search">Find a page</label>
          <input id="hm-search" name="search" type="search" value={search} placeholder="/pricing" />
        </div>
        <div class="field">
          <label for="hm-layout">Layout</label>
          <select id="hm-layout" name="layout">
            {LAYOUTS.map((l) => (
              <option value={l} selected={l === (heat?.layout ?? "desktop")}>
                {l[0].toUpperCase() + l.slice(1)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="hm-period">Period</label>
          <select id="hm-period" name="period">
            {Object.entries(PERIOD_LABELS).map(([p, label]) => (
              <option value={p} selected={p === read.query.period}>{label}</option>
            ))}
          </select>
        </div>
        <input type="hidden" name="mode" value={heat?.mode ?? "clicks"} />
        <button type="submit" class="secondary">Show</button>
      </form>
      {filters.length > 0 && (
        <p class="muted small">
          Filtered by {filters.join(", ")} · <a href={link({ filter: "", f: "" })}>clear</a>
        </p>
      )}
      {!heat || !report
        ? (
          <section class="card empty" id="heatmaps-empty">
            <h2>No heatmap data yet</h2>
            <p>
              {search
                ? `No page matching “${search}” has heatmap data in this period.`
                : "Once visitors click and scroll on pages with the heatmap snippet, their pages appear here within a minute."}
            </p>
            <p class="row center">
              <a class="button secondary" href={`/sites/${site.id}/install`}>Check the snippet</a>
            </p>
          </section>
        )
        : (
          <>
            <nav class="chips" aria-label="Heatmap mode">
              {HEATMAP_MODES.map((m) => (
                <a
                  class="chip"
                  href={link({ mode: m })}
                  aria-current={heat.mode === m ? "page" : undefined}
                >
                  {MODE_LABELS[m]}
                </a>
              ))}
            </nav>
            <div class="grid cards heatmap-metrics">
              <Metric label="Clicks" value={formatCount(report.totals.clicks)} />
              <Metric label="Page views" value={formatCount(report.pageViews)} />
              <Metric label="Rage clicks" value={formatCount(report.totals.rage)} />
              <Metric label="Dead clicks" value={formatCount(report.totals.dead)} />
              <Metric
                label="Reached half the page"
                value={formatPercent(
                  (report.scroll.find((s) => s.depth === 50)?.share ?? 0) * 100,
                )}
              />
            </div>
            <ScreenshotStatus
              siteId={site.id}
              csrf={shell.csrf}
              page={heat.page}
              back={`?${current}`}
              shot={shot}
              chromium={chromium}
              canRetake={c.get("role") !== "viewer"}
            />
            {report.totals.clicks + report.pageViews + report.totals.moves === 0 && (
              <p class="alert" role="status">
                No {heat.layout} visits recorded on {heat.page}{" "}
                in this period: try another layout or a longer period.
              </p>
            )}
            <HeatmapView
              report={report}
              screenshot={shot?.status !== "failed" && shot?.file
                ? {
                  url: `/sites/${site.id}/heatmaps/screenshot?page=${
                    encodeURIComponent(heat.page)
                  }&layout=${heat.layout}&v=${shot.taken_at?.getTime() ?? 0}`,
                  height: shot.height,
                }
                : null}
              layoutChosen={params.has("layout")}
              statusUrl={shots.some((s) => s.status === "pending" || s.status === "rendering")
                ? `/sites/${site.id}/heatmaps/screenshots.json?page=${
                  encodeURIComponent(heat.page)
                }`
                : null}
            />
          </>
        )}
    </AppShell>
  );
  return renderPage(c, body, { title: "Heatmaps" });
}

function Metric(props: { label: string; value: string }) {
  return (
    <div class="metric">
      <div class="label">{props.label}</div>
      <div class="value">{props.value}</div>
    </div>
  );
}

function ScreenshotStatus(props: {
  siteId: number;
  csrf: string;
  page: string;
  back: string;
  shot: ScreenshotRow | undefined;
  chromium: boolean;
  canRetake: boolean;
}) {
  const s = props.shot;
  const text = !props.chromium
    ? "Screenshots need Chromium on the server: install it (the Docker image has it) or set CHROMIUM_PATH. The heatmap is drawn over a page outline meanwhile."
    : !s
    ? "No screenshot of this page yet: the heatmap is drawn over a page outline."
    : s.status === "pending" || s.status === "rendering"
    ? "Taking the screenshot… this page updates when it is ready."
    : s.status === "failed"
    ? `The last screenshot failed. ${s.error} We will try again later.`
    : `Screenshot taken ${s.taken_at?.toISOString().slice(0, 16).replace("T", " ")} UTC · ${
      formatCount(Math.round(s.bytes / 1024))
    } KB.`;
  return (
    <div class="heatmap-shot row" id="screenshot-status">
      <p class="muted small" role="status">{text}</p>
      {props.canRetake && props.chromium && (
        <Form action={`/sites/${props.siteId}/heatmaps/screenshots`} csrf={props.csrf}>
          <input type="hidden" name="page" value={props.page} />
          <input type="hidden" name="back" value={props.back} />
          <button type="submit" class="secondary small-button">
            {s ? "Retake screenshot" : "Take screenshot"}
          </button>
        </Form>
      )}
    </div>
  );
}
