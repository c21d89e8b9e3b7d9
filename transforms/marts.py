"""From published core rows to every mart table. Pure: frames in, frames out.

Each domain contributes a builder `(inputs, built) -> {mart table: frame}`; builders run in order
and later ones may use marts built before them (`built`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from transforms import arena, gaps, open_llm_v1
from transforms.attribution import attribute_publisher
from transforms.registry import Registry

# Core tables the marts read (flows/marts.py loads them).
CORE_TABLES = ["core.open_llm_v2_entries", "core.open_llm_v1_entries", "core.arena_entries", "core.arena_models"]

# Mart table -> the columns it publishes, in order (matches warehouse/migrations).
MART_COLUMNS = {
    "marts.country_frontier": [
        "leaderboard", "snapshot_date", "attribution", "country", "best_score", "best_model", "models",
    ],
    "marts.gap": [
        "leaderboard", "snapshot_date", "attribution", "leader", "follower", "leader_score", "follower_score", "gap",
    ],
    "marts.open_weights_gap": arena.OPEN_WEIGHTS_GAP_COLUMNS,
}  # fmt: skip


@dataclass(frozen=True)
class MartInputs:
    core: dict[str, pl.DataFrame]  # core table name -> its published rows
    registry: Registry


def one_load_per_snapshot(entries: pl.DataFrame) -> pl.DataFrame:
    """Where several loads (sources) cover the same leaderboard and date, keep the one with the most
    rows (the most complete copy); ties go to the first load_id in sort order."""
    sizes = entries.group_by("leaderboard", "snapshot_date", "load_id").len()
    chosen = sizes.sort(["len", "load_id"], descending=[True, False]).unique(
        ["leaderboard", "snapshot_date"], keep="first"
    )
    return entries.join(chosen.select("load_id"), on="load_id", how="semi")


def open_llm_v2_board(entries: pl.DataFrame) -> pl.DataFrame:
    """Open LLM v2 rows as a board scored by the leaderboard average; flagged models are left out
    (the maintainers flag contaminated or misreported evaluations)."""
    board = (
        entries.with_columns(pl.lit("open-llm-v2").alias("leaderboard"))
        .pipe(one_load_per_snapshot)
        .filter(~pl.col("flagged").fill_null(False))
        .with_columns(pl.col("average").alias("score"))
    )
    return gaps.one_row_per_model(board, order_by=["official_provider"])


def leaderboard_marts(inputs: MartInputs, built: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    board = open_llm_v2_board(inputs.core["core.open_llm_v2_entries"])
    attribution = attribute_publisher(board.select("model_id", "namespace"), inputs.registry)
    # Open LLM v1 and the Arena, publisher mode (transforms/open_llm_v1.py, transforms/arena.py).
    v1 = inputs.core["core.open_llm_v1_entries"].with_columns(pl.lit(open_llm_v1.LEADERBOARD).alias("leaderboard"))
    v1_attributed = open_llm_v1.attributed_open_llm_v1_board(one_load_per_snapshot(v1), inputs.registry)
    arena_attributed = arena.attributed_arena_board(
        one_load_per_snapshot(inputs.core["core.arena_entries"]), inputs.core["core.arena_models"], inputs.registry
    )
    attributed = pl.concat(
        [gaps.attribute(board, attribution), v1_attributed, arena_attributed], how="diagonal_relaxed"
    )
    frontier = gaps.country_frontier(attributed)
    return {
        "marts.country_frontier": frontier,
        "marts.gap": gaps.pair_gap(frontier),
        "marts.open_weights_gap": arena.open_weights_gap(arena_attributed),
    }


MART_BUILDERS: list[Callable[[MartInputs, dict[str, pl.DataFrame]], dict[str, pl.DataFrame]]] = [
    leaderboard_marts,
]


def build_marts(inputs: MartInputs) -> dict[str, pl.DataFrame]:
    built: dict[str, pl.DataFrame] = {}
    for builder in MART_BUILDERS:
        built.update(builder(inputs, built))
    return {table: frame.select(MART_COLUMNS[table]) for table, frame in built.items()}
