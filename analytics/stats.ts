/**
 * The SQL behind every number on the dashboard and in the API. Unfiltered questions are answered
 * from the hourly rollups (UTC buckets, shifted into the site's time zone here); filtered ones,
 * and zones whose midnights are not on a UTC hour, from the raw tables. Both paths compute the
 * same base sums, and one select list (metricColumns) turns them into metrics, so they agree.
 *
 * Definitions (docs/DEVELOPING.md repeats them):
 * - visitors: distinct visitors with any event in the range (per row: with a visit there);
 * - visits: sessions that started in the range; bounce: sextant_is_bounce() in SQL;
 * - revenue: purchases in the range, net of refunds, in the site currency (minor units); by
 *   dimension it follows last-touch attribution credits, purchases no visit explains forming
 *   an "Unmatched" row;
 * - customers: distinct buyers (email, else visitor id) with a purchase that is not a refund;
 * - conversion rate: customers / visitors (for goals: converting visitors / all visitors).
 * Filters choose visits: attributes must match; a page filter keeps only that page's events and
 * the visits that saw it; a goal filter keeps the visits that completed the goal.
 */
import type { Sql } from "../db/connect.ts";
import type postgres from "postgres";
import {
  type Dimension,
  DIMENSION_INFO,
  type Filter,
  type Metric,
  METRICS,
  PAGE_METRICS,
} from "./dimensions.ts";
import {
  addDays,
  alignsWithHours,
  chartBuckets,
  checkGranularity,
  type Day,
  dayOf,
  type Granularity,
  type ResolvedPeriod,
  resolvePeriod,
  startOfDay,
} from "./period.ts";
import { breakdownDimension, queryMetrics, type StatsQuery, timeGranularity } from "./query.ts";
import { goalCompletions } from "./completions.ts";
import { droppedVisitors, getFunnel } from "./funnels.ts";

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/** What the stats need to know about a site. */
export interface StatsSite {
  id: number;
  timezone: string;
  currency: string;
  created_at: Date;
  first_event_at: Date | null;
}

export interface StatsOptions {
  /** "Now", for tests. */
  now?: Date;
  /** Never read rollups (benchmarks compare against this). */
  raw?: boolean;
  /** Never read the daily rollups, only the hourly ones (benchmarks compare against this). */
  hourly?: boolean;
}

export interface Range {
  from: Date;
  to: Date;
}

export type MetricValues = Partial<Record<Metric, number | null>>;

export interface AggregateResult {
  totals: MetricValues;
  previous: MetricValues | null;
}

export interface SeriesPoint {
  /** Local start of the bucket, "YYYY-MM-DDTHH:MM". */
  bucket: string;
  values: MetricValues;
}

export interface BreakdownRow {
  /** The dimension's value ("" when empty); null for the Unmatched revenue row. */
  value: string | null;
  values: MetricValues;
}

export interface BreakdownResult {
  dimension: Dimension;
  rows: BreakdownRow[];
  totalRows: number;
  page: number;
  limit: number;
}

/** The period a query asks for, resolved in its time zone. */
export function queryPeriod(site: StatsSite, q: StatsQuery, now = new Date()): ResolvedPeriod {
  return resolvePeriod(
    { period: q.period, from: q.from, to: q.to },
    q.timezone ?? site.timezone,
    now,
    site.first_event_at ?? site.created_at,
  );
}

// ---------------------------------------------------------------------------------------------
// Filters

function escapeLike(v: string): string {
  return v.replace(/[\\%_]/g, (c) => "\\" + c);
}

/** `column <op> value` for one filter. */
function match(sql: Sql, column: Fragment, f: Filter): Fragment {
  if (f.op === "is") return sql`${column} = ${f.value}`;
  if (f.op === "is_not") return sql`${column} <> ${f.value}`;
  return sql`${column} ilike ${"%" + escapeLike(f.value) + "%"}`;
}

function and(sql: Sql, parts: Fragment[]): Fragment {
  if (parts.length === 0) return sql``;
  return parts.reduce((acc, p) => sql`${acc} and ${p}`, sql``);
}

function col(sql: Sql, alias: string, name: string): Fragment {
  return sql`${sql(alias)}.${sql(name)}`;
}

/** Visitors chosen by SQL selecting their ids (a funnel's drop-offs), not by an attribute. */
export interface VisitorSet {
  dimension: "visitors";
  visitors: Fragment;
}
export type StatsFilter = Filter | VisitorSet;

function isVisitorSet(f: StatsFilter): f is VisitorSet {
  return f.dimension === "visitors";
}

function visitorSets(filters: StatsFilter[]): VisitorSet[] {
  return filters.filter(isVisitorSet);
}

