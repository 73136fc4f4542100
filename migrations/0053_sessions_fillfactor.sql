-- A session row is updated several times while its visit goes on (page count, exit page,
-- duration). Leaving a third of each page free lets PostgreSQL make those updates in place
-- (heap-only tuples) instead of adding a new entry to each of the table's three indexes; that
-- halved the cost of the ingest writer's session upsert. Rows written before this keep their
-- packed pages until they are rewritten.
alter table sessions set (fillfactor = 70);
