"""Benchmark: the load path, end to end, as a user runs it (`aigap run`), over N snapshots of history.

For each N it builds N daily Open LLM v2 snapshots by replaying the bundled ones
(data/leaderboards/open_llm_v2_archive: every header variant, the 238-row first scrape left out),
dated one day apart from 2023-01-01, each with one model's average score nudged down by up to 1%
so that no two files share a hash. The replay goes up the bundled files by size and back down, so
no snapshot is less than half the previous one (the row-count check of the gate). Then, in a fresh
warehouse, it times:

- parse floor: polars reading the same N files (`pl.read_csv`, one process, nothing else);
- backfill: `aigap run --only open-llm-v2-archive --source open-llm-v2-archive=DIR`, cold;
- incremental: the same with one more snapshot (the day after the last);
- no-op: the same again, nothing new.

Each run is the CLI in a subprocess (whatever the load path is today), timed from start to exit,
with "work" = the time after the flow run began (the line Prefect logs when it starts the flow, so
interpreter start-up and the temporary Prefect server are left out) and peak RSS = the largest
process of the run (its own or the temporary server's, from wait4) and the sum over the run's
process tree (sampled every 0.2 s). A run that does not end 0, or a backfill that does not publish
all N, stops the benchmark: figures of a failing run would be meaningless.

    uv run python benchmarks/load_path.py [--sizes 15,190,500] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "data" / "leaderboards" / "open_llm_v2_archive"
SOURCE = "open-llm-v2-archive"
FIRST_DAY = date(2023, 1, 1)
AVERAGE_COLUMNS = ("model_average_score", "average", "Average ⬆️")  # the header variants' name for it
FLOW_STARTED = re.compile(r"Beginning flow run")


# --- the replayed history ------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    relative: str  # e.g. scraped/2025-01-09.csv: the layout folder is kept in the replayed name
    frame: pl.DataFrame  # every field as text, so that writing it back changes nothing else


def templates() -> list[Template]:
    """The bundled snapshots in the replay order: by size up, then back down (never halving)."""
    found = []
    for path in sorted(ARCHIVE.glob("*/*.csv")):
        frame = pl.read_csv(path, infer_schema_length=0)
        if frame.height >= 500:  # the first scrape (237 rows) is less than half of the next one down
            found.append(Template(str(path.relative_to(ARCHIVE)), frame))
    up = sorted(found, key=lambda t: t.frame.height)
    return up + up[-2:0:-1]


def varied(template: Template, index: int) -> bytes:
    """The template with one model's average score (row `index` mod rows) nudged down by 0.1-1%."""
    frame = template.frame
    column = next(c for c in AVERAGE_COLUMNS if c in frame.columns)
    values = frame[column].cast(pl.Float64, strict=False)
    row = index % frame.height
    while values[row] is None:
        row = (row + 1) % frame.height
    nudged = round(values[row] * (1 - 0.001 * (index % 10 + 1)), 6)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(pl.lit(repr(nudged))).otherwise(pl.col(column)).alias(column)
    )
    return frame.write_csv().encode()


def write_snapshots(folder: Path, first: int, count: int, order: list[Template]) -> list[Path]:
    written = []
    for index in range(first, first + count):
        template = order[index % len(order)]
        day = FIRST_DAY + timedelta(days=index)
        path = folder / Path(template.relative).parent / f"{day.isoformat()}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(varied(template, index))
        written.append(path)
    return written


def parse_floor(paths: list[Path]) -> tuple[float, int]:
    pl.read_csv(paths[0])  # warm-up (polars' thread pool), not counted
    started = time.perf_counter()
    rows = sum(pl.read_csv(p).height for p in paths)
    return time.perf_counter() - started, rows


# --- one run of the CLI, measured ----------------------------------------------------------------


