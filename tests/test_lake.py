"""The DuckLake warehouse: migrations, readers that never block the writer, one ledger row per load
across processes, time travel, retention, `aigap sql`, and converting a DuckDB file."""

from __future__ import annotations

import csv
import io
import multiprocessing
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse import connection, history, lake, ledger, publishing, runs, schema

AIGAP = Path(sys.executable).with_name("aigap")


def ledger_row(load_id: str, rows: int, day: date = date(2024, 7, 1), source: str = "open-llm-v2-archive"):
    now = connection.utcnow()
    return ledger.LedgerRow(
        load_id, source, f"key-{load_id}", day, load_id.ljust(64, "0"), "published", rows, rows, None, None, None,
        None, now, now,
    )  # fmt: skip


def board(load_id: str, day: date, rows: int, source: str = "open-llm-v2-archive") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "load_id": [load_id] * rows,
            "source": [source] * rows,
            "snapshot_key": [f"key-{load_id}"] * rows,
            "snapshot_date": [day] * rows,
            "model_id": [f"org/model-{i}" for i in range(rows)],
            "average": [float(i) for i in range(rows)],
        }
    )


def publish(warehouse: Path, load_id: str, day: date, rows: int):
    with connection.connect(warehouse) as con:
        return publishing.publish(
            con, "core.open_llm_v2_entries", board(load_id, day, rows), ledger_row(load_id, rows, day)
        )


@pytest.fixture(scope="module")
def migrated_lake(tmp_path_factory) -> Path:
    """A lake with every migration applied, made once (migrating costs seconds), copied per test."""
    path = tmp_path_factory.mktemp("template") / "aigap.ducklake"
    with connection.connect(path) as con:
        schema.migrate(con)
    return path


@pytest.fixture
def warehouse(migrated_lake, tmp_path) -> Path:
    return copy_lake(migrated_lake, tmp_path / "w")


def copy_lake(migrated_lake: Path, folder: Path) -> Path:
    path = folder / "aigap.ducklake"
    path.parent.mkdir()
    for name in (migrated_lake.name, migrated_lake.name + "-wal"):  # the catalog and its write-ahead log
        if (migrated_lake.parent / name).exists():
            shutil.copy(migrated_lake.parent / name, path.parent / name)
    shutil.copytree(migrated_lake.with_name(migrated_lake.name + ".files"), path.with_name(path.name + ".files"))
    return path


# --- publishing a group of snapshots in one transaction ---------------------------------------------


def publication(load_id: str, day: date, rows: int, key: str | None = None) -> publishing.Publication:
    row = ledger_row(load_id, rows, day)
    if key is not None:
        row = ledger.LedgerRow(**{**row.__dict__, "snapshot_key": key})
    frame = board(load_id, day, rows).with_columns(pl.lit(row.snapshot_key).alias("snapshot_key"))
    return publishing.Publication("core.open_llm_v2_entries", frame, row)


def lake_commits(con) -> int:
    return con.execute(f"SELECT count(*) FROM {lake.ALIAS}.snapshots()").fetchone()[0]


def test_a_group_of_snapshots_is_published_in_one_lake_commit(warehouse):
    group = [publication(f"g{i}", date(2024, 8, 1) + timedelta(days=i), 3 + i) for i in range(6)]
    with connection.connect(warehouse) as con:
        before = lake_commits(con)
        done = publishing.publish_many(con, group)
        assert lake_commits(con) == before + 1
        assert done == [publishing.Published(3 + i, []) for i in range(6)]
        assert con.execute("SELECT count(*) FROM core.open_llm_v2_entries").fetchone()[0] == sum(range(3, 9))
        assert con.execute("SELECT load_id, status, rows_published FROM meta.loads ORDER BY 1").fetchall() == [
            (f"g{i}", "published", 3 + i) for i in range(6)
        ]


def _ledger_and_rows(con) -> tuple[list, list]:
    return (
        con.execute("SELECT load_id, status, superseded_by, rows_published FROM meta.loads ORDER BY 1").fetchall(),
        con.execute("SELECT load_id, count(*) FROM core.open_llm_v2_entries GROUP BY 1 ORDER BY 1").fetchall(),
    )


