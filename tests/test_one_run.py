"""One run per warehouse: the run lock is held from start to end, a second run waits a stated time
and stops with exit code 3 naming the holder; a killed holder never leaves a stale lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from aigap.cli import main
from common import settings
from warehouse import lock


def hold_run_lock(warehouse, run: str) -> subprocess.Popen:
    """Another process holding the warehouse's run lock (as an aigap run does), until killed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pathlib import Path
            from warehouse import lock
            with lock.run_lock(Path({str(warehouse)!r}), {run!r}, wait=0):
                print("held", flush=True)
                time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True, cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.getcwd()},
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_waits_then_names_the_run_holding_the_warehouse(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    holder = hold_run_lock(warehouse, "aigap all sources · nightly")
    try:
        started = time.monotonic()
        with pytest.raises(lock.WarehouseBusy) as busy, lock.run_lock(warehouse, "second", wait=1.5):
            pass
        assert time.monotonic() - started >= 1.5  # it waited the stated time
        message = str(busy.value)
        assert f"the aigap run 'aigap all sources · nightly' (PID {holder.pid} on " in message
        assert "gave up after waiting 1.5 s" in message
    finally:
        holder.kill()
        holder.wait()
    # killed with SIGKILL: the kernel released the lock, the next run proceeds at once
    with lock.run_lock(warehouse, "third", wait=0):
        assert '"run": "third"' in lock.lock_path(warehouse).read_text()


def test_a_killed_run_leaves_no_stale_lock(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    holder = hold_run_lock(warehouse, "killed mid-run")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with lock.run_lock(warehouse, "next", wait=0):
        pass


def test_cli_exits_3_when_another_run_holds_the_warehouse(prefect_harness, tmp_path, monkeypatch, capsys):
    warehouse = tmp_path / "w.duckdb"
    monkeypatch.setenv(settings.WRITER_WAIT_ENV, "1")
    holder = hold_run_lock(warehouse, "aigap backfill · 2026-11-23")
    try:
        code = main(["run", "--warehouse", str(warehouse), "--only", "open-llm-v1-archive"])
    finally:
        holder.kill()
        holder.wait()
    assert code == 3
    err = capsys.readouterr().err
    assert "is being written by the aigap run 'aigap backfill · 2026-11-23'" in err and f"PID {holder.pid}" in err
    assert not warehouse.exists()  # the second run never opened the warehouse: it waited, then stopped
