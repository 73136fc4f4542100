-- Plain PostgreSQL: the same hourly rollups as ordinary tables. Statement triggers record which
-- (site, hour) buckets changed; refresh_rollups() recomputes exactly those. The rollup job calls
-- it every few seconds, so readers see the same names and numbers as with TimescaleDB.

create table visitors_hourly (
  site_id bigint not null,
  bucket timestamptz not null,
  visitor_key bigint not null,
  pageviews int not null,
  events int not null,
  primary key (site_id, bucket, visitor_key)
);

create table pages_hourly (
  site_id bigint not null,
  bucket timestamptz not null,
  pathname text not null,
  visitor_key bigint not null,
  pageviews int not null,
  primary key (site_id, bucket, pathname, visitor_key)
);

create table goals_hourly (
  site_id bigint not null,
  bucket timestamptz not null,
  name text not null,
  visitor_key bigint not null,
  events int not null,
  primary key (site_id, bucket, name, visitor_key)
);

-- One row per (hour, visitor, combination of visit attributes); see the TimescaleDB variant.
create table sessions_hourly (
  site_id bigint not null,
  bucket timestamptz not null,
  visitor_key bigint not null,
  channel text not null,
  source text not null,
  medium text not null,
  campaign text not null,
  content text not null,
  term text not null,
  country text not null,
  region text not null,
  city text not null,
  device text not null,
  browser text not null,
  os text not null,
  entry_page text not null,
  exit_page text not null,
  sessions int not null,
  bounces int not null,
  duration_s bigint not null,
  pageviews bigint not null
);
create index sessions_hourly_site_bucket on sessions_hourly (site_id, bucket);

create table revenue_hourly (
  site_id bigint not null,
  bucket timestamptz not null,
  kind text not null,
  purchases int not null,
  amount_site_minor bigint not null,
  primary key (site_id, bucket, kind)
);

create table rollup_dirty (
  source text not null,
  site_id bigint not null,
  bucket timestamptz not null,
  primary key (source, site_id, bucket)
);

-- date_bin with a UTC origin buckets by UTC hour whatever the session time zone is.
create function rollup_hour(t timestamptz) returns timestamptz
language sql immutable parallel safe
as $$ select date_bin(interval '1 hour', t, timestamptz '2000-01-01 00:00:00+00') $$;

create function rollup_mark_events() returns trigger language plpgsql as $$
begin
  insert into rollup_dirty (source, site_id, bucket)
  select distinct 'events', site_id, rollup_hour(ts) from changed
  on conflict do nothing;
  return null;
end $$;

create function rollup_mark_sessions() returns trigger language plpgsql as $$
begin
  insert into rollup_dirty (source, site_id, bucket)
  select distinct 'sessions', site_id, rollup_hour(started_at) from changed
  on conflict do nothing;
  return null;
end $$;

create function rollup_mark_purchases() returns trigger language plpgsql as $$
begin
  insert into rollup_dirty (source, site_id, bucket)
  select distinct 'purchases', site_id, rollup_hour(ts) from changed
  on conflict do nothing;
  return null;
end $$;

create trigger events_rollup_insert after insert on events
  referencing new table as changed for each statement execute function rollup_mark_events();
create trigger events_rollup_update after update on events
  referencing new table as changed for each statement execute function rollup_mark_events();
create trigger events_rollup_delete after delete on events
  referencing old table as changed for each statement execute function rollup_mark_events();

create trigger sessions_rollup_insert after insert on sessions
  referencing new table as changed for each statement execute function rollup_mark_sessions();
create trigger sessions_rollup_update after update on sessions
  referencing new table as changed for each statement execute function rollup_mark_sessions();
create trigger sessions_rollup_delete after delete on sessions
  referencing old table as changed for each statement execute function rollup_mark_sessions();

create trigger purchases_rollup_insert after insert on purchases
  referencing new table as changed for each statement execute function rollup_mark_purchases();
create trigger purchases_rollup_update after update on purchases
  referencing new table as changed for each statement execute function rollup_mark_purchases();
create trigger purchases_rollup_delete after delete on purchases
  referencing old table as changed for each statement execute function rollup_mark_purchases();

-- Recomputes every dirty (site, hour) bucket; returns how many buckets it refreshed.
create function refresh_rollups() returns int language plpgsql as $$
declare
  n int;
begin
  perform pg_advisory_xact_lock(7295012);
  drop table if exists rollup_work, rollup_span, rollup_events, rollup_sessions,
    rollup_purchases;
  create temp table rollup_work (source text, site_id bigint, bucket timestamptz) on commit drop;
  with taken as (delete from rollup_dirty returning source, site_id, bucket)
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
