/**
 * Goals: /sites/:siteId/goals (site settings → Goals: list, add, edit, delete) and the public
 * API /api/v1/sites/:siteId/goals (definitions with their numbers for a period, and CRUD).
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
import {
  createGoal,
  deleteGoal,
  describeGoal,
  getGoal,
  type Goal,
  GOAL_KIND_LABELS,
  GOAL_KINDS,
  goalStats,
  listGoals,
  parseGoalInput,
  updateGoal,
} from "../analytics/goals.ts";
import { parseStatsParams } from "../analytics/query.ts";
import { queryPeriod } from "../analytics/stats.ts";
import { type FormProblem, idParam, readForm, tryForm } from "./forms.ts";
import { jsonObject } from "./privacy_api.ts";
import { apiKeyRoute, apiSite } from "./stats_api.ts";

const DONE: Record<string, string> = {
  created: "Goal added. Its numbers cover your past visits too.",
  saved: "Goal saved.",
  deleted: "Goal deleted.",
};

function problemFor(p: FormProblem | undefined, field: string): string | undefined {
  return p?.field === field ? p.message : undefined;
}

/** The add/edit form; fields for other kinds hide while a kind is picked. */
function GoalForm(
  props: {
    action: string;
    csrf: string;
    values: Record<string, string>;
    problem?: FormProblem;
    submit: string;
  },
) {
  const { values: v, problem: p } = props;
  const kind = v.kind || "page";
  return (
    <Form action={props.action} csrf={props.csrf} class="goal-form">
      {p && !p.field && <p class="alert error" role="alert">{p.message}</p>}
      <Field
        label="Name"
        name="name"
        value={v.name}
        required
        placeholder="Signed up"
        hint="How the goal reads in the dashboard."
        error={problemFor(p, "name")}
      />
      <div class="field">
        <label for="f-kind">Counts when a visitor…</label>
        <select id="f-kind" name="kind">
          {GOAL_KINDS.map((k) => (
            <option value={k} selected={k === kind}>
              {{
                page: "visits a page",
                event: "triggers a custom event",
                duration: "stays long enough in one visit",
                pages: "views enough pages in one visit",
                purchase: "buys",
              }[k]}
            </option>
          ))}
        </select>
        {problemFor(p, "kind") && <div class="hint negative">{problemFor(p, "kind")}</div>}
      </div>
      <div class="for-kind for-page">
        <Field
          label="Page path"
          name="path_pattern"
          value={v.path_pattern}
          placeholder="/blog/**"
          hint="An exact path (/pricing) or a pattern: * matches within one segment, ** across segments."
          error={problemFor(p, "path_pattern")}
        />
      </div>
      <div class="for-kind for-event">
        <Field
          label="Event name"
          name="event_name"
          value={v.event_name}
          placeholder="Signup"
          hint="As sent with sextant('event', 'Signup') or data-sextant-goal."
          error={problemFor(p, "event_name")}
        />
        <div class="row">
          <Field
            label="Property (optional)"
            name="prop_key"
            value={v.prop_key}
            placeholder="plan"
            error={problemFor(p, "prop_key")}
          />
          <Field
            label="Equals"
            name="prop_value"
            value={v.prop_value}
            placeholder="pro"
            error={problemFor(p, "prop_value")}
          />
        </div>
      </div>
      <div class="for-kind for-duration for-pages">
        <Field
          label="At least (seconds for a visit's duration, pages for pages per visit)"
          name="threshold"
          type="number"
          value={v.threshold}
          placeholder="60"
          error={problemFor(p, "threshold")}
        />
      </div>
      <div class="for-kind for-purchase">
        <Field
          label="Product (optional)"
          name="product"
          value={v.product}
          placeholder="Pro course"
          hint="Leave empty to count any purchase."
          error={problemFor(p, "product")}
        />
      </div>
      <button type="submit">{props.submit}</button>
    </Form>
  );
}

