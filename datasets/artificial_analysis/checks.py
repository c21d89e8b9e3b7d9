"""Quality gate for one Artificial Analysis edition (core.capability_entries; datasets/artificial_analysis/parse.py).

Every check guards a number the capability marts publish:
- the normalised schema is complete and typed; the edition date is present and not in the future;
- the three indices are on their 0-100 scale and every benchmark score a fraction in [0, 1], so a
  value scaled by a parser, or a corrupted one, cannot slip through; prices and speeds are not negative;
- most models carry an Intelligence Index (the bundled editions: 98%) and a release date (all but
  one), the two the frontier by release date is built on; no model is released after its edition;
- one row per Artificial Analysis model id and per slug (a reasoning setting has its own slug);
  every row has a creator; names and ids are free of control characters;
- the edition has at least half the models of the previous one (the list only grows: 544 -> 608).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import polars as pl

from common.gate import GatePlan, printable, schema_checks
from datasets.artificial_analysis.parse import BENCHMARKS, FIGURES, INDICES, SCHEMA

SUITE = "capability_entries_snapshot"
ID_COLUMNS = ("model", "slug", "intelligence_index")
INDEX_RANGE = (0, 100)
MIN_SHARE_WITH_INDEX = 0.9
MIN_SHARE_WITH_RELEASE_DATE = 0.95


@dataclass(frozen=True)
class CapabilityContext:
    today: date
    previous_rows: int | None = None

    @property
    def min_rows(self) -> int:
        return 1 if not self.previous_rows else max(1, math.ceil(self.previous_rows / 2))


def entries_suite(context: CapabilityContext):
    def build(E) -> list:
        checks = [E.ExpectTableRowCountToBeBetween(min_value=context.min_rows),
                  E.ExpectColumnValuesToBeOfType(column="snapshot_date", type_="date")]  # fmt: skip
        checks += schema_checks(E, SCHEMA)
        checks += [
            E.ExpectColumnValuesToNotBeNull(column="snapshot_date"),
            E.ExpectColumnValuesToBeBetween(column="snapshot_date", max_value=context.today),
            *(E.ExpectColumnValuesToNotBeNull(column=c) for c in ("model_uid", "model", "slug", "model_key", "creator_slug")),
            E.ExpectColumnValuesToBeUnique(column="model_uid"),
            E.ExpectColumnValuesToBeUnique(column="slug"),
            *printable(E, ["model_uid", "model", "slug", "model_key", "creator_slug", "creator_name"]),
            E.ExpectColumnValuesToNotBeNull(column="intelligence_index", mostly=MIN_SHARE_WITH_INDEX),
            E.ExpectColumnValuesToNotBeNull(column="release_date", mostly=MIN_SHARE_WITH_RELEASE_DATE),
            E.ExpectColumnValuesToBeInSet(column="released_after_edition", value_set=[False]),
            *(E.ExpectColumnValuesToBeBetween(column=c, min_value=INDEX_RANGE[0], max_value=INDEX_RANGE[1])
              for c in INDICES),
            *(E.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1) for c in BENCHMARKS),
            *(E.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in FIGURES),
        ]  # fmt: skip
        return checks

    return build


def with_check_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Derived columns the suite checks, so that offending rows show in the report."""
    return frame.with_columns(
        (pl.col("release_date") > pl.col("snapshot_date")).fill_null(False).alias("released_after_edition")
    )


def entries_plan(frame: pl.DataFrame, context: CapabilityContext) -> GatePlan:
    return GatePlan(SUITE, entries_suite(context), with_check_columns(frame), ID_COLUMNS)


# --- the capability marts (datasets/artificial_analysis/marts.py), gated before they are replaced -------------
#
# Each suite: (build, derive, keys), as marts/checks.py takes them. Every relation a reader
# relies on is a derived column checked True: a frontier step rises, a gap is leader minus follower,
# a censored lag has no lag_days, one row per edition, index and pair is the latest.

TOLERANCE = 1e-6
COUNTRY_CODE = r"^[A-Z]{2}$"


def _unique(E, keys: list[str]) -> list:
    unique = (E.ExpectCompoundColumnsToBeUnique(column_list=keys) if len(keys) > 1
              else E.ExpectColumnValuesToBeUnique(column=keys[0]))  # fmt: skip
    return [unique, *(E.ExpectColumnValuesToNotBeNull(column=c) for c in keys)]


def _true(E, *columns: str) -> list:
    return [E.ExpectColumnValuesToBeInSet(column=c, value_set=[True]) for c in columns]


