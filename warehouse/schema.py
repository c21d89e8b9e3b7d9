"""The warehouse's schema: every table and view as its contract declares it (common/contracts.py),
and the data moves that contracts cannot say (warehouse/migrations/NNN_*.sql).

`migrate` brings a warehouse to the contracts: it creates the schemas and every missing table,
adds a column a contract gained, sets every COMMENT and (re)creates the views, then applies the
data moves it has not seen, each in its own transaction (two workers migrating at once: one applies,
the other retries and finds it done). A warehouse already at the contracts costs one read: the
digest of the contracts it was last brought to is kept in meta.contracts_applied.

The numbered SQL migrations 001-009 of earlier releases built the schema by hand; they are the
BASELINE the contracts start from (their tables, columns and comments are the contracts'). A new
warehouse records them as applied. A warehouse that lacks one of 006-009 is brought forward (the
contracts add their tables and columns; 006's rename and its settling of loads published twice run
here); one that lacks an earlier one predates the contracts and is refused with what to do.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import asdict
from functools import cache
from pathlib import Path

import duckdb

from common.contracts import Table, View, sql_text
from warehouse.connection import in_transaction, is_lake, utcnow

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BASELINE = (
    "001_foundation.sql",
    "002_attribution_and_gap_marts.sql",
    "003_arena_hub.sql",
    "004_funding.sql",
    "005_lineage_lags_trends_provenance.sql",
    "006_which_load_counts.sql",
    "007_file_stats.sql",
    "008_incremental_marts.sql",
    "009_ledger_guard.sql",
)
# Of the baseline, what a warehouse of an earlier release may still lack and be brought forward
# from: their tables and columns come from the contracts; what the contracts cannot say, here.
UPGRADABLE = ("006_which_load_counts.sql", "007_file_stats.sql", "008_incremental_marts.sql", "009_ledger_guard.sql")
SCHEMAS = ("meta", "core", "marts")

# Every contract module, one row per place that declares tables (a new dataset adds its own). Each
# imports only common.contracts, so any layer may read them (tests/test_layers.py).
CONTRACT_MODULES = (
    "warehouse.contract",
    "datasets.open_llm.contract",
    "datasets.arena.contract",
    "datasets.funding.contract",
    "datasets.lmarena.contract",
    "datasets.artificial_analysis.contract",
    "attribution.contract",
    "marts.contract",
)


class SchemaRefused(RuntimeError):
    """The warehouse cannot be brought to the contracts without losing or guessing data."""


@cache
def contracts() -> tuple[Table | View, ...]:
    """Every table and view, in the order they are created (views after the tables they read)."""
    declared = [c for name in CONTRACT_MODULES for c in importlib.import_module(name).CONTRACTS]
    names = [c.name for c in declared]
    if len(set(names)) != len(names):
        raise ValueError(f"a table is declared twice: {sorted({n for n in names if names.count(n) > 1})}")
    return tuple(sorted(declared, key=lambda c: isinstance(c, View)))


def tables() -> dict[str, Table]:
    return {c.name: c for c in contracts() if isinstance(c, Table)}


def table(name: str) -> Table:
    return tables()[name]


@cache
def digest() -> str:
    """sha256 of every contract: a change to any means a warehouse must be reconciled again."""
    return hashlib.sha256(json.dumps([asdict(c) for c in contracts()], default=str).encode()).hexdigest()


# What a warehouse has seen, in one read: its data moves, and the contracts it was last brought to.
STATE_SQL = (
    "SELECT name FROM meta.migrations UNION ALL "
    "(SELECT 'contracts@' || digest FROM meta.contracts_applied ORDER BY applied_at DESC LIMIT 1)"
)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Bring the warehouse to the contracts, then apply the data moves it has not seen. Returns what
    was applied: the baseline (a new warehouse), `contracts@<digest>` when they changed anything, and
    each data move's file name. A warehouse at the current schema costs one read (STATE_SQL)."""
    seen = _seen(con)
    applied = _baseline(con, seen)
    upgrades = [name for name in UPGRADABLE if seen is not None and name not in seen]
    if upgrades or f"contracts@{digest()}" not in (seen or ()):
        in_transaction(con, lambda: _reconcile(con, upgrades))
        if f"contracts@{digest()}" not in (seen or ()):
            applied.append(f"contracts@{digest()[:12]}")
    if "006_which_load_counts.sql" in upgrades:
        from warehouse.publishing import settle_published_overlaps  # the rule lives there

        settle_published_overlaps(con)  # loads published twice for one identity before the rule existed
    applied += upgrades
    for sql_file in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if sql_file.name in (seen or ()):
            continue

        def apply(sql_file=sql_file) -> bool:
            # read again inside the transaction: another worker may have applied it since
            if con.execute("SELECT count(*) FROM meta.migrations WHERE name = ?", [sql_file.name]).fetchone()[0]:
                return False
            con.execute(sql_file.read_text())
            con.execute("INSERT INTO meta.migrations VALUES (?, ?)", [sql_file.name, utcnow()])
            return True

        if in_transaction(con, apply):
            applied.append(sql_file.name)
    return applied


