"""Leaderboards as "boards": one row per model per snapshot, the common input of every mart.

Board columns (a board may lack the optional ones):
- leaderboard, snapshot_date, load_id, model_id, score             (required)
- publisher, publisher_alias_type       who published it, and which registry aliases name them
- official_provider, merged, flagged    filter flags (false when the leaderboard has none)
- params_b, architecture, base_model, model_type                   (optional)
- one column per benchmark in BENCHMARKS[leaderboard]              (optional)

Dedupe rule: a model evaluated in several precisions or at several revisions in one snapshot
counts once, with its best score; ties go to the official provider's entry, then to the
first revision in sort order (Arena: a model under two spellings on one date, the one with most
votes).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Leaderboard:
    """What a leaderboard's score means, for anything that prints or plots one."""

    title: str  # the leaderboard's name as a reader knows it
    unit: str  # the unit of a score and of a gap, written after a number ("36 Elo")
    scale: str  # what the score is, for an axis title
    decimals: int  # how precisely a gap is worth quoting


# The unit of every leaderboard's scores, declared once: the Arena's are Elo ratings (only
# differences mean something), the Open LLM boards' an average of benchmark scores on 0-100.
LEADERBOARDS = {
    "arena-text": Leaderboard("Chatbot Arena (text)", "Elo", "Arena score (Elo)", 0),
    "open-llm-v2": Leaderboard("Open LLM Leaderboard v2", "points", "average of 6 benchmark scores, 0-100 points", 2),
    "open-llm-v1": Leaderboard("Open LLM Leaderboard v1", "points", "average of 6 benchmark scores, 0-100 points", 2),
}


def leaderboard(name: str) -> Leaderboard:
    """The declared facts of a leaderboard; one not declared yet says so rather than guess a unit."""
    return LEADERBOARDS.get(name) or Leaderboard(name, "score points", f"{name} score (unit not declared)", 2)


BENCHMARKS = {
    "open-llm-v2": ["ifeval", "bbh", "math_lvl5", "gpqa", "musr", "mmlu_pro"],
    "open-llm-v1": ["arc", "hellaswag", "mmlu", "truthfulqa", "winogrande", "gsm8k"],
}
FLAGS = ["official_provider", "merged", "flagged"]


def one_load_per_snapshot(entries: pl.DataFrame) -> pl.DataFrame:
    """The entries, checked to come from one load per leaderboard and date.

    The warehouse guarantees it (warehouse/store.py, "which load counts": a later load for a date
    supersedes the earlier one), so the marts never choose between copies; two loads here mean the
    rule was bypassed, and the marts refuse to guess which copy counts."""
    per_snapshot = entries.group_by("leaderboard", "snapshot_date").agg(pl.col("load_id").unique().sort())
    doubled = per_snapshot.filter(pl.col("load_id").list.len() > 1)
    if len(doubled):
        first = doubled.row(0, named=True)
        raise ValueError(
            f"{len(doubled)} snapshot(s) published by more than one load, e.g. {first['leaderboard']} "
            f"{first['snapshot_date']}: {first['load_id']}; the store's supersession was bypassed"
        )
    return entries


def one_row_per_model(board: pl.DataFrame, tie_breaks: list[str] | None = None) -> pl.DataFrame:
    """The dedupe rule above (Arena: ties go to the row with most votes). Only the few repeated
    (snapshot, model) rows are sorted, and the board is filtered once."""
    # one board holds one leaderboard, so (date, model) identifies a row; hashing fewer strings is faster
    repeated = board.select(pl.struct("snapshot_date", "model_id").is_duplicated()).to_series()
    if not repeated.any():
        return board
    keys = ["snapshot_date", "model_id"]
    tie_breaks = tie_breaks or [c for c in ("official_provider", "revision_sha") if c in board.columns]
    descending = [True, *(c != "revision_sha" for c in tie_breaks)]
    best = (
        board.select(*keys, "score", *tie_breaks)
        .with_row_index("row")
        .filter(repeated)
        .sort(["score", *tie_breaks], descending=descending, nulls_last=True)
        .unique(keys, keep="first", maintain_order=True)["row"]
    )
    keep = ~repeated | pl.int_range(0, len(board), dtype=pl.UInt32).is_in(best.implode())
    return board.filter(keep)


def open_llm_v2_board(entries: pl.DataFrame) -> pl.DataFrame:
    """Open LLM Leaderboard v2, scored by the leaderboard average of its six benchmarks.

    `entries`: published core.open_llm_v2_entries rows of one load per snapshot date."""
    board = entries.select(
        pl.lit("open-llm-v2").alias("leaderboard"),
        "snapshot_date", "load_id", "model_id",
        pl.col("average").alias("score"),
        pl.col("namespace").alias("publisher"),
        pl.lit("hf_namespace").alias("publisher_alias_type"),
        *(pl.col(flag).fill_null(False) for flag in FLAGS),
        "params_b", "architecture", "base_model", "model_type", *BENCHMARKS["open-llm-v2"], "revision_sha",
    )  # fmt: skip
    return one_row_per_model(board).drop("revision_sha")
