-- A membership payment whose checkout carried no email belonged to nobody, while the platform's
-- subscription state (which carries the email) made its subscriber a customer: Active with no
-- revenue, no payments and engagement 0. A payment with no owner of its own now belongs to its
-- subscription's customer, or for a refund to the refunded payment's; and a subscription that
-- gains a customer takes its ownerless payments along.
create or replace function sextant_purchase_owner() returns trigger language plpgsql as $$
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
  if new.customer_id is null and new.customer_key !~ '^erased:' then
    if new.subscription_id <> '' then
      select customer_id into new.customer_id from subscriptions
      where site_id = new.site_id and provider = new.provider
        and subscription_id = new.subscription_id
      limit 1;
    end if;
    if new.customer_id is null and new.parent_purchase_id is not null then
      select customer_id into new.customer_id from purchases
      where site_id = new.site_id and id = new.parent_purchase_id limit 1;
    end if;
  end if;
  return new;
end $$;

create function sextant_subscription_takes_payments() returns trigger language plpgsql as $$
begin
  update purchases set customer_id = new.customer_id
  where site_id = new.site_id and provider = new.provider
    and subscription_id = new.subscription_id and customer_id is null
    and customer_key !~ '^erased:';
  update purchases r set customer_id = new.customer_id
  where r.site_id = new.site_id and r.customer_id is null and r.customer_key !~ '^erased:'
    and r.parent_purchase_id in (
      select p.id from purchases p
      where p.site_id = new.site_id and p.provider = new.provider
        and p.subscription_id = new.subscription_id and p.customer_id = new.customer_id);
  return null;
end $$;

create trigger subscriptions_take_payments after insert or update of customer_id on subscriptions
  for each row when (new.customer_id is not null)
  execute function sextant_subscription_takes_payments();

-- Existing data: payments of subscriptions that have a customer, then their refunds.
update purchases p set customer_id = s.customer_id
from subscriptions s
where p.customer_id is null and p.subscription_id <> '' and p.customer_key !~ '^erased:'
  and s.site_id = p.site_id and s.provider = p.provider and s.subscription_id = p.subscription_id
  and s.customer_id is not null;
update purchases r set customer_id = p.customer_id
from purchases p
where r.customer_id is null and r.parent_purchase_id = p.id and r.site_id = p.site_id
  and p.customer_id is not null and r.customer_key !~ '^erased:';
