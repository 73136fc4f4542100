/**
 * Funnels: /sites/:siteId/funnels (saved funnels, new funnel), a funnel's report with its
 * breakdown, comparison, drop-off lists and CSV, edit / duplicate / delete; and the public API
 * /api/v1/sites/:siteId/funnels.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { requireSite } from "../http/middleware/auth.ts";
import { shellProps } from "../http/shell.ts";
import { AppShell } from "../components/AppShell.tsx";
import { Field, Form } from "../components/Form.tsx";
import { roleAtLeast } from "../accounts/orgs.ts";
import type { Site } from "../accounts/sites.ts";
import { Invalid } from "../lib/errors.ts";
import { toCsv } from "../analytics/csv.ts";
import { formatCount, formatDuration, formatPercent } from "../analytics/format.ts";
import { listGoals } from "../analytics/goals.ts";
import { checkQuery, parseStatsParams } from "../analytics/query.ts";
import { queryPeriod } from "../analytics/stats.ts";
import type { ResolvedPeriod } from "../analytics/period.ts";
import {
  createFunnel,
  deleteFunnel,
  describeStep,
  droppedAt,
  duplicateFunnel,
  type Funnel,
  FUNNEL_BREAKDOWNS,
  type FunnelBreakdown,
  funnelReport,
  getFunnel,
  listFunnels,
  parseFunnelInput,
  type StepResult,
  updateFunnel,
} from "../analytics/funnels.ts";
import { checked, type FormProblem, idParam, readForm, tryForm } from "./forms.ts";
import { jsonObject } from "./privacy_api.ts";
import { apiKeyRoute, apiSite } from "./stats_api.ts";
import { ExploreNav } from "./explore.tsx";

const MAX_STEPS = 8;
const PERIOD_LINKS: Array<[string, string]> = [
  ["7d", "7 days"],
  ["30d", "30 days"],
  ["90d", "90 days"],
  ["12mo", "12 months"],
];
const BREAKDOWN_LABELS: Record<FunnelBreakdown, string> = {
  source: "Source",
  channel: "Channel",
  device: "Device",
  country: "Country",
};

/** The form's fields (step1_type = page | event | goal:<id>, step1_value, step1_prop) → input. */
function formToInput(form: Record<string, string>): Record<string, unknown> {
  const steps: Array<Record<string, unknown>> = [];
  for (let i = 1; i <= MAX_STEPS; i++) {
    const type = form[`step${i}_type`] ?? "";
    const value = (form[`step${i}_value`] ?? "").trim();
    if (!type.startsWith("goal:") && value === "") continue;
    if (type === "page") steps.push({ kind: "page", path_pattern: value });
    else if (type === "event") {
      const [key, ...rest] = (form[`step${i}_prop`] ?? "").split("=");
      steps.push({
        kind: "event",
        event_name: value,
        prop_key: key.trim(),
        prop_value: rest.join("=").trim(),
      });
    } else if (type.startsWith("goal:")) {
      steps.push({ kind: "goal", goal_id: type.slice(5) || null });
    } else steps.push({ kind: type });
  }
  return {
    name: form.name ?? "",
    steps,
    window_kind: form.window_kind || "session",
    window_days: form.window_days || "7",
    strict: checked(form, "strict"),
  };
}

function funnelToForm(f: Funnel): Record<string, string> {
  const out: Record<string, string> = {
    name: f.name,
    window_kind: f.window_kind,
    window_days: String(f.window_days || 7),
    strict: f.strict ? "on" : "",
  };
  f.steps.forEach((s, i) => {
    const n = i + 1;
    out[`step${n}_type`] = s.kind === "goal" ? `goal:${s.goal_id}` : s.kind;
    out[`step${n}_value`] = s.kind === "page" ? s.path_pattern : s.event_name;
    out[`step${n}_prop`] = s.prop_key ? `${s.prop_key}=${s.prop_value}` : "";
  });
  return out;
}

