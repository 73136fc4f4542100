-- Plain PostgreSQL: keeps the daily rollups of 0051 current. The triggers that mark changed
-- hours for the hourly rollups also mark them here, and so do attribution credits (revenue by
-- dimension follows them); refresh_day_rollups() then rebuilds each such site from its earliest
-- changed local day, or entirely when it has none yet or its time zone changed. The rollup job
-- calls it right after refresh_rollups(), in the same transaction.

create table day_rollup_dirty (
  site_id bigint not null,
  bucket timestamptz not null,
  primary key (site_id, bucket)
);

-- A visitor's earlier hours, for build_day_rollups()'s look-back.
create index visitors_hourly_site_visitor on visitors_hourly (site_id, visitor_key, bucket);
create index sessions_hourly_site_visitor on sessions_hourly (site_id, visitor_key, bucket);
create index pages_hourly_site_visitor on pages_hourly (site_id, visitor_key, bucket);
create index goals_hourly_site_visitor on goals_hourly (site_id, visitor_key, bucket);

create or replace function rollup_mark_events() returns trigger language plpgsql as $$
begin
  insert into rollup_dirty (source, site_id, bucket)
  select distinct 'events', site_id, rollup_hour(ts) from changed
  on conflict do nothing;
  insert into day_rollup_dirty (site_id, bucket)
  select distinct site_id, rollup_hour(ts) from changed
  on conflict do nothing;
  return null;
end $$;

create or replace function rollup_mark_sessions() returns trigger language plpgsql as $$
begin
  insert into rollup_dirty (source, site_id, bucket)
  select distinct 'sessions', site_id, rollup_hour(started_at) from changed
  on conflict do nothing;
  insert into day_rollup_dirty (site_id, bucket)
  select distinct site_id, rollup_hour(started_at) from changed
  on conflict do nothing;
  return null;
end $$;

create or replace function rollup_mark_purchases() returns trigger language plpgsql as $$
begin
  insert into rollup_dirty (source, site_id, bucket)
  select distinct 'purchases', site_id, rollup_hour(ts) from changed
  on conflict do nothing;
  insert into day_rollup_dirty (site_id, bucket)
  select distinct site_id, rollup_hour(ts) from changed
  on conflict do nothing;
  return null;
end $$;

create function rollup_mark_credits() returns trigger language plpgsql as $$
begin
  insert into day_rollup_dirty (site_id, bucket)
  select distinct site_id, rollup_hour(purchase_ts) from changed
  on conflict do nothing;
  return null;
end $$;

create trigger credits_rollup_insert after insert on attribution_credits
  referencing new table as changed for each statement execute function rollup_mark_credits();
create trigger credits_rollup_update after update on attribution_credits
  referencing new table as changed for each statement execute function rollup_mark_credits();
create trigger credits_rollup_delete after delete on attribution_credits
  referencing old table as changed for each statement execute function rollup_mark_credits();

-- Returns how many sites it rebuilt.
create function refresh_day_rollups() returns int language plpgsql as $$
declare
  n int := 0;
  s record;
begin
  perform pg_advisory_xact_lock(7295013);
  for s in
    with taken as (delete from day_rollup_dirty returning site_id, bucket),
    changed as (select site_id, min(bucket) as lo from taken group by site_id)
    select st.id as site_id, st.timezone,
           case when z.timezone is distinct from st.timezone then '-infinity'::date
                else (c.lo at time zone st.timezone)::date end as from_day
    from sites st
    left join changed c on c.site_id = st.id
    left join day_rollup_zones z on z.site_id = st.id
    where c.site_id is not null or z.timezone is distinct from st.timezone
  loop
    perform build_day_rollups(s.site_id, s.timezone, s.from_day);
    insert into day_rollup_zones (site_id, timezone) values (s.site_id, s.timezone)
    on conflict (site_id) do update set timezone = excluded.timezone;
    n := n + 1;
  end loop;
  return n;
end $$;