function byScope(filters: StatsFilter[], ...scopes: string[]): Filter[] {
  return filters.filter((f): f is Filter =>
    !isVisitorSet(f) && scopes.includes(DIMENSION_INFO[f.dimension].scope)
  );
}

/**
 * The query's filters over `range`; a funnel drop-off (`funnel` + `dropped_at`) becomes the
 * visitors who entered that funnel in the range and left after that step.
 */
export async function queryFilters(
  sql: Sql,
  siteId: number,
  q: StatsQuery,
  range: Range,
): Promise<StatsFilter[]> {
  if (q.funnel === undefined || q.dropped_at === undefined) return q.filters;
  const f = await getFunnel(sql, siteId, q.funnel);
  const dropped = droppedVisitors(sql, siteId, f, range, q.dropped_at);
  return [...q.filters, {
    dimension: "visitors",
    visitors: sql`select visitor_id from (${dropped}) d`,
  }];
}

/**
 * Sessions (of the site, any start) that include a matching pageview or goal in the range. A
 * goal filter names a defined goal (completed however it is defined) or else a custom event.
 */
function eventSessions(sql: Sql, siteId: number, r: Range, f: Filter): Fragment {
  const info = DIMENSION_INFO[f.dimension];
  if (info.scope === "goal") {
    return sql`(select ev.session_id from events ev
      where ev.site_id = ${siteId} and ev.ts >= ${r.from} and ev.ts < ${r.to}
        and ev.type = 'event' and ${match(sql, sql`ev.name`, f)}
        and not exists (select 1 from goals g where g.site_id = ${siteId} and g.name = ev.name)
      union all
      select gc.session_id from (${
      goalCompletions(sql, siteId, r, match(sql, sql`g.name`, f))
    }) gc where gc.session_id is not null)`;
  }
  return sql`(select ev.session_id from events ev
    where ev.site_id = ${siteId} and ev.ts >= ${r.from} and ev.ts < ${r.to}
      and ev.type = 'pageview' and ${match(sql, col(sql, "ev", info.column), f)})`;
}

/** Extra conditions on sessions `s` for the filters (each starting with "and"; heatmaps choose visits with it too). */
export function sessionConds(
  sql: Sql,
  siteId: number,
  r: Range,
  filters: StatsFilter[],
): Fragment {
  const parts: Fragment[] = visitorSets(filters).map((f) => sql`s.visitor_id in (${f.visitors})`);
  for (const f of byScope(filters, "visit", "visit_only")) {
    parts.push(match(sql, col(sql, "s", DIMENSION_INFO[f.dimension].column), f));
  }
  for (const f of byScope(filters, "page", "goal")) {
    parts.push(sql`s.session_id in ${eventSessions(sql, siteId, r, f)}`);
  }
  return and(sql, parts);
}

/** Extra conditions on events `e` for the filters. */
function eventConds(sql: Sql, siteId: number, r: Range, filters: StatsFilter[]): Fragment {
  const parts: Fragment[] = visitorSets(filters).map((f) => sql`e.visitor_id in (${f.visitors})`);
  for (const f of byScope(filters, "visit", "page")) {
    parts.push(match(sql, col(sql, "e", DIMENSION_INFO[f.dimension].column), f));
  }
  for (const f of byScope(filters, "visit_only")) {
    // Visits can start before the range and still have events in it; none lasts a day.
    parts.push(sql`e.session_id in (select s.session_id from sessions s
      where s.site_id = ${siteId} and s.started_at >= ${new Date(r.from.getTime() - 86_400_000)}
        and s.started_at < ${r.to}
        and ${match(sql, col(sql, "s", DIMENSION_INFO[f.dimension].column), f)})`);
  }
  for (const f of byScope(filters, "goal")) {
    parts.push(sql`e.session_id in ${eventSessions(sql, siteId, r, f)}`);
  }
  return and(sql, parts);
}

/** Extra conditions on attribution credits `c` for the filters (unmatched never match). */
function creditConds(sql: Sql, siteId: number, r: Range, filters: StatsFilter[]): Fragment {
  if (filters.length === 0) return sql``;
  const parts: Fragment[] = [sql`c.touch >= 0`];
  for (const f of visitorSets(filters)) parts.push(sql`c.visitor_id in (${f.visitors})`);
  for (const f of byScope(filters, "visit", "visit_only", "page", "goal")) {
    const info = DIMENSION_INFO[f.dimension];
    if (info.scope === "visit" || f.dimension === "entry_page") {
      parts.push(match(sql, col(sql, "c", info.column), f));
    } else if (f.dimension === "exit_page") {
      parts.push(sql`exists (select 1 from sessions s where s.site_id = c.site_id
        and s.session_id = c.session_id and s.started_at = c.session_started_at
        and ${match(sql, col(sql, "s", "exit_page"), f)})`);
    } else if (info.scope === "goal") {
      // Credited visits can start up to a day before the purchases of the range.
      const from = new Date(r.from.getTime() - 86_400_000);
      parts.push(sql`c.session_id in ${eventSessions(sql, siteId, { from, to: r.to }, f)}`);
    } else {
      parts.push(sql`exists (select 1 from events ev where ev.site_id = c.site_id
        and ev.session_id = c.session_id and ev.ts >= c.session_started_at
        and ev.ts < c.session_started_at + interval '1 day' and ev.type = 'pageview'
        and ${match(sql, col(sql, "ev", info.column), f)})`);
    }
  }
  return and(sql, parts);
}