function FunnelForm(props: {
  action: string;
  csrf: string;
  values: Record<string, string>;
  goals: Array<{ id: number; name: string }>;
  problem?: FormProblem;
  submit: string;
}) {
  const { values: v, problem: p } = props;
  const rows = Math.max(
    3,
    ...Array.from({ length: MAX_STEPS }, (_, i) => i + 1)
      .filter((n) => v[`step${n}_type`]?.startsWith("goal:") || v[`step${n}_value`]),
  );
  return (
    <Form action={props.action} csrf={props.csrf} class="funnel-form">
      {p && <p class="alert error" role="alert">{p.message}</p>}
      <Field label="Name" name="name" value={v.name} required placeholder="Checkout" />
      <fieldset class="funnel-steps">
        <legend>Steps, in order (2 to 8; leave the rest empty)</legend>
        {Array.from({ length: MAX_STEPS }, (_, i) => i + 1).map((n) => (
          <div class={`funnel-step${n > rows ? " step-spare" : ""}`}>
            <span class="step-number" aria-hidden="true">{n}</span>
            <select name={`step${n}_type`} aria-label={`Step ${n}: kind`}>
              <option value="page" selected={(v[`step${n}_type`] ?? "page") === "page"}>
                Page
              </option>
              <option value="event" selected={v[`step${n}_type`] === "event"}>Event</option>
              {props.goals.map((g) => (
                <option value={`goal:${g.id}`} selected={v[`step${n}_type`] === `goal:${g.id}`}>
                  Goal: {g.name}
                </option>
              ))}
            </select>
            <input
              name={`step${n}_value`}
              value={v[`step${n}_value`] ?? ""}
              placeholder={n === 1 ? "/pricing" : n === 2 ? "/checkout" : "Signup"}
              aria-label={`Step ${n}: path or event name`}
            />
            <input
              name={`step${n}_prop`}
              value={v[`step${n}_prop`] ?? ""}
              placeholder="plan=pro"
              aria-label={`Step ${n}: property match (events)`}
              class="step-prop"
            />
          </div>
        ))}
        <div class="hint">
          A page is a path (/pricing) or a pattern: * within a segment, ** across. An event may
          require a property, like plan=pro. A goal step leaves the text empty.
        </div>
      </fieldset>
      <div class="row">
        <div class="field">
          <label for="f-window_kind">Steps must happen</label>
          <select id="f-window_kind" name="window_kind">
            <option value="session" selected={v.window_kind !== "days"}>in one visit</option>
            <option value="days" selected={v.window_kind === "days"}>
              within days (across devices after identify)
            </option>
          </select>
        </div>
        <Field label="Days" name="window_days" type="number" value={v.window_days ?? "7"} />
      </div>
      <div class="field">
        <label class="checkbox">
          <input type="checkbox" name="strict" checked={v.strict === "on"} />
          Strict order: no other step of this funnel in between
        </label>
      </div>
      <button type="submit">{props.submit}</button>
    </Form>
  );
}

async function listPage(
  c: Context<AppEnv>,
  opts: { problem?: FormProblem; values?: Record<string, string> } = {},
) {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const shell = await shellProps(c, { active: "funnels" });
  const canEdit = roleAtLeast(c.get("role"), "member");
  const [funnels, goals] = await Promise.all([listFunnels(sql, site.id), listGoals(sql, site.id)]);
  const goalNames = new Map(goals.map((g) => [g.id, g.name]));
  return renderPage(
    c,
    <AppShell {...shell}>
      <ExploreNav siteId={site.id} current="funnels" />
      <div class="page-header">
        <div>
          <h1>Funnels</h1>
          <p class="muted">
            The steps you want visitors to take, in order — and where they leave.
          </p>
        </div>
      </div>
      <div class="grid two">
        <section class="card" aria-labelledby="funnel-list">
          <h2 id="funnel-list">Saved funnels</h2>
          {funnels.length === 0
            ? (
              <p class="muted">
                No funnels yet. {canEdit
                  ? "Build one with the form: for example the home page, then pricing, then checkout."
                  : "Ask a member of this site to build one."}
              </p>
            )
            : (
              <ul class="goal-list">
                {funnels.map((f) => (
                  <li>
                    <a href={`/sites/${site.id}/funnels/${f.id}`}>
                      <strong>{f.name}</strong>
                    </a>
                    <div class="muted small">
                      {f.steps.map((s) => describeStep(s, goalNames)).join(" → ")}
                    </div>
                  </li>
                ))}
              </ul>
            )}
        </section>
        {canEdit && (
          <section class="card" aria-labelledby="new-funnel">
            <h2 id="new-funnel">New funnel</h2>
            <FunnelForm
              action={`/sites/${site.id}/funnels`}
              csrf={shell.csrf}
              values={opts.values ?? {}}
              goals={goals}
              problem={opts.problem}
              submit="Save funnel"
            />
          </section>
        )}
      </div>
    </AppShell>,
    { title: `Funnels · ${site.name}`, status: opts.problem?.status },
  );
}

