-- The ledger guard: one row every ledger write changes in its own transaction (warehouse/store.py,
-- LEDGER_GUARD). Two runs that check "is this content known?" and then record it cannot both commit:
-- in a DuckLake shared by several workers, the catalog refuses the second commit, which is then run
-- again and finds the content recorded. This keeps meta.loads one row per load without a lock.
CREATE TABLE meta.ledger_guard (writes BIGINT NOT NULL);
INSERT INTO meta.ledger_guard VALUES (0);
COMMENT ON TABLE meta.ledger_guard IS 'Internal: one row, changed by every write to meta.loads so that concurrent writers conflict instead of recording one load twice. Its value (how many ledger writes) means nothing else.';
