-- Scheduled email reports: a member's daily or weekly digest of a site, sent at a local hour in
-- their time zone. `last_period` names the period last sent ("daily:2026-03-01"): claiming it in
-- one update is what keeps a digest from going out twice.
create table digest_subscriptions (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  frequency text not null check (frequency in ('daily', 'weekly')),
  local_hour int not null default 8 check (local_hour between 0 and 23),
  timezone text not null default 'UTC',
  last_period text not null default '',
  last_sent_at timestamptz,
  created_at timestamptz not null default now(),
  unique (site_id, user_id, frequency)
);
create index digest_subscriptions_user on digest_subscriptions (user_id);
