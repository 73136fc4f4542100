-- Saved customer segments: a rule (match all/any of conditions, one level of groups) per site.
create table customer_segments (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  name text not null check (length(name) between 1 and 80),
  -- See customers/segments.ts (SegmentRule); checked there before it is stored.
  rule jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index customer_segments_site on customer_segments (site_id, lower(name));

