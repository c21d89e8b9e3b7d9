-- The ledger guard: one row every ledger write rewrites, unchanged, in its own transaction
-- (warehouse/store.py, LEDGER_GUARD). Two runs that check "is this content known?" and then record
-- it cannot both commit: in a DuckLake shared by several workers the catalog refuses the second
-- commit (both rewrote this row), which is then run again and finds the content recorded. This keeps
-- meta.loads one row per load without a lock. The row's value never changes.
CREATE TABLE meta.ledger_guard (guard BOOLEAN NOT NULL);
INSERT INTO meta.ledger_guard VALUES (true);
COMMENT ON TABLE meta.ledger_guard IS 'Internal: one row that every write to meta.loads rewrites (unchanged), so that concurrent writers conflict instead of recording one load twice. Its value means nothing.';
