-- People, organizations, sites and API keys: the ownership tree every query is scoped by.

create table users (
  id bigint generated always as identity primary key,
  email text not null,
  email_normalized text not null unique,
  name text not null default '',
  password_hash text not null,
  email_verified_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Login sessions; only a hash of the cookie token is stored.
create table user_sessions (
  id bigint generated always as identity primary key,
  user_id bigint not null references users (id) on delete cascade,
  token_hash text not null unique,
  user_agent text not null default '',
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index user_sessions_user on user_sessions (user_id);

create table orgs (
  id bigint generated always as identity primary key,
  name text not null,
  created_at timestamptz not null default now()
);

create table memberships (
  org_id bigint not null references orgs (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'member', 'viewer')),
  created_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
create index memberships_user on memberships (user_id);

create table sites (
  id bigint generated always as identity primary key,
  org_id bigint not null references orgs (id) on delete cascade,
  -- The id in the tracking snippet; public, unguessable enough not to be enumerated.
  public_id text not null unique,
  domain text not null,
  name text not null,
  -- Extra hosts (subdomains, other domains of a cross-domain journey) allowed to send events.
  allowed_hosts text[] not null default '{}',
  timezone text not null default 'UTC',
  currency char(3) not null default 'USD',
  attribution_window_days int not null default 30 check (attribution_window_days between 1 and 90),
  cookieless boolean not null default false,
  respect_dnt boolean not null default false,
  heatmaps_enabled boolean not null default false,
  excluded_ips text[] not null default '{}',
  excluded_paths text[] not null default '{}',
  -- Null keeps data forever.
  retention_days int check (retention_days is null or retention_days between 30 and 1825),
  first_event_at timestamptz,
  created_at timestamptz not null default now(),
  unique (org_id, domain)
);
create index sites_org on sites (org_id);

-- API keys are shown once; we keep a hash and a short prefix to recognise them in lists.
create table api_keys (
  id bigint generated always as identity primary key,
  org_id bigint not null references orgs (id) on delete cascade,
  site_id bigint references sites (id) on delete cascade,
  name text not null,
  prefix text not null,
  key_hash text not null unique,
  created_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_org on api_keys (org_id);

-- Every email the product sends passes through here; without SMTP it stays here.
create table email_outbox (
  id bigint generated always as identity primary key,
  to_address text not null,
  subject text not null,
  html text not null,
  text text not null,
  kind text not null default '',
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  attempts int not null default 0,
  last_error text
);
