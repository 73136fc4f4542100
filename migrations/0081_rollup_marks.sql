-- One rollup design for every mode (see 0080): writers mark the (site, hour) buckets they
-- changed with rollup_mark(), in the transaction that changed them or right after it commits
-- (never before: a refresh in between would take the mark and miss the rows). The refresh
-- functions below are those plain PostgreSQL had (0060), now shared by both modes.

-- Marks the hours of `p_times` (with their sites, `p_sites`) changed in `p_source`: 'events',
-- 'sessions' or 'purchases' (hourly and daily rollups), or 'credits' (attribution credits, by
-- purchase time: daily revenue only). Keys go in in order, so writers marking the same hours
-- at once wait for each other instead of deadlocking.
create function rollup_mark(p_source text, p_sites bigint[], p_times timestamptz[])
returns void language plpgsql as $$
begin
  if p_source not in ('events', 'sessions', 'purchases', 'credits') then
    raise exception 'rollup_mark: unknown source %', p_source;
  end if;
  if p_source <> 'credits' then
    insert into rollup_dirty (source, site_id, bucket)
    select distinct p_source, m.s, rollup_hour(m.t)
    from unnest(p_sites, p_times) m(s, t) where m.s is not null and m.t is not null
    order by 2, 3
    on conflict do nothing;
  end if;
  insert into day_rollup_dirty (site_id, bucket)
  select distinct m.s, rollup_hour(m.t)
  from unnest(p_sites, p_times) m(s, t) where m.s is not null and m.t is not null
  order by 1, 2
  on conflict do nothing;
end $$;

-- Marks every hour holding one site's raw rows: after a bulk load that bypassed the writers.
create function rollup_mark_site(p_site bigint) returns void language plpgsql as $$
begin
  insert into rollup_dirty (source, site_id, bucket)
  select distinct 'events', site_id, rollup_hour(ts) from events where site_id = p_site
  union
  select distinct 'sessions', site_id, rollup_hour(started_at) from sessions
  where site_id = p_site
  union
  select distinct 'purchases', site_id, rollup_hour(ts) from purchases where site_id = p_site
  on conflict do nothing;
  insert into day_rollup_dirty (site_id, bucket)
  select distinct site_id, bucket from rollup_dirty where site_id = p_site
  on conflict do nothing;
end $$;

-- Recomputes the dirty (site, hour) buckets of one site (p_only) or of every site but those in
-- p_skip (p_only null); returns how many buckets it refreshed.
create or replace function refresh_rollups(p_only bigint, p_skip bigint[]) returns int language plpgsql as $$
declare
  n int;
