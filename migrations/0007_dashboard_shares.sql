-- Public read-only links to a site's dashboard. The token is a capability: we keep its hash for
-- lookups and an encrypted copy so the owner can copy the link again.
create table dashboard_shares (
  id bigint generated always as identity primary key,
  site_id bigint not null references sites (id) on delete cascade,
  token_hash text not null unique,
  token_sealed text not null,
  label text not null default '',
  password_hash text,
  expires_at timestamptz,
  revoked_at timestamptz,
  created_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now()
);
create index dashboard_shares_site on dashboard_shares (site_id);