function goalValues(g: Goal): Record<string, string> {
  return {
    name: g.name,
    kind: g.kind,
    path_pattern: g.path_pattern,
    event_name: g.event_name,
    prop_key: g.prop_key,
    prop_value: g.prop_value,
    threshold: g.threshold ? String(g.threshold) : "",
    product: g.product,
  };
}

async function goalsPage(
  c: Context<AppEnv>,
  opts: { problem?: FormProblem; values?: Record<string, string>; editing?: Goal } = {},
) {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const shell = await shellProps(c, { active: "settings" });
  const canEdit = roleAtLeast(c.get("role"), "member");
  const goals = await listGoals(sql, site.id);
  const done = DONE[c.req.query("done") ?? ""];
  const editing = opts.editing;
  return renderPage(
    c,
    <AppShell {...shell}>
      <div class="page-header">
        <div>
          <p class="small">
            <a href={`/sites/${site.id}/settings`}>← Settings</a>
          </p>
          <h1>Goals</h1>
          <p class="muted">
            A goal is what counts as a conversion: a page, a custom event, a long visit, a deep
            visit or a purchase. The dashboard's Goals panel shows each one's conversions,
            conversion rate and revenue, for past visits too. Click a goal there to see which
            sources convert best.
          </p>
        </div>
      </div>
      {done && <p class="alert success" role="status">{done}</p>}
      <div class="grid two">
        <section class="card" aria-labelledby="goals-list">
          <h2 id="goals-list">Goals of {site.name}</h2>
          {goals.length === 0
            ? (
              <p class="muted">
                No goals yet. {canEdit
                  ? "Add the first one with the form: a signup page or event is a good start."
                  : "Ask a member of this site to add one."}
              </p>
            )
            : (
              <ul class="goal-list">
                {goals.map((g) => (
                  <li>
                    <div class="row spread">
                      <div>
                        <strong>{g.name}</strong>
                        <div class="muted small">
                          {GOAL_KIND_LABELS[g.kind]} · {describeGoal(g)}
                        </div>
                      </div>
                      {canEdit && (
                        <div class="row">
                          <a class="button secondary" href={`/sites/${site.id}/goals/${g.id}`}>
                            Edit
                          </a>
                          <Form action={`/sites/${site.id}/goals/${g.id}/delete`} csrf={shell.csrf}>
                            <button
                              type="submit"
                              class="secondary"
                              aria-label={`Delete goal ${g.name}`}
                            >
                              Delete
                            </button>
                          </Form>
                        </div>
                      )}
                    </div>
                  </li>
                ))}
              </ul>
            )}
        </section>
        {canEdit && (
          <section class="card" aria-labelledby="goal-form-title">
            <h2 id="goal-form-title">{editing ? `Edit “${editing.name}”` : "Add a goal"}</h2>
            <GoalForm
              action={editing ? `/sites/${site.id}/goals/${editing.id}` : `/sites/${site.id}/goals`}
              csrf={shell.csrf}
              values={opts.values ?? (editing ? goalValues(editing) : {})}
              problem={opts.problem}
              submit={editing ? "Save goal" : "Add goal"}
            />
            {editing && (
              <p class="small">
                <a href={`/sites/${site.id}/goals`}>Cancel</a>
              </p>
            )}
          </section>
        )}
      </div>
    </AppShell>,
    { title: `Goals · ${site.name}`, status: opts.problem?.status },
  );
}

/** A goal as the API shows it. */
function goalJson(g: Goal) {
  return { ...g, description: describeGoal(g) };
}

async function apiGoal(c: Context<AppEnv>, site: Site): Promise<Goal> {
  return await getGoal(c.get("app").db.sql, site.id, idParam(c, "goalId"));
}

