-- What the marts were last computed from, written in the same transaction as the marts
-- (engine/marts.py): a crash between publishing a load and refreshing the marts is caught up by the
-- next run, and a run that finds nothing new and unchanged inputs leaves the marts alone.

CREATE TABLE meta.marts_loads (
    load_id     VARCHAR PRIMARY KEY,
    core_table  VARCHAR NOT NULL
);
COMMENT ON TABLE meta.marts_loads IS 'The published loads the marts reflect (one row per load and the core table holding its rows), replaced with every marts refresh. A load published since, or one superseded since, is what the next refresh recomputes.';

CREATE TABLE meta.marts_refreshes (
    refreshed_at  TIMESTAMPTZ NOT NULL,
    mode          VARCHAR NOT NULL,   -- full | incremental
    reason        VARCHAR NOT NULL,   -- why, as the log said it
    fingerprint   VARCHAR NOT NULL,   -- sha256 over every input below
    inputs        VARCHAR NOT NULL,   -- JSON: input -> sha256 (registry, lineage and override CSVs, funding provenance, gap pairs, code)
    loads_added   INTEGER NOT NULL,
    loads_removed INTEGER NOT NULL,
    snapshots     INTEGER NOT NULL,   -- leaderboard snapshots recomputed
    tables        VARCHAR NOT NULL    -- JSON: table -> rows written
);
COMMENT ON TABLE meta.marts_refreshes IS 'One row per marts refresh that wrote the marts: full or incremental, why, and the fingerprint of every input besides the core tables (the latest row is what the marts were built with; a changed fingerprint means a full rebuild). The run record in meta.runs carries the same under summary.marts.';
