-- Extra headers a message carries (List-Unsubscribe and List-Unsubscribe-Post on reports and
-- alerts, so mail clients offer one-click unsubscribe).
alter table email_outbox add column headers jsonb not null default '{}'::jsonb;
