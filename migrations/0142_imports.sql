-- Imports of another tool's CSV export (Plausible, Umami): the file is kept until processed so
-- an import survives a restart, and progress is counted in rows.
create table site_imports (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  filename text not null,
  -- plausible | umami | generic
  format text not null,
  -- queued | running | done | failed
  status text not null default 'queued',
  total_rows int not null,
  done_rows int not null default 0,
  events int not null default 0,
  error text not null default '',
  -- Emptied once processed.
  body text not null,
  created_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now(),
  finished_at timestamptz
);
create index site_imports_site on site_imports (site_id, created_at desc);
create index site_imports_pending on site_imports (created_at) where status in ('queued', 'running');
