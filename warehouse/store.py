"""The DuckDB warehouse: connections, migrations, the load ledger and transactional publishing.

DuckDB allows one read-write process per file. Writers hold the file only for short windows
(one publish), and a busy file gives a clear `WarehouseBusy` after a bounded wait instead of a
traceback. Everything that only reads opens the file read-only.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse file for writing."""


@dataclass(frozen=True)
class LedgerRow:
    load_id: str
    source: str
    snapshot_key: str
    snapshot_date: date | None
    content_sha256: str
    status: str
    rows_in: int | None
    rows_published: int | None
    reasons: list[dict] | None
    details: dict | None
    raw_path: str | None
    flow_run_id: str | None
    started_at: datetime
    finished_at: datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_load_id(source: str, snapshot_key: str, sha256: str) -> str:
    """Readable and traceable: which source, which snapshot, which content."""
    return f"{source}:{snapshot_key}@{sha256[:12]}"


@contextmanager
def connect(path: Path, read_only: bool = False, wait_seconds: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, waiting (bounded) while another writer holds it."""
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `aigap run` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                holder = re.search(r"PID (\d+)", str(exc))
                raise WarehouseBusy(
                    f"the warehouse {path} is locked by another process"
                    + (f" (PID {holder.group(1)})" if holder else "")
                    + ": another aigap run, or a duckdb session opened without -readonly. "
                    "Wait for it to finish, or open ad-hoc sessions with `duckdb -readonly`."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    try:
        yield con
    finally:
        con.close()


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the numbered SQL files in warehouse/migrations that this warehouse has not seen yet."""
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta.migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {r[0] for r in con.execute("SELECT name FROM meta.migrations").fetchall()}
    applied = []
    for sql_file in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if sql_file.name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql_file.read_text())
            con.execute("INSERT INTO meta.migrations VALUES (?, ?)", [sql_file.name, utcnow()])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(sql_file.name)
    return applied


# --- the ledger ---------------------------------------------------------------------------------


def find_load(con, source: str, snapshot_key: str, sha256: str) -> dict | None:
    """The ledger row for exactly this content under this key, if any."""
    row = con.execute(
        "SELECT load_id, status, finished_at FROM meta.loads "
        "WHERE source = ? AND snapshot_key = ? AND content_sha256 = ?",
        [source, snapshot_key, sha256],
    ).fetchone()
    return None if row is None else {"load_id": row[0], "status": row[1], "finished_at": row[2]}


def find_key(con, source: str, snapshot_key: str) -> dict | None:
    """The latest ledger row for this key whatever its content (for sources with immutable keys)."""
    row = con.execute(
        "SELECT load_id, status, finished_at FROM meta.loads WHERE source = ? AND snapshot_key = ? "
        "ORDER BY finished_at DESC LIMIT 1",
        [source, snapshot_key],
    ).fetchone()
    return None if row is None else {"load_id": row[0], "status": row[1], "finished_at": row[2]}


def find_published_content(con, source: str, sha256: str) -> str | None:
    """A published load of the same source with identical bytes (another key, same content)."""
    row = con.execute(
        "SELECT load_id FROM meta.loads WHERE source = ? AND content_sha256 = ? AND status = 'published'",
        [source, sha256],
    ).fetchone()
    return None if row is None else row[0]


def previous_published_rows(con, source: str, before: date, key_prefix: str = "") -> int | None:
    """Rows of the latest published snapshot of `source` dated before `before` (for the size check),
    among keys starting with `key_prefix` (one series of a source that publishes several)."""
    row = con.execute(
        "SELECT rows_published FROM meta.loads WHERE source = ? AND status = 'published' "
        "AND snapshot_date < ? AND starts_with(snapshot_key, ?) "
        "ORDER BY snapshot_date DESC, finished_at DESC LIMIT 1",
        [source, before, key_prefix],
    ).fetchone()
    return None if row is None else int(row[0])


