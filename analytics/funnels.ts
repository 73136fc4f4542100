/**
 * Funnels: 2–8 ordered steps (a page pattern, a custom event with an optional property match,
 * or a goal) that a visit — or a person within some days, across devices linked by identify() —
 * goes through. Results are computed at read time from events: per step the visits or people
 * that got that far, the share of the first step, the drop-off to the next and the median time
 * between steps, optionally broken down by the first step's source, channel, device or country.
 *
 * A funnel's entry (step 1) must happen in the period; later steps may follow after its end,
 * within the same visit or the window, so a visit crossing midnight counts whole.
 */
import { z } from "zod";
import type postgres from "postgres";
import type { Sql } from "../db/connect.ts";
import { Conflict, Invalid, NotFound } from "../lib/errors.ts";
import { pathPatternSource } from "../ingest/exclusions.ts";
import { goalCompletions } from "./completions.ts";
import { duplicateName, listGoals } from "./goals.ts";
import type { ResolvedPeriod } from "./period.ts";
import type { Range } from "./stats.ts";

type Fragment = postgres.PendingQuery<postgres.Row[]>;

export const STEP_KINDS = ["page", "event", "goal"] as const;
export const FUNNEL_WINDOWS = ["session", "days"] as const;
/** What a funnel can be broken down by: attributes of the visit its first step happened in. */
export const FUNNEL_BREAKDOWNS = ["source", "channel", "device", "country"] as const;
export type FunnelBreakdown = (typeof FUNNEL_BREAKDOWNS)[number];

/** One step as stored. */
export interface FunnelStep {
  kind: (typeof STEP_KINDS)[number];
  path_pattern: string;
  path_regex: string;
  event_name: string;
  prop_key: string;
  prop_value: string;
  goal_id: number | null;
}

/** A funnel as stored. */
export interface Funnel {
  id: number;
  name: string;
  window_kind: (typeof FUNNEL_WINDOWS)[number];
  window_days: number;
  strict: boolean;
  steps: FunnelStep[];
}

const text = (max: number) => z.string().trim().max(max, `Keep it under ${max} characters.`);

const stepSchema = z.object({
  kind: z.enum(STEP_KINDS, { error: "Each step is a page, a custom event or a goal." }),
  path_pattern: text(500).default(""),
  event_name: text(200).default(""),
  prop_key: text(100).default(""),
  prop_value: text(500).default(""),
  goal_id: z.coerce.number().int().positive().nullable().default(null),
});

/** What a form or the API sends to create or change a funnel. */
export const funnelInputSchema = z.object({
  name: text(120).min(1, "Give the funnel a name."),
  steps: z.array(stepSchema, { error: "List the funnel's steps." })
    .min(2, "A funnel needs at least 2 steps.").max(8, "A funnel has at most 8 steps.")
    .describe(
      "In order; each {kind: page, path_pattern} | {kind: event, event_name, " +
        "prop_key?, prop_value?} | {kind: goal, goal_id}.",
    ),
  window_kind: z.enum(FUNNEL_WINDOWS, {
    error: "Say whether steps must happen in one visit (session) or within days (days).",
  }).default("session"),
  window_days: z.coerce.number({ error: "The window is a whole number of days." }).int(
    "The window is a whole number of days.",
  ).min(0).max(90, "The window is at most 90 days.").default(7),
  strict: z.boolean().default(false).describe("No other step of the funnel between two steps."),
});

export type FunnelInput = z.output<typeof funnelInputSchema>;

function firstIssue(error: z.ZodError): Invalid {
  const issue = error.issues[0];
  const path = issue.path.map(String);
  const field = path[0] === "steps" && path.length > 1 ? `step${Number(path[1]) + 1}` : path[0];
  const message = /[.!?]$/.test(issue.message) ? issue.message : `${field}: ${issue.message}.`;
  return new Invalid(field ?? "funnel", message);
}

