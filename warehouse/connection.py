"""Opening the warehouse (a DuckLake, or a plain DuckDB file) and transactions that meet another writer."""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from warehouse import lake
from warehouse.lock import WarehouseBusy, process_command


def utcnow() -> datetime:
    return datetime.now(UTC)


_CONNECT_LOCK = threading.Lock()


@contextmanager
def connect(
    path: Path, read_only: bool = False, wait_seconds: float = 60.0, snapshot: int | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse: its DuckLake attached and in use (so `marts.gap` means the lake's), or
    the plain DuckDB file, waiting (bounded) while another process holds that file. `snapshot`: a
    DuckLake snapshot id to read the warehouse as it was then (read-only)."""
    if not lake.is_plain(path):
        con = lake.open_lake(lake.lake_for(path), read_only=read_only or snapshot is not None, snapshot=snapshot)
        try:
            yield con
        finally:
            con.close()
        return
    if snapshot is not None:
        raise ValueError(f"{path} is a plain DuckDB file: it keeps no snapshots to travel to (use a DuckLake)")
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `aigap run` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        try:
            with _CONNECT_LOCK:  # DuckDB fails when one thread opens a file while another closes it
                con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                found = re.search(r"PID (\d+)", str(exc))
                pid = int(found.group(1)) if found else None
                command = process_command(pid) if pid else ""
                holder = f"PID {pid}" + (f" ({command!r})" if command else "") if pid else "another process"
                raise WarehouseBusy(
                    f"the warehouse file {path} is locked by {holder}: a DuckDB file admits one writer or "
                    "readers, never both, so an open session (even `duckdb -readonly`) blocks a run. "
                    "Close it and run again."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    try:
        yield con
    finally:
        with _CONNECT_LOCK:
            con.close()


# Data fixes that follow a migration (Python, because they apply a rule declared here).


def is_lake(con) -> bool:
    """Whether `con` works in a DuckLake (by the database's type: a plain file may be named anything)."""
    found = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return found is not None and found[0] == "ducklake"


# DuckLake holds no PRIMARY KEY, UNIQUE or CHECK constraint. What they guarded is kept otherwise:
# meta.loads' one row per load_id by LEDGER_GUARD (warehouse/ledger.py); meta.runs and meta.feed_validators by

# --- transactions that meet another writer ------------------------------------------------------
#
# In a DuckLake several processes write at once, each in its own snapshot. A commit that meets
# another's conflicting commit (both changed one table's rows: DuckLake tells at commit; or SQLite
# refused a stale writer: "database is locked") fails as a whole, changing nothing: the transaction
# is then run again from the start, on the newer state, until COMMIT_RETRY_SECONDS have passed.
COMMIT_RETRY_SECONDS = 300.0
_CONFLICT_WORDS = ("conflict", "database is locked", "could not serialize", "busy", "deadlock")


def is_conflict(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and any(word in text for word in _CONFLICT_WORDS)


def in_transaction(con, body, retry_seconds: float | None = None):
    """Run `body()` in one transaction and commit it; on a commit conflict with another writer, run it
    again (with a randomised, growing pause) until it commits or `retry_seconds` have passed."""
    deadline = time.monotonic() + (COMMIT_RETRY_SECONDS if retry_seconds is None else retry_seconds)
    pause = 0.05
    while True:
        con.execute("BEGIN TRANSACTION")
        try:
            result = body()
            con.execute("COMMIT")
            return result
        except Exception as exc:
            with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already ended the transaction
                con.execute("ROLLBACK")
            if not is_conflict(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 2.0)


# Every ledger write rewrites this one row (migration 008) in the same transaction as its checks and
# inserts. Two writers' transactions that both touched it cannot both commit (DuckLake refuses the
# second: a conflict), so "is this content already in the ledger?" and the insert that follows are
# atomic across processes and machines: the catalog keeps the ledger one row per load, not a lock.


def read_table(con, sql: str, params: list | None = None) -> pl.DataFrame:
    return con.execute(sql, params or []).pl()
