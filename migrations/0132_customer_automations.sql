-- Automations: when something happens to a customer (trigger), and they match the conditions (a
-- segment rule), do the actions. Each run of an action set is recorded once per trigger event.
create table customer_automations (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  name text not null check (length(name) between 1 and 80),
  enabled boolean not null default true,
  -- See customers/automations.ts: {"kind": "purchase" | … , "days"?, "segmentId"?, "tagId"?}
  trigger jsonb not null,
  -- A segment rule the customer must match when the trigger fires.
  conditions jsonb not null,
  -- Actions in order; Slack URLs and webhook secrets are sealed (SecretBox).
  actions jsonb not null,
  -- Events before this are never acted on: an automation starts from when it was made or enabled.
  active_since timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index customer_automations_site on customer_automations (site_id, id);

-- One row per automation and trigger event: claiming it first is what keeps actions from running
-- twice, whichever instance sees the event.
create table customer_automation_runs (
  id bigint generated always as identity primary key,
  automation_id bigint not null references customer_automations (id) on delete cascade,
  site_id bigint not null,
  customer_id bigint references customers (id) on delete set null,
  trigger_key text not null,
  -- running | done | failed (some action failed)
  status text not null default 'running',
  -- One entry per action: {"action": "…", "ok": true|false, "detail": "…"}
  results jsonb not null default '[]',
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  unique (automation_id, trigger_key)
);
create index customer_automation_runs_history on customer_automation_runs (automation_id, id desc);

-- Who was in an "entered segment" automation's segment at its last look.
create table customer_automation_members (
  automation_id bigint not null references customer_automations (id) on delete cascade,
  customer_id bigint not null references customers (id) on delete cascade,
  primary key (automation_id, customer_id)
);

-- When an "entered segment" automation first recorded its segment's members (null: not yet).
alter table customer_automations add column segment_seen_at timestamptz;

-- When Sextant learned of each movement (its `ts` is when it happened on the platform), so an
-- automation acts on cancellations reported after it began, late or not.
alter table mrr_movements add column created_at timestamptz not null default now();
