"""Gap metrics per leaderboard, snapshot and attribution mode. Pure polars functions.

Input is a "board": one row per evaluated model entry with at least
leaderboard, snapshot_date, model_id, score. Attribution rows (transforms/attribution.py) are
joined on model_id and mode.
"""

from __future__ import annotations

import polars as pl

from transforms.attribution import UNATTRIBUTED

DEFAULT_PAIR = ("US", "CN")
GAP_DECIMALS = 6


def one_row_per_model(board: pl.DataFrame, order_by: list[str] | None = None) -> pl.DataFrame:
    """Dedupe rule: the same model evaluated in several precisions or at several revisions counts
    once per snapshot, with its best score (ties broken by the columns in `order_by`, then model_id).
    """
    keys = ["leaderboard", "snapshot_date", "model_id"]
    order = ["score", *(order_by or [])]
    return board.sort(order, descending=True, nulls_last=True).unique(keys, keep="first", maintain_order=True)


def attribute(board: pl.DataFrame, attribution: pl.DataFrame) -> pl.DataFrame:
    """Board rows x attribution modes, with `country` = 'unattributed' where unknown."""
    return board.join(
        attribution.select("model_id", "mode", "org_id", "country"), on="model_id", how="inner"
    ).with_columns(
        pl.col("mode").alias("attribution"),
        pl.col("country").fill_null(UNATTRIBUTED),
    )


def country_frontier(attributed: pl.DataFrame) -> pl.DataFrame:
    """Each country's best score, the model holding it (ties: alphabetical), and its model count."""
    keys = ["leaderboard", "snapshot_date", "attribution", "country"]
    return (
        attributed.sort([*keys, "score", "model_id"], descending=[False] * len(keys) + [True, False])
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col("score").first().alias("best_score"),
            pl.col("model_id").first().alias("best_model"),
            pl.col("model_id").n_unique().alias("models"),
        )
        .sort(keys)
    )


def pair_gap(frontier: pl.DataFrame, pair: tuple[str, str] = DEFAULT_PAIR) -> pl.DataFrame:
    """The frontier gap between two countries wherever both are on the board.

    leader = the country with the higher best score (the first of the pair on a tie);
    gap = leader_score - follower_score >= 0.
    """
    a, b = pair
    keys = ["leaderboard", "snapshot_date", "attribution"]
    side = frontier.select(*keys, "country", "best_score")
    both = side.filter(pl.col("country") == a).join(
        side.filter(pl.col("country") == b), on=keys, how="inner", suffix="_b"
    )
    a_leads = pl.col("best_score") >= pl.col("best_score_b")
    return (
        both.select(
            *keys,
            pl.when(a_leads).then(pl.lit(a)).otherwise(pl.lit(b)).alias("leader"),
            pl.when(a_leads).then(pl.lit(b)).otherwise(pl.lit(a)).alias("follower"),
            pl.max_horizontal("best_score", "best_score_b").alias("leader_score"),
            pl.min_horizontal("best_score", "best_score_b").alias("follower_score"),
        )
        .with_columns(
            # Rounded so that 0.12 reads as 0.12, not 0.12000000000000455; scores carry at most ~13 digits.
            (pl.col("leader_score") - pl.col("follower_score")).round(GAP_DECIMALS).alias("gap")
        )
        .sort(keys)
    )
