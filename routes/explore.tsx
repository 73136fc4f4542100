/**
 * Beside funnels: paths (/sites/:siteId/paths), cohorts (/sites/:siteId/cohorts) and custom
 * event properties (/sites/:siteId/properties) as pages, and the same in the public API.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { requireSite } from "../http/middleware/auth.ts";
import { shellProps } from "../http/shell.ts";
import { AppShell } from "../components/AppShell.tsx";
import type { Site } from "../accounts/sites.ts";
import { Invalid } from "../lib/errors.ts";
import { formatCount, formatMoney, formatPercent } from "../analytics/format.ts";
import { type Goal, listGoals } from "../analytics/goals.ts";
import { parseStatsParams } from "../analytics/query.ts";
import { queryPeriod } from "../analytics/stats.ts";
import { nextPages, pathsToGoal } from "../analytics/paths.ts";
import {
  cohortGrid,
  type CohortRow,
  gridsBySource,
  parseCohortParams,
} from "../analytics/cohorts.ts";
import { propertyKeys, propertyValues } from "../analytics/properties.ts";
import { apiKeyRoute, apiSite } from "./stats_api.ts";

/** The tabs shared by funnels, paths, cohorts and properties. */
export function ExploreNav(props: { siteId: number; current: string }) {
  const tabs: Array<[string, string]> = [
    ["funnels", "Funnels"],
    ["paths", "Paths"],
    ["cohorts", "Cohorts"],
    ["properties", "Event properties"],
  ];
  return (
    <nav class="chips explore-nav" aria-label="Explore">
      {tabs.map(([path, label]) => (
        <a
          class="chip"
          href={`/sites/${props.siteId}/${path}`}
          aria-current={path === props.current ? "page" : undefined}
        >
          {label}
        </a>
      ))}
    </nav>
  );
}

function params(c: Context<AppEnv>): URLSearchParams {
  return new URL(c.req.url).searchParams;
}

/** A goal of the site named by a `goal` parameter (an id), if any. */
async function goalParam(c: Context<AppEnv>, site: Site, goals?: Goal[]) {
  const raw = params(c).get("goal");
  if (!raw) return undefined;
  const list = goals ?? await listGoals(c.get("app").db.sql, site.id);
  const goal = /^[0-9]{1,15}$/.test(raw) ? list.find((g) => g.id === Number(raw)) : undefined;
  if (!goal) throw new Invalid("goal", "Pick one of this site's goals.");
  return goal;
}

function Period(props: { href: (p: string) => string; current: string }) {
  return (
    <nav class="chips" aria-label="Period">
      {[["7d", "7 days"], ["30d", "30 days"], ["90d", "90 days"], ["12mo", "12 months"]].map((
        [p, label],
      ) => (
        <a
          class="chip"
          href={props.href(p)}
          aria-current={p === props.current ? "page" : undefined}
        >
          {label}
        </a>
      ))}
    </nav>
  );
}