def test_a_group_supersedes_exactly_as_publishing_one_after_another(migrated_lake, tmp_path):
    earlier_run = [publication("a", date(2024, 7, 1), 3, "k-a"), publication("b", date(2024, 7, 2), 4, "k-b")]
    this_run = [
        publication("c", date(2024, 7, 1), 5, "k-c"),  # a's date: supersedes a (another run's)
        publication("d", date(2024, 7, 3), 2, "k-d"),
        publication("e", date(2024, 7, 4), 6, "k-b"),  # b's key: supersedes b
        publication("f", date(2024, 7, 3), 3, "k-f"),  # d's date, in this group: supersedes d
        publication("g", date(2024, 7, 5), 2, "k-g"),
        publication("h", date(2024, 7, 3), 1, "k-e"),  # d's date again: f counted last, so h supersedes f
        publication("i", date(2024, 7, 9), 2, "k-b"),  # b's key again: supersedes e
    ]
    one_by_one, grouped = copy_lake(migrated_lake, tmp_path / "one"), copy_lake(migrated_lake, tmp_path / "group")
    with connection.connect(one_by_one) as con:
        for p in earlier_run:
            publishing.publish(con, p.table, p.frame, p.row)
        singly = [publishing.publish(con, p.table, p.frame, p.row) for p in this_run]
        expected = _ledger_and_rows(con)
    with connection.connect(grouped) as con:
        publishing.publish_many(con, earlier_run)
        before = lake_commits(con)
        together = publishing.publish_many(con, this_run)
        assert lake_commits(con) == before + 1
        assert _ledger_and_rows(con) == expected

    assert together == singly
    assert [p.superseded for p in together] == [["a"], [], ["b"], ["d"], [], ["f"], ["e"]]
    assert expected[0] == [
        ("a", "superseded", "c", 3), ("b", "superseded", "e", 4), ("c", "published", None, 5),
        ("d", "superseded", "f", 2), ("e", "superseded", "i", 6), ("f", "superseded", "h", 3),
        ("g", "published", None, 2), ("h", "published", None, 1), ("i", "published", None, 2),
    ]  # fmt: skip
    assert expected[1] == [("c", 5), ("g", 2), ("h", 1), ("i", 2)]


def test_a_load_another_run_recorded_meanwhile_is_skipped_and_the_rest_of_the_group_publish(warehouse):
    publish(warehouse, "taken", date(2024, 7, 2), 4)  # another run, between our check and our commit
    group = [publication("x", date(2024, 7, 1), 3), publication("taken", date(2024, 7, 2), 4),
             publication("y", date(2024, 7, 2), 2)]  # fmt: skip
    with connection.connect(warehouse) as con:
        done = publishing.publish_many(con, group)
        assert done[0] == publishing.Published(3, [])
        assert isinstance(done[1], ledger.LoadedConcurrently) and done[1].status == "published"
        assert done[2] == publishing.Published(2, ["taken"])  # y's date is the other run's copy's: the later counts
        assert con.execute("SELECT load_id, status, superseded_by FROM meta.loads ORDER BY 1").fetchall() == [
            ("taken", "superseded", "y"), ("x", "published", None), ("y", "published", None),
        ]  # fmt: skip
        assert con.execute("SELECT load_id, count(*) FROM core.open_llm_v2_entries GROUP BY 1 ORDER BY 1").fetchall() == [
            ("x", 3), ("y", 2),
        ]  # fmt: skip


def test_a_group_whose_rows_differ_from_those_validated_changes_nothing(warehouse):
    wrong = publication("w", date(2024, 7, 2), 3)
    group = [publication("v", date(2024, 7, 1), 2), publishing.Publication(wrong.table, wrong.frame.head(2), wrong.row)]
    with connection.connect(warehouse) as con:
        before = lake_commits(con)
        with pytest.raises(publishing.PublishMismatch, match="the ledger row says otherwise"):
            publishing.publish_many(con, group)
        assert lake_commits(con) == before
        assert con.execute("SELECT count(*) FROM meta.loads").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM core.open_llm_v2_entries").fetchone()[0] == 0


