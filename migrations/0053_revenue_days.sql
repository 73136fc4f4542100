-- Revenue in the daily rollups of 0051: per site, dimension value and local day, revenue net of
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
