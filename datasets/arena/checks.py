"""Quality gates for Chatbot Arena snapshots (see datasets/arena/parse.py).

Entries (core.arena_entries), every check guarding a number the marts publish:
- the normalised schema is complete and typed; every row is the `arena-text` leaderboard;
- the Arena score is present and within a plausible Elo range (700-1700: the bundled series spans
  789 in 2023 to 1503 in 2026), so a score column scaled or shifted by a parser cannot slip through;
- votes, where published, are positive; a published CI (`+3/-4`, or the feed's `±n`) parsed;
- ranks are consistent with scores, for each rank style the Arena publishes: a `ties` rank (1 +
  the number of models statistically better) is never worse than 1 + the number of models with a
  strictly higher score; a `position` rank never puts a model above one with a higher score. A
  shuffled or misaligned rank column fails either. (A position table with a repeated row dropped
  keeps its published positions: the gap after the repeat is allowed.);
- one row per model (model_key) per snapshot; names free of control characters;
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

from common.gate import GatePlan, printable
from datasets.arena.parse import CATALOG_SCHEMA, ENTRY_SCHEMA, LEADERBOARD

ENTRIES_SUITE = "arena_entries_snapshot"
CATALOG_SUITE = "arena_catalog_snapshot"
ID_COLUMNS = ("model", "rank", "score")
CATALOG_ID_COLUMNS = ("arena_key", "model")
SCORE_RANGE = (700, 1700)

_GX_TYPES = {"Utf8": "str", "String": "str", "Float64": "float", "Int64": "int", "Boolean": "bool", "Date": "date"}


@dataclass(frozen=True)
class ArenaContext:
    today: date
    min_rows: int = 1


def _schema_checks(E, schema: dict[str, pl.DataType]) -> list:
    checks = []
    for column, dtype in schema.items():
        checks.append(E.ExpectColumnToExist(column=column))
        checks.append(E.ExpectColumnValuesToBeOfType(column=column, type_=_GX_TYPES[str(dtype)]))
    return checks


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
            *_schema_checks(E, ENTRY_SCHEMA),
            E.ExpectColumnValuesToBeInSet(column="leaderboard", value_set=[LEADERBOARD]),
            E.ExpectColumnValuesToNotBeNull(column="model"),
            E.ExpectColumnValuesToNotBeNull(column="model_key"),
            E.ExpectColumnValuesToBeUnique(column="model_key"),
            *printable(E, ["model", "model_key", "organization", "license"]),
            E.ExpectColumnValuesToNotBeNull(column="score"),
            E.ExpectColumnValuesToBeBetween(column="score", min_value=low, max_value=high),
            E.ExpectColumnValuesToBeBetween(column="votes", min_value=1),
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
            *_schema_checks(E, CATALOG_SCHEMA),
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
        pl.when(pl.col("rank").is_null() | pl.col("score").is_null())
        .then(False)
        .when(pl.col("rank_style") == "ties")
        .then(pl.col("rank") > 1 + strictly_higher)
        .when(pl.col("rank_style") == "position")
        .then(best_ranked_below.fill_null(float("-inf")) > pl.col("score"))
        .otherwise(False)
    )
    return entries.sort("rank", nulls_last=True).with_columns(
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