/** Registers the goals pages and API. */
export function registerGoals(app: Hono<AppEnv>): void {
  app.get("/sites/:siteId{[0-9]+}/goals", requireSite("viewer"), (c) => goalsPage(c));

  app.post("/sites/:siteId{[0-9]+}/goals", requireSite("member"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const result = await tryForm(() =>
      createGoal(c.get("app").db.sql, site.id, parseGoalInput(form))
    );
    if (!result.ok) return goalsPage(c, { problem: result.problem, values: form });
    return c.redirect(`/sites/${site.id}/goals?done=created`, 303);
  });

  app.get("/sites/:siteId{[0-9]+}/goals/:goalId", requireSite("member"), async (c) => {
    const goal = await getGoal(c.get("app").db.sql, c.get("site").id, idParam(c, "goalId"));
    return goalsPage(c, { editing: goal });
  });

  app.post("/sites/:siteId{[0-9]+}/goals/:goalId", requireSite("member"), async (c) => {
    const sql = c.get("app").db.sql;
    const site = c.get("site");
    const goal = await getGoal(sql, site.id, idParam(c, "goalId"));
    const form = await readForm(c);
    const result = await tryForm(() => updateGoal(sql, site.id, goal.id, parseGoalInput(form)));
    if (!result.ok) return goalsPage(c, { problem: result.problem, values: form, editing: goal });
    return c.redirect(`/sites/${site.id}/goals?done=saved`, 303);
  });

  app.post("/sites/:siteId{[0-9]+}/goals/:goalId/delete", requireSite("member"), async (c) => {
    const site = c.get("site");
    await deleteGoal(c.get("app").db.sql, site.id, idParam(c, "goalId"));
    return c.redirect(`/sites/${site.id}/goals?done=deleted`, 303);
  });

  // Public API: the same definitions; GET lists them with their numbers for a period.
  app.get("/api/v1/sites/:siteId/goals", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const sql = c.get("app").db.sql;
    const q = parseStatsParams(new URL(c.req.url).searchParams);
    const period = queryPeriod(site, q);
    const [goals, stats] = await Promise.all([listGoals(sql, site.id), goalStats(sql, site, q)]);
    const byId = new Map(stats.map((s) => [s.id, s]));
    return c.json(
      {
        site_id: site.id,
        currency: site.currency,
        period: {
          name: period.name,
          label: period.label,
          first_day: period.firstDay,
          last_day: period.lastDay,
        },
        goals: goals.map((g) => {
          const s = byId.get(g.id);
          return {
            ...goalJson(g),
            visitors: s?.visitors ?? 0,
            completions: s?.completions ?? 0,
            conversion_rate: s?.conversion_rate ?? null,
            revenue: s?.revenue ?? 0,
            median_seconds_to_convert: s?.median_seconds ?? null,
          };
        }),
      },
      200,
      { "Cache-Control": "no-store" },
    );
  });

  app.post("/api/v1/sites/:siteId/goals", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const input = parseGoalInput(await jsonObject(c.req.raw, GOAL_BODY_HINT));
    const goal = await createGoal(c.get("app").db.sql, site.id, input);
    return c.json(goalJson(goal), 201);
  });

  app.get("/api/v1/sites/:siteId/goals/:goalId", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    return c.json(goalJson(await apiGoal(c, site)), 200, { "Cache-Control": "no-store" });
  });

  app.put("/api/v1/sites/:siteId/goals/:goalId", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const goal = await apiGoal(c, site);
    const input = parseGoalInput(await jsonObject(c.req.raw, GOAL_BODY_HINT));
    return c.json(goalJson(await updateGoal(c.get("app").db.sql, site.id, goal.id, input)));
  });

  app.delete("/api/v1/sites/:siteId/goals/:goalId", apiKeyRoute(), async (c) => {
    const site = await apiSite(c);
    const deleted = await deleteGoal(c.get("app").db.sql, site.id, idParam(c, "goalId"));
    return c.json({ deleted });
  });
}

const GOAL_BODY_HINT =
  'Send a JSON object like {"name": "Signed up", "kind": "page", "path_pattern": "/welcome"}.';
