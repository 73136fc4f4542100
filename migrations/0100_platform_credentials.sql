-- Platforms beyond Stripe: credentials are a map of named fields, and platforms that sign no
-- timestamp are protected from replays by remembering their delivery ids.

comment on column integrations.api_key_enc is
  'SecretBox-sealed credentials: a JSON object of named fields; older rows hold the bare API key.';

-- The delivery or event id a replay would repeat (set only for platforms without a signed
-- timestamp); a second delivery with the same key is acknowledged and not stored again.
alter table webhook_deliveries add column dedupe_key text;
create unique index webhook_deliveries_dedupe on webhook_deliveries (integration_id, dedupe_key)
  where dedupe_key is not null;

-- OAuth connects in progress: the state sent to the platform, checked on the way back.
create table integration_oauth_states (
  state_hash text primary key,
  site_id bigint not null references sites (id) on delete cascade,
  provider text not null,
  user_id bigint not null,
  -- SecretBox-sealed JSON of what the connect form asked (a shop domain).
  fields_enc text not null,
  created_at timestamptz not null default now()
);
create index integration_oauth_states_created on integration_oauth_states (created_at);
