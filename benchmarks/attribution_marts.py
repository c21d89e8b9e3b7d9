"""Benchmark: attribution and every leaderboard mart over a long history.

Replays the bundled Open LLM v2 snapshots (the eight from 2024-12-01 on, ~3,000 rows each) as 500
daily snapshots, about 1.5M rows, then times the pure transforms the pipeline runs on every
refresh: board (dedupe), attribution in three modes, and all leaderboard marts. Prints wall time
and peak memory (resident set size). Goal: under 2 s and under 1 GB.

    uv run python benchmarks/attribution_marts.py [--snapshots 500] [--gate]
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date, timedelta

import polars as pl

from attribution.attribute import model_facts
from attribution.registry import load_registry
from common.csvio import read_csv_text
from common.settings import DATA_DIR
from datasets.open_llm.board import open_llm_v2_board
from datasets.open_llm.v2 import normalise
from marts.build import MartInputs, board_marts, model_lineage

ARCHIVE = DATA_DIR / "leaderboards" / "open_llm_v2_archive" / "scraped"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def history(snapshots: int) -> pl.DataFrame:
    files = sorted(p for p in ARCHIVE.glob("*.csv") if p.stem >= "2024-12-01")
    frames = [normalise(read_csv_text(p.read_bytes()))[0] for p in files]
    start = date(2023, 1, 1)
    replayed = [
        frames[i % len(frames)].with_columns(
            pl.lit(start + timedelta(days=i)).alias("snapshot_date"), pl.lit(f"replay-{i}").alias("load_id")
        )
        for i in range(snapshots)
    ]
    return pl.concat(replayed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=500)
    parser.add_argument("--gate", action="store_true", help="also time the Great Expectations gates of the marts")
    args = parser.parse_args()

    entries = history(args.snapshots)
    registry = load_registry()
    inputs = MartInputs(core={}, registry=registry)
    baseline = peak_rss_mb()
    print(f"history: {args.snapshots} snapshots, {len(entries):,} rows, {entries['model_id'].n_unique():,} models")

    started = time.perf_counter()
    board = open_llm_v2_board(entries)
    board_done = time.perf_counter()
    facts = model_facts(board)
    lineage = model_lineage([board], [facts], registry)
    lineage_done = time.perf_counter()
    marts = board_marts(board, inputs, lineage, facts)
    finished = time.perf_counter()

    print(f"board (dedupe):           {board_done - started:6.2f} s  ({len(board):,} model-snapshots)")
    print(f"model graph (lineage):    {lineage_done - board_done:6.2f} s  ({len(lineage):,} models)")
    print(f"attribution + marts:      {finished - lineage_done:6.2f} s")
    print(f"total transforms:         {finished - started:6.2f} s")
    print(f"peak RSS: {peak_rss_mb():,.0f} MB (inputs loaded: {baseline:,.0f} MB)")
    for table, frame in marts.items():
        if frame is not None:
            print(f"  {table:28s} {len(frame):>9,} rows")
    if args.gate:
        from marts.checks import validate_mart

        gate_started = time.perf_counter()
        reports = [validate_mart(t, f) for t, f in marts.items() if f is not None]
        print(
            f"mart gates (GX):          {time.perf_counter() - gate_started:6.2f} s, all passed: {all(r.success for r in reports)}"
        )


if __name__ == "__main__":
    main()
