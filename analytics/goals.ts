/**
 * Goals a site defines — a page visited, a custom event (optionally with a property value), a
 * visit lasting long enough, enough pages in a visit, a purchase — and the goals panel: per goal
 * its converting visitors, conversion rate, completions, revenue from the converting visitors
 * and the median time from a visitor's first visit to their conversion. Nothing is stored per
 * completion: every number comes from completions.ts at read time, so goals cover past data.
 */
import { z } from "zod";
import type postgres from "postgres";
import type { Sql } from "../db/connect.ts";
import { Conflict, Invalid, NotFound } from "../lib/errors.ts";
import { pathPatternSource } from "../ingest/exclusions.ts";
import type { StatsQuery } from "./query.ts";
import {
  queryFilters,
  queryPeriod,
  type Range,
  sessionConds,
  type StatsFilter,
  type StatsSite,
  totalsFor,
} from "./stats.ts";
import { goalCompletions } from "./completions.ts";
import type { GoalStat } from "./view.ts";

export type { GoalStat };

type Fragment = postgres.PendingQuery<postgres.Row[]>;

export const GOAL_KINDS = ["page", "event", "duration", "pages", "purchase"] as const;
export type GoalKind = (typeof GOAL_KINDS)[number];

/** How each kind reads in lists and forms. */
export const GOAL_KIND_LABELS: Record<GoalKind, string> = {
  page: "Page visited",
  event: "Custom event",
  duration: "Visit duration",
  pages: "Pages per visit",
  purchase: "Purchase",
};

/** A goal as stored. */
export interface Goal {
  id: number;
  name: string;
  kind: GoalKind;
  path_pattern: string;
  event_name: string;
  prop_key: string;
  prop_value: string;
  /** Seconds (duration) or pageviews (pages); 0 for other kinds. */
  threshold: number;
  product: string;
}

const text = (max: number) => z.string().trim().max(max, `Keep it under ${max} characters.`);

/** What a form or the API sends to create or change a goal. */
export const goalInputSchema = z.object({
  name: text(120).min(1, "Give the goal a name.").describe("Shown in the goals panel."),
  kind: z.enum(GOAL_KINDS).describe("page, event, duration, pages or purchase."),
  path_pattern: text(500).default("").describe(
    "page goals: an exact path (/pricing) or a pattern; * matches within a segment, ** across.",
  ),
  event_name: text(200).default("").describe("event goals: the custom event's name."),
  prop_key: text(100).default("").describe("event goals, optional: a property that must match."),
  prop_value: text(500).default("").describe("event goals: the value prop_key must have."),
  threshold: z.coerce.number({ error: "The threshold must be a whole number." }).int(
    "The threshold must be a whole number.",
  ).min(0).max(86_400).default(0).describe(
    "duration goals: seconds a visit must last; pages goals: pageviews in one visit.",
  ),
  product: text(200).default("").describe("purchase goals, optional: only this product."),
});

/** A checked goal definition, every field present. */
export type GoalInput = z.output<typeof goalInputSchema>;

/** Checks a goal definition (from a form or JSON); throws Invalid with a sentence. */
export function parseGoalInput(raw: unknown): GoalInput {
  const parsed = goalInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue.path[0] ?? "goal");
    const message = issue.code === "invalid_value" && field === "kind"
      ? `Pick what the goal is: ${GOAL_KINDS.join(", ")}.`
      : /[.!?]$/.test(issue.message)
      ? issue.message
      : `${field}: ${issue.message}.`;
    throw new Invalid(field, message);
  }
  const g = parsed.data;
  const only = { path_pattern: "", event_name: "", prop_key: "", prop_value: "", product: "" };
  switch (g.kind) {
    case "page":
      if (!g.path_pattern.startsWith("/")) {
        throw new Invalid("path_pattern", "Write the page's path, starting with /, like /pricing.");
      }
      return { ...g, ...only, path_pattern: g.path_pattern, threshold: 0 };
    case "event":
      if (!g.event_name) throw new Invalid("event_name", "Name the custom event, like Signup.");
      if (g.prop_value && !g.prop_key) {
        throw new Invalid("prop_key", "Name the property the value belongs to, like plan.");
      }
      return {
        ...g,
        ...only,
        event_name: g.event_name,
        prop_key: g.prop_key,
        prop_value: g.prop_value,
        threshold: 0,
      };
    case "duration":
    case "pages":
      if (g.threshold < 1) {
        throw new Invalid(
          "threshold",
          g.kind === "duration"
            ? "Say how many seconds a visit must last (at least 1)."
            : "Say how many pages a visit must see (at least 1).",
        );
      }
      if (g.kind === "pages" && g.threshold > 1000) {
        throw new Invalid("threshold", "Pick at most 1000 pages.");
      }
      return { ...g, ...only };
    case "purchase":
      return { ...g, ...only, product: g.product, threshold: 0 };
  }
}