def test_the_default_warehouse_is_a_lake_with_every_table_and_comment(warehouse):
    assert not lake.is_plain(warehouse) and lake.is_plain(Path("x/aigap.duckdb"))
    assert warehouse.exists() and warehouse.with_name("aigap.ducklake.files").is_dir()
    with connection.connect(warehouse, read_only=True) as con:
        assert connection.is_lake(con)
        tables = {
            r[0]
            for r in con.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables").fetchall()
        }
        assert {"meta.loads", "meta.runs", "core.open_llm_v2_entries", "marts.gap", "marts.latest_gap"} <= tables
        comment = con.execute("SELECT comment FROM duckdb_tables() WHERE schema_name = 'meta' AND table_name = 'loads'")
        assert comment.fetchone()[0].startswith("Load ledger")
        assert con.execute("SELECT count(*) FROM meta.migrations").fetchone()[0] == len(schema.BASELINE) + len(
            list(schema.MIGRATIONS_DIR.glob("*.sql"))
        )
    # the SQLite catalog is in WAL mode: a reader never makes a commit fail
    assert lake.in_wal_mode(warehouse)


def test_constraints_a_lake_cannot_hold_are_removed_from_its_ddl():
    from common.contracts import Column, Table

    contract = Table(
        "meta.t", "ledger", "unique per table; a check (of sorts) -- and a PRIMARY KEY of it",
        (Column("id", "VARCHAR", nullable=False), Column("s", "VARCHAR", nullable=False, check="s IN ('a', 'b')"),
         Column("n", "INTEGER")),
        grain=("id", "n"),
    )  # fmt: skip
    lake_ddl = contract.create_sql(constraints=False)
    assert lake_ddl == "CREATE TABLE meta.t (\n    id VARCHAR NOT NULL,\n    s VARCHAR NOT NULL,\n    n INTEGER\n)"
    plain_ddl = contract.create_sql(constraints=True)
    assert "CHECK (s IN ('a', 'b'))" in plain_ddl and "PRIMARY KEY (id, n)" in plain_ddl


def test_a_reader_inside_a_transaction_neither_blocks_the_writer_nor_sees_its_commit(warehouse):
    publish(warehouse, "a", date(2024, 7, 1), 3)
    with connection.connect(warehouse, read_only=True) as reader:
        reader.execute("BEGIN TRANSACTION")
        assert reader.execute("SELECT count(*) FROM core.open_llm_v2_entries").fetchone()[0] == 3
        publish(warehouse, "b", date(2024, 7, 2), 5)  # commits while the reader's transaction is open
        with connection.connect(warehouse) as con:
            publishing.replace_tables(con, {"marts.gap": pl.DataFrame()})
        assert reader.execute("SELECT count(*) FROM core.open_llm_v2_entries").fetchone()[0] == 3
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM core.open_llm_v2_entries").fetchone()[0] == 8


def _publish_same(args) -> str:
    warehouse, barrier = args
    barrier.wait()
    try:
        publish(Path(warehouse), "same", date(2024, 7, 3), 4)
        return "published"
    except ledger.LoadedConcurrently:
        return "already"


def test_two_processes_publishing_one_load_record_it_once(warehouse):
    with multiprocessing.Manager() as manager:
        barrier = manager.Barrier(3)
        with multiprocessing.get_context("spawn").Pool(3) as pool:
            outcomes = pool.map(_publish_same, [(str(warehouse), barrier)] * 3)
    assert sorted(outcomes) == ["already", "already", "published"]
    with connection.connect(warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta.loads WHERE load_id = 'same'").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM core.open_llm_v2_entries").fetchone()[0] == 4


def _save_run(warehouse: Path, run_id: str) -> None:
    with connection.connect(warehouse) as con:
        now = connection.utcnow()
        runs.save_run(con, run_id, now, now, "ok", "{}")


def test_as_of_a_run_reads_the_warehouse_as_that_run_left_it(warehouse):
    publish(warehouse, "a", date(2024, 7, 1), 3)
    _save_run(warehouse, "run-1")
    publish(warehouse, "b", date(2024, 7, 2), 5)
    _save_run(warehouse, "run-2")
    with connection.connect(warehouse, read_only=True) as con:
        assert [(r.run_id, r.snapshot_id is not None) for r in history.runs(con)] == [("run-1", True), ("run-2", True)]
        first, said = history.resolve(con, "run-1")
        assert "run run-1" in said
        with pytest.raises(history.UnknownAsOf, match="neither a run id"):
            history.resolve(con, "no-such-run")
        with pytest.raises(history.UnknownAsOf, match="no snapshot at or before"):
            history.resolve(con, "2001-01-01")
        latest, _ = history.resolve(con, (datetime.now(UTC) + timedelta(minutes=1)).isoformat())
    with connection.connect(warehouse, snapshot=first) as con:
        assert con.execute("SELECT count(*) FROM core.open_llm_v2_entries").fetchone()[0] == 3
        assert con.execute("SELECT list(run_id) FROM meta.runs").fetchone()[0] == ["run-1"]
    with connection.connect(warehouse, snapshot=latest) as con:
        assert con.execute("SELECT count(*) FROM core.open_llm_v2_entries").fetchone()[0] == 8


