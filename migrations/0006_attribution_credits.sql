-- How each purchase's revenue is credited to the sessions of the buyer's journey, per model.
-- The attribution engine writes these rows; the dashboard and the revenue report only read them.
-- Shares of one (purchase, model) add up exactly to the purchase's amount (rounding remainders
-- are assigned deterministically). Refunds carry negative shares mirroring the original sale.
-- An unmatched purchase has one row per model with touch = -1 and no session.
create table attribution_credits (
  site_id bigint not null,
  purchase_id uuid not null,
  purchase_ts timestamptz not null,
  -- first_touch | last_touch | linear | time_decay | position_based
  model text not null,
  touch int not null,
  session_id uuid,
  session_started_at timestamptz,
  visitor_id text,
  amount_site_minor bigint not null,
  -- The credited session's attributes, copied so any breakdown can sum revenue directly.
  source text not null default '',
  medium text not null default '',
  campaign text not null default '',
  content text not null default '',
  term text not null default '',
  channel text not null default '',
  referrer_host text not null default '',
  entry_page text not null default '',
  country text not null default '',
  region text not null default '',
  city text not null default '',
  device text not null default '',
  browser text not null default '',
  os text not null default '',
  primary key (purchase_id, model, touch)
);
create index attribution_credits_site_model_ts on attribution_credits (site_id, model, purchase_ts);
