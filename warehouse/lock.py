"""The run lock: one run per warehouse folder, and who holds it when a second one waits."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from common.settings import WRITER_WAIT_ENV, writer_wait_seconds


class WarehouseBusy(RuntimeError):
    """Another run, or another process, holds the warehouse (the CLI exits with code 3)."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def process_command(pid: int) -> str:
    """What process `pid` is, as `ps` would say it (Linux /proc), or '' if it cannot be told."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    return " ".join(a.decode(errors="replace") for a in argv if a)[:200]


def _holder(lock: Path) -> str:
    """Who holds the run lock, from what the holder wrote into it (checked against the process table)."""
    try:
        info = json.loads(lock.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info.get("pid"):
        return "another aigap run (it has not written its name into the lock file yet)"
    where = f"PID {info['pid']}" + (f" on {info['host']}" if info.get("host") else "")
    alive = info.get("host") != socket.gethostname() or process_command(int(info["pid"])) != ""
    return f"the aigap run {info.get('run')!r} ({where}, since {info.get('since', '?')})" + (
        "" if alive else "; that process is gone, so the lock is being released"
    )


@contextmanager
def run_lock(warehouse: Path, run: str, wait: float | None = None) -> Iterator[None]:
    """Hold the warehouse for a whole run: an exclusive lock on `<warehouse>.lock` (flock, released by
    the kernel if the process dies, so a killed run never leaves a stale lock). A second run waits up
    to `wait` seconds (default: $AIGAP_WRITER_WAIT_SECONDS, common/settings.py), then raises WarehouseBusy naming the holder."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(warehouse)
    wait = writer_wait_seconds() if wait is None else wait
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"the warehouse {warehouse} is being written by {_holder(path)}; gave up after waiting "
                        f"{wait:g} s (${WRITER_WAIT_ENV} sets the wait). Try again when it has finished."
                    ) from None
                time.sleep(min(0.5, max(deadline - time.monotonic(), 0.01)))
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run": run,
            "since": f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
