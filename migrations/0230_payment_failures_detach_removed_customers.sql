-- Retention used to remove customers known only from failed payments and leave those failures
-- pointing at them. Such failures are detached: the timeline had no one to show them under, and
-- the "payment failed" automation must not act for a customer who is gone.
update payment_failures f set customer_id = null
where f.customer_id is not null
  and not exists (select 1 from customers c where c.id = f.customer_id);