def test_expire_keeps_recent_snapshots_and_every_runs_snapshot(warehouse):
    publish(warehouse, "a", date(2024, 7, 1), 3)
    _save_run(warehouse, "run-1")
    publish(warehouse, "b", date(2024, 7, 2), 5)
    publish(warehouse, "c", date(2024, 7, 3), 2)
    with connection.connect(warehouse) as con:
        assert history.plan_expiry(con).expired == []  # everything is younger than 90 days
        later = datetime.now(UTC) + timedelta(days=91)
        plan = history.plan_expiry(con, now=later)
        run_snapshot, _ = history.resolve(con, "run-1")
        assert plan.expired and run_snapshot not in plan.expired
        history.expire(con, plan)
        assert history.plan_expiry(con, now=later).expired == []
        assert run_snapshot in history.plan_expiry(con, now=later, run_days=30).expired  # opted in: runs too
    with connection.connect(warehouse, snapshot=run_snapshot) as con:  # the run's snapshot still reads
        assert con.execute("SELECT count(*) FROM core.open_llm_v2_entries").fetchone()[0] == 3
    with connection.connect(warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.open_llm_v2_entries").fetchone()[0] == 10


def sql(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(AIGAP), "sql", *args], capture_output=True, text=True, timeout=60, check=False)


def test_aigap_sql_runs_a_query_read_only_with_passthrough_arguments_and_as_of(warehouse):
    publish(warehouse, "a", date(2024, 7, 1), 3)
    _save_run(warehouse, "run-1")
    publish(warehouse, "b", date(2024, 7, 2), 5)
    query = "select count(*) from core.open_llm_v2_entries"
    now = sql("--warehouse", str(warehouse), "-csv", "-noheader", "-c", query)
    assert (now.returncode, now.stdout.strip()) == (0, "8"), now.stderr
    then = sql("--warehouse", str(warehouse), "--as-of", "run-1", "-csv", "-noheader", "-c", query)
    assert (then.returncode, then.stdout.strip()) == (0, "3"), then.stderr
    write = sql("--warehouse", str(warehouse), "-c", "delete from core.open_llm_v2_entries")
    assert write.returncode != 0 and "read-only" in (write.stdout + write.stderr).lower()
    missing = sql("--warehouse", str(warehouse), "--as-of", "nope", "-c", query)
    assert missing.returncode == 2 and "aigap status" in missing.stderr