/** Period (from the usual period parameters), breakdown and comparison of a report URL. */
/** A range to compare a report with, and how it reads ("the period before", "1 – 7 Mar"). */
interface Comparison {
  range: { from: Date; to: Date };
  label: string;
  /** The URL parameters that ask for it. */
  params: Record<string, string>;
}

/**
 * `compare=1` compares with the period before; `compare_from` + `compare_to` (days in the
 * site's time zone) with any other range.
 */
function comparisonOf(
  params: URLSearchParams,
  site: Site,
  period: ResolvedPeriod,
): Comparison | null {
  const from = params.get("compare_from") || undefined;
  const to = params.get("compare_to") || undefined;
  if (from || to) {
    for (const [name, v] of [["compare_from", from], ["compare_to", to]] as const) {
      if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v)) {
        throw new Invalid(name, "Compare with two dates, like 2026-03-01 and 2026-03-31.");
      }
    }
    let other: ResolvedPeriod;
    try {
      other = queryPeriod(site, checkQuery({ period: "custom", from, to }));
    } catch (e) {
      // The sentence is about the range; name the parameters this page was given.
      if (e instanceof Invalid) throw new Invalid("compare_to", e.message);
      throw e;
    }
    return {
      range: other,
      label: other.label,
      params: { compare_from: from!, compare_to: to! },
    };
  }
  if (params.get("compare") !== "1" || !period.previous) return null;
  return { range: period.previous, label: "the period before", params: { compare: "1" } };
}

function reportParams(c: Context<AppEnv>, site: Site) {
  const params = new URL(c.req.url).searchParams;
  const q = parseStatsParams(params);
  const period = queryPeriod(site, q);
  const by = params.get("by") || undefined;
  if (by && !(FUNNEL_BREAKDOWNS as readonly string[]).includes(by)) {
    throw new Invalid("by", `by must be one of: ${FUNNEL_BREAKDOWNS.join(", ")}.`);
  }
  return {
    q,
    period,
    by: by as FunnelBreakdown | undefined,
    comparison: comparisonOf(params, site, period),
  };
}

function Bars(props: {
  steps: StepResult[];
  labels: string[];
  previous?: StepResult[] | null;
  previousLabel?: string;
  dropHref?: (step: number) => string;
  unit: string;
}) {
  return (
    <ol class="funnel-bars">
      {props.steps.map((s, i) => (
        <li>
          <div class="funnel-bar-head">
            <span class="funnel-step-name">
              <span class="step-number">{i + 1}</span> {props.labels[i]}
            </span>
            <span class="num">
              <strong>{formatCount(s.count)}</strong>{" "}
              <span class="muted">{formatPercent(s.percent)}</span>
              {props.previous && (
                <span class="muted small">
                  {` (${props.previousLabel ?? "before"}: ${formatCount(props.previous[i].count)})`}
                </span>
              )}
            </span>
          </div>
          <div
            class="funnel-bar"
            style={`--w:${Math.max(0, Math.min(100, s.percent ?? 0))}%`}
            role="img"
            aria-label={`${formatCount(s.count)} ${props.unit}, ${formatPercent(s.percent)}`}
          />
          <div class="funnel-bar-foot small muted">
            {i > 0 && <span>Median {formatDuration(s.median_seconds)} from step {i}</span>}
            {i < props.steps.length - 1 && (
              props.dropHref && s.dropoff > 0
                ? (
                  <a class="dropoff" href={props.dropHref(i + 1)}>
                    {formatCount(s.dropoff)} left after this step →
                  </a>
                )
                : <span>{formatCount(s.dropoff)} left after this step</span>
            )}
          </div>
        </li>
      ))}
    </ol>
  );
}