async function pathsPage(c: Context<AppEnv>) {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const p = params(c);
  const q = parseStatsParams(p);
  const period = queryPeriod(site, q);
  const page = (p.get("page_path") ?? "").trim() || "/";
  const goals = await listGoals(sql, site.id);
  const goal = await goalParam(c, site, goals);
  const [after, before, toGoal] = await Promise.all([
    nextPages(sql, site.id, period, page, "next"),
    nextPages(sql, site.id, period, page, "previous"),
    goal ? pathsToGoal(sql, site.id, period, goal.id) : Promise.resolve(null),
  ]);
  const shell = await shellProps(c, { active: "funnels" });
  const link = (extra: Record<string, string>) => {
    const u = new URLSearchParams({ period: period.name, page_path: page });
    if (goal) u.set("goal", String(goal.id));
    for (const [k, v] of Object.entries(extra)) u.set(k, v);
    return `/sites/${site.id}/paths?${u}`;
  };
  const List = (props: { rows: Array<{ page: string; count: number }>; title: string }) => {
    const max = Math.max(1, ...props.rows.map((r) => r.count));
    return (
      <section class="card panel">
        <h2>{props.title}</h2>
        {props.rows.length === 0
          ? <p class="muted">Nobody saw {page} in this period.</p>
          : (
            <table class="breakdown">
              <tbody>
                {props.rows.map((r) => (
                  <tr>
                    <td class="bar-cell" style={`--w:${Math.round((r.count / max) * 100)}%`}>
                      {r.page.startsWith("/")
                        ? <a class="bar-label" href={link({ page_path: r.page })}>{r.page}</a>
                        : <span class="bar-label muted">{r.page}</span>}
                    </td>
                    <td class="num">{formatCount(r.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </section>
    );
  };
  return renderPage(
    c,
    <AppShell {...shell}>
      <ExploreNav siteId={site.id} current="paths" />
      <div class="page-header">
        <div>
          <h1>Paths</h1>
          <p class="muted">
            {period.label}: where visitors come from before{" "}
            {page}, where they go next, and the pages that lead to a goal.
          </p>
        </div>
      </div>
      <form method="get" class="row inline-form" action={`/sites/${site.id}/paths`}>
        <input type="hidden" name="period" value={period.name} />
        <label>
          Page <input name="page_path" value={page} placeholder="/pricing" aria-label="Page path" />
        </label>
        <label>
          Goal{" "}
          <select name="goal" aria-label="Goal">
            <option value="">(none)</option>
            {goals.map((g) => (
              <option value={String(g.id)} selected={g.id === goal?.id}>{g.name}</option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary">Show</button>
      </form>
      <Period href={(x) => link({ period: x })} current={period.name} />
      <div class="panels">
        <List rows={before} title={`Before ${page}`} />
        <List rows={after} title={`After ${page}`} />
      </div>
      {goal && toGoal && (
        <section class="card">
          <h2>Top paths to “{goal.name}”</h2>
          {toGoal.length === 0
            ? <p class="muted">No visit completed this goal in this period.</p>
            : (
              <ol class="path-list">
                {toGoal.map((x) => (
                  <li>
                    <span>{x.pages.join(" → ")}</span> <strong>{formatCount(x.conversions)}</strong>
                  </li>
                ))}
              </ol>
            )}
        </section>
      )}
      {goals.length === 0 && (
        <p class="muted">
          <a href={`/sites/${site.id}/goals`}>Add a goal</a> to see the paths that lead to it.
        </p>
      )}
    </AppShell>,
    { title: `Paths · ${site.name}` },
  );
}

/** One retention grid: a row per cohort, a column per week or month after. */
function CohortTable(props: { rows: CohortRow[]; unitWord: string; currency: string }) {
  const cols = Math.max(0, ...props.rows.map((r) => r.retention.length));
  return (
    <table class="breakdown cohort-grid">
      <thead>
        <tr>
          <th scope="col">{props.unitWord} of</th>
          <th scope="col" class="num">People</th>
          <th scope="col" class="num">Revenue</th>
          {Array.from(
            { length: cols },
            (_, k) => <th key={k} scope="col" class="num">{k}</th>,
          )}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr>
            <th scope="row">{r.cohort}</th>
            <td class="num">{formatCount(r.size)}</td>
            <td class="num">{formatMoney(r.revenue, props.currency)}</td>
            {Array.from({ length: cols }, (_, k) => {
              const v = r.retention[k];
              return v === undefined
                ? <td key={k} />
                : (
                  <td key={k} class="num cohort-cell" style={`--a:${Math.round(v ?? 0)}%`}>
                    {formatPercent(v)}
                  </td>
                );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

async function cohortsPage(c: Context<AppEnv>) {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const opts = parseCohortParams(params(c));
  const rows = await cohortGrid(sql, site, opts);
  const shell = await shellProps(c, { active: "funnels" });
  const link = (extra: Record<string, string | undefined>) => {
    const u = new URLSearchParams({ unit: opts.unit, by: opts.by });
    if (opts.source !== undefined) u.set("source", opts.source);
    if (opts.split) u.set("split", opts.split);
    for (const [k, v] of Object.entries(extra)) v === undefined ? u.delete(k) : u.set(k, v);
    if (extra.unit) u.delete("periods");
    return `/sites/${site.id}/cohorts?${u}`;
  };
  const unitWord = opts.unit === "week" ? "Week" : "Month";
  return renderPage(
    c,
    <AppShell {...shell}>
      <ExploreNav siteId={site.id} current="cohorts" />
      <div class="page-header">
        <div>
          <h1>Cohorts</h1>
          <p class="muted">
            Visitors grouped by the {opts.unit} of their{" "}
            {opts.by === "first_visit" ? "first visit" : "first purchase"}
            {opts.source !== undefined ? `, first from ${opts.source || "Direct / none"}` : ""}
            : how many came back each {opts.unit} after, and what they spent since.
          </p>
        </div>
      </div>
      <nav class="chips" aria-label="Cohort options">
        <a
          class="chip"
          href={link({ unit: "week" })}
          aria-current={opts.unit === "week" ? "page" : undefined}
        >
          Weekly
        </a>
        <a
          class="chip"
          href={link({ unit: "month" })}
          aria-current={opts.unit === "month" ? "page" : undefined}
        >
          Monthly
        </a>
        <a
          class="chip"
          href={link({ by: "first_visit" })}
          aria-current={opts.by === "first_visit" ? "page" : undefined}
        >
          By first visit
        </a>
        <a
          class="chip"
          href={link({ by: "first_purchase" })}
          aria-current={opts.by === "first_purchase" ? "page" : undefined}
        >
          By first purchase
        </a>
        <a
          class="chip"
          href={link({ split: opts.split ? undefined : "source" })}
          aria-current={opts.split ? "page" : undefined}
        >
          A grid per first source
        </a>
      </nav>
      <form method="get" class="row inline-form" action={`/sites/${site.id}/cohorts`}>
        <input type="hidden" name="unit" value={opts.unit} />
        <input type="hidden" name="by" value={opts.by} />
        {opts.split && <input type="hidden" name="split" value={opts.split} />}
        <label>
          First source{" "}
          <input
            name="source"
            value={opts.source ?? ""}
            placeholder="Google"
            aria-label="First source"
          />
        </label>
        <button type="submit" class="secondary">Show</button>
        {opts.source !== undefined && <a href={link({ source: undefined })}>All sources</a>}
      </form>
      {rows.length === 0
        ? (
          <section class="card">
            <p class="muted">
              No {opts.by === "first_visit" ? "visitors" : "buyers"} arrived in these{" "}
              {opts.unit}s. Pick monthly cohorts or another first source to look further back.
            </p>
          </section>
        )
        : opts.split === "source"
        ? gridsBySource(rows).map((g) => (
          <section
            class="card table-wrap"
            aria-label={`First source: ${g.source || "Direct / none"}`}
          >
            <h2>
              {g.source || "Direct / none"}{" "}
              <span class="muted small">{formatCount(g.size)} people</span>
            </h2>
            <CohortTable rows={g.rows} unitWord={unitWord} currency={site.currency} />
          </section>
        ))
        : (
          <section class="card table-wrap">
            <CohortTable rows={rows} unitWord={unitWord} currency={site.currency} />
          </section>
        )}
    </AppShell>,
    { title: `Cohorts · ${site.name}` },
  );
}

async function propertiesPage(c: Context<AppEnv>) {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const p = params(c);
  const q = parseStatsParams(p);
  const period = queryPeriod(site, q);
  const [events, goals] = await Promise.all([
    sql<{ name: string }[]>`select name from events where site_id = ${site.id}
      and type = 'event' and name <> '' and ts >= ${period.from} and ts < ${period.to}
      group by 1 order by count(*) desc limit 50`,
    listGoals(sql, site.id),
  ]);
  const event = (p.get("event") ?? "").trim() || events[0]?.name || "";
  const goal = await goalParam(c, site, goals);
  const keys = event ? await propertyKeys(sql, site, q, event) : [];
  const key = (p.get("key") ?? "").trim() || keys[0]?.key || "";
  const values = event && key
    ? await propertyValues(sql, site, q, event, key, { goalId: goal?.id })
    : [];
  const shell = await shellProps(c, { active: "funnels" });
  const link = (extra: Record<string, string>) => {
    const u = new URLSearchParams({ period: period.name, event, key });
    if (goal) u.set("goal", String(goal.id));
    for (const [k, v] of Object.entries(extra)) u.set(k, v);
    return `/sites/${site.id}/properties?${u}`;
  };
  return renderPage(
    c,
    <AppShell {...shell}>
      <ExploreNav siteId={site.id} current="properties" />
      <div class="page-header">
        <div>
          <h1>Event properties</h1>
          <p class="muted">
            {period.label}: the values sent with a custom event, like{" "}
            <code>sextant('event', 'Signup', {"{"} plan: 'pro' {"}"})</code>, and how each converts.
          </p>
        </div>
      </div>
      {events.length === 0
        ? (
          <section class="card">
            <p class="muted">
              No custom events in this period. Send one with properties, like{" "}
              <code>sextant('event', 'Experiment', {"{"} variant: 'B' {"}"})</code>.
            </p>
          </section>
        )
        : (
          <>
            <form method="get" class="row inline-form" action={`/sites/${site.id}/properties`}>
              <input type="hidden" name="period" value={period.name} />
              <label>
                Event{" "}
                <select name="event" aria-label="Event">
                  {events.map((e) => (
                    <option key={e.name} selected={e.name === event}>{e.name}</option>
                  ))}
                </select>
              </label>
              <label>
                Converts to{" "}
                <select name="goal" aria-label="Goal">
                  <option value="">(all visitors)</option>
                  {goals.map((g) => (
                    <option value={String(g.id)} selected={g.id === goal?.id}>{g.name}</option>
                  ))}
                </select>
              </label>
              <button type="submit" class="secondary">Show</button>
            </form>
            <Period href={(x) => link({ period: x })} current={period.name} />
            <nav class="tabs" aria-label="Property">
              {keys.map((k) => (
                <a href={link({ key: k.key })} aria-current={k.key === key ? "true" : undefined}>
                  {k.key}
                </a>
              ))}
            </nav>
            <section class="card table-wrap">
              {keys.length === 0
                ? <p class="muted">This event was sent without properties in this period.</p>
                : (
                  <table class="breakdown">
                    <thead>
                      <tr>
                        <th scope="col">{key}</th>
                        <th scope="col" class="num">Events</th>
                        <th scope="col" class="num">Visitors</th>
                        {goal && <th scope="col" class="num">Converted</th>}
                        <th scope="col" class="num">Conv.</th>
                      </tr>
                    </thead>
                    <tbody>
                      {values.map((v) => (
                        <tr>
                          <td>{v.value || "(empty)"}</td>
                          <td class="num">{formatCount(v.events)}</td>
                          <td class="num">{formatCount(v.visitors)}</td>
                          {goal && <td class="num">{formatCount(v.converted)}</td>}
                          <td class="num">{formatPercent(v.conversion_rate)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
            </section>
          </>
        )}
    </AppShell>,
    { title: `Event properties · ${site.name}` },
  );
}

/** Registers the pages and their API endpoints. */
export function registerExplore(app: Hono<AppEnv>): void {
  app.get("/sites/:siteId{[0-9]+}/paths", requireSite("viewer"), (c) => pathsPage(c));
  app.get("/sites/:siteId{[0-9]+}/cohorts", requireSite("viewer"), (c) => cohortsPage(c));
  app.get("/sites/:siteId{[0-9]+}/properties", requireSite("viewer"), (c) => propertiesPage(c));

  app.get("/api/v1/sites/:siteId/paths", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const sql = c.get("app").db.sql;
    const p = params(c);
    const period = queryPeriod(site, parseStatsParams(p));
    const page = p.get("page_path") ?? "";
    const goal = await goalParam(c, site);
    if (!page && !goal) {
      throw new Invalid("page_path", "Ask about a page (page_path=/pricing) or a goal (goal=id).");
    }
    const [next, previous, toGoal] = await Promise.all([
      page ? nextPages(sql, site.id, period, page, "next") : Promise.resolve(null),
      page ? nextPages(sql, site.id, period, page, "previous") : Promise.resolve(null),
      goal ? pathsToGoal(sql, site.id, period, goal.id) : Promise.resolve(null),
    ]);
    return c.json(
      {
        site_id: site.id,
        period: { name: period.name, first_day: period.firstDay, last_day: period.lastDay },
        page_path: page || null,
        next,
        previous,
        goal_id: goal?.id ?? null,
        paths_to_goal: toGoal,
      },
      200,
      { "Cache-Control": "no-store" },
    );
  });

  app.get("/api/v1/sites/:siteId/cohorts", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const opts = parseCohortParams(params(c));
    const rows = await cohortGrid(c.get("app").db.sql, site, opts);
    return c.json({ site_id: site.id, currency: site.currency, ...opts, cohorts: rows }, 200, {
      "Cache-Control": "no-store",
    });
  });

  app.get("/api/v1/sites/:siteId/properties", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const sql = c.get("app").db.sql;
    const p = params(c);
    const q = parseStatsParams(p);
    const event = p.get("event") ?? "";
    const key = p.get("key");
    const goal = await goalParam(c, site);
    if (!key) {
      return c.json({ site_id: site.id, event, keys: await propertyKeys(sql, site, q, event) });
    }
    const values = await propertyValues(sql, site, q, event, key, { goalId: goal?.id });
    return c.json({ site_id: site.id, event, key, goal_id: goal?.id ?? null, values }, 200, {
      "Cache-Control": "no-store",
    });
  });
}
