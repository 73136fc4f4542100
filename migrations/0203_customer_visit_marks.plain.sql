-- Visits mark their customers once per statement instead of once per row (0200's row triggers
-- cost a plain bulk insert of sessions several times its own time). Plain PostgreSQL allows
-- statement triggers with transition tables; TimescaleDB hypertables do not, so there the row
-- triggers stay (the .timescale.sql twin).
drop trigger sessions_summary_mark_insert on sessions;
drop trigger sessions_summary_mark_update on sessions;

-- The customers of the visitors in a set of (site, visitor) pairs.
create function sextant_customer_mark_visitors(p_sites bigint[], p_visitors text[])
returns void language sql as $$
  insert into customer_summary_marks
  select distinct c.site_id, c.id
  from (select distinct s, v from unnest(p_sites, p_visitors) as x (s, v)) n
  join identities i on i.site_id = n.s and i.visitor_id = n.v
  join customers c on c.site_id = i.site_id and c.email = i.email
  where i.email is not null
$$;

create function sextant_customer_mark_visits_new() returns trigger language plpgsql as $$
begin
  perform sextant_customer_mark_visitors(array_agg(site_id), array_agg(visitor_id))
  from new_rows;
  return null;
end $$;

create function sextant_customer_mark_visits_old() returns trigger language plpgsql as $$
begin
  perform sextant_customer_mark_visitors(array_agg(site_id), array_agg(visitor_id))
  from old_rows;
  return null;
end $$;

-- An update marks the visitors before and after (a visit moved to another visitor counts for
-- both); extending a visit marks its visitor's customers, as every later pageview does.
create function sextant_customer_mark_visits_both() returns trigger language plpgsql as $$
begin
  perform sextant_customer_mark_visitors(array_agg(site_id), array_agg(visitor_id))
  from (select site_id, visitor_id from new_rows
    union select site_id, visitor_id from old_rows) x;
  return null;
end $$;

create trigger sessions_summary_mark_insert after insert on sessions
  referencing new table as new_rows
  for each statement execute function sextant_customer_mark_visits_new();
create trigger sessions_summary_mark_update after update on sessions
  referencing old table as old_rows new table as new_rows
  for each statement execute function sextant_customer_mark_visits_both();
create trigger sessions_summary_mark_delete after delete on sessions
  referencing old table as old_rows
  for each statement execute function sextant_customer_mark_visits_old();
