-- Custom alert rules carry a name people gave them ("YouTube traffic"); built-in rules keep ''.
alter table alert_rules add column name text not null default '';