def _models_checks(E) -> list:
    return [
        *_unique(E, ["edition", "index_name", "model_uid"]),
        E.ExpectColumnValuesToBeInSet(column="index_name", value_set=list(INDICES)),
        E.ExpectColumnValuesToBeBetween(column="value", min_value=INDEX_RANGE[0], max_value=INDEX_RANGE[1]),
        E.ExpectColumnValuesToBeBetween(column="settings", min_value=1),
        E.ExpectColumnValuesToMatchRegex(column="country", regex=COUNTRY_CODE),
        *_true(E, "placed_or_says_why"),
    ]


def _models(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        (pl.col("country").is_not_null() | pl.col("unplaced_reason").is_not_null()).alias("placed_or_says_why")
    )


def _frontier_checks(E) -> list:
    return [
        *_unique(E, ["edition", "index_name", "country", "as_of"]),
        E.ExpectColumnValuesToMatchRegex(column="country", regex=COUNTRY_CODE),
        E.ExpectColumnValuesToBeBetween(column="best_value", min_value=INDEX_RANGE[0], max_value=INDEX_RANGE[1]),
        E.ExpectColumnValuesToBeBetween(column="models_released", min_value=1),
        *_true(E, "step_rises", "not_after_edition"),
    ]


def _frontier(frame: pl.DataFrame) -> pl.DataFrame:
    keys = ["edition", "index_name", "country"]
    ordered = frame.sort([*keys, "as_of"])
    return ordered.with_columns(
        (pl.col("best_value") > pl.col("best_value").shift(1).over(keys)).fill_null(True).alias("step_rises"),
        (pl.col("as_of") <= pl.col("edition")).alias("not_after_edition"),
    )


def _gap_checks(E) -> list:
    return [
        *_unique(E, ["edition", "index_name", "pair", "as_of"]),
        E.ExpectColumnValuesToBeBetween(column="gap", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="relative_gap", min_value=0, max_value=1),
        E.ExpectColumnValuesToBeBetween(column="days_since_leader_reached", min_value=0),
        E.ExpectColumnValuesToMatchRegex(column="leader", regex=COUNTRY_CODE),
        E.ExpectColumnValuesToMatchRegex(column="follower", regex=COUNTRY_CODE),
        *_true(E, "gap_is_difference", "leader_is_not_follower", "lag_consistent", "one_latest", "leader_at_level"),
    ]


def _gap(frame: pl.DataFrame) -> pl.DataFrame:
    by = ["edition", "index_name", "pair"]
    lag = (pl.col("follower_reached_on") - pl.col("leader_reached_on")).dt.total_days()
    return frame.with_columns(
        ((pl.col("gap") - (pl.col("leader_value") - pl.col("follower_value"))).abs() <= TOLERANCE)
        .alias("gap_is_difference"),
        (pl.col("leader") != pl.col("follower")).alias("leader_is_not_follower"),
        (pl.when(pl.col("lag_censored")).then(pl.col("lag_days").is_null())
         .otherwise(pl.col("lag_days") == pl.col("lag_days_at_least")) & (pl.col("lag_days_at_least") == lag))
        .fill_null(False).alias("lag_consistent"),
        (pl.col("latest").sum().over(by) == 1).alias("one_latest"),
        (pl.col("leader_reached_on") <= pl.col("as_of")).alias("leader_at_level"),
    )  # fmt: skip


def _revisions_checks(E) -> list:
    return [
        *_unique(E, ["index_name", "model_uid", "new_edition"]),
        E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="new_edition", column_B="old_edition"),
        *_true(E, "change_is_difference", "changed"),
    ]


def _revisions(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        ((pl.col("change") - (pl.col("new_value") - pl.col("old_value"))).abs() <= TOLERANCE).alias(
            "change_is_difference"
        ),
        (pl.col("new_value") != pl.col("old_value")).alias("changed"),
    )


def _editions_checks(E) -> list:
    return [
        *_unique(E, ["edition"]),
        E.ExpectColumnValuesToBeBetween(column="entries", min_value=1),
        *(E.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1)
          for c in ("placed_share", "top100_placed_share")),
        *_true(E, "revised_within_compared"),
    ]  # fmt: skip


def _editions(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        (pl.col("intelligence_revised") <= pl.col("intelligence_compared"))
        .fill_null(True)
        .alias("revised_within_compared")
    )


CAPABILITY_MART_SUITES = {
    "marts.capability_models": (_models_checks, _models, ["edition", "index_name", "model_uid"]),
    "marts.capability_frontier": (_frontier_checks, _frontier, ["edition", "index_name", "country", "as_of"]),
    "marts.capability_gap": (_gap_checks, _gap, ["edition", "index_name", "pair", "as_of"]),
    "marts.capability_revisions": (_revisions_checks, _revisions, ["index_name", "model_uid", "new_edition"]),
    "marts.capability_editions": (_editions_checks, _editions, ["edition"]),
}
