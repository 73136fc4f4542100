-- Hourly rollups (UTC buckets; site time zones are applied when reading) as continuous
-- aggregates with real-time aggregation, so the current hour is always included.
-- Rollups that feed unique-visitor counts keep one row per visitor (as a 64-bit key) so that
-- distinct counts over any range stay exact; the rest are plain sums.

-- Visitors and pageviews per hour: the Visitors/Pageviews cards and the chart.
create materialized view visitors_hourly
with (timescaledb.continuous, timescaledb.materialized_only = false) as
select site_id,
       time_bucket(interval '1 hour', ts) as bucket,
       sextant_visitor_key(visitor_id) as visitor_key,
       count(*) filter (where type = 'pageview')::int as pageviews,
       count(*)::int as events
from events
group by site_id, time_bucket(interval '1 hour', ts), sextant_visitor_key(visitor_id)
with no data;

-- Pages: unique visitors and pageviews per path.
create materialized view pages_hourly
with (timescaledb.continuous, timescaledb.materialized_only = false) as
select site_id,
       time_bucket(interval '1 hour', ts) as bucket,
       pathname,
       sextant_visitor_key(visitor_id) as visitor_key,
       count(*)::int as pageviews
from events
where type = 'pageview'
group by site_id, time_bucket(interval '1 hour', ts), pathname, sextant_visitor_key(visitor_id)
with no data;

-- Goals (custom events and data-sextant-goal names): completions and converting visitors.
create materialized view goals_hourly
with (timescaledb.continuous, timescaledb.materialized_only = false) as
select site_id,
       time_bucket(interval '1 hour', ts) as bucket,
       name,
       sextant_visitor_key(visitor_id) as visitor_key,
       count(*)::int as events
from events
where type = 'event' and name <> ''
group by site_id, time_bucket(interval '1 hour', ts), name, sextant_visitor_key(visitor_id)
with no data;

-- Visits by every acquisition, location, device and entry/exit attribute, per visitor: one
-- scan answers sessions, bounce rate, duration and unique visitors for any of those breakdowns.
create materialized view sessions_hourly
with (timescaledb.continuous, timescaledb.materialized_only = false) as
select site_id,
       time_bucket(interval '1 hour', started_at) as bucket,
       sextant_visitor_key(visitor_id) as visitor_key,
       channel, source, medium, campaign, content, term,
       country, region, city, device, browser, os, entry_page, exit_page,
       count(*)::int as sessions,
       count(*) filter (where sextant_is_bounce(pageviews, engaged_ms))::int as bounces,
       sum(sextant_visit_seconds(started_at, ended_at))::bigint as duration_s,
       sum(pageviews)::bigint as pageviews
from sessions
group by site_id, time_bucket(interval '1 hour', started_at), sextant_visitor_key(visitor_id),
         channel, source, medium, campaign, content, term,
         country, region, city, device, browser, os, entry_page, exit_page
with no data;

create materialized view revenue_hourly
with (timescaledb.continuous, timescaledb.materialized_only = false) as
select site_id,
       time_bucket(interval '1 hour', ts) as bucket,
       kind,
       count(*)::int as purchases,
       sum(amount_site_minor)::bigint as amount_site_minor
from purchases
group by site_id, time_bucket(interval '1 hour', ts), kind
with no data;

select add_continuous_aggregate_policy('visitors_hourly',
  start_offset => interval '3 days', end_offset => interval '1 hour',
  schedule_interval => interval '5 minutes');
select add_continuous_aggregate_policy('pages_hourly',
  start_offset => interval '3 days', end_offset => interval '1 hour',
  schedule_interval => interval '5 minutes');
select add_continuous_aggregate_policy('goals_hourly',
  start_offset => interval '3 days', end_offset => interval '1 hour',
  schedule_interval => interval '5 minutes');
select add_continuous_aggregate_policy('sessions_hourly',
  start_offset => interval '3 days', end_offset => interval '1 hour',
  schedule_interval => interval '5 minutes');
select add_continuous_aggregate_policy('revenue_hourly',
  start_offset => interval '40 days', end_offset => interval '1 hour',
  schedule_interval => interval '5 minutes');
