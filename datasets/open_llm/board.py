"""The Open LLM Leaderboards as boards: what a score means, and how a core table's rows become one
row per model per snapshot (common/boards.py)."""

from __future__ import annotations

import polars as pl

from common.boards import FLAGS, Board, Leaderboard, one_row_per_model
from datasets.open_llm import v1, v2

# Both boards score a model by the leaderboard's average of six benchmark scores on 0-100.
LEADERBOARDS = {
    "open-llm-v2": Leaderboard(
        "Open LLM Leaderboard v2", "points", "average of 6 benchmark scores, 0-100 points", 2, v2.BENCHMARKS
    ),
    "open-llm-v1": Leaderboard(
        "Open LLM Leaderboard v1", "points", "average of 6 benchmark scores, 0-100 points", 2, v1.BENCHMARKS
    ),
}


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
        "params_b", "architecture", "base_model", "model_type", *v2.BENCHMARKS, "revision_sha",
    )  # fmt: skip
    return one_row_per_model(board).drop("revision_sha")


def open_llm_v1_board(entries: pl.DataFrame) -> pl.DataFrame:
    """One row per model per v1 snapshot, scored by the leaderboard average (common/boards.py
    contract); precisions/revisions of one model count once (its best), as for v2.

    `entries` are published core.open_llm_v1_entries rows.
    """
    board = entries.filter(pl.col("average").is_not_null()).select(
        pl.lit("open-llm-v1").alias("leaderboard"),
        "snapshot_date", "load_id", "model_id",
        pl.col("average").alias("score"),
        pl.col("namespace").alias("publisher"),
        pl.lit("hf_namespace").alias("publisher_alias_type"),
        pl.col("merged").fill_null(False), pl.col("flagged").fill_null(False),
        "params_b", "architecture", "model_type", *v1.BENCHMARKS, "revision_sha",
    )  # fmt: skip
    return one_row_per_model(board).drop("revision_sha")


BOARDS = {
    "core.open_llm_v2_entries": Board(
        lambda entries, core: open_llm_v2_board(entries),
        history_columns=(
            "load_id", "snapshot_date", "model_id", "namespace", "revision_sha", "model_type", "architecture",
            "base_model", "average", "official_provider",
        ),
    ),
    "core.open_llm_v1_entries": Board(
        lambda entries, core: open_llm_v1_board(entries),
        history_columns=(
            "load_id", "snapshot_date", "model_id", "namespace", "revision_sha", "model_type", "architecture",
            "average",
        ),
    ),
}  # fmt: skip
