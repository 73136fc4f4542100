-- Hypertables take no statement triggers with transition tables: sessions keep 0200's row
-- triggers here (see the .plain.sql twin).
select 1;
