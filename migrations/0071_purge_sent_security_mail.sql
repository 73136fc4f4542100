-- Delivered mail with secret links (reset, invite, verify) kept its body for ever; the mailer now
-- empties it on delivery, and this empties what was already sent. Who, what kind and when stay.
update email_outbox set html = '', text = ''
where sent_at is not null and kind in ('reset_password', 'invite', 'verify_email', 'login_alert');
