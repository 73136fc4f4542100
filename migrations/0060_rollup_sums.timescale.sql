-- TimescaleDB: revenue sums become numeric, so no amount a site stores can overflow the
-- continuous aggregate's refresh (a bigint sum failed it for every site). A continuous
-- aggregate's query cannot be altered, so it is built again; the rollup job refreshes it.

alter table revenue_days alter column revenue type numeric;

drop materialized view revenue_hourly;

create materialized view revenue_hourly
with (timescaledb.continuous, timescaledb.materialized_only = false) as
select site_id,
       time_bucket(interval '1 hour', ts) as bucket,
       kind,
       count(*)::int as purchases,
       sum(amount_site_minor) as amount_site_minor
from purchases
group by site_id, time_bucket(interval '1 hour', ts), kind
with no data;

select add_continuous_aggregate_policy('revenue_hourly',
  start_offset => interval '40 days', end_offset => interval '1 hour',
  schedule_interval => interval '5 minutes');