def _insert_ledger(con, row: LedgerRow) -> None:
    values = asdict(row)
    values["reasons"] = None if row.reasons is None else json.dumps(row.reasons, default=str)
    values["details"] = None if row.details is None else json.dumps(row.details, default=str)
    columns = ", ".join(values)
    placeholders = ", ".join("?" for _ in values)
    con.execute(f"INSERT INTO meta.loads ({columns}) VALUES ({placeholders})", list(values.values()))


def record(con, row: LedgerRow) -> None:
    """Write a ledger row that publishes nothing (quarantined or skipped)."""
    con.execute("BEGIN TRANSACTION")
    try:
        _insert_ledger(con, row)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


class PublishMismatch(RuntimeError):
    """Rows written differ from rows validated; the transaction was rolled back."""


def publish(con, table: str, frame: pl.DataFrame, row: LedgerRow, same_date_only: bool = False) -> int:
    """Replace the snapshot's rows in `table` with `frame` and write the ledger row, atomically.

    Any earlier content published under the same (source, snapshot_key) is deleted and its ledger
    row marked superseded; with `same_date_only` (sources that keep editions) only content of the
    same key and snapshot date is, so a new edition is published next to the old ones. Raises
    PublishMismatch (and changes nothing) if the number of rows written is not the number validated.
    """
    replaced = "source = ? AND snapshot_key = ? AND status = 'published'"
    params: list = [row.source, row.snapshot_key]
    if same_date_only:
        replaced += " AND snapshot_date IS NOT DISTINCT FROM ?"
        params.append(row.snapshot_date)
    con.execute("BEGIN TRANSACTION")
    try:
        if same_date_only:
            con.execute(
                f"DELETE FROM {table} WHERE load_id IN (SELECT load_id FROM meta.loads WHERE {replaced})", params
            )
        else:
            con.execute(f"DELETE FROM {table} WHERE source = ? AND snapshot_key = ?", [row.source, row.snapshot_key])
        con.execute(f"UPDATE meta.loads SET status = 'superseded' WHERE {replaced}", params)
        con.register("staged_frame", frame.to_arrow())
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM staged_frame")
        con.unregister("staged_frame")
        written = con.execute(f"SELECT count(*) FROM {table} WHERE load_id = ?", [row.load_id]).fetchone()[0]
        if written != len(frame) or written != row.rows_published:
            raise PublishMismatch(f"{row.load_id}: wrote {written} rows, validated {len(frame)}; nothing was published")
        _insert_ledger(con, row)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return written


def replace_tables(con, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Replace the full contents of several tables in one transaction (used for marts)."""
    counts = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for table, frame in frames.items():
            con.execute(f"DELETE FROM {table}")
            if len(frame):
                con.register("staged_frame", frame.to_arrow())
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM staged_frame")
                con.unregister("staged_frame")
            counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if counts[table] != len(frame):
                raise PublishMismatch(f"{table}: wrote {counts[table]} rows, validated {len(frame)}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return counts


def feed_validators(con, source: str, url: str) -> dict | None:
    """What was fetched from `url` last time (ETag, Last-Modified, served date, raw file), if anything."""
    row = con.execute(
        "SELECT etag, last_modified, served_date, content_sha256, raw_path FROM meta.feed_validators "
        "WHERE source = ? AND url = ?",
        [source, url],
    ).fetchone()
    if row is None:
        return None
    return dict(zip(["etag", "last_modified", "served_date", "content_sha256", "raw_path"], row, strict=True))


def save_feed_validators(con, source: str, url: str, etag, last_modified, served_date, sha256, raw_path) -> None:
    con.execute(
        "INSERT OR REPLACE INTO meta.feed_validators VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [source, url, etag, last_modified, served_date, sha256, raw_path, utcnow()],
    )


def read_table(con, sql: str, params: list | None = None) -> pl.DataFrame:
    return con.execute(sql, params or []).pl()
