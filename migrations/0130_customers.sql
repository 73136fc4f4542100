-- Customers: one person per email per site, built from what Sextant already stores. Identify
-- calls and purchases from any platform create the person as they arrive (triggers below), so a
-- new platform that records purchases through the one entry point needs nothing more.
-- Everything else about a customer (lifetime revenue, status, last visit) is read from the
-- purchases, subscriptions, identities and sessions tables when asked, so it is never stale.

create table customers (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  -- Lower case; the person's key on this site.
  email text not null,
  -- When Sextant first knew the person (first identify or first purchase).
  created_at timestamptz not null default now(),
  unique (site_id, email)
);

-- Who a purchase belongs to: a gift's recipient, else the buyer the attribution engine found.
alter table purchases add column customer_id bigint;
create index purchases_site_customer_id on purchases (site_id, customer_id, ts)
  where customer_id is not null;
alter table subscriptions add column customer_id bigint;
create index subscriptions_site_customer_id on subscriptions (site_id, customer_id)
  where customer_id is not null;

-- The customer of `p_email` on a site, created on first sight; null when it is not an email.
create function sextant_customer_for(p_site bigint, p_email text, p_at timestamptz)
returns bigint language plpgsql as $$
declare
  e text := lower(btrim(coalesce(p_email, '')));
  cid bigint;
begin
  if e = '' or position('@' in e) = 0 or e ~ '^(visitor|order|erased):' then
    return null;
  end if;
  select id into cid from customers where site_id = p_site and email = e;
  if cid is null then
    insert into customers (site_id, email, created_at)
    values (p_site, e, coalesce(p_at, now()))
    on conflict (site_id, email) do nothing
    returning id into cid;
    if cid is null then
      select id into cid from customers where site_id = p_site and email = e;
    end if;
  end if;
  update customers set created_at = p_at
  where id = cid and p_at is not null and created_at > p_at;
  return cid;
end $$;

-- A purchase's owner. A gift (or a renewal or refund of one) belongs to its recipient: they hold
-- the membership, while the purchaser's visits keep the attribution credit.
create function sextant_purchase_owner() returns trigger language plpgsql as $$
declare
  owner text := nullif(new.gift_recipient_email, '');
begin
  if owner is null and new.parent_purchase_id is not null then
    select nullif(gift_recipient_email, '') into owner from purchases
    where site_id = new.site_id and id = new.parent_purchase_id limit 1;
  end if;
  if owner is null and new.customer_key ~ '@' and new.customer_key !~ '^(visitor|order|erased):'
  then
    owner := new.customer_key;
  end if;
  if owner is null and new.customer_key !~ '^(visitor|order|erased):' then
    owner := nullif(new.customer_email, '');
  end if;
  new.customer_id := sextant_customer_for(new.site_id, owner, new.ts);
  return new;
end $$;

create trigger purchases_owner before insert or update of customer_key, customer_email,
  gift_recipient_email, parent_purchase_id on purchases
  for each row execute function sextant_purchase_owner();

-- A subscription belongs to whoever owns its purchases; before any arrive, to its email.
create function sextant_subscription_owner() returns trigger language plpgsql as $$
declare
  cid bigint;
begin
  select customer_id into cid from purchases
  where site_id = new.site_id and provider = new.provider
    and subscription_id = new.subscription_id and customer_id is not null
    and kind <> 'refund'
  order by (kind = 'subscription_start') desc, ts limit 1;
  if cid is null then
    cid := sextant_customer_for(new.site_id,
      coalesce(nullif(new.customer_email, ''), new.customer_key), new.started_at);
  end if;
  new.customer_id := cid;
  return new;
end $$;

create trigger subscriptions_owner before insert or update of customer_key, customer_email
  on subscriptions for each row execute function sextant_subscription_owner();

-- A purchase that changes hands takes its subscription along.
create function sextant_purchase_moves_subscription() returns trigger language plpgsql as $$
begin
  update subscriptions set customer_id = new.customer_id
  where site_id = new.site_id and provider = new.provider
    and subscription_id = new.subscription_id
    and customer_id is distinct from new.customer_id;
  return null;
end $$;

create trigger purchases_subscription_owner after insert on purchases
  for each row when (new.subscription_id <> '' and new.customer_id is not null
    and new.kind <> 'refund')
  execute function sextant_purchase_moves_subscription();
-- The owner is set by the trigger above, never by the statement: compare rows, not columns.
create trigger purchases_subscription_owner_change after update on purchases
  for each row when (new.customer_id is distinct from old.customer_id
    and new.subscription_id <> '' and new.customer_id is not null
    and new.kind <> 'refund')
  execute function sextant_purchase_moves_subscription();

-- An identify() with an email (or a checkout that linked one) makes the person a customer: a
-- lead until they pay.
create function sextant_identity_customer() returns trigger language plpgsql as $$
begin
  perform sextant_customer_for(new.site_id, new.email, new.first_seen_at);
  return null;
end $$;

create trigger identities_customer after insert or update of email on identities
  for each row when (new.email is not null and new.email <> '')
  execute function sextant_identity_customer();

-- Existing data: everyone identified or owning a purchase becomes a customer now.
insert into customers (site_id, email, created_at)
select site_id, email, min(first_seen_at) from identities
where email is not null and email ~ '@'
group by site_id, email
on conflict (site_id, email) do nothing;
update purchases set customer_key = customer_key;
update subscriptions set customer_key = customer_key;

-- Tags: coloured labels per site, any number per customer.
create table customer_tags (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  name text not null check (length(name) between 1 and 40),
  -- One of the palette's names (see customers/tags.ts).
  color text not null,
  created_at timestamptz not null default now()
);
create unique index customer_tags_site_name on customer_tags (site_id, lower(name));

