-- When a job that should run once per interval across all instances last ran (jobs/turns.ts).
-- Instances start at different times, so a lock held only while running would still let each
-- of them run the job once per interval; the row says whose turn it was.
create table job_turns (
  name text primary key,
  ran_at timestamptz not null
);
