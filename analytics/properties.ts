/**
 * Custom event properties as a breakdown: for one event, its property keys, and for one key its
 * values with completions, visitors and conversion — the share of those visitors who completed a
 * goal (so an A/B variant sent as a property can be compared), or without a goal the share of
 * all visitors. On the one parsed query: its period and filters choose the visits.
 */
import type { Sql } from "../db/connect.ts";
import { Invalid } from "../lib/errors.ts";
import type { StatsQuery } from "./query.ts";
import { queryPeriod, type StatsSite, totalsFor } from "./stats.ts";
import { filteredCompletions } from "./goals.ts";
import { sessionConds } from "./stats.ts";

export interface PropertyKey {
  key: string;
  events: number;
}

export interface PropertyValue {
  value: string;
  events: number;
  visitors: number;
  /** Visitors with this value who completed the goal ÷ visitors with this value (or ÷ all). */
  conversion_rate: number | null;
  /** With a goal: visitors with this value who completed it. */
  converted: number | null;
}

function checkName(name: string, field: string, what: string): string {
  const v = name.trim();
  if (!v) throw new Invalid(field, `Pick ${what}.`);
  if (v.length > 200) throw new Invalid(field, `Keep the ${field} under 200 characters.`);
  return v;
}

/** The event's matching rows: type event, this name, in range, in visits the filters keep. */
function eventRows(sql: Sql, site: StatsSite, q: StatsQuery, name: string, now?: Date) {
  const period = queryPeriod(site, q, now);
  const from = new Date(period.from.getTime() - 86_400_000);
  const filtered = q.filters.length === 0 ? sql`` : sql`and e.session_id in (
    select s.session_id from sessions s where s.site_id = ${site.id}
      and s.started_at >= ${from} and s.started_at < ${period.to}
      ${sessionConds(sql, site.id, period, q.filters)})`;
  return {
    period,
    rows: sql`select e.* from events e
      where e.site_id = ${site.id} and e.type = 'event' and e.name = ${name}
        and e.ts >= ${period.from} and e.ts < ${period.to} ${filtered}`,
  };
}

/** The property keys sent with an event, most used first. */
export async function propertyKeys(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  event: string,
  opts: { now?: Date } = {},
): Promise<PropertyKey[]> {
  const { rows } = eventRows(sql, site, q, checkName(event, "event", "an event"), opts.now);
  const keys = await sql`
    select k.key, count(*)::int8 as events
    from (${rows}) e cross join lateral jsonb_object_keys(
      case when jsonb_typeof(e.props) = 'object' then e.props else '{}'::jsonb end) k(key)
    group by 1 order by 2 desc, 1 limit 100`;
  return keys.map((x) => ({ key: x.key, events: Number(x.events) }));
}

/** One key's values with their completions, visitors and conversion. */
export async function propertyValues(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  event: string,
  key: string,
  opts: { now?: Date; goalId?: number; limit?: number } = {},
): Promise<PropertyValue[]> {
  const { period, rows } = eventRows(
    sql,
    site,
    q,
    checkName(event, "event", "an event"),
    opts.now,
  );
  checkName(key, "key", "a property");
  const goal = opts.goalId;
  const converted = goal === undefined ? sql`null::int8` : sql`(
    select count(distinct gc.visitor_id) from (${
    filteredCompletions(sql, site.id, period, q.filters, sql`g.id = ${goal}`)
  }) gc where gc.visitor_id = any(v.who))::int8`;
  const total = goal === undefined
    ? (await totalsFor(sql, site, period.timezone, period, q.filters, { now: opts.now }))
      .visitors ?? 0
    : 0;
  const values = await sql`
    with v as (
      select coalesce(e.props ->> ${key}, '') as value, count(*) as events,
             array_agg(distinct e.visitor_id) as who
      from (${rows}) e where e.props ? ${key} group by 1)
    select v.value, v.events::int8 as events, cardinality(v.who)::int8 as visitors,
           ${converted} as converted
    from v order by v.events desc, v.value limit ${opts.limit ?? 50}`;
  return values.map((x) => {
    const visitors = Number(x.visitors);
    const conv = x.converted === null ? null : Number(x.converted);
    const base = goal === undefined ? total : visitors;
    const part = goal === undefined ? visitors : conv ?? 0;
    return {
      value: x.value,
      events: Number(x.events),
      visitors,
      converted: conv,
      conversion_rate: base > 0 ? Math.round((10_000 * part) / base) / 100 : null,
    };
  });
}