const COLUMNS =
  "id, name, kind, path_pattern, event_name, prop_key, prop_value, threshold, product";

/** The site's goals, by name. */
export function listGoals(sql: Sql, siteId: number): Promise<Goal[]> {
  return sql<Goal[]>`select ${sql.unsafe(COLUMNS)} from goals where site_id = ${siteId}
    order by lower(name), id`;
}

/** One goal of the site; NotFound otherwise. */
export async function getGoal(sql: Sql, siteId: number, id: number): Promise<Goal> {
  const [row] = await sql<Goal[]>`select ${sql.unsafe(COLUMNS)} from goals
    where site_id = ${siteId} and id = ${id}`;
  if (!row) throw new NotFound("There is no such goal on this site.");
  return row;
}

/** Whether a database error is a unique violation (a name already taken). */
export function duplicateName(e: unknown): boolean {
  return (e as { code?: string }).code === "23505";
}

/**
 * Adds a goal. Sending the same definition twice (a retried request) answers with the goal
 * already there; another goal of that name is a Conflict.
 */
export async function createGoal(sql: Sql, siteId: number, input: GoalInput): Promise<Goal> {
  const regex = input.kind === "page" ? pathPatternSource(input.path_pattern) : "";
  const [row] = await sql<Goal[]>`
    insert into goals (site_id, name, kind, path_pattern, path_regex, event_name, prop_key,
                       prop_value, threshold, product)
    values (${siteId}, ${input.name}, ${input.kind}, ${input.path_pattern}, ${regex},
            ${input.event_name}, ${input.prop_key}, ${input.prop_value}, ${input.threshold},
            ${input.product})
    on conflict (site_id, name) do nothing
    returning ${sql.unsafe(COLUMNS)}`;
  if (row) return row;
  const [same] = await sql<Goal[]>`select ${sql.unsafe(COLUMNS)} from goals
    where site_id = ${siteId} and name = ${input.name} and kind = ${input.kind}
      and path_pattern = ${input.path_pattern} and event_name = ${input.event_name}
      and prop_key = ${input.prop_key} and prop_value = ${input.prop_value}
      and threshold = ${input.threshold} and product = ${input.product}`;
  if (same) return same;
  throw new Conflict(`There is already a goal called "${input.name}".`);
}

/** Changes a goal's definition (its past conversions change with it). */
export async function updateGoal(
  sql: Sql,
  siteId: number,
  id: number,
  input: GoalInput,
): Promise<Goal> {
  const regex = input.kind === "page" ? pathPatternSource(input.path_pattern) : "";
  try {
    const [row] = await sql<Goal[]>`
      update goals set name = ${input.name}, kind = ${input.kind},
        path_pattern = ${input.path_pattern}, path_regex = ${regex},
        event_name = ${input.event_name}, prop_key = ${input.prop_key},
        prop_value = ${input.prop_value}, threshold = ${input.threshold},
        product = ${input.product}
      where site_id = ${siteId} and id = ${id}
      returning ${sql.unsafe(COLUMNS)}`;
    if (!row) throw new NotFound("There is no such goal on this site.");
    return row;
  } catch (e) {
    if (duplicateName(e)) throw new Conflict(`There is already a goal called "${input.name}".`);
    throw e;
  }
}

/** Deletes a goal of the site; false when there was none (a repeated delete). */
export async function deleteGoal(sql: Sql, siteId: number, id: number): Promise<boolean> {
  const rows = await sql`delete from goals where site_id = ${siteId} and id = ${id} returning id`;
  return rows.length > 0;
}

