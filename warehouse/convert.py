"""`aigap migrate`: a warehouse built as a plain DuckDB file becomes a DuckLake, whole.

The file is first brought to the current schema (the migrations a run would apply), then every
table of meta / core / marts is copied into the lake in ONE transaction (a failure leaves the lake
as it was), and the copy is checked table by table (same row count). The raw landing is kept: the
ledger's raw_path is relative to the warehouse folder, so a lake in another folder gets a copy of
the raw folder. The DuckDB file is left in place (delete it once satisfied).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from common.settings import raw_dir
from warehouse import connection, lake, publishing, schema

SCHEMAS = ("meta", "core", "marts")
OWN_TABLES = {"meta.migrations", "meta.ledger_guard"}  # the lake keeps its own


@dataclass(frozen=True)
class Converted:
    tables: dict[str, int]  # table -> rows copied
    raw_files: int  # raw files copied to the lake's folder (0 when it is the same folder)


def convert(source: Path, target: Path) -> Converted:
    if not lake.is_plain(source) or not source.exists():
        raise FileNotFoundError(f"no DuckDB warehouse file at {source}")
    if lake.is_plain(target):
        raise ValueError(f"{target} ends in .duckdb: name the lake's catalog (e.g. warehouse/aigap.ducklake)")
    with connection.connect(source) as con:
        schema.migrate(con)  # the file at the current schema, as its next run would leave it
    with connection.connect(target) as con:
        schema.migrate(con)
        con.execute(f"ATTACH {lake.quote(str(source))} AS old (READ_ONLY)")
        tables = [
            f"{schema}.{name}"
            for schema, name in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = 'old' "
                "AND table_type = 'BASE TABLE' AND list_contains(?, table_schema) ORDER BY 1, 2",
                [list(SCHEMAS)],
            ).fetchall()
            if f"{schema}.{name}" not in OWN_TABLES
        ]

        def copy() -> dict[str, int]:
            counts = {}
            for table in tables:
                con.execute(f"DELETE FROM {table}")
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM old.{table}")
                copied = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                expected = con.execute(f"SELECT count(*) FROM old.{table}").fetchone()[0]
                if copied != expected:
                    raise publishing.PublishMismatch(f"{table}: copied {copied} rows of {expected}; nothing converted")
                counts[table] = copied
            return counts

        counts = connection.in_transaction(con, copy)
        con.execute("DETACH old")
    raw_files = 0
    old_raw, new_raw = raw_dir(source), raw_dir(target)
    if old_raw.exists() and old_raw.resolve() != new_raw.resolve():
        shutil.copytree(old_raw, new_raw, dirs_exist_ok=True)
        raw_files = sum(1 for p in new_raw.rglob("*") if p.is_file())
    return Converted(counts, raw_files)
