"""Benchmark: the parse of a snapshot (bytes -> the normalised frame a source stages) against the
polars floor, and, with --against REV, against another revision of the code: its time and its frames.

- It replays N Open LLM v2 snapshots (default 190) exactly as benchmarks/load_path.py does.
- It times, as the median of --repeat rounds (wall and CPU seconds of the process, polars' threads
  included): the parse floor (`pl.read_csv` of each file, nothing else) and the source's own parse
  (`OpenLLMv2Archive().parse`: strict CSV reading, normalisation, snapshot date) of each file.
- With --against REV (a commit, branch or tag) it exports REV's tree (`git archive`) to a temporary
  folder, times the same parse there (a subprocess, so each tree imports its own code), and checks
  that both trees give identical frames and details (or the identical rejection) for every bundled
  snapshot of every local source and for every replayed snapshot.

    uv run python benchmarks/parse.py [--snapshots 190] [--repeat 3] [--against main]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "open-llm-v2-archive"


# --- in one tree (a subprocess whose imports come from --root) ----------------------------------------


def worker(root: Path, replayed: Path, dump: Path, repeat: int) -> dict:
    sys.path.insert(0, str(root))
    from datetime import date

    import polars as pl

    from common.errors import SnapshotRejected
    from datasets import registry
    from datasets.base import SnapshotRef

    sources = registry()
    source = sources[SOURCE]
    paths = sorted(replayed.rglob("*.csv"))
    raws = [p.read_bytes() for p in paths]
    refs = [SnapshotRef(SOURCE, str(p.relative_to(replayed)), str(p), date.fromisoformat(p.stem)) for p in paths]

    def floor() -> None:
        for path in paths:
            pl.read_csv(path)

    def parse() -> None:
        for raw, ref in zip(raws, refs, strict=True):
            source.parse(raw, ref)

    figures = {}
    for name, run in (("floor", floor), ("parse", parse)):
        run()  # warm-up (imports, polars' thread pool), not counted
        walls, cpus = [], []
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        figures[name] = {"wall": walls, "cpu": cpus}

    def dump_one(kind: str, index: int, adapter, raw: bytes, ref) -> dict:
        try:
            parsed = adapter.parse(raw, ref)
        except SnapshotRejected as exc:
            return {"rejected": str(exc)}
        parsed.frame.write_parquet(dump / f"{kind}-{index}.parquet")
        return {"frame": f"{kind}-{index}.parquet", "date": str(parsed.snapshot_date), "details": parsed.details}

    outcomes = {}
    for index, (raw, ref) in enumerate(zip(raws, refs, strict=True)):
        outcomes[f"replayed {ref.key}"] = dump_one("replayed", index, source, raw, ref)
    bundled = [
        (adapter, ref)
        for adapter in sources.values()
        if Path(adapter.default_location()).is_dir()  # the bundled (local) sources, not the Hub's
        for ref in adapter.discover(adapter.default_location())
    ]
    for index, (adapter, ref) in enumerate(bundled):
        outcomes[f"{adapter.name} {ref.key}"] = dump_one("bundled", index, adapter, adapter.fetch(ref), ref)
    return {"figures": figures, "outcomes": outcomes}


# --- the comparison -------------------------------------------------------------------------------------


def run_worker(root: Path, replayed: Path, dump: Path, repeat: int) -> dict:
    dump.mkdir(parents=True)
    command = [sys.executable, __file__, "--worker", str(root), "--replayed", str(replayed), "--dump", str(dump)]
    done = subprocess.run([*command, "--repeat", str(repeat)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the parse of {root} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def median(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s"


def compare(this: dict, this_dump: Path, other: dict, other_dump: Path) -> list[str]:
    """Every snapshot whose outcome differs between the two trees (empty: identical)."""
    import polars as pl

    differences = []
    for key in sorted(set(this["outcomes"]) | set(other["outcomes"])):
        mine, theirs = this["outcomes"].get(key), other["outcomes"].get(key)
        if mine is None or theirs is None:
            differences.append(f"{key}: only in {'this tree' if theirs is None else 'the other'}")
        elif "frame" in mine and "frame" in theirs:
            a, b = pl.read_parquet(this_dump / mine["frame"]), pl.read_parquet(other_dump / theirs["frame"])
            if not (a.schema == b.schema and a.equals(b, null_equal=True)) or {**mine, "frame": ""} != {
                **theirs,
                "frame": "",
            }:
                differences.append(f"{key}: frames or details differ")
        elif mine != theirs:
            differences.append(f"{key}: {mine} != {theirs}")
    return differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshots", type=int, default=190)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", help="a git revision to compare with (time and frames)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--replayed", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.replayed, args.dump, args.repeat), default=str))
        return

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from load_path import templates, write_snapshots

    with tempfile.TemporaryDirectory(prefix="aigap-parse-") as scratch:
        work = Path(scratch)
        paths = write_snapshots(work / "replayed", 0, args.snapshots, templates())
        size = sum(p.stat().st_size for p in paths) / 1e6
        print(f"{len(paths)} replayed Open LLM v2 snapshots, {size:.0f} MB; median of {args.repeat} rounds")
        trees = {"this tree": ROOT}
        if args.against:
            exported = work / "against"
            exported.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.against], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(exported)], input=archive.stdout, check=True)
            trees[args.against] = exported
        results = {name: run_worker(root, work / "replayed", work / f"dump-{i}", args.repeat)
                   for i, (name, root) in enumerate(trees.items())}  # fmt: skip
        print(f"{'':12s} {'parse wall':>12s} {'parse CPU':>12s} {'floor wall':>12s} {'parse/floor':>12s}")
        for name, result in results.items():
            parse, floor = result["figures"]["parse"], result["figures"]["floor"]
            ratio = statistics.median(parse["wall"]) / statistics.median(floor["wall"])
            print(f"{name:12s} {median(parse['wall']):>12s} {median(parse['cpu']):>12s} "
                  f"{median(floor['wall']):>12s} {ratio:11.1f}x")  # fmt: skip
        if args.against:
            differences = compare(results["this tree"], work / "dump-0", results[args.against], work / "dump-1")
            checked = len(results["this tree"]["outcomes"])
            if differences:
                print(f"{len(differences)} of {checked} snapshots parse differently:", *differences[:20], sep="\n  ")
                sys.exit(1)
            print(f"identical outcomes (frame and details, or rejection) for all {checked} snapshots "
                  f"(bundled, every local source, and replayed) in both trees")  # fmt: skip


if __name__ == "__main__":
    main()