// ---------------------------------------------------------------------------------------------
// Base sums. Each subquery yields some of: visitors, pageviews, sessions, bounces, duration_s,
// events, revenue, orders, customers — keyed by `k` (a bucket label or a dimension value).

const CUSTOMER = "coalesce(nullif(p.customer_email, ''), p.visitor_id, p.id::text)";

interface Plan {
  sql: Sql;
  siteId: number;
  range: Range;
  filters: StatsFilter[];
  rollups: boolean;
  tz: string;
  /** Set when the daily rollups answer: whole local days, maybe then a partial day's hours. */
  days: Days | null;
}

interface Days {
  first: Day;
  last: Day;
  /** Start of a last day the range ends inside of (with data after the end), else null. */
  tailFrom: Date | null;
}

/** The local midnight a daily rollup row stands for, as an instant (what hourly keys take). */
function dayStart(p: Plan): Fragment {
  return p.sql`(day::timestamp at time zone ${p.tz})`;
}

/** `site_id = … and day between …` for the daily rollup tables. */
function dayRows(p: Plan, dim: string): Fragment {
  const d = p.days!;
  return p.sql`site_id = ${p.siteId} and dim = ${dim}
    and day between ${d.first}::date and ${d.last}::date`;
}

/**
 * The day a key's visitors or buyers start counting from: the range's first day, or for a chart
 * bucket its first day within the range.
 */
function since(p: Plan, granularity?: Granularity): Fragment {
  const first = p.sql`${p.days!.first}::date`;
  return granularity
    ? p.sql`greatest(${first}, date_trunc(${granularity}, day::timestamp)::date)`
    : first;
}

/** Visitors per key from the daily rollups: the rows whose previous visit predates `since`. */
function dayVisitors(p: Plan, dim: string, key: Fragment, since: Fragment): Fragment {
  return p.sql`select ${key} as k, visitors as v from visitor_firsts
    where ${dayRows(p, dim)} and prev_day < ${since}`;
}

/**
 * dayVisitors for a key computed from the day alone (a chart bucket, or one total): the rows are
 * summed per day first, so the time zone arithmetic runs once per day rather than once per row.
 */
function dayVisitorsByDay(p: Plan, dim: string, key: Fragment, since: Fragment): Fragment {
  return p.sql`select ${key} as k, v from (select day, sum(visitors) as v from visitor_firsts
    where ${dayRows(p, dim)} and prev_day < ${since} group by day) f`;
}

/**
 * Visitors and pageviews from events, keyed by `key` (an expression on `ts`/`bucket`); with the
 * daily rollups, `granularity` says where a key's visitors start counting (its bucket's start).
 */
function visitorSums(
  p: Plan,
  key: (time: Fragment) => Fragment | null,
  granularity?: Granularity,
): Fragment {
  const { sql, siteId, range: r } = p;
  if (p.days) {
    const k = key(dayStart(p)) ?? sql`1`;
    const tail = p.days.tailFrom;
    // The partial last day: its visitors not seen earlier in the range, found by visitor.
    const partial = tail
      ? sql`union all
        select 1, count(*), 0 from (select distinct visitor_key from visitors_hourly
          where site_id = ${siteId} and bucket >= ${tail} and bucket < ${r.to}) n
        where not exists (select 1 from visitors_hourly o where o.site_id = ${siteId}
          and o.visitor_key = n.visitor_key and o.bucket >= ${r.from} and o.bucket < ${tail})
        union all
        select 1, 0, sum(pageviews) from visitors_hourly
        where site_id = ${siteId} and bucket >= ${tail} and bucket < ${r.to}`
      : sql``;
    return sql`select k, sum(v)::int8 as visitors, sum(pv)::int8 as pageviews
      from (select k, v, 0 as pv from (${dayVisitorsByDay(p, "", k, since(p, granularity))}) f
            union all
            select ${k}, 0, pageviews from dimension_days where ${dayRows(p, "")}
            ${partial}) x
      group by 1`;
  }
  if (p.rollups) {
    const k = key(sql`bucket`);
    return sql`select k, count(*)::int8 as visitors, sum(pv)::int8 as pageviews
      from (select ${k ?? sql`1`} as k, visitor_key, sum(pageviews) as pv from visitors_hourly
            where site_id = ${siteId} and bucket >= ${r.from} and bucket < ${r.to}
            group by 1, 2) x group by 1`;
  }
  const k = key(sql`e.ts`);
  return sql`select k, count(*)::int8 as visitors, sum(pv)::int8 as pageviews
    from (select ${
    k ?? sql`1`
  } as k, e.visitor_id, count(*) filter (where e.type = 'pageview') as pv
          from events e
          where e.site_id = ${siteId} and e.ts >= ${r.from} and e.ts < ${r.to}
            ${eventConds(p.sql, siteId, r, p.filters)}
          group by 1, 2) x group by 1`;
}

