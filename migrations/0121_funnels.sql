-- Saved funnels: 2–8 ordered steps a visit (or a person, within some days) goes through.
-- Like goals, results are computed at read time from events, so a funnel covers past data.
create table funnels (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  name text not null check (length(name) between 1 and 120),
  -- session: every step in one visit; days: within window_days of the first step, across a
  -- person's devices once identify() has linked them.
  window_kind text not null check (window_kind in ('session', 'days')),
  window_days int not null default 0 check (window_days between 0 and 90),
  -- No other step of the funnel may happen between two consecutive steps.
  strict boolean not null default false,
  -- [{kind: page|event|goal, path_pattern, path_regex, event_name, prop_key, prop_value,
  --   goal_id}], checked by analytics/funnels.ts.
  steps jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (site_id, name)
);

-- How far one visit or person got: given their step events sorted by time (an event matching
-- several steps appears once per step), the deepest chain 1, 2, … n where each step comes
-- strictly after the one before, all within `span` of the first (null: no limit), and — when
-- `strict` — no event of another step comes between two consecutive steps. A chain must start
-- before `starts_before` (later events only complete chains). For a fixed start, taking each
-- next step at its earliest occurrence is never worse, so each start is walked once; without a
-- span or strictness the first start is as good as any.
create function sextant_funnel_walk(
  steps int[], times timestamptz[], sessions uuid[], n int, span interval, strict boolean,
  starts_before timestamptz,
  out depth int, out step_times timestamptz[], out first_session uuid)
language plpgsql immutable parallel safe
as $$
declare
  len int := coalesce(array_length(steps, 1), 0);
  cur int;
  last timestamptz;
  t timestamptz[];
begin
  depth := 0;
  for i in 1..len loop
    continue when steps[i] <> 1 or times[i] >= starts_before;
    cur := 1;
    t := array[times[i]];
    last := times[i];
    for j in i + 1..len loop
      exit when span is not null and times[j] > times[i] + span;
      if steps[j] = cur + 1 and times[j] > last then
        cur := cur + 1;
        t := t || times[j];
        last := times[j];
        exit when cur = n;
      elsif strict and steps[j] <> cur and times[j] > last then
        exit;
      end if;
    end loop;
    if cur > depth then
      depth := cur;
      step_times := t;
      first_session := sessions[i];
    end if;
    exit when depth = n or (span is null and not strict);
  end loop;
end
$$;
