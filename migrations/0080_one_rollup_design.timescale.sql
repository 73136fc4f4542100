-- TimescaleDB: one rollup design for every mode. The hourly continuous aggregates become the
-- ordinary tables plain PostgreSQL has (0004, 0060), kept by the same refresh functions (0081)
-- from the hours writers mark through rollup_mark(); the daily rollups of 0051 are built from
-- them as on plain PostgreSQL. Raw tables stay hypertables, compressed and retained as before.
-- Each aggregate's rows (materialized and not yet) are copied before it is dropped, and every
-- site's daily rollups are built by the first refresh (none has a day_rollup_zones row yet).

alter materialized view visitors_hourly rename to visitors_hourly_cagg;
alter materialized view pages_hourly rename to pages_hourly_cagg;
alter materialized view goals_hourly rename to goals_hourly_cagg;
alter materialized view sessions_hourly rename to sessions_hourly_cagg;
alter materialized view revenue_hourly rename to revenue_hourly_cagg;

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

create table revenue_hourly (
  site_id bigint not null,
  bucket timestamptz not null,
  kind text not null,
  purchases int not null,
  amount_site_minor numeric not null,
  primary key (site_id, bucket, kind)
);

insert into visitors_hourly select site_id, bucket, visitor_key, pageviews, events
  from visitors_hourly_cagg;
insert into pages_hourly select site_id, bucket, pathname, visitor_key, pageviews
  from pages_hourly_cagg;
insert into goals_hourly select site_id, bucket, name, visitor_key, events from goals_hourly_cagg;
insert into sessions_hourly select site_id, bucket, visitor_key, channel, source, medium,
  campaign, content, term, country, region, city, device, browser, os, entry_page, exit_page,
  sessions, bounces, duration_s, pageviews from sessions_hourly_cagg;
insert into revenue_hourly select site_id, bucket, kind, purchases, amount_site_minor
  from revenue_hourly_cagg;

drop materialized view visitors_hourly_cagg;
drop materialized view pages_hourly_cagg;
drop materialized view goals_hourly_cagg;
drop materialized view sessions_hourly_cagg;
drop materialized view revenue_hourly_cagg;

create index sessions_hourly_site_bucket on sessions_hourly (site_id, bucket);
-- A visitor's earlier hours, for build_day_rollups()'s look-back.
create index visitors_hourly_site_visitor on visitors_hourly (site_id, visitor_key, bucket);
create index sessions_hourly_site_visitor on sessions_hourly (site_id, visitor_key, bucket);
create index pages_hourly_site_visitor on pages_hourly (site_id, visitor_key, bucket);
create index goals_hourly_site_visitor on goals_hourly (site_id, visitor_key, bucket);

create table rollup_dirty (
  source text not null,
  site_id bigint not null,
  bucket timestamptz not null,
  primary key (source, site_id, bucket)
);

create table day_rollup_dirty (
  site_id bigint not null,
  bucket timestamptz not null,
  primary key (site_id, bucket)
);

-- date_bin with a UTC origin buckets by UTC hour whatever the session time zone is.
create function rollup_hour(t timestamptz) returns timestamptz
language sql immutable parallel safe
as $$ select date_bin(interval '1 hour', t, timestamptz '2000-01-01 00:00:00+00') $$;
