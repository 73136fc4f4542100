-- Daily rollups in each site's own time zone, for long ranges. Unique visitors over a range of
-- days are summed, not counted distinct: each row says how many visitors were active on `day`
-- (with `value`) whose previous active day (with that value) was `prev_day` ('-infinity': none).
-- The visitors of days A..B are then exactly the rows of A..B with prev_day < A — a year is a few
-- hundred thousand small rows instead of millions of visitor keys.
-- `dim` is a dimension name ('' for the whole site: visitors with any event).
-- Built from the hourly rollups by build_day_rollups(); a site's rows are only read when
-- day_rollup_zones says they were built in the zone being asked about.

create table day_rollup_zones (
  site_id bigint primary key,
  timezone text not null
);

create table visitor_firsts (
  site_id bigint not null,
  dim text not null,
  value text not null,
  day date not null,
  prev_day date not null,
  visitors int not null,
  primary key (site_id, dim, day, value, prev_day) include (visitors)
);

-- Plain sums per day and value: visits, bounces, duration and pageviews (visit dimensions, the
-- whole site's pageviews and events under dim '', a page's pageviews, a goal's completions).
create table dimension_days (
  site_id bigint not null,
  dim text not null,
  value text not null,
  day date not null,
  sessions bigint not null,
  bounces bigint not null,
  duration_s bigint not null,
  pageviews bigint not null,
  events bigint not null,
  primary key (site_id, dim, day, value)
);

-- Rebuilds a site's daily rows from local day `from_day` on (an earlier day's rows never depend
-- on later data). Visitors active since then are looked up once for their last earlier day.
create function build_day_rollups(p_site bigint, p_tz text, from_day date) returns void
language plpgsql as $$
declare
  lo timestamptz := from_day::timestamp at time zone p_tz;
  earlier boolean;
  src record;
begin
  delete from visitor_firsts where site_id = p_site and day >= from_day;
  delete from dimension_days where site_id = p_site and day >= from_day;
  select exists (select 1 from visitors_hourly where site_id = p_site and bucket < lo)
    or exists (select 1 from sessions_hourly where site_id = p_site and bucket < lo)
    into earlier;
  for src in
    select d.dim, d.tbl, d.val, d.sums from (values
      ('', 'visitors_hourly', '''''', '0, 0, 0, sum(pageviews), sum(events)'),
      ('page', 'pages_hourly', 'pathname', '0, 0, 0, sum(pageviews), 0'),
      ('goal', 'goals_hourly', 'name', '0, 0, 0, 0, sum(events)')
    ) d(dim, tbl, val, sums)
    union all
    select c, 'sessions_hourly', c, 'sum(sessions), sum(bounces), sum(duration_s), sum(pageviews), 0'
    from unnest(array['channel', 'source', 'medium', 'campaign', 'content', 'term', 'entry_page',
                      'exit_page', 'country', 'region', 'city', 'device', 'browser', 'os']) c
  loop
    execute format($q$
      insert into dimension_days (site_id, dim, value, day, sessions, bounces, duration_s,
                                  pageviews, events)
      select $1, %L, %s, (bucket at time zone $2)::date, %s
      from %I where site_id = $1 and bucket >= $3 group by 3, 4 $q$,
      src.dim, src.val, src.sums, src.tbl) using p_site, p_tz, lo;
    -- The lateral lookup walks the (site, visitor, hour) index once per visitor.
    execute format($q$
      with recent as (
        select %2$s as value, visitor_key, (bucket at time zone $2)::date as day
        from %3$I where site_id = $1 and bucket >= $3 group by 1, 2, 3
      ), seeds as (
        select e.value, k.visitor_key, e.day
        from (select distinct visitor_key from recent) k
        cross join lateral (
          select %2$s as value, max((h.bucket at time zone $2)::date) as day
          from %3$I h
          where $4 and h.site_id = $1 and h.visitor_key = k.visitor_key and h.bucket < $3
          group by 1) e
      )
      insert into visitor_firsts (site_id, dim, value, day, prev_day, visitors)
      select $1, %1$L, value, day, coalesce(prev, '-infinity'), count(*)
      from (select value, day, seed,
                   lag(day) over (partition by value, visitor_key order by day) as prev
            from (select value, visitor_key, day, false as seed from recent
                  union all
                  select value, visitor_key, day, true from seeds) x) y
      where not seed
      group by 3, 4, 5 $q$,
      src.dim, src.val, src.tbl) using p_site, p_tz, lo, earlier;
  end loop;
end $$;