/** Visit sums keyed by `key`; `perVisitor` also counts distinct visitors per key. */
function sessionSums(
  p: Plan,
  key: (row: "s" | "r", time: Fragment) => Fragment,
  perVisitor: boolean,
  dimension?: Dimension,
): Fragment {
  const { sql, siteId, range: r } = p;
  const outer = sql`sum(sessions)::int8 as sessions, sum(bounces)::int8 as bounces,
    sum(duration_s)::int8 as duration_s, sum(pageviews)::int8 as pageviews`;
  if (p.days) {
    // Every visit has a channel, so the channel rows also sum to the whole site's visits.
    const dim = dimension ?? "channel";
    const k = dimension ? sql`value` : key("r", dayStart(p));
    const visitors = perVisitor
      ? sql`union all select k, v, 0, 0, 0, 0
          from (${
        (dimension ? dayVisitors : dayVisitorsByDay)(p, dim, k, sql`${p.days.first}::date`)
      }) f`
      : sql``;
    const tail = p.days.tailFrom;
    const partial = tail
      ? sql`union all select 1, 0, sessions, bounces, duration_s, pageviews from sessions_hourly
          where site_id = ${siteId} and bucket >= ${tail} and bucket < ${r.to}`
      : sql``;
    return sql`select k, ${perVisitor ? sql`sum(v)::int8` : sql`null::int8`} as visitors, ${outer}
      from (select ${k} as k, 0 as v, sessions, bounces, duration_s, pageviews
            from dimension_days where ${dayRows(p, dim)}
            ${visitors} ${partial}) x
      group by 1`;
  }
  if (p.rollups) {
    const k = key("r", sql`bucket`);
    if (!perVisitor) {
      return sql`select ${k} as k, ${outer} from sessions_hourly
        where site_id = ${siteId} and bucket >= ${r.from} and bucket < ${r.to} group by 1`;
    }
    return sql`select k, count(*)::int8 as visitors, ${outer}
      from (select ${k} as k, visitor_key, sum(sessions) as sessions, sum(bounces) as bounces,
                   sum(duration_s) as duration_s, sum(pageviews) as pageviews
            from sessions_hourly
            where site_id = ${siteId} and bucket >= ${r.from} and bucket < ${r.to}
            group by 1, 2) x group by 1`;
  }
  const k = key("s", sql`s.started_at`);
  return sql`select k, ${perVisitor ? sql`count(*)::int8` : sql`null::int8`} as visitors, ${outer}
    from (select ${k} as k, ${perVisitor ? sql`s.visitor_id` : sql`1`} as who,
                 count(*) as sessions,
                 count(*) filter (where sextant_is_bounce(s.pageviews, s.engaged_ms)) as bounces,
                 sum(sextant_visit_seconds(s.started_at, s.ended_at)) as duration_s,
                 sum(s.pageviews) as pageviews
          from sessions s
          where s.site_id = ${siteId} and s.started_at >= ${r.from} and s.started_at < ${r.to}
            ${sessionConds(sql, siteId, r, p.filters)}
          group by 1, 2) x group by 1`;
}

