-- Account flows: one-time links (email verification, password reset), team invites, the org a
-- user is working in, onboarding progress, and sites waiting for their raw data to be purged.

-- Links we email. Only a hash of the token is stored; a link works once and until expires_at.
create table auth_tokens (
  id bigint generated always as identity primary key,
  user_id bigint not null references users (id) on delete cascade,
  kind text not null check (kind in ('verify_email', 'reset_password')),
  token_hash text not null unique,
  -- The address a verification link was sent to; a link for an old address verifies nothing.
  email text not null default '',
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index auth_tokens_user on auth_tokens (user_id, kind);

create table invites (
  id bigint generated always as identity primary key,
  org_id bigint not null references orgs (id) on delete cascade,
  email text not null,
  email_normalized text not null,
  role text not null check (role in ('admin', 'member', 'viewer')),
  token_hash text not null unique,
  invited_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  accepted_at timestamptz,
  revoked_at timestamptz
);
create index invites_org on invites (org_id);
-- One open invite per address and org: inviting again refreshes it.
create unique index invites_open on invites (org_id, email_normalized)
  where accepted_at is null and revoked_at is null;

alter table users add column current_org_id bigint references orgs (id) on delete set null;
-- Onboarding flags that no other table can answer (e.g. "skipped revenue", "saw dashboard").
alter table users add column onboarding jsonb not null default '{}';

-- A deleted site's rows in events, sessions, purchases… are removed by a job, in batches.
create table deleted_sites (
  site_id bigint primary key,
  org_id bigint not null,
  deleted_at timestamptz not null default now(),
  purged_at timestamptz
);

-- Mail delivery retries with backoff; several instances claim different rows.
alter table email_outbox add column next_attempt_at timestamptz not null default now();
create index email_outbox_pending on email_outbox (next_attempt_at) where sent_at is null;