def _seen(con) -> set[str] | None:
    """STATE_SQL's answer; None for a new warehouse (no meta.migrations)."""
    try:
        return {name for (name,) in con.execute(STATE_SQL).fetchall()}
    except duckdb.CatalogException:  # a new warehouse, or one from before the contracts
        try:
            return {name for (name,) in con.execute("SELECT name FROM meta.migrations").fetchall()}
        except duckdb.CatalogException:
            return None


def _baseline(con, seen: set[str] | None) -> list[str]:
    """A new warehouse records the baseline as applied; an old one must have all of it."""
    if seen is not None:
        missing = [name for name in BASELINE if name not in seen and name not in UPGRADABLE]
        if missing:
            raise SchemaRefused(
                f"this warehouse was made by an aigap older than its table contracts (it lacks the migrations "
                f"{', '.join(missing)}): build a new warehouse from the raw landing (docs/data-quality.md, "
                "'Rebuilding a warehouse')"
            )
        return []
    migrations = table("meta.migrations")

    def create() -> list[str]:
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        if con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'meta' AND table_name = 'migrations'"
        ).fetchone()[0]:
            return []  # another worker made it meanwhile
        con.execute(migrations.create_sql(constraints=not is_lake(con)))
        now = utcnow()
        con.executemany("INSERT INTO meta.migrations VALUES (?, ?)", [[name, now] for name in BASELINE])
        return list(BASELINE)

    return in_transaction(con, create)


def _reconcile(con, upgrades: list[str]) -> None:
    """Create what is missing, add the columns a contract gained, set comments and views. A column whose
    type differs from its contract is refused: changing it is a data move, written as a migration."""
    constraints = not is_lake(con)
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    live = _live_columns(con)
    if "006_which_load_counts.sql" in upgrades and "served_date" in live.get("meta.feed_validators", {}):
        con.execute("ALTER TABLE meta.feed_validators RENAME COLUMN served_date TO first_fetched")
        live = _live_columns(con)
    comments = _live_comments(con)
    for contract in contracts():
        if isinstance(contract, View):
            con.execute(f"CREATE OR REPLACE VIEW {contract.name} AS\n{contract.sql}")
            _comment(con, "VIEW", contract.name, contract.doc, comments)
            continue
        columns = live.get(contract.name)
        if columns is None:
            con.execute(contract.create_sql(constraints))
            for row in contract.seed:
                con.execute(f"INSERT INTO {contract.name} VALUES ({', '.join('?' * len(row))})", list(row))
            columns = {}
        for column in contract.columns:
            if column.name not in columns:
                if live.get(contract.name) is not None:
                    con.execute(f"ALTER TABLE {contract.name} ADD COLUMN {column.name} {column.type}")
            elif columns[column.name] != column.type:
                raise SchemaRefused(
                    f"{contract.name}.{column.name} is {columns[column.name]} in the warehouse but "
                    f"{column.type} in its contract: changing a type is a data move (warehouse/migrations)"
                )
        _comment(con, "TABLE", contract.name, contract.doc, comments)
        for column in contract.columns:
            _comment(con, "COLUMN", f"{contract.name}.{column.name}", column.doc, comments)
    con.execute("INSERT INTO meta.contracts_applied VALUES (?, ?)", [digest(), utcnow()])
    for name in upgrades:
        con.execute("INSERT INTO meta.migrations VALUES (?, ?)", [name, utcnow()])


def _comment(con, kind: str, name: str, doc: str | None, comments: dict[str, str | None]) -> None:
    # only where it differs: in a DuckLake every COMMENT is a change of the catalog
    if comments.get(name) != doc:
        con.execute(f"COMMENT ON {kind} {name} IS {sql_text(doc) if doc is not None else 'NULL'}")


def _live_columns(con) -> dict[str, dict[str, str]]:
    columns: dict[str, dict[str, str]] = {}
    for schema, name, column, data_type in con.execute(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name IN ('meta', 'core', 'marts') "
        "AND table_name IN (SELECT table_name FROM duckdb_tables() t WHERE t.database_name = current_database() "
        "AND t.schema_name = duckdb_columns.schema_name)"
    ).fetchall():
        columns.setdefault(f"{schema}.{name}", {})[column] = data_type
    return columns


def _live_comments(con) -> dict[str, str | None]:
    """The comment of every table, view and column, by name (`schema.table`, `schema.table.column`)."""
    rows = con.execute(
        "SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT schema_name || '.' || view_name, comment FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal "
        "UNION ALL SELECT schema_name || '.' || table_name || '.' || column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database()"
    ).fetchall()
    return dict(rows)
