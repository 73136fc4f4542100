-- Ingest bookkeeping: cookieless salts, counts of events dropped before storage, heatmap clicks.

-- Cookieless visitor ids hash site + IP + user agent with a salt that changes every UTC day.
-- Yesterday's salt is kept so a visit crossing midnight stays one visitor; older salts are
-- deleted, after which nobody (us included) can link the ids back to an address.
create table ingest_salts (
  day date primary key,
  salt text not null,
  created_at timestamptz not null default now()
);

-- Events filtered out before storage (bots, opt-outs, excluded IPs and paths), per site and UTC
-- day, so a site owner can see what was filtered and why.
create table ingest_drops (
  site_id bigint not null,
  day date not null,
  reason text not null,
  count bigint not null default 0,
  primary key (site_id, day, reason)
);

-- Clicks from the heatmap module: where on the page (document coordinates and the page's width
-- at the time) and on which element. One row per click, idempotent like events.
create table heatmap_clicks (
  ts timestamptz not null,
  event_id uuid not null,
  site_id bigint not null,
  hostname text not null default '',
  pathname text not null default '/',
  x int not null,
  y int not null,
  page_width int not null,
  page_height int not null,
  selector text not null default '',
  device text not null default ''
);
create unique index heatmap_clicks_event_id_ts on heatmap_clicks (event_id, ts);
create index heatmap_clicks_site_path_ts on heatmap_clicks (site_id, pathname, ts desc);

-- Batches the database refused (a value it cannot store). Kept as raw bytes so nothing accepted
-- is silently lost and one bad batch cannot hold up the writer; an operator can inspect them.
create table ingest_rejects (
  id bigint generated always as identity primary key,
  created_at timestamptz not null default now(),
  error text not null,
  payload bytea not null
);
