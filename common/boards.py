"""Leaderboards as "boards": one row per model per snapshot, the common input of every mart.

Board columns (a board may lack the optional ones):
- leaderboard, snapshot_date, load_id, model_id, score             (required)
- publisher, publisher_alias_type       who published it, and which registry aliases name them
- official_provider, merged, flagged    filter flags (false when the leaderboard has none)
- params_b, architecture, base_model, model_type                   (optional)
- one column per benchmark in its Leaderboard's `benchmarks`         (optional)

Dedupe rule: a model evaluated in several precisions or at several revisions in one snapshot
counts once, with its best score; ties go to the official provider's entry, then to the
first revision in sort order (Arena: a model under two spellings on one date, the one with most
votes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

# The decimals every gap a mart stores is rounded to (marts/gaps.py, the capability marts).
GAP_DECIMALS = 6


@dataclass(frozen=True)
class Leaderboard:
    """What a leaderboard's score means, for anything that prints or plots one."""

    title: str  # the leaderboard's name as a reader knows it
    unit: str  # the unit of a score and of a gap, written after a number ("36 Elo")
    scale: str  # what the score is, for an axis title
    decimals: int  # how precisely a gap is worth quoting
    benchmarks: tuple[str, ...] = ()  # the board columns holding per-benchmark scores
    # why the leaderboard has no frontier, when its rows carry no single comparable score: then it is
    # listed (its rows kept in core), never ranked (no frontier, gap, lag or share is computed)
    unranked: str = ""


def undeclared(name: str) -> Leaderboard:
    """A leaderboard no dataset declares: it says so rather than guess a unit."""
    return Leaderboard(name, "score points", f"{name} score (unit not declared)", 2)


@dataclass(frozen=True)
class Board:
    """How a core table becomes a board (the columns above) for the marts."""

    # (the table's rows of one load per snapshot, every core table) -> the board
    build: Callable[[pl.DataFrame, dict[str, pl.DataFrame]], pl.DataFrame]
    # other core tables it reads whole: a change there changes every snapshot of the board
    reads: tuple[str, ...] = ()
    # the columns its history needs (the dedupe rule's score and tie-breaks, the model facts, the top
    # 100 of each snapshot): an incremental refresh reads only these for every snapshot and every
    # column for the snapshots it recomputes; None reads the table whole (a small table)
    history_columns: tuple[str, ...] | None = None


FLAGS = ["official_provider", "merged", "flagged"]


def one_load_per_snapshot(entries: pl.DataFrame) -> pl.DataFrame:
    """The entries, checked to come from one load per leaderboard and date.

    The warehouse guarantees it (warehouse/publishing.py, "which load counts": a later load for a date
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
    # a board may hold several leaderboards (the Arena's boards share one core table)
    keys = (
        ["leaderboard", "snapshot_date", "model_id"]
        if board["leaderboard"].n_unique() > 1
        else ["snapshot_date", "model_id"]
    )
    repeated = board.select(pl.struct(keys).is_duplicated()).to_series()
    if not repeated.any():
        return board
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