create table customer_taggings (
  site_id bigint not null,
  customer_id bigint not null references customers (id) on delete cascade,
  tag_id bigint not null references customer_tags (id) on delete cascade,
  added_at timestamptz not null default now(),
  primary key (customer_id, tag_id)
);
create index customer_taggings_tag on customer_taggings (tag_id);

-- Notes: markdown written by the team, rendered escaped.
create table customer_notes (
  id bigint generated always as identity primary key,
  site_id bigint not null,
  customer_id bigint not null references customers (id) on delete cascade,
  author_id bigint references users (id) on delete set null,
  body text not null check (length(body) between 1 and 10000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index customer_notes_customer on customer_notes (customer_id, created_at desc);

-- Engagement, 0–100, from recency and frequency of visits and payments (docs/customers.md):
--   35 × visit recency   (1 on the day of a visit, falling linearly to 0 at 60 days)
-- + 25 × visit frequency (visits in the last 30 days ÷ 10, at most 1)
-- + 25 × payment recency (1 on the day of a payment, falling linearly to 0 at 365 days)
-- + 15 × payment frequency (payments in the last 365 days ÷ 12, at most 1)
create function sextant_engagement(last_visit timestamptz, visits_30d bigint,
  last_payment timestamptz, payments_365d bigint, at timestamptz)
returns int language sql immutable parallel safe as $$
  select round(
    35 * least(1, greatest(0, 1 - coalesce(extract(epoch from at - last_visit) / 86400, 1e9) / 60))
    + 25 * least(1, coalesce(visits_30d, 0) / 10.0)
    + 25 * least(1, greatest(0,
        1 - coalesce(extract(epoch from at - last_payment) / 86400, 1e9) / 365))
    + 15 * least(1, coalesce(payments_365d, 0) / 12.0))::int
$$;

-- One row per customer with everything lists, profiles and segments filter and sort on. Read it
-- with `where site_id = …`: the filter reaches every lateral part.
create view customer_facts as
select
  c.id, c.site_id, c.email, coalesce(n.name, '') as name, c.created_at as joined_at,
  coalesce(p.revenue, 0)::bigint as revenue, coalesce(p.payments, 0)::int as payments,
  coalesce(p.refunds, 0)::int as refunds, p.first_payment_at, p.last_payment_at,
  coalesce(p.plan, '') as plan, coalesce(p.products, '{}') as products,
  case
    when s.active then 'active'
    when s.trialing then 'trialing'
    when s.past_due then 'past_due'
    when s.cancelled then 'cancelled'
    when s.expired then 'expired'
    when coalesce(p.payments, 0) > 0 then 'one_time'
    else 'lead'
  end as status,
  coalesce(s.mrr, 0)::bigint as mrr, s.cancelled_at,
  v.last_visit_at, coalesce(v.visits, 0)::int as visits, coalesce(v.visits_30d, 0)::int as visits_30d,
  greatest(v.last_visit_at, p.last_payment_at, c.created_at) as last_active_at,
  coalesce(f.source, '') as first_source, coalesce(f.channel, '') as first_channel,
  coalesce(f.campaign, '') as first_campaign,
  coalesce(l.country, '') as country, coalesce(l.device, '') as device,
  sextant_engagement(v.last_visit_at, v.visits_30d, p.last_payment_at, p.payments_365d, now())
    as engagement
from customers c
left join lateral (
  select nullif(btrim(coalesce(i.traits ->> 'name', '')), '') as name from identities i
  where i.site_id = c.site_id and i.email = c.email and i.traits ? 'name'
  order by i.last_seen_at desc limit 1
) n on true
left join lateral (
  select sum(x.amount_site_minor) as revenue,
    count(*) filter (where x.kind <> 'refund') as payments,
    count(*) filter (where x.kind = 'refund') as refunds,
    min(x.ts) filter (where x.kind <> 'refund') as first_payment_at,
    max(x.ts) filter (where x.kind <> 'refund') as last_payment_at,
    count(*) filter (where x.kind <> 'refund' and x.ts > now() - interval '365 days')
      as payments_365d,
    (array_agg(x.product order by x.ts desc) filter (where x.kind <> 'refund'))[1] as plan,
    array_agg(distinct x.product) filter (where x.product <> '') as products
  from purchases x where x.site_id = c.site_id and x.customer_id = c.id
) p on true
left join lateral (
  select bool_or(x.status = 'active') as active, bool_or(x.status = 'trialing') as trialing,
    bool_or(x.status in ('past_due', 'unpaid')) as past_due,
    bool_or(x.status in ('canceled', 'cancelled')) as cancelled,
    bool_or(x.status in ('expired', 'incomplete_expired', 'ended', 'completed')) as expired,
    sum(x.mrr_site_minor) as mrr,
    max(x.canceled_at) filter (where x.status in ('canceled', 'cancelled')) as cancelled_at
  from subscriptions x where x.site_id = c.site_id and x.customer_id = c.id
) s on true
left join lateral (
  select max(x.ended_at) as last_visit_at, count(*) as visits,
    count(*) filter (where x.started_at > now() - interval '30 days') as visits_30d
  from sessions x
  where x.site_id = c.site_id and x.visitor_id in (
    select i.visitor_id from identities i where i.site_id = c.site_id and i.email = c.email)
) v on true
left join lateral (
  select x.source, x.channel, x.campaign from sessions x
  where x.site_id = c.site_id and x.visitor_id in (
    select i.visitor_id from identities i where i.site_id = c.site_id and i.email = c.email)
  order by x.started_at limit 1
) f on true
left join lateral (
  select x.country, x.device from sessions x
  where x.site_id = c.site_id and x.visitor_id in (
    select i.visitor_id from identities i where i.site_id = c.site_id and i.email = c.email)
  order by x.started_at desc limit 1
) l on true;
