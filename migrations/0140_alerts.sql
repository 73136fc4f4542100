-- Alerts: rules (built-in detectors and custom rules) per site, the incidents they open, the
-- channels incidents are sent to and every delivery with its attempts, so failures show.

create table alert_rules (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  -- traffic_spike | traffic_drop | revenue_drop | purchases_stopped | tracker_silent |
  -- integration | custom
  kind text not null,
  -- visitors | pageviews | revenue … (what a traffic or custom rule watches)
  metric text not null default '',
  enabled boolean not null default true,
  -- How many robust standard deviations from the baseline count as anomalous.
  sensitivity real not null default 4 check (sensitivity between 1 and 20),
  -- Smallest volume (expected or observed, per hour) worth a page; 0 keeps the detector's own.
  min_volume int not null default 0 check (min_volume >= 0),
  -- After an incident ends, the same rule stays quiet this long.
  cooldown_minutes int not null default 60 check (cooldown_minutes between 0 and 10080),
  snoozed_until timestamptz,
  -- Custom rules: above | below | change_pct, the threshold, hour | day | week, a filter.
  condition text,
  threshold double precision,
  time_window text,
  filter text not null default '',
  created_at timestamptz not null default now()
);
create unique index alert_rules_builtin on alert_rules (site_id, kind, metric) where kind <> 'custom';

create table alert_incidents (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  rule_id bigint not null references alert_rules (id) on delete cascade,
  opened_at timestamptz not null default now(),
  closed_at timestamptz,
  -- The interval that was judged anomalous.
  period_start timestamptz not null,
  period_end timestamptz not null,
  actual double precision not null,
  expected double precision not null,
  lower double precision not null,
  upper double precision not null,
  summary text not null,
  -- The detector's sentence when it ended ("back to normal").
  resolution text not null default '',
  -- Recent hours as [{t, actual, expected, lower, upper}] for the incident's small chart.
  series jsonb not null default '[]'
);
-- One open incident per rule: the evaluator's insert is the lock, on every instance.
create unique index alert_incidents_open on alert_incidents (rule_id) where closed_at is null;
create index alert_incidents_site on alert_incidents (site_id, opened_at desc);

create table alert_channels (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  -- email | slack | webhook
  kind text not null check (kind in ('email', 'slack', 'webhook')),
  name text not null default '',
  -- Slack and webhook URLs (a Slack URL is itself the credential) and the webhook's signing
  -- secret, sealed with the app's SecretBox.
  url_enc text,
  secret_enc text,
  enabled boolean not null default true,
  created_at timestamptz not null default now()
);
create unique index alert_channels_email on alert_channels (site_id) where kind = 'email';

-- Who gets a site's alert email: owners and admins unless they opt out, other members when
-- they opt in.
create table alert_email_prefs (
  site_id bigint not null references sites (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  subscribed boolean not null,
  primary key (site_id, user_id)
);

create table alert_deliveries (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  channel_id bigint not null references alert_channels (id) on delete cascade,
  incident_id bigint references alert_incidents (id) on delete cascade,
  -- opened | resolved | test
  event text not null check (event in ('opened', 'resolved', 'test')),
  -- pending | sent | failed (gave up after the last attempt)
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  attempts int not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text not null default '',
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
-- Each incident event reaches each channel once, however many instances evaluate.
create unique index alert_deliveries_once on alert_deliveries (incident_id, channel_id, event)
  where incident_id is not null;
create index alert_deliveries_due on alert_deliveries (next_attempt_at) where status = 'pending';
create index alert_deliveries_channel on alert_deliveries (channel_id, created_at desc);
