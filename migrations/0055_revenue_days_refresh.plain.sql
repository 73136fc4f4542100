-- Plain PostgreSQL: purchases and attribution credits mark their hours for the daily rollups
-- too (build_day_rollups() rebuilds revenue with visitors since 0054). Every site is rebuilt
-- once so that its revenue rows exist before they are read.

create or replace function rollup_mark_purchases() returns trigger language plpgsql as $$
begin
  insert into rollup_dirty (source, site_id, bucket)
  select distinct 'purchases', site_id, rollup_hour(ts) from changed
  on conflict do nothing;
  insert into day_rollup_dirty (site_id, bucket)
  select distinct site_id, rollup_hour(ts) from changed
  on conflict do nothing;
  return null;
end $$;

create function rollup_mark_credits() returns trigger language plpgsql as $$
begin
  insert into day_rollup_dirty (site_id, bucket)
  select distinct site_id, rollup_hour(purchase_ts) from changed
  on conflict do nothing;
  return null;
end $$;

create trigger credits_rollup_insert after insert on attribution_credits
  referencing new table as changed for each statement execute function rollup_mark_credits();
create trigger credits_rollup_update after update on attribution_credits
  referencing new table as changed for each statement execute function rollup_mark_credits();
create trigger credits_rollup_delete after delete on attribution_credits
  referencing old table as changed for each statement execute function rollup_mark_credits();

delete from day_rollup_zones;