/** Checks a funnel definition against the site's goals; throws Invalid with a sentence. */
export async function parseFunnelInput(
  sql: Sql,
  siteId: number,
  raw: unknown,
): Promise<FunnelInput & { steps: FunnelStep[] }> {
  const parsed = funnelInputSchema.safeParse(raw);
  if (!parsed.success) throw firstIssue(parsed.error);
  const f = parsed.data;
  if (f.window_kind === "days" && f.window_days < 1) {
    throw new Invalid("window_days", "Pick a window of 1 to 90 days.");
  }
  const goalIds = new Set((await listGoals(sql, siteId)).map((g) => g.id));
  const steps = f.steps.map((s, i): FunnelStep => {
    const field = `step${i + 1}`;
    const blank = {
      path_pattern: "",
      path_regex: "",
      event_name: "",
      prop_key: "",
      prop_value: "",
      goal_id: null,
    };
    if (s.kind === "page") {
      if (!s.path_pattern.startsWith("/")) {
        throw new Invalid(field, `Step ${i + 1}: write a path starting with /, like /pricing.`);
      }
      return {
        ...blank,
        kind: "page",
        path_pattern: s.path_pattern,
        path_regex: pathPatternSource(s.path_pattern),
      };
    }
    if (s.kind === "event") {
      if (!s.event_name) throw new Invalid(field, `Step ${i + 1}: name the custom event.`);
      if (s.prop_value && !s.prop_key) {
        throw new Invalid(field, `Step ${i + 1}: name the property the value belongs to.`);
      }
      return {
        ...blank,
        kind: "event",
        event_name: s.event_name,
        prop_key: s.prop_key,
        prop_value: s.prop_key ? s.prop_value : "",
      };
    }
    if (s.goal_id === null || !goalIds.has(s.goal_id)) {
      throw new Invalid(field, `Step ${i + 1}: pick one of this site's goals.`);
    }
    return { ...blank, kind: "goal", goal_id: s.goal_id };
  });
  return { ...f, window_days: f.window_kind === "days" ? f.window_days : 0, steps };
}

const COLUMNS = "id, name, window_kind, window_days, strict, steps";

/** The site's funnels, by name. */
export function listFunnels(sql: Sql, siteId: number): Promise<Funnel[]> {
  return sql<Funnel[]>`select ${sql.unsafe(COLUMNS)} from funnels where site_id = ${siteId}
    order by lower(name), id`;
}

/** One funnel of the site; NotFound otherwise. */
export async function getFunnel(sql: Sql, siteId: number, id: number): Promise<Funnel> {
  const [row] = await sql<Funnel[]>`select ${sql.unsafe(COLUMNS)} from funnels
    where site_id = ${siteId} and id = ${id}`;
  if (!row) throw new NotFound("There is no such funnel on this site.");
  return row;
}

/**
 * Saves a new funnel. The same definition sent twice (a retried request) answers with the
 * funnel already saved; a different funnel of that name is a Conflict.
 */
export async function createFunnel(
  sql: Sql,
  siteId: number,
  input: FunnelInput & { steps: FunnelStep[] },
): Promise<Funnel> {
  const [row] = await sql<Funnel[]>`
    insert into funnels (site_id, name, window_kind, window_days, strict, steps)
    values (${siteId}, ${input.name}, ${input.window_kind}, ${input.window_days},
            ${input.strict}, ${sql.json(input.steps as never)})
    on conflict (site_id, name) do nothing
    returning ${sql.unsafe(COLUMNS)}`;
  if (row) return row;
  const [existing] = await sql<Funnel[]>`select ${sql.unsafe(COLUMNS)} from funnels
    where site_id = ${siteId} and name = ${input.name} and window_kind = ${input.window_kind}
      and window_days = ${input.window_days} and strict = ${input.strict}
      and steps = ${sql.json(input.steps as never)}`;
  if (existing) return existing;
  throw new Conflict(`There is already a funnel called "${input.name}".`);
}

