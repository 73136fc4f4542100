-- customer_facts read the person's sessions three times (totals, first visit, last visit); one
-- pass gives all three, which is most of the view's cost on a big site.
create or replace view customer_facts as
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
  coalesce(v.first_source, '') as first_source, coalesce(v.first_channel, '') as first_channel,
  coalesce(v.first_campaign, '') as first_campaign,
  coalesce(v.country, '') as country, coalesce(v.device, '') as device,
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
    count(*) filter (where x.started_at > now() - interval '30 days') as visits_30d,
    (array_agg(x.source order by x.started_at, x.session_id))[1] as first_source,
    (array_agg(x.channel order by x.started_at, x.session_id))[1] as first_channel,
    (array_agg(x.campaign order by x.started_at, x.session_id))[1] as first_campaign,
    (array_agg(x.country order by x.started_at desc, x.session_id))[1] as country,
    (array_agg(x.device order by x.started_at desc, x.session_id))[1] as device
  from sessions x
  where x.site_id = c.site_id and x.visitor_id in (
    select i.visitor_id from identities i where i.site_id = c.site_id and i.email = c.email)
) v on true;
