-- Revenue attribution: what the attribution engine keeps beside each purchase, the payment
-- platforms a site connects, every webhook delivery as received, backfill runs, the owner's
-- currency rates and subscription state for MRR.

-- Evidence and results of matching, kept on the purchase so any model can be recomputed later.
alter table purchases add column customer_key text not null default '';
-- A gift keeps its recipient apart: never matched, never linked to the purchaser's visitor.
alter table purchases add column gift_recipient_email text not null default '';
-- The visitor id the checkout carried (client_reference_id, metadata, the tracker's own call).
alter table purchases add column checkout_visitor_id text;
alter table purchases add column country text not null default '';
alter table purchases add column subscription_id text not null default '';
-- The platform's payment reference (a Stripe PaymentIntent), so refunds find their sale.
alter table purchases add column payment_ref text not null default '';
-- Refunds and renewals are credited like the sale or subscription start they belong to.
alter table purchases add column parent_purchase_id uuid;
-- The sessions (oldest first) within the site's window before the purchase, with their sources.
alter table purchases add column journey jsonb not null default '[]';
alter table purchases add column matched_at timestamptz;
-- webhook | backfill | tracker: where the purchase first came from.
alter table purchases add column origin text not null default 'webhook';

create index purchases_site_payment_ref on purchases (site_id, provider, payment_ref)
  where payment_ref <> '';
create index purchases_site_order on purchases (site_id, provider, order_id) where order_id <> '';
create index purchases_site_customer on purchases (site_id, customer_key, ts);
create index purchases_site_subscription on purchases (site_id, provider, subscription_id, ts)
  where subscription_id <> '';
create index purchases_parent on purchases (parent_purchase_id) where parent_purchase_id is not null;
create index purchases_site_unmatched on purchases (site_id, ts)
  where match_method in ('none', 'fingerprint');
create index purchases_ts on purchases (ts);
-- Re-matching looks for customers who identified lately (a new device of a known buyer).
create index identities_last_seen on identities (last_seen_at) where email is not null;
create index purchases_site_email on purchases (site_id, customer_email) where customer_email <> '';

-- Tracker revenue calls are picked up from the events table; this keeps that scan small.
create index events_revenue_ts on events (ts) where type = 'revenue';
-- Revenue events already handed to attribution (kept a few days, then pruned).
create table revenue_events_seen (
  event_id uuid primary key,
  site_id bigint not null,
  seen_at timestamptz not null default now()
);

-- One connection per site and platform; the row (and so the webhook URL) survives reconnects.
create table integrations (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  provider text not null,
  -- connected | syncing | error | disconnected
  status text not null default 'disconnected',
  -- AES-256-GCM sealed (SecretBox): the API key and the webhook signing secret.
  api_key_enc text,
  webhook_secret_enc text,
  -- Shown so people recognise which key is in use (rk_live_…abcd); never the key itself.
  key_hint text not null default '',
  livemode boolean not null default false,
  account_name text not null default '',
  -- auto: registered through the platform's API; manual: the owner pasted the secret.
  webhook_mode text not null default 'manual',
  webhook_endpoint_id text not null default '',
  webhook_note text not null default '',
  last_error text not null default '',
  last_error_at timestamptz,
  -- Consecutive deliveries with a bad or stale signature; the owner is alerted at a threshold.
  signature_failures int not null default 0,
  signature_alerted_at timestamptz,
  last_webhook_at timestamptz,
  connected_at timestamptz,
  disconnected_at timestamptz,
  created_at timestamptz not null default now(),
  unique (site_id, provider)
);

-- Every verified delivery exactly as received, stored before it is processed.
create table webhook_deliveries (
  id bigint generated always as identity primary key,
  integration_id bigint not null references integrations (id) on delete cascade,
  site_id bigint not null,
  provider text not null,
  event_id text not null,
  event_type text not null,
  body text not null,
  received_at timestamptz not null default now(),
  -- received | processed | ignored | retrying | failed
  status text not null default 'received',
  attempts int not null default 0,
  next_attempt_at timestamptz,
  last_error text not null default '',
  processed_at timestamptz
);
create index webhook_deliveries_integration on webhook_deliveries (integration_id, received_at desc);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'retrying';

-- Backfills: queued on connect, run by a worker, progress read by the integrations page.
create table integration_syncs (
  id bigint generated always as identity primary key,
  integration_id bigint not null references integrations (id) on delete cascade,
  site_id bigint not null,
  days int not null,
  -- queued | running | done | failed
  status text not null default 'queued',
  -- listing | syncing
  phase text not null default 'listing',
  total int not null default 0,
  processed int not null default 0,
  synced int not null default 0,
  matched int not null default 0,
  error text not null default '',
  heartbeat_at timestamptz,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
create index integration_syncs_integration on integration_syncs (integration_id, created_at desc);
create index integration_syncs_pending on integration_syncs (created_at) where status in ('queued', 'running');

-- Units of the site's currency per one unit of `currency`; edited by the owner.
create table currency_rates (
  site_id bigint not null references sites (id) on delete cascade,
  currency char(3) not null,
  rate numeric(24, 10) not null check (rate > 0),
  -- owner | reference: a reference rate was filled in for a currency the owner has not set yet.
  origin text not null default 'owner',
  updated_at timestamptz not null default now(),
  primary key (site_id, currency)
);

-- Current state of each subscription, for MRR.
create table subscriptions (
  site_id bigint not null,
  provider text not null,
  subscription_id text not null,
  customer_key text not null default '',
  customer_email text not null default '',
  status text not null,
  mrr_minor bigint not null default 0,
  currency char(3) not null,
  mrr_site_minor bigint not null default 0,
  started_at timestamptz not null,
  canceled_at timestamptz,
  -- Time of the newest platform state applied, so older events arriving late change nothing.
  state_at timestamptz not null,
  updated_at timestamptz not null default now(),
  primary key (site_id, provider, subscription_id)
);

-- MRR movements: new, expansion, contraction, churn, reactivation.
create table mrr_movements (
  id bigint generated always as identity primary key,
  site_id bigint not null,
  provider text not null,
  subscription_id text not null,
  ts timestamptz not null,
  kind text not null,
  delta_site_minor bigint not null,
  customer_key text not null default ''
);
create index mrr_movements_site_ts on mrr_movements (site_id, ts);
