-- Plain PostgreSQL: the raw tables stay ordinary tables. The five-year ceiling on raw rows that
-- TimescaleDB enforces with a retention policy is applied here by the retention job.
select 1;
