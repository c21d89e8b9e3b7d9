"""Benchmark: what the DuckLake warehouse costs against the plain DuckDB file, storage only.

The storage work of runs, without Prefect or the gates (whose cost does not depend on the storage):
real Open LLM v2 snapshots (the bundled archive, parsed by its source adapter) published one by one
through publishing.publish, the marts (computed once, by the real transforms) written by
publishing.replace_tables, the run recorded by runs.save_run. Timed per kind of run:

- backfill: every bundled snapshot, then marts and the run record;
- incremental: one new snapshot (a bundled one replayed under a later date), marts, run record;
- no-op: every snapshot looked up in the ledger and found known, marts, run record.

Then RUNS daily runs (each an incremental one) and the size on disk, before and after `aigap expire`
(every run's snapshot is kept by the policy). While all of it runs, a reader process queries the
warehouse continuously, each read in its own transaction; on the lake it must never fail, on the
plain file it blocks the writer (reported, not hidden).

    uv run python benchmarks/warehouse_storage.py [--runs 190] [--storage lake|duckdb|both]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasets import registry  # noqa: E402
from engine.marts import read_inputs  # noqa: E402
from marts.build import build_marts  # noqa: E402
from warehouse import connection, history, lake, ledger, lock, publishing, runs, schema  # noqa: E402

SOURCE = "open-llm-v2-archive"
TABLE = "core.open_llm_v2_entries"


def snapshots() -> list[tuple[str, object, pl.DataFrame]]:
    adapter = registry()[SOURCE]
    found = []
    for ref in adapter.discover(adapter.default_location()):
        parsed = adapter.parse(Path(ref.location).read_bytes(), ref)
        found.append((ref.key, parsed.snapshot_date, parsed.frame))
    return found


def publish(warehouse: Path, key: str, day, frame: pl.DataFrame, n: int) -> None:
    load_id = f"{SOURCE}:{key}@{n:012d}"
    frame = frame.with_columns(
        pl.lit(load_id).alias("load_id"), pl.lit(SOURCE).alias("source"), pl.lit(key).alias("snapshot_key"),
        pl.lit(day).alias("snapshot_date"),
    )  # fmt: skip
    now = connection.utcnow()
    row = ledger.LedgerRow(load_id, SOURCE, key, day, f"{n:064d}", "published", len(frame), len(frame), None, None,
                          None, None, now, now)  # fmt: skip
    with connection.connect(warehouse) as con:
        publishing.publish(con, TABLE, frame, row)


def finish_run(warehouse: Path, marts: dict, n: int) -> None:
    with connection.connect(warehouse) as con:
        publishing.replace_tables(con, marts)
        now = connection.utcnow()
        runs.save_run(con, f"bench-{n}", now, now, "ok", "{}")


def size(path: Path) -> int:
    files = [p for p in path.parent.rglob("*") if p.is_file() and p.name != path.name + ".reader"]
    return sum(p.stat().st_size for p in files)


def reader(warehouse: str, stop: str, out: str) -> None:
    reads, failures = 0, []
    while not Path(stop).exists():
        try:
            with connection.connect(Path(warehouse), read_only=True, wait_seconds=0.5) as con:
                con.execute("SELECT count(*), max(snapshot_date) FROM core.open_llm_v2_entries").fetchone()
                con.execute("SELECT count(*) FROM marts.gap").fetchone()
            reads += 1
        except Exception as exc:  # counted and reported
            failures.append(f"{type(exc).__name__}: {str(exc)[:120]}")
        time.sleep(0.02)
    Path(out).write_text(json.dumps({"reads": reads, "failures": len(failures), "first": failures[:1]}))


def bench(kind: str, runs: int, boards) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"aigap-bench-{kind}-"))
    warehouse = folder / ("aigap.duckdb" if kind == "duckdb" else "aigap.ducklake")
    with connection.connect(warehouse) as con:
        schema.migrate(con)
    stop, out = folder / "stop", folder / "reader.json"
    figures: dict = {"storage": kind}
    process = multiprocessing.get_context("spawn").Process(target=reader, args=(str(warehouse), str(stop), str(out)))
    process.start()
    time.sleep(3)  # the reader is reading before the first write
    writer_failures = []

    def attempt(what, *args):
        try:
            what(*args)
        except lock.WarehouseBusy as exc:
            writer_failures.append(str(exc)[:160])

    started = time.perf_counter()
    for n, (key, day, frame) in enumerate(boards):
        attempt(publish, warehouse, key, day, frame, n)
    with connection.connect(warehouse, read_only=True, wait_seconds=120) as con:
        pass
    marts = build_marts(read_inputs(warehouse))
    attempt(finish_run, warehouse, marts, 0)
    figures["backfill_s"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    for key, _day, _frame in boards:  # every snapshot looked up and found known
        with connection.connect(warehouse, read_only=True, wait_seconds=120) as con:
            ledger.SourceLedger.read(con, SOURCE, key).latest_of_key(key)
    attempt(finish_run, warehouse, marts, 1)
    figures["noop_s"] = round(time.perf_counter() - started, 2)

    last_day = max(day for _, day, _ in boards)
    times = []
    for n in range(runs):
        key, _day, frame = boards[n % len(boards)]
        started = time.perf_counter()
        attempt(publish, warehouse, f"replay/{n}", last_day + timedelta(days=n + 1), frame, 1000 + n)
        attempt(finish_run, warehouse, marts, 2 + n)
        times.append(time.perf_counter() - started)
    figures["incremental_s"] = round(sorted(times)[len(times) // 2], 2)
    figures["runs"] = runs + 2
    figures["disk_mb"] = round(size(warehouse) / 1e6, 1)
    if kind == "lake":
        with connection.connect(warehouse) as con:
            plan = history.plan_expiry(con, keep_days=0)
            history.expire(con, plan)
            figures["snapshots_expired"] = len(plan.expired)
        figures["disk_mb_after_expire_keeping_run_snapshots"] = round(size(warehouse) / 1e6, 1)
        with connection.connect(warehouse) as con:
            history.expire(con, history.plan_expiry(con, keep_days=0, run_days=0))
        figures["disk_mb_after_expire_of_run_snapshots_too"] = round(size(warehouse) / 1e6, 1)
        data = Path(lake.lake_for(warehouse).data_path)
        figures["parquet_files"] = sum(1 for _ in data.rglob("*.parquet"))
    stop.touch()
    process.join(timeout=60)
    figures["reader"] = json.loads(out.read_text())
    figures["writer_failures"] = len(writer_failures)
    figures["writer_failure_example"] = writer_failures[:1]
    shutil.rmtree(folder, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=190)
    parser.add_argument("--storage", choices=["lake", "duckdb", "both"], default="both")
    args = parser.parse_args()
    boards = snapshots()
    print(f"{len(boards)} snapshots, {sum(len(f) for _, _, f in boards):,} rows", flush=True)
    for kind in ["lake", "duckdb"] if args.storage == "both" else [args.storage]:
        print(json.dumps(bench(kind, args.runs, boards)), flush=True)


if __name__ == "__main__":
    main()
