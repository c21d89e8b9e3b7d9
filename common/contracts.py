"""Table contracts: each table of the warehouse declared once, with its columns (type, nullability,
doc), its grain and kind, from which the DDL and COMMENTs (warehouse/schema.py), the polars schemas
of the parsers, the mart column lists and the incremental plan are derived. tests/test_contracts.py
holds the live `information_schema` (and every comment) against them.

Where contracts live: a dataset's core tables in `datasets/<family>/contract.py`, the attribution
tables in `attribution/contract.py`, the leaderboard marts in `marts/contract.py`, the ledger and run
records in `warehouse/contract.py`. `warehouse.schema.CONTRACTS` gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

# DuckDB type -> the polars type a frame of that table holds
POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.Utf8,
    "DATE": pl.Date,
    "DOUBLE": pl.Float64,
    "BIGINT": pl.Int64,
    "INTEGER": pl.Int32,
    "BOOLEAN": pl.Boolean,
    "TIMESTAMP WITH TIME ZONE": pl.Datetime("us", "UTC"),
}

# How a mart is recomputed (engine/marts.py): the rows of the snapshots recomputed (a row depends on
# its own snapshot only); the rows of the leaderboards recomputed (the row follows a whole series);
# or the whole table.
# The columns every core table's rows carry from their load (meta.loads); a parser's frame lacks them.
LOAD_COLUMNS = ("load_id", "source", "snapshot_key", "snapshot_date")

# A leaderboard's core table holds one board per snapshot date: its identity is the date.
BOARD_IDENTITY = ("snapshot_date",)

KINDS = ("ledger", "core", "per snapshot", "per series", "whole")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as DuckDB names it (information_schema.columns.data_type)
    nullable: bool = True
    doc: str | None = None  # the column's COMMENT
    check: str | None = None  # a CHECK constraint, where the catalog can hold one (not in a DuckLake)


@dataclass(frozen=True)
class Table:
    name: str  # schema.table
    kind: str  # one of KINDS
    doc: str  # the table's COMMENT
    columns: tuple[Column, ...]
    grain: tuple[str, ...] = ()  # what one row is (a primary key where the catalog can hold one)
    # a core table: what a row reports, of which one load counts (warehouse/publishing.py, "which load counts")
    identity: tuple[str, ...] = ()
    seed: tuple[tuple, ...] = ()  # rows a new table starts with

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind {self.kind!r} is not one of {KINDS}")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names) or not set(self.grain) | set(self.identity) <= set(names):
            raise ValueError(f"{self.name}: repeated columns or a grain outside its columns")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def polars_schema(self, without: tuple[str, ...] = ()) -> dict[str, pl.DataType]:
        return {c.name: POLARS_TYPES[c.type] for c in self.columns if c.name not in without}

    def create_sql(self, constraints: bool) -> str:
        """CREATE TABLE in the contract's final shape; `constraints` False for a DuckLake (no keys or
        checks there)."""
        lines = []
        for c in self.columns:
            line = f"{c.name} {c.type}" + ("" if c.nullable else " NOT NULL")
            if constraints and c.check:
                line += f" CHECK ({c.check})"
            lines.append(line)
        if constraints and self.grain:
            lines.append(f"PRIMARY KEY ({', '.join(self.grain)})")
        return f"CREATE TABLE {self.name} (\n    " + ",\n    ".join(lines) + "\n)"


@dataclass(frozen=True)
class View:
    name: str
    doc: str
    sql: str  # the SELECT

    kind: str = field(default="view", init=False)


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
