/**
 * Paths: what visitors do after a page or before it (the next and previous page within the
 * same visit, or leaving / arriving), and the pages that lead to a goal — each visit's last few
 * pages before its first completion of the goal, counted by sequence. Computed at read time
 * from pageviews in the period.
 */
import type { Sql } from "../db/connect.ts";
import { Invalid } from "../lib/errors.ts";
import { pathPatternSource } from "../ingest/exclusions.ts";
import { goalCompletions } from "./completions.ts";
import type { Range } from "./stats.ts";

/** A page (or "(exit)" / "(entrance)") and how often it came next or before. */
export interface PathStep {
  page: string;
  /** Transitions: times a matching pageview was followed (or preceded) by this. */
  count: number;
  /** Distinct visits with such a transition. */
  visits: number;
}

/** A sequence of pages that ended in a conversion, and how many visits took it. */
export interface PathToGoal {
  pages: string[];
  conversions: number;
}

/** The label of "no next page": the visit ended. */
export const EXIT = "(exit)";
/** The label of "no previous page": the visit started here. */
export const ENTRANCE = "(entrance)";

function patternRegex(pattern: string): string {
  const p = pattern.trim();
  if (!p.startsWith("/")) {
    throw new Invalid("page", "Write the page's path, starting with /, like /pricing.");
  }
  if (p.length > 500) throw new Invalid("page", "Keep the page under 500 characters.");
  return pathPatternSource(p);
}

/**
 * The pages that come right after (or right before) pageviews matching `pattern` in the same
 * visit, most frequent first.
 */
export async function nextPages(
  sql: Sql,
  siteId: number,
  r: Range,
  pattern: string,
  direction: "next" | "previous",
  limit = 20,
): Promise<PathStep[]> {
  const regex = patternRegex(pattern);
  const neighbour = direction === "next"
    ? sql`lead(e.pathname) over (partition by e.session_id order by e.ts, e.event_id)`
    : sql`lag(e.pathname) over (partition by e.session_id order by e.ts, e.event_id)`;
  // Visits that touch the range may start up to a day before it and end a day after it. One
  // pass over the period's pageviews, with no join back to events: a join's plan depends on
  // table statistics, and without them (a fresh embedded database) it took minutes.
  const rows = await sql`
    with v as (
      select e.session_id, e.ts, e.pathname, ${neighbour} as other
      from events e
      where e.site_id = ${siteId} and e.type = 'pageview'
        and e.ts >= ${new Date(r.from.getTime() - 86_400_000)}
        and e.ts < ${new Date(r.to.getTime() + 86_400_000)})
    select coalesce(other, ${direction === "next" ? EXIT : ENTRANCE}) as page,
           count(*)::int8 as count, count(distinct session_id)::int8 as visits
    from v where pathname ~ ${regex} and ts >= ${r.from} and ts < ${r.to}
    group by 1 order by 2 desc, 1 limit ${limit}`;
  return rows.map((x) => ({ page: x.page, count: Number(x.count), visits: Number(x.visits) }));
}

/**
 * The most common sequences of up to `depth` pages a visit saw up to its first completion of
 * the goal (in the period), most frequent first.
 */
export async function pathsToGoal(
  sql: Sql,
  siteId: number,
  r: Range,
  goalId: number,
  depth = 3,
  limit = 20,
): Promise<PathToGoal[]> {
  if (!Number.isInteger(depth) || depth < 1 || depth > 6) {
    throw new Invalid("depth", "Pick a path length from 1 to 6 pages.");
  }
  const rows = await sql`
    with conv0 as (
      select session_id, min(ts) as at
      from (${goalCompletions(sql, siteId, r, sql`g.id = ${goalId}`)}) gc
      where session_id is not null group by 1),
    -- The visit's own visitor (a purchase's buyer may be another device's visitor id): the
    -- lookup below then reads that visitor's events (events_site_visitor_ts), not every event
    -- of the site in the day before (24 s for 30 days of 1M events).
    conv as (
      select c.session_id, c.at, s.visitor_id from conv0 c
      join sessions s on s.site_id = ${siteId} and s.session_id = c.session_id
        and s.started_at <= c.at),
    seq as (
      select c.session_id, array(
        select e.pathname from events e
        where e.site_id = ${siteId} and e.visitor_id = c.visitor_id
          and e.session_id = c.session_id and e.type = 'pageview'
          and e.ts <= c.at and e.ts > c.at - interval '1 day'
        order by e.ts desc, e.event_id desc limit ${depth}) as pages
      from conv c)
    select pages, count(*)::int8 as conversions from seq
    where cardinality(pages) > 0
    group by 1 order by 2 desc, 1 limit ${limit}`;
  return rows.map((x) => ({
    pages: [...(x.pages as string[])].reverse(),
    conversions: Number(x.conversions),
  }));
}
