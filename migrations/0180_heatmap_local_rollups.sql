-- Heatmap rollups by local day in the site's time zone, dense enough that a month of a busy page
-- is a few thousand rows. The UTC-day rollups of 0112 left the partial days at a period's edges
-- (every site not on UTC, and today) to the raw table, and kept one row per grid cell and day:
-- a page with pointer samples all over it had as many cell rows as samples, so a month of 6M
-- rows still read half a million. Periods are whole local days (analytics/period.ts), so rollups
-- by local day answer every unfiltered period with no raw rows at all.
--
-- heatmap_rollup_zones: the zone each site's rollups are built in (one row per site, kept by a
-- trigger). Writers fold new rows in that zone while holding the row FOR SHARE; a rebuild holds
-- it FOR UPDATE, so no write lands between a rebuild's read and its new zone. Readers use the
-- rollups only when this zone is the one asked about; the rollup job rebuilds a site whose zone
-- changed (heatmap_rollup_build with days null).
create table heatmap_rollup_zones (
  site_id bigint primary key,
  timezone text not null
);
insert into heatmap_rollup_zones (site_id, timezone) select id, timezone from sites;

create function heatmap_rollup_zone_new() returns trigger language plpgsql as $$
begin
  insert into heatmap_rollup_zones (site_id, timezone) values (new.id, new.timezone)
  on conflict (site_id) do nothing;
  return new;
end $$;
create trigger sites_heatmap_rollup_zone after insert on sites
  for each row execute function heatmap_rollup_zone_new();

drop table heatmap_cells;

-- Clicks and pointer samples per grid row: counts[c + 1] is column c (GRID_COLUMNS = 64). kind
-- 'attention' keeps the seconds each tenth of the page was in view in row 0 (counts[band]).
create table heatmap_grid (
  site_id bigint not null,
  pathname text not null,
  layout text not null,
  kind text not null,
  day date not null,
  flags smallint not null,
  row int not null,
  counts int[] not null,
  primary key (site_id, pathname, layout, kind, day, flags, row)
);

-- Records per kind and click flags, with the tallest page seen (pixels at the layout's width).
create table heatmap_totals (
  site_id bigint not null,
  pathname text not null,
  layout text not null,
  kind text not null,
  day date not null,
  flags smallint not null,
  count bigint not null,
  max_height double precision not null,
  primary key (site_id, pathname, layout, day, kind, flags)
);

-- Scroll reach: one row per page view and local day with the deepest point it reached.
create table heatmap_views (
  site_id bigint not null,
  pathname text not null,
  layout text not null,
  day date not null,
  session_id uuid not null,
  page_view text not null,
  depth smallint not null,
  primary key (site_id, pathname, layout, day, session_id, page_view)
);
create index heatmap_views_depth on heatmap_views (site_id, pathname, layout, day, depth);

-- Adds two count vectors of any lengths (a missing element is 0).
create function heatmap_vec_add(a int[], b int[]) returns int[] language sql immutable as $$
  select coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) order by i), '{}')
  from unnest(a, b) with ordinality u(x, y, i)
$$;

-- A vector with n[k] at position c[k] + 1, for 0 <= c[k] < 64.
create function heatmap_vec(c int[], n int[]) returns int[] language plpgsql immutable as $$
declare
  v int[] := array_fill(0, array[64]);
  k int;
begin
  for k in 1..coalesce(array_length(c, 1), 0) loop
    v[c[k] + 1] := v[c[k] + 1] + n[k];
  end loop;
  return v;
end $$;

-- Rebuilds one site's heatmap rollups from the raw rows: the given local days, or every day in
-- the site's current zone when p_days is null. Same arithmetic as the writer's fold
-- (ingest/store.ts addHeatmapRollups, lib/layout.ts cellOf) so both give equal rows.
create function heatmap_rollup_build(p_site bigint, p_days date[]) returns void
language plpgsql as $$
declare
  tz text;
  t0 timestamptz := '-infinity';
  t1 timestamptz := 'infinity';