begin
  perform pg_advisory_xact_lock(7295012);
  drop table if exists rollup_work, rollup_span, rollup_events, rollup_sessions,
    rollup_purchases;
  create temp table rollup_work (source text, site_id bigint, bucket timestamptz) on commit drop;
  with taken as (delete from rollup_dirty
                 where (p_only is null or site_id = p_only) and site_id <> all(p_skip)
                 returning source, site_id, bucket)
  insert into rollup_work select source, site_id, bucket from taken;
  get diagnostics n = row_count;
  if n = 0 then
    return 0;
  end if;
  analyze rollup_work;

  -- Each raw table is read once, over the span of its dirty hours per site (an index range
  -- scan), into a temp table; rows outside a dirty hour are then dropped by an equality anti-join.
  -- Joining raw rows to dirty hours directly lets the planner rescan a site's rows per hour.
  create temp table rollup_span on commit drop as
    select source, site_id, min(bucket) as lo, max(bucket) + interval '1 hour' as hi
    from rollup_work group by source, site_id;

  create temp table rollup_events on commit drop as
    select e.site_id, rollup_hour(e.ts) as bucket, sextant_visitor_key(e.visitor_id) as visitor_key,
           e.type, e.name, e.pathname
      from rollup_span sp
      join events e on e.site_id = sp.site_id and e.ts >= sp.lo and e.ts < sp.hi
     where sp.source = 'events';
  create temp table rollup_sessions on commit drop as
    select s.*, rollup_hour(s.started_at) as bucket
      from rollup_span sp
      join sessions s on s.site_id = sp.site_id and s.started_at >= sp.lo and s.started_at < sp.hi
     where sp.source = 'sessions';
  create temp table rollup_purchases on commit drop as
    select p.site_id, rollup_hour(p.ts) as bucket, p.kind, p.amount_site_minor
      from rollup_span sp
      join purchases p on p.site_id = sp.site_id and p.ts >= sp.lo and p.ts < sp.hi
     where sp.source = 'purchases';
  analyze rollup_events;
  analyze rollup_sessions;
  analyze rollup_purchases;
  delete from rollup_events r where not exists (select 1 from rollup_work w
    where w.source = 'events' and w.site_id = r.site_id and w.bucket = r.bucket);
  delete from rollup_sessions r where not exists (select 1 from rollup_work w
    where w.source = 'sessions' and w.site_id = r.site_id and w.bucket = r.bucket);
  delete from rollup_purchases r where not exists (select 1 from rollup_work w
    where w.source = 'purchases' and w.site_id = r.site_id and w.bucket = r.bucket);

  delete from visitors_hourly r using rollup_work w
   where w.source = 'events' and r.site_id = w.site_id and r.bucket = w.bucket;
  insert into visitors_hourly (site_id, bucket, visitor_key, pageviews, events)
  select site_id, bucket, visitor_key, count(*) filter (where type = 'pageview'), count(*)
    from rollup_events group by site_id, bucket, visitor_key;

  delete from pages_hourly r using rollup_work w
   where w.source = 'events' and r.site_id = w.site_id and r.bucket = w.bucket;
  insert into pages_hourly (site_id, bucket, pathname, visitor_key, pageviews)
  select site_id, bucket, pathname, visitor_key, count(*)
    from rollup_events where type = 'pageview'
   group by site_id, bucket, pathname, visitor_key;

  delete from goals_hourly r using rollup_work w
   where w.source = 'events' and r.site_id = w.site_id and r.bucket = w.bucket;
  insert into goals_hourly (site_id, bucket, name, visitor_key, events)
  select site_id, bucket, name, visitor_key, count(*)
    from rollup_events where type = 'event' and name <> ''
   group by site_id, bucket, name, visitor_key;

  delete from sessions_hourly r using rollup_work w
   where w.source = 'sessions' and r.site_id = w.site_id and r.bucket = w.bucket;
  insert into sessions_hourly (site_id, bucket, visitor_key, channel, source, medium, campaign,
                               content, term, country, region, city, device, browser, os,
                               entry_page, exit_page, sessions, bounces, duration_s, pageviews)
  select s.site_id, s.bucket, sextant_visitor_key(s.visitor_id), s.channel, s.source, s.medium,
         s.campaign, s.content, s.term, s.country, s.region, s.city, s.device, s.browser, s.os,
         s.entry_page, s.exit_page, count(*),
         count(*) filter (where sextant_is_bounce(s.pageviews, s.engaged_ms)),
         sum(sextant_visit_seconds(s.started_at, s.ended_at))::bigint,
         sum(s.pageviews)
    from rollup_sessions s
   group by s.site_id, s.bucket, sextant_visitor_key(s.visitor_id), s.channel, s.source,
            s.medium, s.campaign, s.content, s.term, s.country, s.region, s.city, s.device,
            s.browser, s.os, s.entry_page, s.exit_page;

  delete from revenue_hourly r using rollup_work w
   where w.source = 'purchases' and r.site_id = w.site_id and r.bucket = w.bucket;
  insert into revenue_hourly (site_id, bucket, kind, purchases, amount_site_minor)
  select site_id, bucket, kind, count(*), sum(amount_site_minor)
    from rollup_purchases group by site_id, bucket, kind;

  return n;
end $$;

create or replace function refresh_rollups() returns int language sql as $$
  select refresh_rollups(null, '{}')
$$;

-- The daily half for one site (p_only) or every site but those in p_skip; returns sites rebuilt.
create or replace function refresh_day_rollups(p_only bigint, p_skip bigint[]) returns int
language plpgsql as $$
declare
  n int := 0;
  s record;
begin
  perform pg_advisory_xact_lock(7295013);
  for s in
    with taken as (delete from day_rollup_dirty
                   where (p_only is null or site_id = p_only) and site_id <> all(p_skip)
                   returning site_id, bucket),
    changed as (select site_id, min(bucket) as lo from taken group by site_id)
    select st.id as site_id, st.timezone,
           case when z.timezone is distinct from st.timezone then '-infinity'::date
                else (c.lo at time zone st.timezone)::date end as from_day
    from sites st
    left join changed c on c.site_id = st.id
    left join day_rollup_zones z on z.site_id = st.id
    where (c.site_id is not null or z.timezone is distinct from st.timezone)
      and (p_only is null or st.id = p_only) and st.id <> all(p_skip)
  loop
    perform build_day_rollups(s.site_id, s.timezone, s.from_day);
    insert into day_rollup_zones (site_id, timezone) values (s.site_id, s.timezone)
    on conflict (site_id) do update set timezone = excluded.timezone;
    n := n + 1;
  end loop;
  return n;
end $$;

create or replace function refresh_day_rollups() returns int language sql as $$
  select refresh_day_rollups(null, '{}')
$$;

-- Sites with rollup work waiting, but for those in p_skip: the job refreshes them one by one
-- when refreshing all at once failed.
create or replace function rollup_pending_sites(p_skip bigint[]) returns setof bigint
language sql stable as $$
  select site_id from rollup_dirty where site_id <> all(p_skip)
  union
  select site_id from day_rollup_dirty where site_id <> all(p_skip)
  union
  select st.id from sites st left join day_rollup_zones z on z.site_id = st.id
  where z.timezone is distinct from st.timezone and st.id <> all(p_skip)
$$;
