-- Pages' scroll depth and engaged time per local day, so the pages breakdown need not read raw
-- engagement events for whole days. A "visit" here is one visit's engagement on one page on one
-- local day (the raw path groups the same way), so days add up: per (site, day, page), how many
-- such visits, how many reported a scroll depth and the sum of each one's deepest, how many
-- reported engaged time and the sum of each one's total. Rebuilt with the other daily rollups
-- (build_day_rollups, from the earliest changed day, in the site's zone), straight from the raw
-- engagement events, which the partial index of 0190 holds alone.

create table engagement_days (
  site_id bigint not null,
  day date not null,
  pathname text not null,
  visits bigint not null,
  scrolled bigint not null,
  depth_sum bigint not null,
  timed bigint not null,
  engaged_ms bigint not null,
  primary key (site_id, day, pathname)
);

create function build_engagement_days(p_site bigint, p_tz text, from_day date)
returns void language plpgsql as $$
begin
  delete from engagement_days where site_id = p_site and day >= from_day;
  insert into engagement_days (site_id, day, pathname, visits, scrolled, depth_sum, timed,
                               engaged_ms)
  select p_site, day, pathname, count(*), count(depth), coalesce(sum(depth), 0), count(ms),
         coalesce(sum(ms), 0)
  from (select (e.ts at time zone p_tz)::date as day, e.pathname, e.session_id,
               max(e.scroll_depth) as depth, sum(e.engaged_ms) as ms
        from events e
        where e.site_id = p_site and e.type = 'engagement'
          and e.ts >= from_day::timestamp at time zone p_tz
        group by 1, 2, 3) v
  group by day, pathname;
end $$;

-- The daily rebuild the refresh calls (0081) keeps its name and now does both halves.
alter function build_day_rollups(bigint, text, date) rename to build_traffic_days;

create function build_day_rollups(p_site bigint, p_tz text, from_day date)
returns void language plpgsql as $$
begin
  perform build_traffic_days(p_site, p_tz, from_day);
  perform build_engagement_days(p_site, p_tz, from_day);
end $$;

-- Sites whose daily rollups exist already get their engagement days now, in the same zone.
select build_engagement_days(site_id, timezone, '-infinity') from day_rollup_zones;
