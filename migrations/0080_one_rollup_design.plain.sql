-- Plain PostgreSQL: one rollup design for every mode. TimescaleDB's hypertables cannot have
-- the statement triggers (with transition tables) that marked changed hours here, so the
-- writers mark them instead, through rollup_mark() (0081), in both modes: the path the tests
-- take is the one production takes.

drop trigger events_rollup_insert on events;
drop trigger events_rollup_update on events;
drop trigger events_rollup_delete on events;
drop trigger sessions_rollup_insert on sessions;
drop trigger sessions_rollup_update on sessions;
drop trigger sessions_rollup_delete on sessions;
drop trigger purchases_rollup_insert on purchases;
drop trigger purchases_rollup_update on purchases;
drop trigger purchases_rollup_delete on purchases;
drop trigger credits_rollup_insert on attribution_credits;
drop trigger credits_rollup_update on attribution_credits;
drop trigger credits_rollup_delete on attribution_credits;

drop function rollup_mark_events();
drop function rollup_mark_sessions();
drop function rollup_mark_purchases();
drop function rollup_mark_credits();
