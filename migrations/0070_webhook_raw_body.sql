-- A delivery whose body PostgreSQL text cannot hold (a NUL character) keeps its exact bytes here;
-- `body` then has the NULs replaced so the integrations page can still show it.
alter table webhook_deliveries add column raw_body bytea;
