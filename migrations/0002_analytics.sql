-- Raw analytics: events, the sessions derived from them at ingest, and purchases.
-- In TimescaleDB mode migration 0003 turns these into hypertables; otherwise they stay plain.

-- One row per tracked hit. Acquisition columns (source … channel) are the session's, copied to
-- each event so that any filter can be answered from this table alone.
create table events (
  ts timestamptz not null,
  event_id uuid not null,
  site_id bigint not null,
  visitor_id text not null,
  session_id uuid not null,
  -- pageview | event | outbound | download | engagement | identify | revenue
  type text not null,
  -- Custom event or goal name; empty for pageviews.
  name text not null default '',
  hostname text not null default '',
  pathname text not null default '/',
  title text not null default '',
  referrer text not null default '',
  referrer_host text not null default '',
  source text not null default '',
  medium text not null default '',
  campaign text not null default '',
  content text not null default '',
  term text not null default '',
  channel text not null default 'Direct',
  click_id_type text not null default '',
  country text not null default '',
  region text not null default '',
  city text not null default '',
  lat real,
  lon real,
  browser text not null default '',
  browser_version text not null default '',
  os text not null default '',
  os_version text not null default '',
  device text not null default '',
  screen text not null default '',
  language text not null default '',
  timezone text not null default '',
  scroll_depth smallint,
  engaged_ms int,
  props jsonb
);
-- The idempotency key of the write path: ON CONFLICT (event_id, ts) DO NOTHING.
create unique index events_event_id_ts on events (event_id, ts);
create index events_site_ts on events (site_id, ts desc);
create index events_site_visitor_ts on events (site_id, visitor_id, ts);

-- One row per visit, upserted by the writer from the events it actually inserted.
create table sessions (
  started_at timestamptz not null,
  session_id uuid not null,
  site_id bigint not null,
  visitor_id text not null,
  ended_at timestamptz not null,
  entry_page text not null default '',
  exit_page text not null default '',
  pageviews int not null default 0,
  events int not null default 0,
  engaged_ms bigint not null default 0,
  referrer_host text not null default '',
  source text not null default '',
  medium text not null default '',
  campaign text not null default '',
  content text not null default '',
  term text not null default '',
  channel text not null default 'Direct',
  click_id_type text not null default '',
  country text not null default '',
  region text not null default '',
  city text not null default '',
  device text not null default '',
  browser text not null default '',
  os text not null default ''
);
create unique index sessions_id_started on sessions (session_id, started_at);
create index sessions_site_started on sessions (site_id, started_at desc);
create index sessions_site_visitor on sessions (site_id, visitor_id, started_at);

-- Normalized purchases from every platform; amounts in integer minor units (refunds negative).
create table purchases (
  ts timestamptz not null,
  id uuid not null default gen_random_uuid(),
  site_id bigint not null,
  provider text not null,
  -- The platform's event id: a replayed webhook or backfill finds it and stores nothing new.
  provider_event_id text not null,
  order_id text not null default '',
  kind text not null check (kind in ('one_time', 'subscription_start', 'renewal', 'refund')),
  amount_minor bigint not null,
  currency char(3) not null,
  -- In the site's currency; `converted` marks figures that went through the rates table.
  amount_site_minor bigint not null,
  converted boolean not null default false,
  customer_email text not null default '',
  product text not null default '',
  visitor_id text,
  -- checkout_id | email | fingerprint | none
  match_method text not null default 'none',
  match_confidence real not null default 0,
  created_at timestamptz not null default now()
);
create unique index purchases_provider_event on purchases (site_id, provider, provider_event_id, ts);
create index purchases_site_ts on purchases (site_id, ts desc);
create index purchases_site_visitor on purchases (site_id, visitor_id);

-- The one definition of a bounce, used by the rollups and by every raw query: a visit with at
-- most one pageview and under ten seconds of engagement.
create function sextant_is_bounce(pageviews int, engaged_ms bigint) returns boolean
language sql immutable parallel safe
as $$ select pageviews <= 1 and engaged_ms < 10000 $$;

-- How long a visit lasted, in whole seconds; rollups and raw queries sum the same numbers.
create function sextant_visit_seconds(started_at timestamptz, ended_at timestamptz) returns bigint
language sql immutable parallel safe
as $$ select floor(extract(epoch from ended_at - started_at))::bigint $$;

-- Rollups identify visitors by a 64-bit hash of their id: exact distinct counts for any
-- realistic audience (a collision needs billions of visitors) at a fraction of the width.
create function sextant_visitor_key(visitor_id text) returns bigint
language sql immutable parallel safe
as $$ select hashtextextended(visitor_id, 0) $$;
