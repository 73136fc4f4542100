-- Failed payments, one row each: a Stripe invoice.payment_failed attempt, or a subscription of a
-- platform that reports only states falling past due. The timeline shows each, and the "payment
-- failed" automation fires once per row. Keyed per platform so a retried delivery stores one.
create table payment_failures (
  id bigint generated always as identity primary key,
  site_id bigint not null,
  provider text not null,
  -- The platform's identity of this failure (an invoice and its attempt, a state's time).
  failure_key text not null,
  ts timestamptz not null,
  subscription_id text not null default '',
  customer_email text not null default '',
  amount_minor bigint not null default 0,
  currency text not null default '',
  -- Why, in the platform's words, when it says.
  reason text not null default '',
  customer_id bigint,
  created_at timestamptz not null default now(),
  unique (site_id, provider, failure_key)
);
create index payment_failures_customer on payment_failures (site_id, customer_id, ts)
  where customer_id is not null;
create index payment_failures_site_created on payment_failures (site_id, created_at);

-- Whose failure: the subscription's customer, else the email's.
create function sextant_payment_failure_owner() returns trigger language plpgsql as $$
begin
  if new.subscription_id <> '' then
    select customer_id into new.customer_id from subscriptions
    where site_id = new.site_id and provider = new.provider
      and subscription_id = new.subscription_id
    limit 1;
  end if;
  if new.customer_id is null then
    new.customer_id := sextant_customer_for(new.site_id, new.customer_email, new.ts);
  end if;
  return new;
end $$;
create trigger payment_failures_owner before insert on payment_failures
  for each row execute function sextant_payment_failure_owner();

-- A subscription that gains (or changes) its customer takes its failures along.
create function sextant_subscription_takes_failures() returns trigger language plpgsql as $$
begin
  update payment_failures set customer_id = new.customer_id
  where site_id = new.site_id and provider = new.provider
    and subscription_id = new.subscription_id
    and customer_id is distinct from new.customer_id;
  return null;
end $$;
create trigger subscriptions_take_failures after insert or update of customer_id on subscriptions
  for each row when (new.customer_id is not null)
  execute function sextant_subscription_takes_failures();

-- Existing past-due subscriptions count as one failure each, at the state's time.
insert into payment_failures (site_id, provider, failure_key, ts, subscription_id,
  customer_email, amount_minor, currency)
select site_id, provider,
  'state:' || subscription_id || ':' || (extract(epoch from state_at) * 1000)::bigint, state_at,
  subscription_id, customer_email, mrr_minor, currency
from subscriptions where status in ('past_due', 'unpaid')
on conflict do nothing;