def test_status_lists_the_runs_as_of_can_read(warehouse):
    _save_run(warehouse, "run-1")
    shown = subprocess.run(
        [str(AIGAP), "status", "--warehouse", str(warehouse)], capture_output=True, text=True, timeout=120, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert "runs readable with `aigap sql --as-of RUN` (1 of 1" in shown.stdout and "run-1" in shown.stdout


def test_migrate_converts_a_duckdb_file_with_every_table_and_the_raw_landing(bundled_run, tmp_path):
    plain, _ = bundled_run
    target = tmp_path / "lake" / "aigap.ducklake"
    done = subprocess.run(
        [str(AIGAP), "migrate", "--from", str(plain), "--warehouse", str(target)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(plain), read_only=True) as old, connection.connect(target, read_only=True) as new:
        tables = old.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema IN ('meta', 'core', 'marts') AND table_name NOT IN ('migrations', 'ledger_guard')"
        ).fetchall()
        assert len(tables) > 10
        for (table,) in tables:
            assert (
                old.execute(f"SELECT count(*) FROM {table}").fetchone()
                == new.execute(f"SELECT count(*) FROM {table}").fetchone()
            ), table
        raw = [r[0] for r in new.execute("SELECT raw_path FROM meta.loads WHERE raw_path IS NOT NULL").fetchall()]
    assert raw and all((target.parent / p).is_file() for p in raw)
    # the ready queries run through `aigap sql` on the lake, unchanged
    for query in sorted((Path(__file__).resolve().parents[1] / "warehouse" / "queries").glob("*.sql")):
        result = sql("--warehouse", str(target), "-csv", "-c", f".read {query}")
        assert result.returncode == 0 and "Error" not in result.stderr, (query.name, result.stderr)
        assert len(list(csv.reader(io.StringIO(result.stdout)))) > 1, query.name


KILLED_MID_PUBLISH = """
import os, signal, sys, time
from datetime import date
from pathlib import Path
sys.path.insert(0, {tests!r}); sys.path.insert(0, {root!r})
from warehouse import connection, ledger, publishing, runs, schema
import test_lake
real = ledger.insert_ledger
def insert_then_wait(con, row):  # the rows are written, the transaction is open: now die
    real(con, row)
    Path({marker!r}).touch()
    time.sleep(120)
ledger.insert_ledger = insert_then_wait
test_lake.publish(Path({warehouse!r}), "killed", date(2024, 7, 9), 5000)
"""


def test_a_publisher_killed_mid_transaction_leaves_the_lake_whole_and_the_rerun_completes(warehouse, tmp_path):
    publish(warehouse, "a", date(2024, 7, 1), 3)
    marker = tmp_path / "inside-the-transaction"
    script = KILLED_MID_PUBLISH.format(
        tests=str(Path(__file__).parent), root=str(Path(__file__).parents[1]), marker=str(marker),
        warehouse=str(warehouse),
    )  # fmt: skip
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = datetime.now(UTC) + timedelta(seconds=120)
    while not marker.exists() and process.poll() is None and datetime.now(UTC) < deadline:
        time.sleep(0.1)
    assert marker.exists(), "the publisher never got inside its transaction"
    process.kill()  # SIGKILL: no rollback, no clean-up, as a machine that loses power
    process.wait(timeout=30)
    with connection.connect(warehouse, read_only=True) as con:  # the catalog opens and holds what was committed
        assert con.execute("SELECT list(load_id ORDER BY load_id) FROM meta.loads").fetchone()[0] == ["a"]
        assert con.execute("SELECT count(*) FROM core.open_llm_v2_entries").fetchone()[0] == 3
    publish(warehouse, "killed", date(2024, 7, 9), 5000)  # the rerun publishes it whole
    with connection.connect(warehouse, read_only=True) as con:
        assert (
            con.execute("SELECT count(*) FROM core.open_llm_v2_entries WHERE load_id = 'killed'").fetchone()[0] == 5000
        )
        assert con.execute("SELECT count(*) FROM meta.loads").fetchone()[0] == 2


def test_a_session_loads_only_the_scanner_its_catalog_needs(tmp_path):
    def loaded(the_lake):
        return [Path(s.split("'")[1]).stem for s in lake.session_statements(the_lake) if s.startswith("LOAD")]

    assert loaded(lake.lake_for(tmp_path / "w.ducklake")) == ["ducklake", "sqlite_scanner"]
    assert loaded(lake.Lake("postgres:dbname=aigap host=db", "/shared/", True)) == ["ducklake", "postgres_scanner"]
    assert [Path(s.split("'")[1]).stem for s in lake.load_statements()] == list(lake.EXTENSIONS)


def test_aigap_run_opens_an_existing_lake_while_prefect_starts_and_creates_nothing(warehouse, tmp_path):
    """`aigap run` opens the lake's session in the background while Prefect's server starts
    (aigap/cli.py _warm_up): the run then finds it kept (warehouse/lake.py). A lake that does not
    exist yet, or a plain DuckDB file, is left to the run: nothing is created before its lock."""
    from aigap.cli import _warm_up

    lake.close_sessions()
    _warm_up(str(warehouse))
    assert any(key[1] == lake.lake_for(warehouse) and not key[2] for key in lake._SESSIONS)
    with connection.connect(warehouse, read_only=True) as con:  # the kept session serves the run's reads
        assert con.execute("SELECT count(*) FROM meta.migrations").fetchone()[0] > 0
    lake.close_sessions()

    for missing in (tmp_path / "new" / "aigap.ducklake", tmp_path / "plain" / "aigap.duckdb"):
        _warm_up(str(missing))
        assert not missing.parent.exists() and not lake._SESSIONS
