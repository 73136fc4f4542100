-- Where a heatmap's page lives (scheme, host and port), so its screenshot can be taken: heatmap
-- clicks and scroll records carry it; pointer samples leave it empty.
alter table heatmap_clicks add column origin text not null default '';

-- Full-page screenshots per site, page and layout, rendered by the screenshots job into
-- DATA_DIR. status: pending (due at next_attempt_at), rendering (claimed by a job run since
-- claimed_at), done, failed (error says why; retried at next_attempt_at).
create table heatmap_screenshots (
  site_id bigint not null references sites (id) on delete cascade,
  pathname text not null,
  layout text not null,
  url text not null,
  status text not null default 'pending',
  error text not null default '',
  file text not null default '',
  width int not null default 0,
  height int not null default 0,
  bytes int not null default 0,
  attempts int not null default 0,
  requested_at timestamptz not null default now(),
  claimed_at timestamptz,
  taken_at timestamptz,
  next_attempt_at timestamptz not null default now(),
  primary key (site_id, pathname, layout)
);
create index heatmap_screenshots_due on heatmap_screenshots (next_attempt_at)
  where status <> 'rendering';
