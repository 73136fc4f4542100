-- TimescaleDB: heatmap clicks become a hypertable like events (1-day chunks, five-year ceiling).
select create_hypertable('heatmap_clicks', by_range('ts', interval '1 day'));
select add_retention_policy('heatmap_clicks', drop_after => interval '5 years');
