-- When a session's entry and exit pages were viewed. Session rows are upserted by several
-- writers from batches that can commit out of order; comparing these times (not the session's
-- end, which engagement and server events also move) keeps the first page as the entry page and
-- the last page as the exit page whatever the order.
alter table sessions add column entry_at timestamptz;
alter table sessions add column exit_at timestamptz;