/** "Visits /blog/**", "Signup with plan = pro": a goal's definition in words. */
export function describeGoal(g: Goal): string {
  switch (g.kind) {
    case "page":
      return `Visits ${g.path_pattern}`;
    case "event":
      return g.prop_key
        ? `${g.event_name} with ${g.prop_key} = ${g.prop_value}`
        : `Custom event ${g.event_name}`;
    case "duration":
      return `A visit of ${g.threshold} s or more`;
    case "pages":
      return `${g.threshold} or more pages in a visit`;
    case "purchase":
      return g.product ? `Buys ${g.product}` : "Any purchase";
  }
}

// ---------------------------------------------------------------------------------------------
// The goals panel

/**
 * Completions of the goals matching `which` in the range, keeping only those in visits that
 * match the filters (filters choose visits, as everywhere).
 */
export function filteredCompletions(
  sql: Sql,
  siteId: number,
  range: Range,
  filters: StatsFilter[],
  which: Fragment,
): Fragment {
  const all = goalCompletions(sql, siteId, range, which);
  if (filters.length === 0) return all;
  // Visits with completions in the range started at most a day before it.
  const from = new Date(range.from.getTime() - 86_400_000);
  return sql`select * from (${all}) gc where gc.session_id in (
    select s.session_id from sessions s
    where s.site_id = ${siteId} and s.started_at >= ${from} and s.started_at < ${range.to}
      ${sessionConds(sql, siteId, range, filters)})`;
}

/** Every goal of the site with its numbers over the query's period and filters. */
export async function goalStats(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  opts: { now?: Date } = {},
): Promise<GoalStat[]> {
  const goals = await listGoals(sql, site.id);
  if (goals.length === 0) return [];
  const period = queryPeriod(site, q, opts.now);
  const filters = await queryFilters(sql, site.id, q, period);
  const totals = await totalsFor(sql, site, period.timezone, period, filters, {
    now: opts.now,
  });
  // Each part is computed once for every goal and joined: per-goal subqueries re-read the
  // completions and looked up a visitor's first visit once per goal (15 s of 65 s over 12
  // months of 1M events).
  const rows = await sql`
    with gc as materialized (${filteredCompletions(sql, site.id, period, filters, sql`true`)}),
    firsts as materialized (
      select goal_id, visitor_id, min(ts) as converted_at from gc group by 1, 2),
    starts as (
      select s.visitor_id, min(s.started_at) as first_visit from sessions s
      where s.site_id = ${site.id} and s.visitor_id in (select visitor_id from firsts)
      group by 1),
    medians as (
      select f.goal_id,
             round(percentile_cont(0.5) within group (order by greatest(0, extract(epoch from
               f.converted_at - coalesce(st.first_visit, f.converted_at))))::numeric)::int8
               as median_seconds
      from firsts f left join starts st on st.visitor_id = f.visitor_id
      group by 1),
    money as (
      select f.goal_id, sum(p.amount_site_minor) as revenue
      from firsts f
      join purchases p on p.site_id = ${site.id} and p.visitor_id = f.visitor_id
      where p.ts >= ${period.from} and p.ts < ${period.to}
      group by 1),
    counts as (
      select goal_id, count(distinct visitor_id)::int8 as visitors, count(*)::int8 as completions
      from gc group by 1)
    select g.id, coalesce(v.visitors, 0)::int8 as visitors,
           coalesce(v.completions, 0)::int8 as completions,
           round(100.0 * coalesce(v.visitors, 0) / nullif(${totals.visitors ?? 0}::int8, 0), 2)
             ::float8 as conversion_rate,
           coalesce(m.revenue, 0)::int8 as revenue, md.median_seconds
    from goals g
    left join counts v on v.goal_id = g.id
    left join money m on m.goal_id = g.id
    left join medians md on md.goal_id = g.id
    where g.site_id = ${site.id}`;
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  return goals.map((g) => {
    const r = byId.get(g.id);
    const visitors = Number(r?.visitors ?? 0);
    return {
      id: g.id,
      name: g.name,
      kind: g.kind,
      description: describeGoal(g),
      visitors,
      completions: Number(r?.completions ?? 0),
      conversion_rate: r?.conversion_rate === null || r?.conversion_rate === undefined
        ? null
        : Number(r.conversion_rate),
      revenue: Number(r?.revenue ?? 0),
      median_seconds: r?.median_seconds === null || r?.median_seconds === undefined
        ? null
        : Number(r.median_seconds),
    };
  }).sort((a, b) => b.visitors - a.visitors || a.name.localeCompare(b.name));
}
