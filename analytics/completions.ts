/**
 * Goal completions, computed at read time from events, visits and purchases: the one SQL
 * definition of "this visitor completed this goal at this moment in this visit", shared by the
 * goals panel, the goal filter of every other number and funnel steps made of goals.
 */
import type postgres from "postgres";
import type { Sql } from "../db/connect.ts";

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/**
 * Rows (goal_id, visitor_id, session_id, ts) for the site's goals `g` that satisfy `which` (a
 * condition on `g`), completed in [from, to). Page and event goals complete at their event;
 * duration and pages goals once per visit started in the range, at the moment the visit got
 * there; purchase goals at each purchase that is not a refund and is linked to a visitor, in the
 * visit its last-touch credit names (none when no visit explains it).
 */
export function goalCompletions(
  sql: Sql,
  siteId: number,
  range: { from: Date; to: Date },
  which: Fragment,
): Fragment {
  const { from, to } = range;
  return sql`
    select g.id as goal_id, e.visitor_id, e.session_id, e.ts
    from goals g join events e on e.site_id = g.site_id
    where g.site_id = ${siteId} and ${which} and g.kind in ('page', 'event')
      and e.ts >= ${from} and e.ts < ${to}
      and case when g.kind = 'page' then e.type = 'pageview' and e.pathname ~ g.path_regex
               else e.type = 'event' and e.name = g.event_name
                 and (g.prop_key = '' or e.props ->> g.prop_key = g.prop_value) end
    union all
    select g.id, s.visitor_id, s.session_id,
           -- A visit's events are its visitor's: with visitor_id the lookup reads only theirs
           -- (events_site_visitor_ts), not every event of the site that day.
           case when g.kind = 'duration'
             then s.started_at + make_interval(secs => g.threshold)
             else coalesce((select ev.ts from events ev
                 where ev.site_id = s.site_id and ev.visitor_id = s.visitor_id
                   and ev.session_id = s.session_id
                   and ev.type = 'pageview' and ev.ts >= s.started_at
                   and ev.ts < s.started_at + interval '1 day'
                 order by ev.ts offset greatest(g.threshold, 1) - 1 limit 1), s.ended_at) end
    from goals g join sessions s on s.site_id = g.site_id
    where g.site_id = ${siteId} and ${which} and g.kind in ('duration', 'pages')
      and s.started_at >= ${from} and s.started_at < ${to}
      and case when g.kind = 'duration'
            then sextant_visit_seconds(s.started_at, s.ended_at) >= g.threshold
            else s.pageviews >= g.threshold end
    union all
    select g.id, p.visitor_id, c.session_id, p.ts
    from goals g join purchases p on p.site_id = g.site_id
    left join attribution_credits c on c.site_id = p.site_id and c.purchase_id = p.id
      and c.purchase_ts = p.ts and c.model = 'last_touch' and c.touch >= 0
    where g.site_id = ${siteId} and ${which} and g.kind = 'purchase'
      and p.ts >= ${from} and p.ts < ${to} and p.kind <> 'refund' and p.visitor_id is not null
      and (g.product = '' or p.product = g.product)`;
}
