-- Marks become append-only. With one row per (source, site, hour) and ON CONFLICT DO NOTHING, a
-- writer whose hour was already marked added nothing: if a refresh started before that writer
-- committed, it took the old mark, recomputed the hour from a snapshot without the writer's rows,
-- and left no mark behind, so the hour stayed short until something else touched it. Now every
-- write adds its own marks; a refresh deletes only the marks its snapshot sees, whose rows it
-- also sees, and marks committed after it started wait for the next one. Nothing updates a mark,
-- so writers never wait on each other or on a refresh.

alter table rollup_dirty drop constraint rollup_dirty_pkey;
alter table day_rollup_dirty drop constraint day_rollup_dirty_pkey;
create index rollup_dirty_site on rollup_dirty (site_id, bucket);
create index day_rollup_dirty_site on day_rollup_dirty (site_id, bucket);

create or replace function rollup_mark(p_source text, p_sites bigint[], p_times timestamptz[])
returns void language plpgsql as $$
begin
  if p_source not in ('events', 'sessions', 'purchases', 'credits') then
    raise exception 'rollup_mark: unknown source %', p_source;
  end if;
  if p_source <> 'credits' then
    insert into rollup_dirty (source, site_id, bucket)
    select distinct p_source, m.s, rollup_hour(m.t)
    from unnest(p_sites, p_times) m(s, t) where m.s is not null and m.t is not null;
  end if;
  insert into day_rollup_dirty (site_id, bucket)
  select distinct m.s, rollup_hour(m.t)
  from unnest(p_sites, p_times) m(s, t) where m.s is not null and m.t is not null;
end $$;

create or replace function rollup_mark_site(p_site bigint) returns void language plpgsql as $$
begin
  insert into rollup_dirty (source, site_id, bucket)
  select distinct 'events', site_id, rollup_hour(ts) from events where site_id = p_site
  union
  select distinct 'sessions', site_id, rollup_hour(started_at) from sessions
  where site_id = p_site
  union
  select distinct 'purchases', site_id, rollup_hour(ts) from purchases where site_id = p_site;
  insert into day_rollup_dirty (site_id, bucket)
  select distinct site_id, bucket from rollup_dirty where site_id = p_site;
end $$;
