-- A running import says it is alive after every chunk; one whose instance died (no heartbeat for
-- a while) is picked up again by the imports job and resumed from its saved progress.
alter table site_imports add column heartbeat_at timestamptz;
