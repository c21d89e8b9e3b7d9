"""Quality gates for Chatbot Arena snapshots (see datasets/arena/parse.py).

Entries (core.arena_entries), every check guarding a number the marts publish:
- the normalised schema is complete and typed; every row is one of the Arena leaderboards
  datasets/arena/board.py declares, and one snapshot holds one;
- the Arena score is within a plausible Elo range on every Elo board (700-1800: the bundled series
  span 789 in 2023 to 1725 on code-webdev in 2026), so a score column scaled or shifted by a parser
  cannot slip through; it may be missing only on a row the feed lists without a rank (an unrated
  listing) or on a board declared unranked (agent: rated by signals);
- votes, where published, are positive (the agent board lists a model with 0); a published CI (`+3/-4`, or the feed's `±n`) parsed;
- ranks are consistent with scores, for each rank style the Arena publishes: a `ties` rank (1 +
  the number of models statistically better) is never worse than 1 + the number of models with a
  strictly higher score; a `position` rank never puts a model above one with a higher score. A
  shuffled or misaligned rank column fails either (not on the agent board: it ranks by signals). (A position table with a repeated row dropped
  keeps its published positions: the gap after the repeat is allowed.);
- one row per model (model_key, rating, votes) per snapshot (one display name can carry two
  ratings on the daily feed: the board keeps the best); names free of control characters;
- the snapshot date is not in the future; the snapshot is not much smaller than the previous one
  of its series (the source decides the floor: half of the previous for archives, a fixed minimum
  for the daily top-N feed, whose N varies from 20 to 71).

Catalog (core.arena_models, the Space's metadata tables without scores): schema, names present,
one row per Arena key, MT-bench within [0, 10] and MMLU within [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from common.gate import GatePlan, printable, schema_checks
from datasets.arena.board import LEADERBOARDS, UNRANKED
from datasets.arena.parse import CATALOG_SCHEMA, ENTRY_SCHEMA

ENTRIES_SUITE = "arena_entries_snapshot"
CATALOG_SUITE = "arena_catalog_snapshot"
ID_COLUMNS = ("model", "rank", "score")
CATALOG_ID_COLUMNS = ("arena_key", "model")
SCORE_RANGE = (700, 1800)  # on a board whose unit is an Elo


@dataclass(frozen=True)
class ArenaContext:
    today: date
    min_rows: int = 1


def _snapshot_checks(E, context: ArenaContext) -> list:
    return [
        E.ExpectTableRowCountToBeBetween(min_value=context.min_rows),
        E.ExpectColumnValuesToBeOfType(column="snapshot_date", type_="date"),
        E.ExpectColumnValuesToNotBeNull(column="snapshot_date"),
        E.ExpectColumnValuesToBeBetween(column="snapshot_date", max_value=context.today),
    ]


def entries_suite(context: ArenaContext):
    def build(E) -> list:
        low, high = SCORE_RANGE
        return [
            *_snapshot_checks(E, context),
            *schema_checks(E, ENTRY_SCHEMA),
            E.ExpectColumnValuesToBeInSet(column="leaderboard", value_set=sorted(LEADERBOARDS)),
            E.ExpectColumnValuesToBeInSet(column="leaderboards_in_snapshot", value_set=[1]),
            E.ExpectColumnValuesToNotBeNull(column="model"),
            E.ExpectColumnValuesToNotBeNull(column="model_key"),
            E.ExpectColumnValuesToBeInSet(column="repeated_listing", value_set=[False]),
            *printable(E, ["model", "model_key", "organization", "license"]),
            E.ExpectColumnValuesToBeInSet(column="ranked_without_score", value_set=[False]),
            E.ExpectColumnValuesToBeBetween(column="elo_score", min_value=low, max_value=high),
            E.ExpectColumnValuesToBeBetween(column="ranked_votes", min_value=1),
            E.ExpectColumnValuesToBeInSet(column="ci_unparsed", value_set=[False]),
            E.ExpectColumnValuesToBeBetween(column="ci_plus", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="ci_minus", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="rank", min_value=1),
            E.ExpectColumnValuesToBeInSet(column="rank_style", value_set=["ties", "position"]),
            E.ExpectColumnValuesToBeInSet(column="rank_inconsistent_with_score", value_set=[False]),
        ]

    return build


def catalog_suite(context: ArenaContext):
    def build(E) -> list:
        return [
            *_snapshot_checks(E, context),
            *schema_checks(E, CATALOG_SCHEMA),
            E.ExpectColumnValuesToNotBeNull(column="arena_key"),
            E.ExpectColumnValuesToBeUnique(column="arena_key"),
            E.ExpectColumnValuesToNotBeNull(column="model"),
            *printable(E, ["arena_key", "model", "organization", "license"]),
            E.ExpectColumnValuesToBeBetween(column="mt_bench", min_value=0, max_value=10),
            E.ExpectColumnValuesToBeBetween(column="mmlu", min_value=0, max_value=1),
        ]

    return build


def with_check_columns(entries: pl.DataFrame) -> pl.DataFrame:
    """Derived columns the entries suite checks, so that offending rows show in the report."""
    strictly_higher = pl.col("score").rank(method="min", descending=True) - 1
    # the best score among the models ranked below this one (position style)
    best_ranked_below = pl.col("score").reverse().cum_max().reverse().shift(-1)
    inconsistent = (
        pl.when(pl.col("rank").is_null() | pl.col("score").is_null() | pl.col("leaderboard").is_in(UNRANKED))
        .then(False)
        .when(pl.col("rank_style") == "ties")
        .then(pl.col("rank") > 1 + strictly_higher)
        .when(pl.col("rank_style") == "position")
        .then(best_ranked_below.fill_null(float("-inf")) > pl.col("score"))
        .otherwise(False)
    )
    elo = pl.col("leaderboard").is_in([n for n, facts in LEADERBOARDS.items() if facts.unit == "Elo"])
    unranked = pl.col("leaderboard").is_in(UNRANKED)
    return entries.sort("rank", nulls_last=True).with_columns(
        pl.col("leaderboard").n_unique().alias("leaderboards_in_snapshot"),
        # one name listed twice with different ratings is two entries the Arena shows under one name
        # (the feed's gpt-5.3-codex (codex-harness) on code, 1406 and 1372): kept, the board counts the
        # best (common/boards.py); the same name with the same rating twice is a repeat, refused
        pl.struct("model_key", "score", "votes").is_duplicated().alias("repeated_listing"),
        (pl.col("score").is_null() & pl.col("rank").is_not_null() & ~pl.col("leaderboard").is_in(UNRANKED)).alias(
            "ranked_without_score"
        ),
        pl.when(elo).then(pl.col("score")).alias("elo_score"),
        # the agent board ranks by its signals, not by a score, and lists a model with 0 votes
        pl.when(~unranked).then(pl.col("votes")).alias("ranked_votes"),
        (pl.col("ci").is_not_null() & (pl.col("ci_plus").is_null() | pl.col("ci_minus").is_null())).alias(
            "ci_unparsed"
        ),
        inconsistent.alias("rank_inconsistent_with_score"),
    )


def entries_plan(frame: pl.DataFrame, context: ArenaContext) -> GatePlan:
    return GatePlan(ENTRIES_SUITE, entries_suite(context), with_check_columns(frame), ID_COLUMNS)


def catalog_plan(frame: pl.DataFrame, context: ArenaContext) -> GatePlan:
    return GatePlan(CATALOG_SUITE, catalog_suite(context), frame, CATALOG_ID_COLUMNS)


def plan(frame: pl.DataFrame, context: ArenaContext) -> GatePlan:
    """The entries suite for scored tables, the catalog suite for the Space's metadata tables."""
    return catalog_plan(frame, context) if "arena_key" in frame.columns else entries_plan(frame, context)