/** Replaces a funnel's definition. */
export async function updateFunnel(
  sql: Sql,
  siteId: number,
  id: number,
  input: FunnelInput & { steps: FunnelStep[] },
): Promise<Funnel> {
  try {
    const [row] = await sql<Funnel[]>`
      update funnels set name = ${input.name}, window_kind = ${input.window_kind},
        window_days = ${input.window_days}, strict = ${input.strict},
        steps = ${sql.json(input.steps as never)}, updated_at = now()
      where site_id = ${siteId} and id = ${id}
      returning ${sql.unsafe(COLUMNS)}`;
    if (!row) throw new NotFound("There is no such funnel on this site.");
    return row;
  } catch (e) {
    if (duplicateName(e)) {
      throw new Conflict(`There is already a funnel called "${input.name}".`);
    }
    throw e;
  }
}

/** Copies a funnel under a free name ("Checkout (copy)", "Checkout (copy 2)", …). */
export async function duplicateFunnel(sql: Sql, siteId: number, id: number): Promise<Funnel> {
  const f = await getFunnel(sql, siteId, id);
  const taken = new Set((await listFunnels(sql, siteId)).map((x) => x.name));
  let name = `${f.name} (copy)`.slice(0, 120);
  for (let n = 2; taken.has(name); n++) name = `${f.name} (copy ${n})`.slice(0, 120);
  return await createFunnel(sql, siteId, { ...f, name });
}

/** Deletes a funnel; false when there was none (a repeated delete). */
export async function deleteFunnel(sql: Sql, siteId: number, id: number): Promise<boolean> {
  const rows = await sql`delete from funnels where site_id = ${siteId} and id = ${id}
    returning id`;
  return rows.length > 0;
}

/** "Visits /pricing", "Signup with plan = pro", "Goal: Buyer": a step in words. */
export function describeStep(s: FunnelStep, goalNames: Map<number, string>): string {
  if (s.kind === "page") return `Visits ${s.path_pattern}`;
  if (s.kind === "event") {
    return s.prop_key ? `${s.event_name} with ${s.prop_key} = ${s.prop_value}` : s.event_name;
  }
  return `Goal: ${goalNames.get(s.goal_id ?? 0) ?? "(deleted goal)"}`;
}

// ---------------------------------------------------------------------------------------------
// Results

/** One step's numbers. */
export interface StepResult {
  /** Visits (session funnels) or people (day-window funnels) that got this far. */
  count: number;
  /** Of the first step, in percent. */
  percent: number | null;
  /** Lost between this step and the next (0 on the last). */
  dropoff: number;
  /** Median seconds from the previous step to this one (null for the first). */
  median_seconds: number | null;
}

export interface FunnelResult {
  steps: StepResult[];
  /** Reached the last step ÷ entered, in percent. */
  conversion_rate: number | null;
}

export interface FunnelBreakdownRow {
  value: string;
  steps: StepResult[];
  conversion_rate: number | null;
}

/**
 * Step rows (entity, visitor_id, session_id, ts, step) in [from, until): page and event steps
 * in one pass over events, goal steps from goal completions.
 */
function stepRows(sql: Sql, siteId: number, f: Funnel, from: Date, until: Date): Fragment {
  const conds = f.steps.map((s) =>
    s.kind === "page"
      ? sql`e.type = 'pageview' and e.pathname ~ ${s.path_regex}`
      : s.kind === "event"
      ? sql`e.type = 'event' and e.name = ${s.event_name} ${
        s.prop_key ? sql`and e.props ->> ${s.prop_key} = ${s.prop_value}` : sql``
      }`
      : null
  );
  const eventSteps = conds.map((c, i) => [c, i + 1] as const).filter(([c]) => c !== null);
  const parts: Fragment[] = [];
  if (eventSteps.length > 0) {
    const cases = eventSteps.map(([c, n]) => sql`case when ${c!} then ${n}::int end`);
    const list = cases.reduce((acc, c, i) => i === 0 ? c : sql`${acc}, ${c}`);
    const any = eventSteps.map(([c]) => c!).reduce((acc, c, i) =>
      i === 0 ? sql`(${c})` : sql`${acc} or (${c})`
    );
    parts.push(sql`select e.visitor_id, e.session_id, e.ts, st.n as step
      from events e cross join lateral unnest(array[${list}]) as st(n)
      where e.site_id = ${siteId} and e.ts >= ${from} and e.ts < ${until} and (${any})
        and st.n is not null`);
  }
  f.steps.forEach((s, i) => {
    if (s.kind !== "goal") return;
    parts.push(sql`select gc.visitor_id, gc.session_id, gc.ts, ${i + 1}::int as step
      from (${goalCompletions(sql, siteId, { from, to: until }, sql`g.id = ${s.goal_id}`)}) gc
      where gc.session_id is not null`);
  });
  return parts.reduce((acc, p, i) => i === 0 ? p : sql`${acc} union all ${p}`);
}

