-- Heatmaps record more than clicks: pointer movement samples and, per page view, scroll depth
-- and attention (seconds each tenth of the page was in view). One table with a kind column:
-- click (one row per click), move (one row per sample), scroll (one row per page view and send).
-- layout is the viewport's bucket (desktop ≥ 1024 px, tablet ≥ 768 px, mobile below), so a
-- heatmap can be drawn over a screenshot of the same layout. session_id lets the dashboard's
-- visit filters apply. flags: 1 rage click, 2 dead click, 4 error click.
alter table heatmap_clicks
  add column kind text not null default 'click',
  add column layout text not null default '',
  add column session_id uuid,
  add column page_view text not null default '',
  add column elem_x int,
  add column elem_y int,
  add column flags smallint not null default 0,
  add column depth smallint,
  add column attention int[];

update heatmap_clicks set layout = case
  when page_width >= 1024 then 'desktop' when page_width >= 768 then 'tablet' else 'mobile' end
where layout = '';

-- Heatmap reads pick one page, kind and layout over a time range.
create index heatmap_clicks_page_kind_ts on heatmap_clicks (site_id, pathname, kind, layout, ts);
