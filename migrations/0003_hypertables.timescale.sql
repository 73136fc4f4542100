-- TimescaleDB: raw tables become hypertables (1-day chunks), compressed after a week.
-- Raw rows older than five years are dropped (the most a site's retention setting allows);
-- shorter per-site retention is applied by the retention job. Purchases are kept: they are money.

select create_hypertable('events', by_range('ts', interval '1 day'));
select create_hypertable('sessions', by_range('started_at', interval '1 day'));
select create_hypertable('purchases', by_range('ts', interval '30 days'));

alter table events set (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'site_id',
  timescaledb.compress_orderby = 'ts desc'
);
select add_compression_policy('events', compress_after => interval '7 days');

alter table sessions set (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'site_id',
  timescaledb.compress_orderby = 'started_at desc'
);
select add_compression_policy('sessions', compress_after => interval '7 days');

select add_retention_policy('events', drop_after => interval '5 years');
select add_retention_policy('sessions', drop_after => interval '5 years');
