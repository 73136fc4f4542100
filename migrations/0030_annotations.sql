-- Notes pinned to a date on a site's charts ("Launched on Product Hunt"), with a category that
-- sets their colour. The date is a calendar day in the site's time zone.
create table annotations (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  day date not null,
  category text not null default 'note'
    check (category in ('note', 'launch', 'campaign', 'content', 'incident')),
  body text not null check (length(body) between 1 and 280),
  created_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now()
);
create index annotations_site_day on annotations (site_id, day);
