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

-- Revenue in the daily rollups: per site, dimension value and local day, revenue net of
-- refunds and orders, and — like visitors — buyers grouped by the day of their previous
-- purchase, so distinct customers over any range of days are a sum. Dimension '' is the whole
-- site from purchases; the others follow last-touch attribution credits, where `unmatched`
-- marks purchases no visit explains (the Unmatched row; `value` is then '').

create table revenue_days (
  site_id bigint not null,
  dim text not null,
  value text not null,
  unmatched boolean not null,
  day date not null,
  revenue bigint not null,
  orders bigint not null,
  primary key (site_id, dim, day, value, unmatched)
);

create table customer_firsts (
  site_id bigint not null,
  dim text not null,
  value text not null,
  unmatched boolean not null,
  day date not null,
  prev_day date not null,
  customers int not null,
  primary key (site_id, dim, day, value, unmatched, prev_day) include (customers)
);

-- Rebuilds a site's revenue rows from local day `from_day` on. Purchases are few next to
-- events, so the buyers active since then are read with their whole history in one pass.
create function build_revenue_days(p_site bigint, p_tz text, from_day date) returns void
language plpgsql as $$
declare
  lo timestamptz := from_day::timestamp at time zone p_tz;
  d text;
begin
  delete from revenue_days where site_id = p_site and day >= from_day;
  delete from customer_firsts where site_id = p_site and day >= from_day;
  drop table if exists revenue_work;
  -- One row per purchase ('' dimension) and per last-touch credit, with its buyer.
  create temp table revenue_work on commit drop as
    with buyers as (
      select coalesce(nullif(customer_email, ''), visitor_id, id::text) as who
      from purchases where site_id = p_site and ts >= lo and kind <> 'refund'
    ), rows as (
      select p.id as purchase_id, p.ts, p.kind <> 'refund' as sale, p.amount_site_minor,
             coalesce(nullif(p.customer_email, ''), p.visitor_id, p.id::text) as who,
             null::attribution_credits as c
      from purchases p where p.site_id = p_site
      union all
      select p.id, p.ts, p.kind <> 'refund', c.amount_site_minor,
             coalesce(nullif(p.customer_email, ''), p.visitor_id, p.id::text), c
      from attribution_credits c
      join purchases p on p.site_id = c.site_id and p.id = c.purchase_id and p.ts = c.purchase_ts
      where c.site_id = p_site and c.model = 'last_touch'
    )
    select purchase_id, (ts at time zone p_tz)::date as day, sale, amount_site_minor, who, c
    from rows
    where ts >= lo or (sale and who in (select who from buyers));
  foreach d in array array['', 'channel', 'source', 'medium', 'campaign', 'content', 'term',
                           'entry_page', 'country', 'region', 'city', 'device', 'browser', 'os']
  loop
    execute format($q$
      create temp view revenue_dim as
      select day, sale, amount_site_minor, who, purchase_id,
             case when %1$L = '' or (c).touch >= 0 then %2$s else '' end as value,
             %1$L <> '' and (c).touch < 0 as unmatched
      from revenue_work where (%1$L = '') = (c is null) $q$,
      d, case when d = '' then '''''' else format('(c).%I', d) end);
    insert into revenue_days (site_id, dim, value, unmatched, day, revenue, orders)
    select p_site, d, value, unmatched, day, sum(amount_site_minor),
           count(distinct purchase_id) filter (where sale)
    from revenue_dim where day >= from_day group by 3, 4, 5;
    insert into customer_firsts (site_id, dim, value, unmatched, day, prev_day, customers)
    select p_site, d, value, unmatched, day, coalesce(prev, '-infinity'), count(*)
    from (select value, unmatched, day,
                 lag(day) over (partition by value, unmatched, who order by day) as prev
          from (select distinct value, unmatched, who, day from revenue_dim where sale) x) y
    where day >= from_day
    group by 3, 4, 5, 6;
    drop view revenue_dim;
  end loop;
end $$;

-- Rebuilds a site's daily rows from local day `from_day` on (an earlier day's rows never depend
-- on later data), revenue included. Each hourly rollup's rows since `from_day` are read once
-- into a work table together with the earlier rows of the visitors among them (one index walk
-- per visitor and table, not per dimension), and every dimension is computed from that.
create function build_day_rollups(p_site bigint, p_tz text, from_day date)
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
