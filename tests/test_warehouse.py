"""Landing, migrations, transactional publish and lock handling, on tmp_path warehouses."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date

import polars as pl
import pytest

from warehouse.connection import connect, utcnow
from warehouse.landing import land, sha256_of
from warehouse.ledger import LedgerRow
from warehouse.lock import WarehouseBusy
from warehouse.publishing import PublishMismatch, publish
from warehouse.schema import BASELINE, MIGRATIONS_DIR, STATE_SQL, digest, migrate


def ledger_row(load_id="s:k@abc", rows=2, status="published", key="k"):
    now = utcnow()
    return LedgerRow(
        load_id=load_id, source="s", snapshot_key=key, snapshot_date=date(2024, 1, 1), content_sha256="abc",
        status=status, rows_in=rows, rows_published=rows, reasons=None, details=None, raw_path=None,
        flow_run_id=None, started_at=now, finished_at=now,
    )  # fmt: skip


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        migrate(connection)
        connection.execute(
            "CREATE TABLE core.things (load_id VARCHAR, source VARCHAR, snapshot_key VARCHAR, snapshot_date DATE, "
            "value INTEGER)"
        )
        yield connection


def frame(load_id="s:k@abc", values=(1, 2), day=date(2024, 1, 1)):
    return pl.DataFrame(
        {"load_id": load_id, "source": "s", "snapshot_key": "k", "snapshot_date": day, "value": list(values)}
    )


def test_landing_is_content_addressed_and_read_only(tmp_path):
    first = land(tmp_path, "src", "scraped/2024-07-13.csv", b"a,b\n1,2\n")
    again = land(tmp_path, "src", "scraped/2024-07-13.csv", b"a,b\n1,2\n")
    other = land(tmp_path, "src", "scraped/2024-07-13.csv", b"a,b\n1,3\n")
    assert first.path == again.path and first.sha256 == sha256_of(b"a,b\n1,2\n")
    assert first.sha256 in first.path.name and first.path.name.startswith("scraped_2024-07-13.")
    assert other.path != first.path and first.path.read_bytes() == b"a,b\n1,2\n"
    assert not first.path.stat().st_mode & 0o222


def test_migrations_apply_once(tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        data_moves = sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql"))
        assert migrate(connection) == [*BASELINE, f"contracts@{digest()[:12]}", *data_moves]
        assert migrate(connection) == []
        schemas = {r[0] for r in connection.execute("SELECT schema_name FROM information_schema.schemata").fetchall()}
        assert {"meta", "core", "marts"} <= schemas


class CountingConnection:
    """A connection that records the SQL it is given."""

    def __init__(self, con):
        self.con, self.sql = con, []

    def execute(self, sql, *args):
        self.sql.append(sql)
        return self.con.execute(sql, *args)


def test_a_warehouse_at_the_current_schema_costs_one_query(tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        migrate(connection)
        counting = CountingConnection(connection)
        assert migrate(counting) == []
        assert counting.sql == [STATE_SQL]  # no transaction, no query per file


def test_publish_replaces_the_snapshot_and_writes_the_ledger(con):
    publish(con, "core.things", frame(), ledger_row())
    publish(con, "core.things", frame("s:k@def", (7, 8, 9)), ledger_row("s:k@def", rows=3))
    assert con.execute("SELECT list(value ORDER BY value) FROM core.things").fetchone()[0] == [7, 8, 9]
    statuses = dict(con.execute("SELECT load_id, status FROM meta.loads").fetchall())
    assert statuses == {"s:k@abc": "superseded", "s:k@def": "published"}


def test_publish_rolls_back_when_rows_written_differ_from_rows_validated(con):
    publish(con, "core.things", frame(), ledger_row())
    with pytest.raises(PublishMismatch):
        publish(con, "core.things", frame("s:k@def", (7, 8, 9)), ledger_row("s:k@def", rows=2))
    assert con.execute("SELECT list(value ORDER BY value) FROM core.things").fetchone()[0] == [1, 2]
    assert con.execute("SELECT count(*) FROM meta.loads WHERE status = 'published'").fetchone()[0] == 1


def test_a_locked_warehouse_gives_a_clear_error(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(path)!r})
            print("locked", flush=True)
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseBusy) as busy, connect(path, wait_seconds=1):
            pass
        # the holder named truthfully: its PID and its command line
        assert f"locked by PID {holder.pid} (" in str(busy.value) and "duckdb.connect" in str(busy.value)
    finally:
        holder.kill()
        holder.wait()


def test_publish_keeping_editions_replaces_only_the_same_date(con):
    def dated(load_id, day, values):
        row = ledger_row(load_id, rows=len(values))
        return frame(load_id, values, day), LedgerRow(**{**row.__dict__, "snapshot_date": day})

    publish(con, "core.things", *dated("s:k@e1", date(2025, 4, 1), (1, 2)), replaces_key=False)
    publish(con, "core.things", *dated("s:k@e2", date(2026, 4, 1), (3, 4)), replaces_key=False)
    publish(con, "core.things", *dated("s:k@e2b", date(2026, 4, 1), (5,)), replaces_key=False)
    assert con.execute("SELECT list(value ORDER BY value) FROM core.things").fetchone()[0] == [1, 2, 5]
    statuses = dict(con.execute("SELECT load_id, status FROM meta.loads").fetchall())
    assert statuses == {"s:k@e1": "published", "s:k@e2": "superseded", "s:k@e2b": "published"}
