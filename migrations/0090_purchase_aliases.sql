-- The same money reported by two connected platforms (a course platform charging through the
-- creator's own Stripe account): the later report becomes an alias of the purchase already
-- stored, so it is counted once, and its replays and refunds still find that purchase.
create table purchase_aliases (
  site_id bigint not null references sites (id) on delete cascade,
  provider text not null,
  provider_event_id text not null,
  purchase_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (site_id, provider, provider_event_id)
);
create index purchase_aliases_purchase on purchase_aliases (site_id, purchase_id);