/** One row per visit or person: how deep they got, when, and the visit they entered in. */
function walks(sql: Sql, siteId: number, f: Funnel, r: Range): Fragment {
  const session = f.window_kind === "session";
  // Visits never last a day; a person's window is the funnel's.
  const spanMs = session ? 86_400_000 : f.window_days * 86_400_000;
  const until = new Date(r.to.getTime() + spanMs);
  const entity = session
    ? sql`r.session_id::text`
    : sql`coalesce(ids.person, 'v:' || r.visitor_id)`;
  const people = session ? sql`` : sql`left join (
      select visitor_id, 'p:' || min(identifier) as person from identities
      where site_id = ${siteId} group by 1) ids on ids.visitor_id = r.visitor_id`;
  const span = session ? null : `${f.window_days} days`;
  return sql`select w.* from (
      select entity, (sextant_funnel_walk(array_agg(step order by ts, step),
          array_agg(ts order by ts, step), array_agg(session_id order by ts, step),
          ${f.steps.length}::int, ${span}::interval, ${f.strict}, ${r.to}::timestamptz)).*
      from (select ${entity} as entity, r.* from (${stepRows(sql, siteId, f, r.from, until)}) r
            ${people}) x
      group by entity
      having bool_or(step = 1 and ts < ${r.to})) w
    where w.depth > 0`;
}

function resultOf(n: number, rows: Array<{ k: number; count: number; median: number | null }>) {
  const counts = Array.from({ length: n }, (_, i) => rows.find((r) => r.k === i + 1));
  const first = Number(counts[0]?.count ?? 0);
  const steps = counts.map((r, i): StepResult => {
    const count = Number(r?.count ?? 0);
    const next = i + 1 < n ? Number(counts[i + 1]?.count ?? 0) : count;
    return {
      count,
      percent: first > 0 ? Math.round((10_000 * count) / first) / 100 : null,
      dropoff: count - next,
      median_seconds: i === 0 || r?.median === null || r?.median === undefined
        ? null
        : Number(r.median),
    };
  });
  const last = steps[n - 1].count;
  return { steps, conversion_rate: first > 0 ? Math.round((10_000 * last) / first) / 100 : null };
}

/** Per step: how many got that far, and the median time from the step before. */
function stepSums(sql: Sql, key: Fragment): Fragment {
  return sql`select ${key} as grp, k, count(*)::int8 as count,
      round(percentile_cont(0.5) within group (order by extract(epoch from
        w.step_times[k] - w.step_times[k - 1]))::numeric)::int8 as median
    from w cross join lateral generate_series(1, w.depth) k
    group by 1, 2`;
}

/** A funnel's steps over a range. */
export async function funnelResult(
  sql: Sql,
  siteId: number,
  f: Funnel,
  r: Range,
): Promise<FunnelResult> {
  const rows = await sql`with w as (${walks(sql, siteId, f, r)}) ${stepSums(sql, sql`1`)}`;
  return resultOf(
    f.steps.length,
    rows.map((x) => ({
      k: Number(x.k),
      count: Number(x.count),
      median: x.median === null ? null : Number(x.median),
    })),
  );
}

