"""The warehouse's own tables: the load ledger, run records and what the marts were built from. (common/contracts.py)."""

from __future__ import annotations

from common.contracts import Column, Table

FEED_VALIDATORS = Table(
    "meta.feed_validators",
    "ledger",
    "The last content fetched from each feed URL with its ETag / Last-Modified, sent back on the next fetch (conditional GET): a 304 Not Modified reuses the raw file at raw_path and costs no download.",
    (
        Column("source", "VARCHAR", nullable=False),
        Column("url", "VARCHAR", nullable=False),
        Column("etag", "VARCHAR"),
        Column(
            "last_modified",
            "VARCHAR",
            doc="The server's Last-Modified, sent back as If-Modified-Since: metadata for conditional GET, never a date of the data.",
        ),
        Column(
            "first_fetched",
            "DATE",
            nullable=False,
            doc='The day this content was first retrieved from the URL: the edition of a funding feed URL whose path names none ("retrieved on").',
        ),
        Column("content_sha256", "VARCHAR", nullable=False),
        Column("raw_path", "VARCHAR", nullable=False),
        Column("fetched_at", "TIMESTAMP WITH TIME ZONE", nullable=False),
    ),
    grain=("source", "url"),
)

FILE_STATS = Table(
    "meta.file_stats",
    "ledger",
    "Each local snapshot file as last read (path, size, mtime, sha256 of its bytes): a file unchanged since is recognised as known content without reading it. Delete a row (or touch the file) to have it read again.",
    (
        Column("source", "VARCHAR", nullable=False),
        Column("snapshot_key", "VARCHAR", nullable=False),
        Column("path", "VARCHAR", nullable=False),
        Column("size", "BIGINT", nullable=False),
        Column("mtime_ns", "BIGINT", nullable=False),
        Column("content_sha256", "VARCHAR", nullable=False),
        Column("read_at", "TIMESTAMP WITH TIME ZONE", nullable=False),
    ),
    grain=("source", "snapshot_key", "path"),
)

LEDGER_GUARD = Table(
    "meta.ledger_guard",
    "ledger",
    "Internal: one row that every write to meta.loads rewrites (unchanged), so that concurrent writers conflict instead of recording one load twice. Its value means nothing.",
    (Column("guard", "BOOLEAN", nullable=False),),
    seed=((True,),),
)

LOADS = Table(
    "meta.loads",
    "ledger",
    "Load ledger: one row per load (source, snapshot_key, content; a content published again after a revert gets a new load_id ending #2, #3 ...). published = its rows are in core.* and count; superseded = replaced by later accepted content for the same snapshot (same key, or same leaderboard and date, or same funding figures): its rows were removed from every core table in the transaction that published superseded_by; quarantined = held back (failed the gate, could not be parsed, or two contents claimed one snapshot in one run), raw bytes kept at raw_path, reasons says why; skipped = the same bytes as an already published load.",
    (
        Column("load_id", "VARCHAR", nullable=False),
        Column("source", "VARCHAR", nullable=False),
        Column("snapshot_key", "VARCHAR", nullable=False),
        Column(
            "snapshot_date",
            "DATE",
            doc="The date of the data, from the data: a file or folder name, a URL path, a Hub commit, the content (arena-daily meta.fetched_at), a funding edition. Never the clock nor an HTTP Last-Modified.",
        ),
        Column("content_sha256", "VARCHAR", nullable=False),
        Column(
            "status", "VARCHAR", nullable=False, check="status IN ('published', 'quarantined', 'skipped', 'superseded')"
        ),
        Column("rows_in", "BIGINT"),
        Column("rows_published", "BIGINT"),
        Column(
            "reasons",
            "VARCHAR",
            doc="JSON list of failed checks: check, column, reason (one line), unexpected_count, sample (offending rows).",
        ),
        Column("details", "VARCHAR"),
        Column(
            "raw_path",
            "VARCHAR",
            doc="Immutable raw bytes, relative to the folder of the warehouse file; name ends with the sha256 of the content.",
        ),
        Column("flow_run_id", "VARCHAR"),
        Column("started_at", "TIMESTAMP WITH TIME ZONE", nullable=False),
        Column("finished_at", "TIMESTAMP WITH TIME ZONE", nullable=False),
        Column(
            "superseded_by",
            "VARCHAR",
            doc="The load_id of the load that replaced this one (status superseded); NULL otherwise.",
        ),
        Column("superseded_at", "TIMESTAMP WITH TIME ZONE", doc="When this load was superseded."),
    ),
    grain=("load_id",),
)

MARTS_LOADS = Table(
    "meta.marts_loads",
    "ledger",
    "The published loads the marts reflect (one row per load and the core table holding its rows), replaced with every marts refresh. A load published since, or one superseded since, is what the next refresh recomputes.",
    (
        Column("load_id", "VARCHAR", nullable=False),
        Column("core_table", "VARCHAR", nullable=False),
    ),
    grain=("load_id",),
)

MARTS_REFRESHES = Table(
    "meta.marts_refreshes",
    "ledger",
    "One row per marts refresh that wrote the marts: full or incremental, why, and the fingerprint of every input besides the core tables (the latest row is what the marts were built with; a changed fingerprint means a full rebuild). The run record in meta.runs carries the same under summary.marts.",
    (
        Column("refreshed_at", "TIMESTAMP WITH TIME ZONE", nullable=False),
        Column("mode", "VARCHAR", nullable=False),
        Column("reason", "VARCHAR", nullable=False),
        Column("fingerprint", "VARCHAR", nullable=False),
        Column("inputs", "VARCHAR", nullable=False),
        Column("loads_added", "INTEGER", nullable=False),
        Column("loads_removed", "INTEGER", nullable=False),
        Column("snapshots", "INTEGER", nullable=False),
        Column("tables", "VARCHAR", nullable=False),
    ),
)

MIGRATIONS = Table(
    "meta.migrations",
    "ledger",
    "The data moves applied to this warehouse (warehouse/migrations), and the baseline 001-009 its contracts start from.",
    (
        Column("name", "VARCHAR", nullable=False),
        Column("applied_at", "TIMESTAMP WITH TIME ZONE", nullable=False),
    ),
    grain=("name",),
)

RUNS = Table(
    "meta.runs",
    "ledger",
    "One row per pipeline run (the Prefect flow run id), with its summary as JSON. The only table a run that finds nothing new still writes to.",
    (
        Column("run_id", "VARCHAR", nullable=False),
        Column("started_at", "TIMESTAMP WITH TIME ZONE", nullable=False),
        Column("finished_at", "TIMESTAMP WITH TIME ZONE"),
        Column("state", "VARCHAR", nullable=False),
        Column("summary", "VARCHAR"),
    ),
    grain=("run_id",),
)

CONTRACTS_APPLIED = Table(
    "meta.contracts_applied",
    "ledger",
    "Each time the warehouse was brought to its table contracts (warehouse/schema.py): the digest of every contract. The latest row is the schema it has.",
    (
        Column("digest", "VARCHAR", nullable=False, doc="sha256 of every table and view contract."),
        Column("applied_at", "TIMESTAMP WITH TIME ZONE", nullable=False),
    ),
)

CONTRACTS = (
    CONTRACTS_APPLIED,
    FEED_VALIDATORS,
    FILE_STATS,
    LEDGER_GUARD,
    LOADS,
    MARTS_LOADS,
    MARTS_REFRESHES,
    MIGRATIONS,
    RUNS,
)