begin
  if p_days is null then
    select timezone into tz from sites where id = p_site;
    if tz is null then return; end if;
    insert into heatmap_rollup_zones (site_id, timezone) values (p_site, tz)
    on conflict (site_id) do nothing;
    perform 1 from heatmap_rollup_zones where site_id = p_site for update;
    update heatmap_rollup_zones set timezone = tz where site_id = p_site;
  else
    select timezone into tz from heatmap_rollup_zones where site_id = p_site for update;
    if tz is null or cardinality(p_days) = 0 then return; end if;
    t0 := (select min(d) from unnest(p_days) d)::timestamp at time zone tz;
    t1 := ((select max(d) from unnest(p_days) d) + 1)::timestamp at time zone tz;
  end if;
  delete from heatmap_grid where site_id = p_site and (p_days is null or day = any(p_days));
  delete from heatmap_totals where site_id = p_site and (p_days is null or day = any(p_days));
  delete from heatmap_views where site_id = p_site and (p_days is null or day = any(p_days));
  delete from heatmap_elements where site_id = p_site and (p_days is null or day = any(p_days));

  create temp table heatmap_build on commit drop as
  select h.*, (h.ts at time zone tz)::date as day, w.w,
    least(w.w - 1, h.x::float8 * w.w / greatest(h.page_width, 1)) as sx
  from heatmap_clicks h,
    lateral (select (case h.layout when 'desktop' then 1440 when 'tablet' then 820
      else 390 end)::float8 as w) w
  where h.site_id = p_site and h.ts >= t0 and h.ts < t1
    and (p_days is null or (h.ts at time zone tz)::date = any(p_days));

  insert into heatmap_totals
  select b.site_id, b.pathname, b.layout, b.kind, b.day,
    case when b.kind = 'click' then b.flags else 0 end, count(*),
    max(b.page_height::float8 * b.w / greatest(b.page_width, 1))
  from heatmap_build b group by 1, 2, 3, 4, 5, 6;

  insert into heatmap_grid
  select c.site_id, c.pathname, c.layout, c.kind, c.day, c.flags, c.row,
    heatmap_vec(array_agg(c.col), array_agg(c.n))
  from (
    select b.site_id, b.pathname, b.layout, b.kind, b.day,
      case when b.kind = 'click' then b.flags else 0 end as flags,
      greatest(0, floor(b.y / (b.w / 64)))::int as row,
      greatest(0, floor(b.sx / (b.w / 64)))::int as col, count(*)::int as n
    from heatmap_build b where b.kind in ('click', 'move') group by 1, 2, 3, 4, 5, 6, 7, 8
  ) c group by 1, 2, 3, 4, 5, 6, 7;

  insert into heatmap_grid
  select b.site_id, b.pathname, b.layout, 'attention', b.day, 0, 0,
    heatmap_vec(array_agg(a.band::int - 1), array_agg(coalesce(a.seconds, 0)::int))
  from heatmap_build b, unnest(b.attention) with ordinality a(seconds, band)
  where b.kind = 'scroll' and a.band <= 64
  group by 1, 2, 3, 5;

  insert into heatmap_views
  select b.site_id, b.pathname, b.layout, b.day,
    coalesce(b.session_id, '00000000-0000-0000-0000-000000000000'), b.page_view,
    max(coalesce(b.depth, 0))
  from heatmap_build b where b.kind = 'scroll' group by 1, 2, 3, 4, 5, 6;

  insert into heatmap_elements
  select b.site_id, b.pathname, b.layout, b.day, b.selector, b.flags, count(*),
    min(b.sx - coalesce(b.elem_x, 0)), min(b.y - coalesce(b.elem_y, 0)::float8), max(b.sx),
    max(b.y::float8)
  from heatmap_build b where b.kind = 'click' group by 1, 2, 3, 4, 5, 6;

  drop table heatmap_build;
end $$;

-- The local days (as text) some of a site's raw rows were on, for rebuilding those days after
-- the rows were deleted (erasure, retention).
create function heatmap_rollup_days(p_site bigint, p_times timestamptz[]) returns text[]
language sql stable as $$
  select array_agg(distinct (t at time zone z.timezone)::date::text)
  from unnest(p_times) t, heatmap_rollup_zones z where z.site_id = p_site and t is not null
$$;

-- Rebuild what 0112 held, now by local day.
truncate heatmap_elements;
select heatmap_rollup_build(id, null) from sites;