function periodSearch(period: ResolvedPeriod, extra: Record<string, string | undefined> = {}) {
  const p = new URLSearchParams({ period: period.name });
  if (period.name === "custom") {
    p.set("from", period.firstDay);
    p.set("to", period.lastDay);
  }
  for (const [k, v] of Object.entries(extra)) if (v) p.set(k, v);
  return `?${p}`;
}

async function reportPage(c: Context<AppEnv>) {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const f = await getFunnel(sql, site.id, idParam(c, "funnelId"));
  const { period, by, comparison } = reportParams(c, site);
  const [report, goals] = await Promise.all([
    funnelReport(sql, site.id, f, period, { breakdown: by, compare: comparison?.range }),
    listGoals(sql, site.id),
  ]);
  const shell = await shellProps(c, { active: "funnels" });
  const canEdit = roleAtLeast(c.get("role"), "member");
  const goalNames = new Map(goals.map((g) => [g.id, g.name]));
  const labels = f.steps.map((s) => describeStep(s, goalNames));
  const base = `/sites/${site.id}/funnels/${f.id}`;
  const unit = f.window_kind === "session" ? "visits" : "people";
  const keep = { by, ...comparison?.params };
  const periodName = period.name;
  const current = report.current;
  return renderPage(
    c,
    <AppShell {...shell}>
      <div class="page-header">
        <div>
          <p class="small">
            <a href={`/sites/${site.id}/funnels`}>← Funnels</a>
          </p>
          <h1>{f.name}</h1>
          <p class="muted">
            {period.label} ·{" "}
            {f.window_kind === "session"
              ? "steps in one visit"
              : `steps within ${f.window_days} days per person`}
            {f.strict ? " · strict order" : ""}
          </p>
        </div>
        <div class="row">
          <a class="button secondary" href={`${base}/export.csv${periodSearch(period, keep)}`}>
            Export CSV
          </a>
          {canEdit && <a class="button secondary" href={`${base}/edit`}>Edit</a>}
          {canEdit && (
            <Form action={`${base}/duplicate`} csrf={shell.csrf}>
              <button type="submit" class="secondary">Duplicate</button>
            </Form>
          )}
          {canEdit && (
            <Form action={`${base}/delete`} csrf={shell.csrf}>
              <button type="submit" class="secondary danger">Delete</button>
            </Form>
          )}
        </div>
      </div>
      <nav class="chips" aria-label="Period">
        {PERIOD_LINKS.map(([p, label]) => (
          <a
            class="chip"
            href={`${base}${periodSearch({ ...period, name: p as typeof periodName }, keep)}`}
            aria-current={p === periodName ? "page" : undefined}
          >
            {label}
          </a>
        ))}
        <a
          class="chip"
          href={`${base}${periodSearch(period, { by, compare: comparison ? undefined : "1" })}`}
          aria-current={comparison ? "page" : undefined}
        >
          {comparison ? `Comparing with ${comparison.label} ×` : "Compare with the period before"}
        </a>
      </nav>
      <details class="compare-picker">
        <summary>Custom period and comparison</summary>
        <form method="get" action={base} class="custom-range">
          <input type="hidden" name="period" value="custom" />
          {by && <input type="hidden" name="by" value={by} />}
          <fieldset>
            <legend>Period</legend>
            <label>
              From <input type="date" name="from" value={period.firstDay} required />
            </label>
            <label>
              To <input type="date" name="to" value={period.lastDay} required />
            </label>
          </fieldset>
          <fieldset>
            <legend>Compare with</legend>
            <label>
              From <input type="date" name="compare_from" value={comparison?.params.compare_from} />
            </label>
            <label>
              To <input type="date" name="compare_to" value={comparison?.params.compare_to} />
            </label>
          </fieldset>
          <button type="submit" class="secondary">Apply</button>
        </form>
      </details>
      <section class="card" aria-labelledby="funnel-result">
        <h2 id="funnel-result">
          {current.conversion_rate === null
            ? "Nobody entered this funnel in this period"
            : `${formatPercent(current.conversion_rate)} converted`}
          {report.previous && comparison && (
            <span class="muted small">
              {` (${comparison.label}: ${formatPercent(report.previous.conversion_rate)})`}
            </span>
          )}
        </h2>
        {current.steps[0].count === 0 && (
          <p class="muted">
            No {unit}{" "}
            reached step 1 in this period. Pick a longer period, or check that step 1 matches your
            pages or events.
          </p>
        )}
        <Bars
          steps={current.steps}
          labels={labels}
          previous={report.previous?.steps}
          previousLabel={comparison?.label}
          unit={unit}
          dropHref={(step) => `${base}/dropoff${periodSearch(period, { step: String(step) })}`}
        />
      </section>
      <section class="card" aria-labelledby="funnel-breakdown">
        <div class="panel-head">
          <h2 id="funnel-breakdown">Which {unit} convert best</h2>
          <nav class="tabs" aria-label="Break down by">
            {FUNNEL_BREAKDOWNS.map((b) => (
              <a
                href={`${base}${periodSearch(period, { ...comparison?.params, by: b })}`}
                aria-current={b === by ? "true" : undefined}
              >
                {BREAKDOWN_LABELS[b]}
              </a>
            ))}
          </nav>
        </div>
        {!report.breakdown
          ? <p class="muted">Pick source, channel, device or country to compare them.</p>
          : report.breakdown.length === 0
          ? <p class="muted">Nothing to break down in this period.</p>
          : (
            <div class="table-wrap">
              <table class="breakdown">
                <thead>
                  <tr>
                    <th scope="col">{BREAKDOWN_LABELS[by!]}</th>
                    {labels.map((_, i) => (
                      <th
                        scope="col"
                        class={`num${i > 0 && i < labels.length - 1 ? " col-optional" : ""}`}
                      >
                        Step {i + 1}
                      </th>
                    ))}
                    <th scope="col" class="num">Conv.</th>
                  </tr>
                </thead>
                <tbody>
                  {report.breakdown.map((row) => (
                    <tr>
                      <td>{row.value || "(none)"}</td>
                      {row.steps.map((s, i) => (
                        <td
                          class={`num${i > 0 && i < row.steps.length - 1 ? " col-optional" : ""}`}
                        >
                          {formatCount(s.count)}
                        </td>
                      ))}
                      <td class="num">{formatPercent(row.conversion_rate)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </section>
    </AppShell>,
    { title: `${f.name} · Funnels · ${site.name}` },
  );
}

async function dropoffPage(c: Context<AppEnv>) {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const f = await getFunnel(sql, site.id, idParam(c, "funnelId"));
  const { period } = reportParams(c, site);
  const raw = c.req.query("step") ?? "";
  const step = /^[0-9]{1,2}$/.test(raw) ? Number(raw) : NaN;
  const lost = await droppedAt(sql, site.id, f, period, step);
  const goals = await listGoals(sql, site.id);
  const goalNames = new Map(goals.map((g) => [g.id, g.name]));
  const shell = await shellProps(c, { active: "funnels" });
  const base = `/sites/${site.id}/funnels/${f.id}`;
  return renderPage(
    c,
    <AppShell {...shell}>
      <div class="page-header">
        <div>
          <p class="small">
            <a href={`${base}${periodSearch(period)}`}>← {f.name}</a>
          </p>
          <h1>Left after step {step}</h1>
          <p class="muted">
            {period.label} · reached “{describeStep(f.steps[step - 1], goalNames)}” but not “
            {describeStep(f.steps[step], goalNames)}”. The latest{" "}
            {lost.length}, with the last pages they saw.
          </p>
        </div>
        <a
          class="button secondary"
          href={`/sites/${site.id}${
            periodSearch(period, { funnel: String(f.id), dropped_at: String(step) })
          }`}
        >
          Open the dashboard filtered to them
        </a>
      </div>
      <section class="card">
        {lost.length === 0
          ? <p class="muted">Nobody left at this step in this period.</p>
          : (
            <div class="table-wrap">
              <table class="breakdown">
                <thead>
                  <tr>
                    <th scope="col">Visitor</th>
                    <th scope="col">Reached the step</th>
                    <th scope="col">Last pages</th>
                  </tr>
                </thead>
                <tbody>
                  {lost.map((x) => (
                    <tr>
                      <td>
                        <a
                          href={`/sites/${site.id}/visitors/${
                            encodeURIComponent(x.visitor_id)
                          }?session=${x.session_id}`}
                          title="Their journey"
                        >
                          <code>{x.visitor_id.slice(0, 12)}</code>
                        </a>
                      </td>
                      <td>{x.reached_at.toISOString().slice(0, 16).replace("T", " ")} UTC</td>
                      <td>{x.last_pages.join(" → ") || "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </section>
    </AppShell>,
    { title: `Drop-off · ${f.name}` },
  );
}

async function editPage(
  c: Context<AppEnv>,
  f: Funnel,
  opts: { problem?: FormProblem; values?: Record<string, string> } = {},
) {
  const site = c.get("site");
  const shell = await shellProps(c, { active: "funnels" });
  const goals = await listGoals(c.get("app").db.sql, site.id);
  return renderPage(
    c,
    <AppShell {...shell}>
      <div class="page-header">
        <div>
          <p class="small">
            <a href={`/sites/${site.id}/funnels/${f.id}`}>← {f.name}</a>
          </p>
          <h1>Edit funnel</h1>
        </div>
      </div>
      <section class="card">
        <FunnelForm
          action={`/sites/${site.id}/funnels/${f.id}`}
          csrf={shell.csrf}
          values={opts.values ?? funnelToForm(f)}
          goals={goals}
          problem={opts.problem}
          submit="Save funnel"
        />
      </section>
    </AppShell>,
    { title: `Edit ${f.name}`, status: opts.problem?.status },
  );
}

/** The CSV of a report: one line per step, then per breakdown value when asked. */
async function reportCsv(c: Context<AppEnv>, site: Site): Promise<Response> {
  const sql = c.get("app").db.sql;
  const f = await getFunnel(sql, site.id, idParam(c, "funnelId"));
  const { period, by } = reportParams(c, site);
  const [report, goals] = await Promise.all([
    funnelReport(sql, site.id, f, period, { breakdown: by }),
    listGoals(sql, site.id),
  ]);
  const goalNames = new Map(goals.map((g) => [g.id, g.name]));
  const header = ["step", "definition", "count", "percent_of_first", "dropoff", "median_seconds"];
  const lines = (steps: StepResult[], prefix: string[]) =>
    steps.map((s, i) => [
      ...prefix,
      i + 1,
      describeStep(f.steps[i], goalNames),
      s.count,
      s.percent,
      s.dropoff,
      s.median_seconds,
    ]);
  const rows = by
    ? [[by, ...header], ...(report.breakdown ?? []).flatMap((r) => lines(r.steps, [r.value]))]
    : [header, ...lines(report.current.steps, [])];
  const name = `${site.domain}-funnel-${f.id}-${period.firstDay}-${period.lastDay}`
    .replace(/[^a-zA-Z0-9._-]/g, "_");
  return c.body(toCsv(rows), 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${name}.csv"`,
    "Cache-Control": "no-store",
  });
}

function funnelJson(f: Funnel) {
  return {
    id: f.id,
    name: f.name,
    window_kind: f.window_kind,
    window_days: f.window_days,
    strict: f.strict,
    steps: f.steps.map(({ path_regex: _drop, ...s }) => s),
  };
}

const FUNNEL_BODY_HINT = 'Send a JSON object like {"name": "Checkout", "steps": [{"kind": ' +
  '"page", "path_pattern": "/pricing"}, {"kind": "event", "event_name": "Signup"}]}.';

/** Registers the funnel pages and API. */
export function registerFunnels(app: Hono<AppEnv>): void {
  const path = "/sites/:siteId{[0-9]+}/funnels";
  app.get(path, requireSite("viewer"), (c) => listPage(c));

  app.post(path, requireSite("member"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const sql = c.get("app").db.sql;
    const result = await tryForm(async () =>
      createFunnel(sql, site.id, await parseFunnelInput(sql, site.id, formToInput(form)))
    );
    if (!result.ok) return listPage(c, { problem: result.problem, values: form });
    return c.redirect(`/sites/${site.id}/funnels/${result.value.id}`, 303);
  });

  app.get(`${path}/:funnelId{[0-9]+}`, requireSite("viewer"), (c) => reportPage(c));
  app.get(`${path}/:funnelId{[0-9]+}/dropoff`, requireSite("viewer"), (c) => dropoffPage(c));
  app.get(
    `${path}/:funnelId{[0-9]+}/export.csv`,
    requireSite("viewer"),
    (c) => reportCsv(c, c.get("site")),
  );

  app.get(`${path}/:funnelId{[0-9]+}/edit`, requireSite("member"), async (c) => {
    const f = await getFunnel(c.get("app").db.sql, c.get("site").id, idParam(c, "funnelId"));
    return editPage(c, f);
  });

  app.post(`${path}/:funnelId{[0-9]+}`, requireSite("member"), async (c) => {
    const sql = c.get("app").db.sql;
    const site = c.get("site");
    const f = await getFunnel(sql, site.id, idParam(c, "funnelId"));
    const form = await readForm(c);
    const result = await tryForm(async () =>
      updateFunnel(sql, site.id, f.id, await parseFunnelInput(sql, site.id, formToInput(form)))
    );
    if (!result.ok) return editPage(c, f, { problem: result.problem, values: form });
    return c.redirect(`/sites/${site.id}/funnels/${f.id}`, 303);
  });

  app.post(`${path}/:funnelId{[0-9]+}/duplicate`, requireSite("member"), async (c) => {
    const site = c.get("site");
    const copy = await duplicateFunnel(c.get("app").db.sql, site.id, idParam(c, "funnelId"));
    return c.redirect(`/sites/${site.id}/funnels/${copy.id}/edit`, 303);
  });

  app.post(`${path}/:funnelId{[0-9]+}/delete`, requireSite("member"), async (c) => {
    const site = c.get("site");
    await deleteFunnel(c.get("app").db.sql, site.id, idParam(c, "funnelId"));
    return c.redirect(`/sites/${site.id}/funnels`, 303);
  });

  // Public API.
  app.get("/api/v1/sites/:siteId/funnels", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const funnels = await listFunnels(c.get("app").db.sql, site.id);
    return c.json({ site_id: site.id, funnels: funnels.map(funnelJson) }, 200, {
      "Cache-Control": "no-store",
    });
  });

  app.post("/api/v1/sites/:siteId/funnels", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const sql = c.get("app").db.sql;
    const body = await jsonObject(c.req.raw, FUNNEL_BODY_HINT);
    const f = await createFunnel(sql, site.id, await parseFunnelInput(sql, site.id, body));
    return c.json(funnelJson(f), 201);
  });

  app.get("/api/v1/sites/:siteId/funnels/:funnelId", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const sql = c.get("app").db.sql;
    const f = await getFunnel(sql, site.id, idParam(c, "funnelId"));
    const { period, by, comparison } = reportParams(c, site);
    const report = await funnelReport(sql, site.id, f, period, {
      breakdown: by,
      compare: comparison?.range,
    });
    return c.json(
      {
        ...funnelJson(f),
        period: {
          name: period.name,
          label: period.label,
          first_day: period.firstDay,
          last_day: period.lastDay,
        },
        result: report.current,
        previous: report.previous,
        compared_with: comparison
          ? {
            label: comparison.label,
            from: comparison.range.from.toISOString(),
            to: comparison.range.to.toISOString(),
          }
          : null,
        breakdown: report.breakdown ? { by, rows: report.breakdown } : null,
      },
      200,
      { "Cache-Control": "no-store" },
    );
  });

  app.put("/api/v1/sites/:siteId/funnels/:funnelId", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const sql = c.get("app").db.sql;
    const f = await getFunnel(sql, site.id, idParam(c, "funnelId"));
    const body = await jsonObject(c.req.raw, FUNNEL_BODY_HINT);
    const input = await parseFunnelInput(sql, site.id, body);
    return c.json(funnelJson(await updateFunnel(sql, site.id, f.id, input)));
  });

  app.delete("/api/v1/sites/:siteId/funnels/:funnelId", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const deleted = await deleteFunnel(c.get("app").db.sql, site.id, idParam(c, "funnelId"));
    return c.json({ deleted });
  });
}