@dataclass
class Run:
    wall: float
    work: float | None  # after the flow run began; None when the log line was not seen
    cpu: float  # user + system seconds of the run and every process it waited for (its Prefect server)
    peak_process_mb: float
    peak_tree_mb: float
    output: str


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    parent = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _tree_rss_mb(pid: int) -> float:
    pages = 0
    for member in _descendants(pid):
        try:
            with open(f"/proc/{member}/statm") as f:
                pages += int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_cli(args: list[str], log: Path) -> Run:
    """`aigap ARGS` in a subprocess: wall time, time after the flow began, peak memory."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "aigap.cli", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    peak_tree = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not done.wait(0.2):
            peak_tree = max(peak_tree, _tree_rss_mb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lines, flow_began = [], None
    for line in process.stdout:
        lines.append(line)
        if flow_began is None and FLOW_STARTED.search(line):
            flow_began = time.perf_counter()
    _, status, usage = os.wait4(process.pid, 0)
    ended = time.perf_counter()
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    output = "".join(lines)
    log.write_text(output)
    if process.returncode != 0:
        raise SystemExit(f"aigap {' '.join(args)} exited {process.returncode} (log: {log}):\n{output[-3000:]}")
    return Run(
        wall=ended - started,
        work=None if flow_began is None else ended - flow_began,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_process_mb=usage.ru_maxrss / 1024,  # KiB on Linux: the largest process of the run
        peak_tree_mb=peak_tree,
        output=output,
    )


def published(output: str) -> int:
    match = re.search(rf"{SOURCE}: (\d+) published", output)
    return int(match.group(1)) if match else -1


# --- the benchmark -------------------------------------------------------------------------------


# The warehouse kinds a run can write (warehouse/lake.py): the default DuckLake, or a plain DuckDB file.
WAREHOUSE_NAMES = {"lake": "aigap.ducklake", "file": "aigap.duckdb"}


def measure(n: int, order: list[Template], work: Path, storage: str = "lake") -> dict:
    folder = work / f"n{n}" / "snapshots"
    warehouse = work / f"n{n}" / "warehouse" / WAREHOUSE_NAMES[storage]
    if folder.parent.exists():
        shutil.rmtree(folder.parent)
    paths = write_snapshots(folder, 0, n, order)
    floor, rows = parse_floor(paths)
    args = ["run", "--warehouse", str(warehouse), "--only", SOURCE, "--source", f"{SOURCE}={folder}"]

    backfill = run_cli(args, work / f"n{n}" / "backfill.log")
    if published(backfill.output) != n:
        raise SystemExit(f"backfill of {n} published {published(backfill.output)} (log: {work / f'n{n}'})")
    new = write_snapshots(folder, n, 1, order)
    incremental = run_cli(args, work / f"n{n}" / "incremental.log")
    if published(incremental.output) != 1:
        raise SystemExit(f"incremental run published {published(incremental.output)}, not 1")
    floor_one, _ = parse_floor(new)
    noop = run_cli(args, work / f"n{n}" / "noop.log")
    if published(noop.output) != 0:
        raise SystemExit(f"no-op run published {published(noop.output)}")
    return {
        "n": n, "rows": rows, "parse_floor_s": floor, "parse_floor_one_s": floor_one,
        "backfill": backfill, "incremental": incremental, "noop": noop,
    }  # fmt: skip


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def _x(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or not b else f"{a / b:.1f}x"


def report(results: list[dict]) -> str:
    lines = [
        f"load path benchmark: {SOURCE}, replayed daily snapshots; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end",
        "wall = process start to exit; work = after the flow run began (start-up and the temporary "
        "Prefect server left out); cpu = user + system time of the run's processes (on a shared "
        "machine the steadier figure); RSS = largest process / sum over the run's processes",
        "",
    ]
    for r in results:
        b, i, z = r["backfill"], r["incremental"], r["noop"]
        lines += [
            f"N = {r['n']} snapshots ({r['rows']:,} rows)",
            f"  parse floor (polars)   {r['parse_floor_s']:.2f} s",
            f"  backfill               wall {_s(b.wall)}, work {_s(b.work)}, cpu {_s(b.cpu)}, peak RSS {b.peak_process_mb:.0f} MB "
            f"/ {b.peak_tree_mb:.0f} MB",
            f"  incremental (+1)       wall {_s(i.wall)}, work {_s(i.work)}, cpu {_s(i.cpu)}, peak RSS {i.peak_process_mb:.0f} MB "
            f"/ {i.peak_tree_mb:.0f} MB",
            f"  no-op                  wall {_s(z.wall)}, work {_s(z.work)}, cpu {_s(z.cpu)}, peak RSS {z.peak_process_mb:.0f} MB "
            f"/ {z.peak_tree_mb:.0f} MB",
            f"  backfill work / parse floor   {_x(b.work, r['parse_floor_s'])}"
            f"  (target: work <= 3x floor + 10 s = {3 * r['parse_floor_s'] + 10:.1f} s)",
            f"  backfill wall / parse floor   {_x(b.wall, r['parse_floor_s'])}",
            f"  incremental work / no-op work {_x(i.work, z.work)}",
            f"  incremental wall / no-op wall {_x(i.wall, z.wall)}",
            f"  backfill work per snapshot    {_s(None if b.work is None else b.work / r['n'])}",
            "",
        ]
    if len(results) > 1:
        first, last = results[0], results[-1]
        lines.append(
            f"incremental work, N = {last['n']} vs N = {first['n']}: "
            f"{_x(last['incremental'].work, first['incremental'].work)} (target: at most 1.3x); "
            f"no-op work: {_x(last['noop'].work, first['noop'].work)}"
        )
    return "\n".join(lines)


def as_json(results: list[dict]) -> str:
    def plain(r: dict) -> dict:
        return {k: ({f: getattr(v, f) for f in ("wall", "work", "cpu", "peak_process_mb", "peak_tree_mb")}
                    if isinstance(v, Run) else v) for k, v in r.items()}  # fmt: skip

    return json.dumps([plain(r) for r in results], indent=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="15,190,500", help="comma-separated N (default: 15,190,500)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--storage", choices=sorted(WAREHOUSE_NAMES), default="lake",
                        help="the warehouse written: the default DuckLake, or a plain DuckDB file")  # fmt: skip
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    order = templates()
    work = args.keep or Path(tempfile.mkdtemp(prefix="aigap-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for n in sizes:
            print(f"N = {n}: building {n} snapshots, then backfill, +1, no-op ...", file=sys.stderr, flush=True)
            results.append(measure(n, order, work, args.storage))
            print(report(results[-1:]), file=sys.stderr, flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(report(results))
    if args.json:
        args.json.write_text(as_json(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
