"""The `aigap` command ends as soon as its exit handlers have run (aigap/cli.py `entry`): its exit
code and its whole output still come out, and Prefect's temporary server does not outlive it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment carries `marker` (the command and any child it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_a_run_ends_with_its_exit_code_its_output_and_no_server_left(tmp_path: Path) -> None:
    marker = f"AIGAP_EXIT_TEST={uuid.uuid4()}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    env.pop("PREFECT_API_URL", None)  # a temporary server, started and stopped by the command
    empty = tmp_path / "empty"
    empty.mkdir()
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with (
        out.open("w") as stdout,
        err.open("w") as stderr,
    ):  # files, not pipes: a child left running would hold a pipe open
        code = subprocess.Popen(
            [sys.executable, "-m", "aigap.cli", "run", "--warehouse", str(tmp_path / "w" / "aigap.ducklake"),
             "--only", "funding-published", "--source", f"funding-published={empty}"],
            cwd=ROOT, env=env, stdout=stdout, stderr=stderr,
        ).wait(timeout=300)  # fmt: skip
    printed, logged = out.read_text(), err.read_text()
    # a named source that finds nothing fails the run (exit 1), and says so in the summary it prints last
    assert code == 1, logged[-3000:]
    assert "funding-published: 0 snapshots at" in printed, printed[-3000:]
    deadline = time.monotonic() + 10
    while (left := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes left behind by the command: {left}"