/** Revenue, orders and customers keyed by `key`; by credits when filtered or by dimension. */
function revenueSums(
  p: Plan,
  key: (time: Fragment) => Fragment | null,
  dimension?: Dimension,
  granularity?: Granularity,
): Fragment {
  const { sql, siteId, range: r } = p;
  if (p.days) {
    const k = dimension
      ? sql`case when unmatched then null else value end`
      : key(dayStart(p)) ?? sql`1`;
    const tail = p.days.tailFrom;
    const customer = (alias: string) =>
      sql.unsafe(CUSTOMER.replaceAll("p.", `${alias}.`)) as unknown as Fragment;
    // The partial last day: its sales, and its buyers who bought nothing earlier in the range.
    const partial = tail
      ? sql`union all
        select 1, false, sum(amount_site_minor), count(*) filter (where kind <> 'refund'), 0
        from purchases where site_id = ${siteId} and ts >= ${tail} and ts < ${r.to}
        union all
        select 1, false, 0, 0, count(distinct ${customer("n")}) from purchases n
        where n.site_id = ${siteId} and n.ts >= ${tail} and n.ts < ${r.to}
          and n.kind <> 'refund'
          and not exists (select 1 from purchases o where o.site_id = ${siteId}
            and o.ts >= ${r.from} and o.ts < ${tail} and o.kind <> 'refund'
            and ${customer("o")} = ${customer("n")})`
      : sql``;
    const dim = dimension ?? "";
    return sql`select k, bool_or(unmatched) as unmatched, sum(revenue)::int8 as revenue,
        sum(orders)::int8 as orders, sum(customers)::int8 as customers
      from (select ${k} as k, unmatched, 0 as revenue, 0 as orders, customers
            from customer_firsts
            where ${dayRows(p, dim)} and prev_day < ${since(p, granularity)}
            union all
            select ${k}, unmatched, revenue, orders, 0 from revenue_days where ${dayRows(p, dim)}
            ${partial}) x
      group by 1${dimension ? sql`, unmatched` : sql``}`;
  }
  if (!dimension && p.filters.length === 0) {
    const k = key(sql`p.ts`);
    return sql`select ${k ?? sql`1`} as k, sum(p.amount_site_minor)::int8 as revenue,
        count(*) filter (where p.kind <> 'refund')::int8 as orders,
        count(distinct ${sql.unsafe(CUSTOMER)}) filter (where p.kind <> 'refund')::int8 as customers
      from purchases p
      where p.site_id = ${siteId} and p.ts >= ${r.from} and p.ts < ${r.to} group by 1`;
  }
  const k = dimension
    ? sql`case when c.touch < 0 then null else ${
      col(sql, "c", DIMENSION_INFO[dimension].column)
    } end`
    : key(sql`c.purchase_ts`) ?? sql`1`;
  return sql`select ${k} as k, bool_or(c.touch < 0) as unmatched,
      sum(c.amount_site_minor)::int8 as revenue,
      count(distinct c.purchase_id) filter (where p.kind <> 'refund')::int8 as orders,
      count(distinct ${sql.unsafe(CUSTOMER)}) filter (where p.kind <> 'refund')::int8 as customers
    from attribution_credits c
    join purchases p on p.site_id = c.site_id and p.id = c.purchase_id and p.ts = c.purchase_ts
    where c.site_id = ${siteId} and c.model = 'last_touch'
      and c.purchase_ts >= ${r.from} and c.purchase_ts < ${r.to}
      ${creditConds(sql, siteId, r, p.filters)}
    group by 1${dimension ? sql`, (c.touch < 0)` : sql``}`;
}

/**
 * The one select list that turns base sums into metrics (`goalBase`: the visitors goal conversion
 * divides by; `page`: the base has the engagement columns of pages).
 */
function metricColumns(sql: Sql, goalBase?: Fragment, page = false): Fragment {
  return sql`
    coalesce(visitors, 0)::int8 as visitors,
    coalesce(sessions, 0)::int8 as sessions,
    coalesce(pageviews, 0)::int8 as pageviews,
    round(100.0 * bounces / nullif(sessions, 0), 1)::float8 as bounce_rate,
    round(duration_s::numeric / nullif(sessions, 0))::int8 as visit_duration,
    coalesce(events, 0)::int8 as events,
    coalesce(revenue, 0)::int8 as revenue,
    coalesce(orders, 0)::int8 as orders,
    coalesce(customers, 0)::int8 as customers,
    ${
    goalBase
      ? sql`round(100.0 * visitors / nullif(${goalBase}, 0), 2)::float8`
      : sql`round(100.0 * coalesce(customers, 0) / nullif(visitors, 0), 2)::float8`
  } as conversion_rate,
    round(revenue::numeric / nullif(orders, 0))::int8 as average_order_value,
    round(coalesce(revenue, 0)::numeric / nullif(visitors, 0))::int8 as revenue_per_visitor,
    ${
    page
      ? sql`round(scroll_depth, 1)::float8 as scroll_depth, round(engaged_time)::int8 as engaged_time`
      : sql`null::float8 as scroll_depth, null::int8 as engaged_time`
  }`;
}

function pick(row: Record<string, unknown>, metrics: readonly Metric[]): MetricValues {
  const out: MetricValues = {};
  for (const m of metrics) out[m] = row[m] === null || row[m] === undefined ? null : Number(row[m]);
  return out;
}

/**
 * How a query is answered: raw tables, hourly rollups, or — when the range starts at a local
 * midnight and the daily rollups were built in this zone — daily rollups. `partialDay` callers
 * can add the hours of a last day the range ends inside of; others then read the hourly ones.
 */
