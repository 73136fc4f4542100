-- GDPR tools: a log of who erased or exported a visitor's data (never the person's id or email),
-- and webhook bodies that can be removed (erasure, 30-day retention) while the delivery's
-- metadata stays for the integrations page.
create table audit_log (
  id bigint generated always as identity primary key,
  org_id bigint not null,
  site_id bigint,
  -- privacy.erasure | privacy.export
  action text not null,
  -- Who: a signed-in user, or an API key (the user may since have gone; the entry stays).
  actor_user_id bigint references users (id) on delete set null,
  actor_api_key_id bigint references api_keys (id) on delete set null,
  -- Counts and the kind of identifier given — no personal data.
  details jsonb not null default '{}',
  created_at timestamptz not null default now()
);
create index audit_log_org_created on audit_log (org_id, created_at desc);

alter table webhook_deliveries alter column body drop not null;
alter table webhook_deliveries add column body_removed_at timestamptz;
-- The retention job looks for old bodies that are still there.
create index webhook_deliveries_body_kept on webhook_deliveries (received_at)
  where body is not null;
