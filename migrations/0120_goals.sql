-- Goals a site defines: what counts as a conversion. Completions are never stored; every report
-- computes them from events, visits and purchases at read time, so a new goal covers past data.
create table goals (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  name text not null check (length(name) between 1 and 120),
  -- page: a pageview whose path matches; event: a custom event (optionally with a property
  -- value); duration: a visit lasting threshold seconds; pages: a visit with threshold
  -- pageviews; purchase: any purchase, or of one product.
  kind text not null check (kind in ('page', 'event', 'duration', 'pages', 'purchase')),
  -- As written ("/blog/**"), and as the anchored regular expression the queries match with.
  path_pattern text not null default '',
  path_regex text not null default '',
  event_name text not null default '',
  prop_key text not null default '',
  prop_value text not null default '',
  threshold int not null default 0,
  product text not null default '',
  created_at timestamptz not null default now(),
  unique (site_id, name)
);