async function plan(
  sql: Sql,
  site: StatsSite,
  tz: string,
  range: Range,
  filters: StatsFilter[],
  opts: StatsOptions & { partialDay?: boolean },
): Promise<Plan> {
  const rollups = !opts.raw && filters.length === 0 && alignsWithHours(tz, range.from, range.to);
  const p: Plan = { sql, siteId: site.id, range, filters, rollups, tz, days: null };
  const first = dayOf(range.from, tz);
  if (!rollups || opts.hourly || startOfDay(first, tz).getTime() !== range.from.getTime()) {
    return p;
  }
  const lastDay = dayOf(new Date(range.to.getTime() - 1), tz);
  const end = startOfDay(addDays(lastDay, 1), tz);
  // A range ending inside a day (the current hour) is still whole days when nothing follows.
  const inside = end.getTime() !== range.to.getTime();
  const after = (table: Fragment) =>
    sql`exists (select 1 from ${table} where site_id = ${site.id}
      and bucket >= ${range.to} and bucket < ${end})`;
  const [row] = await sql`select
    (select timezone from day_rollup_zones where site_id = ${site.id}) as zone,
    ${
    inside
      ? sql`${after(sql`visitors_hourly`)} or ${after(sql`sessions_hourly`)} or exists (
          select 1 from purchases where site_id = ${site.id} and ts >= ${range.to}
            and ts < ${end})`
      : sql`false`
  } as later`;
  if (row.zone !== tz) return p;
  if (!row.later) p.days = { first, last: lastDay, tailFrom: null };
  else if (opts.partialDay) {
    p.days = { first, last: addDays(lastDay, -1), tailFrom: startOfDay(lastDay, tz) };
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Public entry points

/** Totals over one range (every metric). */
export async function totalsFor(
  sql: Sql,
  site: StatsSite,
  tz: string,
  range: Range,
  filters: StatsFilter[],
  opts: StatsOptions = {},
): Promise<MetricValues> {
  const p = await plan(sql, site, tz, range, filters, { ...opts, partialDay: true });
  const none = () => null;
  const [row] = await sql`
    with v as (${visitorSums(p, none)}),
         s as (${sessionSums(p, () => sql`1`, false)}),
         r as (${revenueSums(p, none)})
    select ${metricColumns(sql)}
    from (select v.visitors, v.pageviews, s.sessions, s.bounces, s.duration_s,
                 null::int8 as events, r.revenue, r.orders, r.customers
          from (select 1) one
          left join v on true left join s on true left join r on true) base`;
  return pick(row, METRICS.filter((m) => !PAGE_METRICS.includes(m)));
}

/** The cards: totals for the period and for the period before it. */
export async function aggregate(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  opts: StatsOptions = {},
): Promise<AggregateResult & { period: ResolvedPeriod }> {
  const period = queryPeriod(site, q, opts.now);
  const metrics = queryMetrics(q);
  // A drop-off cohort is of this period; the period before compares what the same people did.
  const filters = await queryFilters(sql, site.id, q, period);
  const [cur, prev] = await Promise.all([
    totalsFor(sql, site, period.timezone, period, filters, opts),
    period.previous
      ? totalsFor(sql, site, period.timezone, period.previous, filters, opts)
      : Promise.resolve(null),
  ]);
  const only = (v: MetricValues) => Object.fromEntries(metrics.map((m) => [m, v[m] ?? null]));
  return { period, totals: only(cur), previous: prev ? only(prev) : null };
}

/**
 * The chart: every metric per bucket, gaps filled with zeros, from the site's beginning to the
 * bucket holding now; `partial` says that last bucket is still filling up.
 */
export async function timeseries(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  opts: StatsOptions = {},
): Promise<
  { period: ResolvedPeriod; granularity: Granularity; points: SeriesPoint[]; partial: boolean }
> {
  const now = opts.now ?? new Date();
  const period = queryPeriod(site, q, now);
  const asked = timeGranularity(q);
  const granularity = !asked || asked === "auto" ? period.granularity : asked;
  checkGranularity(period, granularity);
  const filters = await queryFilters(sql, site.id, q, period);
  const p = await plan(sql, site, period.timezone, period, filters, opts);
  if (granularity === "hour") p.days = null;
  const bucket = (time: Fragment) =>
    sql`to_char(date_trunc(${granularity}, ${time} at time zone ${period.timezone}),
                'YYYY-MM-DD"T"HH24:MI')`;
  const rows = await sql`
    with v as (${visitorSums(p, bucket, granularity)}),
         s as (${sessionSums(p, (_row, t) => bucket(t), false)}),
         r as (${revenueSums(p, bucket, undefined, granularity)})
    select k, ${metricColumns(sql)}
    from (select coalesce(v.k, s.k, r.k) as k, v.visitors, v.pageviews, s.sessions, s.bounces,
                 s.duration_s, null::int8 as events, r.revenue, r.orders, r.customers
          from v full join s on s.k = v.k full join r on r.k = coalesce(v.k, s.k)) base`;
  const byBucket = new Map(rows.map((r) => [r.k as string, r]));
  const metrics = queryMetrics(q);
  const chart = chartBuckets(period, granularity, now, siteBeginning(site), (b) => byBucket.has(b));
  const points = chart.buckets.map((b) => {
    const row = byBucket.get(b);
    const values = row
      ? pick(row, metrics)
      : Object.fromEntries(metrics.map((m) => [m, zeroOf(m)])) as MetricValues;
    return { bucket: b, values };
  });
  return { period, granularity, points, partial: chart.partial };
}

/** When a site began: its creation or its first event, whichever is earlier. */
function siteBeginning(site: StatsSite): Date {
  const first = site.first_event_at;
  return first && first < site.created_at ? first : site.created_at;
}

/** Empty buckets count zero; rates and averages are undefined there. */
function zeroOf(m: Metric): number | null {
  return [
      "bounce_rate",
      "visit_duration",
      "conversion_rate",
      "average_order_value",
      "revenue_per_visitor",
    ].includes(m)
    ? null
    : 0;
}

/**
 * Per page, from the tracker's engagement events: each visit's deepest scroll on the page and
 * its engaged time there (per local day: a visit across midnight counts on each day, which lets
 * days add up), averaged over those visits. Whole days come from the daily rollup
 * `engagement_days`; filtered or partial ranges from raw events. `only` limits it to some pages
 * (the rows shown), which the partial index of migration 0190 then reads alone.
 */
function pageEngagement(p: Plan, only?: Fragment): Fragment {
  const { sql, siteId, range: r } = p;
  const pages = only ? sql`and pathname in (${only})` : sql``;
  if (p.days && !p.days.tailFrom) {
    return sql`select pathname as k,
        sum(depth_sum)::numeric / nullif(sum(scrolled), 0) as scroll_depth,
        sum(engaged_ms)::numeric / nullif(sum(timed), 0) / 1000.0 as engaged_time
      from engagement_days
      where site_id = ${siteId} and day between ${p.days.first}::date and ${p.days.last}::date
        ${pages}
      group by 1`;
  }
  return sql`select pathname as k, avg(depth) as scroll_depth, avg(ms) / 1000.0 as engaged_time
    from (select e.pathname, e.session_id, (e.ts at time zone ${p.tz})::date,
                 max(e.scroll_depth) as depth, sum(e.engaged_ms) as ms
          from events e
          where e.site_id = ${siteId} and e.ts >= ${r.from} and e.ts < ${r.to}
            and e.type = 'engagement' ${pages}
            ${eventConds(sql, siteId, r, p.filters)}
          group by 1, 2, 3) x
    group by 1`;
}

/**
 * The base sums of a breakdown by `dimension`, one row per value (and the Unmatched row);
 * `engagement` adds the pages' scroll and engaged time for every page.
 */
function breakdownBase(p: Plan, dimension: Dimension, engagement = false): Fragment {
  const { sql, range: r } = p;
  const info = DIMENSION_INFO[dimension];
  if (info.scope === "page" || info.scope === "goal") {
    const isPage = info.scope === "page";
    const table = isPage ? sql`pages_hourly` : sql`goals_hourly`;
    const measure = isPage ? sql`pageviews` : sql`events`;
    const sub = p.days
      ? sql`select k, v, 0 as n from (${
        dayVisitors(p, dimension, sql`value`, sql`${p.days.first}::date`)
      }) f
          union all
          select value, 0, ${measure} from dimension_days where ${dayRows(p, dimension)}`
      : p.rollups
      ? sql`select ${sql(info.column)} as k, visitor_key as who, sum(${measure}) as n
          from ${table} where site_id = ${p.siteId} and bucket >= ${r.from} and bucket < ${r.to}
          group by 1, 2`
      : sql`select ${col(sql, "e", info.column)} as k, e.visitor_id as who, count(*) as n
          from events e
          where e.site_id = ${p.siteId} and e.ts >= ${r.from} and e.ts < ${r.to}
            and ${isPage ? sql`e.type = 'pageview'` : sql`e.type = 'event' and e.name <> ''`}
            ${eventConds(sql, p.siteId, r, p.filters)}
          group by 1, 2`;
    // Daily rows carry visitor counts (v); the others one row per visitor.
    const visitors = p.days ? sql`sum(v)::int8` : sql`count(*)::int8`;
    const rows = sql`select k, false as unmatched, ${visitors} as visitors,
        ${isPage ? sql`sum(n)::int8` : sql`null::int8`} as pageviews,
        null::int8 as sessions, null::int8 as bounces, null::int8 as duration_s,
        ${isPage ? sql`null::int8` : sql`sum(n)::int8`} as events,
        null::int8 as revenue, null::int8 as orders, null::int8 as customers
      from (${sub}) x group by 1`;
    if (!engagement) return rows;
    return sql`select b.*, g.scroll_depth, g.engaged_time
      from (${rows}) b left join (${pageEngagement(p)}) g on g.k = b.k`;
  }
  const key = (row: "s" | "r", _t: Fragment) =>
    col(sql, row === "s" ? "s" : "sessions_hourly", info.column);
  const s = sessionSums(p, key, true, dimension);
  if (info.revenue) {
    return sql`select coalesce(s.k, r.k) as k, coalesce(r.unmatched, false) as unmatched,
        s.visitors, s.pageviews, s.sessions, s.bounces, s.duration_s, null::int8 as events,
        r.revenue, r.orders, r.customers
      from (${s}) s full join (${revenueSums(p, () => null, dimension)}) r on r.k = s.k`;
  }
  return sql`select s.k, false as unmatched, s.visitors, s.pageviews, s.sessions, s.bounces,
      s.duration_s, null::int8 as events, null::int8 as revenue, null::int8 as orders,
      null::int8 as customers
    from (${s}) s`;
}

/**
 * A breakdown table: one row per value of the dimension, sorted and paginated in SQL. With a
 * goal filter, conversion is goal conversion by row: the row's visitors whose visit completed
 * the goal ÷ the row's visitors under the other filters ("which source converts best").
 */
export async function breakdown(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  opts: StatsOptions & { maxRows?: number } = {},
): Promise<BreakdownResult & { period: ResolvedPeriod }> {
  const dimension = breakdownDimension(q);
  if (!dimension) throw new Error("breakdown() needs a dimension");
  const period = queryPeriod(site, q, opts.now);
  const info = DIMENSION_INFO[dimension];
  const filters = await queryFilters(sql, site.id, q, period);
  const p = await plan(sql, site, period.timezone, period, filters, opts);
  const metrics = queryMetrics(q);
  const sort = q.sort ??
    { metric: metrics.includes("visitors") ? "visitors" : metrics[0], direction: "desc" };
  const limit = Math.min(q.limit, opts.maxRows ?? q.limit);
  const offset = (q.page - 1) * q.limit;
  const goalFilters = byScope(filters, "goal");
  let goalBase: Fragment | undefined;
  let ctes = sql``;
  if (info.scope === "goal") {
    goalBase = sql`(select visitors from total)`;
    ctes = sql`total as (${visitorSums(p, () => null)}),`;
  } else if (goalFilters.length > 0) {
    const others = filters.filter((f) => !goalFilters.includes(f as Filter));
    const every = await plan(sql, site, period.timezone, period, others, opts);
    goalBase = sql`(select a.visitors from every a
      where a.k is not distinct from base.k and a.unmatched = base.unmatched)`;
    // Materialized: inlined, the correlated lookup would run the breakdown once per row.
    ctes = sql`every as materialized (${breakdownBase(every, dimension)}),`;
  } else if (!info.revenue) goalBase = sql`null::int8`;
  const dir = sort.direction === "asc" ? sql`asc` : sql`desc`;
  // Scroll and engaged time come from raw events, so only when asked for: for every page when
  // sorting by them, otherwise for the rows of this page of results alone.
  const isPage = info.scope === "page";
  const early = isPage && PAGE_METRICS.includes(sort.metric);
  const late = isPage && !early && metrics.some((m) => PAGE_METRICS.includes(m));
  const order = sql`order by ${sql(sort.metric)} ${dir} nulls last, visitors desc, unmatched, k`;
  const rows = await sql`
    with ${ctes} base as (${breakdownBase(p, dimension, early)}),
    m as (select k, unmatched, ${metricColumns(sql, goalBase, early)} from base),
    shown as (select *, count(*) over () as total_rows from m ${order}
      limit ${limit} offset ${offset})
    ${
    late
      ? sql`select shown.*, round(g.scroll_depth, 1)::float8 as late_scroll,
            round(g.engaged_time)::int8 as late_engaged
          from shown left join (${pageEngagement(p, sql`select k from shown`)}) g
            on g.k = shown.k`
      : sql`select * from shown`
  }
    ${order}`;
  if (late) {
    for (const r of rows) {
      r.scroll_depth = r.late_scroll;
      r.engaged_time = r.late_engaged;
    }
  }
  return {
    period,
    dimension,
    rows: rows.map((r) => ({
      value: r.unmatched ? null : (r.k as string),
      values: pick(r, metrics),
    })),
    totalRows: rows.length ? Number(rows[0].total_rows) : 0,
    page: q.page,
    limit: q.limit,
  };
}