/** A funnel's steps per value of an attribute of the visit each entry happened in. */
export async function funnelBreakdown(
  sql: Sql,
  siteId: number,
  f: Funnel,
  r: Range,
  by: FunnelBreakdown,
  limit = 20,
): Promise<FunnelBreakdownRow[]> {
  const from = new Date(r.from.getTime() - 86_400_000);
  const rows = await sql`
    with w0 as (${walks(sql, siteId, f, r)}),
    w as (select w0.*, coalesce(s.${sql(by)}, '') as value from w0
      left join sessions s on s.site_id = ${siteId} and s.session_id = w0.first_session
        and s.started_at >= ${from} and s.started_at < ${r.to}),
    sums as (${stepSums(sql, sql`value`)})
    select * from sums where grp in (
      select value from w group by 1 order by count(*) desc, 1 limit ${limit})`;
  const groups = new Map<string, Array<{ k: number; count: number; median: number | null }>>();
  for (const x of rows) {
    const list = groups.get(x.grp) ?? [];
    list.push({
      k: Number(x.k),
      count: Number(x.count),
      median: x.median === null ? null : Number(x.median),
    });
    groups.set(x.grp, list);
  }
  return [...groups.entries()]
    .map(([value, list]) => ({ value, ...resultOf(f.steps.length, list) }))
    .sort((a, b) => b.steps[0].count - a.steps[0].count || a.value.localeCompare(b.value));
}

/** Someone who reached a step and went no further, with the last pages they saw. */
export interface DroppedVisitor {
  visitor_id: string;
  /** The visit they entered the funnel in. */
  session_id: string;
  reached_at: Date;
  last_pages: string[];
}

function checkDropStep(f: Funnel, step: number, field = "step"): void {
  if (!Number.isInteger(step) || step < 1 || step >= f.steps.length) {
    throw new Invalid(field, `Pick a step from 1 to ${f.steps.length - 1}.`);
  }
}

/**
 * SQL selecting who entered in range `r`, reached step `step` and not the next: the visitor of
 * the visit they entered in, that visit, and when they reached the step. The drop-off page
 * lists them; the dashboard filters by their visitor ids.
 */
export function droppedVisitors(
  sql: Sql,
  siteId: number,
  f: Funnel,
  r: Range,
  step: number,
): Fragment {
  checkDropStep(f, step, "dropped_at");
  return sql`select s.visitor_id, s.session_id, w.step_times[${step}::int] as reached_at
    from (${walks(sql, siteId, f, r)}) w
    join sessions s on s.site_id = ${siteId} and s.session_id = w.first_session
      and s.started_at >= ${new Date(r.from.getTime() - 86_400_000)} and s.started_at < ${r.to}
    where w.depth = ${step}::int`;
}

/** Up to `limit` visitors who reached step `step` (1-based) and not the next, latest first. */
export async function droppedAt(
  sql: Sql,
  siteId: number,
  f: Funnel,
  r: Range,
  step: number,
  limit = 50,
): Promise<DroppedVisitor[]> {
  checkDropStep(f, step);
  const rows = await sql`
    with lost as (select * from (${droppedVisitors(sql, siteId, f, r, step)}) d
      order by reached_at desc limit ${limit})
    select l.visitor_id, l.session_id, l.reached_at,
      array(select e.pathname from events e where e.site_id = ${siteId}
        and e.visitor_id = l.visitor_id and e.type = 'pageview' and e.ts >= l.reached_at
        and e.ts < l.reached_at + interval '1 day'
        order by e.ts desc limit 5) as last_pages
    from lost l order by l.reached_at desc`;
  return rows.map((x) => ({
    visitor_id: x.visitor_id,
    session_id: x.session_id,
    reached_at: x.reached_at,
    last_pages: (x.last_pages as string[]).reverse(),
  }));
}

/** The funnel over a period and, when asked, over a second range to compare with. */
export async function funnelReport(
  sql: Sql,
  siteId: number,
  f: Funnel,
  period: ResolvedPeriod,
  opts: { breakdown?: FunnelBreakdown; compare?: Range | null } = {},
): Promise<{
  current: FunnelResult;
  previous: FunnelResult | null;
  breakdown: FunnelBreakdownRow[] | null;
}> {
  const [current, previous, breakdown] = await Promise.all([
    funnelResult(sql, siteId, f, period),
    opts.compare ? funnelResult(sql, siteId, f, opts.compare) : Promise.resolve(null),
    opts.breakdown
      ? funnelBreakdown(sql, siteId, f, period, opts.breakdown)
      : Promise.resolve(null),
  ]);
  return { current, previous, breakdown };
}
