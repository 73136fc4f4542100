-- build_day_rollups() of 0051, cheaper when it runs every few seconds for today: each hourly
-- rollup's rows since `from_day` are read once into a work table together with the earlier
-- rows of the visitors among them (one index walk per visitor and table, not per dimension),
-- and every dimension is computed from that. It also rebuilds revenue (0053).
create or replace function build_day_rollups(p_site bigint, p_tz text, from_day date)
returns void language plpgsql as $$
declare
  lo timestamptz := from_day::timestamp at time zone p_tz;
  earlier boolean;
  src record;
  d text;
  val text;
begin
  delete from visitor_firsts where site_id = p_site and day >= from_day;
  delete from dimension_days where site_id = p_site and day >= from_day;
  select exists (select 1 from visitors_hourly where site_id = p_site and bucket < lo)
    or exists (select 1 from sessions_hourly where site_id = p_site and bucket < lo)
    into earlier;
  for src in
    select * from (values
      ('visitors_hourly', array[''], '0, 0, 0, sum(pageviews), sum(events)'),
      ('pages_hourly', array['page'], '0, 0, 0, sum(pageviews), 0'),
      ('goals_hourly', array['goal'], '0, 0, 0, 0, sum(events)'),
      ('sessions_hourly', array['channel', 'source', 'medium', 'campaign', 'content', 'term',
                                'entry_page', 'exit_page', 'country', 'region', 'city',
                                'device', 'browser', 'os'],
       'sum(sessions), sum(bounces), sum(duration_s), sum(pageviews), 0')
    ) v(tbl, dims, sums)
  loop
    drop table if exists day_work;
    execute format($q$
      create temp table day_work on commit drop as
      select h.*, (h.bucket at time zone $2)::date as day, false as seed
      from %I h where h.site_id = $1 and h.bucket >= $3 $q$, src.tbl) using p_site, p_tz, lo;
    if earlier then
      execute format($q$
        insert into day_work
        select h.*, (h.bucket at time zone $2)::date, true
        from (select distinct visitor_key from day_work) k
        cross join lateral (select * from %I h where h.site_id = $1
                              and h.visitor_key = k.visitor_key and h.bucket < $3) h $q$,
        src.tbl) using p_site, p_tz, lo;
    end if;
    foreach d in array src.dims loop
      val := case src.tbl when 'visitors_hourly' then ''''''
                          when 'pages_hourly' then 'pathname'
                          when 'goals_hourly' then 'name' else quote_ident(d) end;
      execute format($q$
        insert into dimension_days (site_id, dim, value, day, sessions, bounces, duration_s,
                                    pageviews, events)
        select $1, %1$L, %2$s, day, %3$s from day_work where not seed group by 3, 4 $q$,
        d, val, src.sums) using p_site;
      execute format($q$
        insert into visitor_firsts (site_id, dim, value, day, prev_day, visitors)
        select $1, %1$L, value, day, coalesce(prev, '-infinity'), count(*)
        from (select value, day, seed,
                     lag(day) over (partition by value, visitor_key order by day) as prev
              from (select %2$s as value, visitor_key, day, seed from day_work
                    group by 1, 2, 3, 4) x) y
        where not seed
        group by 3, 4, 5 $q$,
        d, val) using p_site;
    end loop;
  end loop;
  perform build_revenue_days(p_site, p_tz, from_day);
end $$;
