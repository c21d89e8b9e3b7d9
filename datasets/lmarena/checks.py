"""Quality gates for the LMArena dataset: each snapshot (core.lmarena_entries) and its two marts.

A snapshot (one subset on one publish date), every check guarding a number the marts publish:
- the normalised schema is complete and typed; subset, category and model present and printable;
- the rating is present and on the Arena's Elo scale (300-2500: the bundled publishes span 534 to
  1722), so a shifted or rescaled column cannot slip through; the bounds, where published, hold the
  rating between them (rating_lower <= rating <= rating_upper); the variance is not negative;
- vote counts are at least 1, ranks at least 1;
- no row is listed twice with every field equal (a model listed twice with different ratings is a
  real quirk the marts flag, datasets/lmarena/parse.py; an exact repeat is a copy error);
- the publish date is not in the future.
The marts: keys unique, frontiers within their bounds, the gap equal to the two ratings'
difference and inside its own bounds, `tied` exactly when the bounds straddle 0, the leader one of
the pair, statuses from the documented set, a gap only where the frontiers are unambiguous.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from common.gate import GatePlan, printable, schema_checks
from datasets.lmarena.marts import FRONT, STATUSES
from datasets.lmarena.parse import ENTRY_SCHEMA

SUITE = "lmarena_entries_snapshot"
ID_COLUMNS = ("subset", "category", "model", "rating")
RATING_RANGE = (300, 2500)
TOLERANCE = 1e-6
ROW_FIELDS = ["category", "model", "organization", "license", "rating", "rating_lower", "rating_upper",
              "variance", "vote_count", "rank"]  # fmt: skip


def entries_suite(today: date):
    def build(E) -> list:
        low, high = RATING_RANGE
        return [
            E.ExpectTableRowCountToBeBetween(min_value=1),
            *schema_checks(E, ENTRY_SCHEMA),
            *(
                E.ExpectColumnValuesToNotBeNull(column=c)
                for c in ("snapshot_date", "subset", "style_control", "category", "model", "rating", "listings")
            ),
            E.ExpectColumnValuesToBeBetween(column="snapshot_date", max_value=today),
            E.ExpectColumnValuesToMatchRegex(column="subset", regex=r"^[a-z0-9_-]+$"),
            *printable(E, ["category", "model", "organization", "license"]),
            E.ExpectColumnValuesToBeBetween(column="rating", min_value=low, max_value=high),
            E.ExpectColumnValuesToBeInSet(column="rating_outside_bounds", value_set=[False]),
            E.ExpectColumnValuesToBeBetween(column="variance", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="vote_count", min_value=1),
            E.ExpectColumnValuesToBeBetween(column="rank", min_value=1),
            E.ExpectCompoundColumnsToBeUnique(column_list=ROW_FIELDS, ignore_row_if="never"),
        ]

    return build


def with_check_columns(frame: pl.DataFrame) -> pl.DataFrame:
    outside = (pl.col("rating_lower") > pl.col("rating")) | (pl.col("rating") > pl.col("rating_upper"))
    return frame.with_columns(outside.fill_null(False).alias("rating_outside_bounds"))


def entries_plan(frame: pl.DataFrame, today: date) -> GatePlan:
    return GatePlan(SUITE, entries_suite(today), with_check_columns(frame), ID_COLUMNS)


# --- the marts (marts/checks.py takes these in its MART_SUITES) --------------------------------


def _frontier_derived(frame: pl.DataFrame) -> pl.DataFrame:
    outside = (pl.col("rating_lower") > pl.col("rating") + TOLERANCE) | (
        pl.col("rating") > pl.col("rating_upper") + TOLERANCE
    )
    return frame.with_columns(outside.fill_null(False).alias("rating_outside_bounds"))


def _frontier_checks(E) -> list:
    keys = [*FRONT, "country"]
    return [
        E.ExpectCompoundColumnsToBeUnique(column_list=keys),
        *(E.ExpectColumnValuesToNotBeNull(column=c) for c in [*keys, "best_model", "rating", "models", "load_id"]),
        E.ExpectColumnValuesToMatchRegex(column="country", regex=r"^(?:[A-Z]{2}|unattributed)$"),
        E.ExpectColumnValuesToBeBetween(column="models", min_value=1),
        E.ExpectColumnValuesToBeBetween(column="listings", min_value=1),
        E.ExpectColumnValuesToBeInSet(column="rating_outside_bounds", value_set=[False]),
    ]


def _gap_derived(frame: pl.DataFrame) -> pl.DataFrame:
    signed = pl.col("rating_a") - pl.col("rating_b")
    known = pl.col("gap_a_minus_b").is_not_null()
    straddles = (pl.col("gap_a_minus_b_lower") <= 0) & (pl.col("gap_a_minus_b_upper") >= 0)
    return frame.with_columns(
        pl.when(known).then((pl.col("gap_a_minus_b") - signed).abs() > TOLERANCE).otherwise(False)
        .alias("gap_not_the_difference"),
        pl.when(known).then((pl.col("gap") - pl.col("gap_a_minus_b").abs()).abs() > TOLERANCE).otherwise(False)
        .alias("gap_not_its_size"),
        pl.when(known).then(
            (pl.col("gap_a_minus_b_lower") > pl.col("gap_a_minus_b") + TOLERANCE)
            | (pl.col("gap_a_minus_b") > pl.col("gap_a_minus_b_upper") + TOLERANCE)
        ).otherwise(False).fill_null(False).alias("gap_outside_bounds"),
        pl.when(pl.col("tied").is_not_null()).then(pl.col("tied") != straddles).otherwise(False)
        .alias("tie_rule_broken"),
        pl.when(known).then(
            (pl.col("leader") != pl.when(signed >= 0).then(pl.col("country_a")).otherwise(pl.col("country_b")))
            | (pl.col("follower") != pl.when(signed >= 0).then(pl.col("country_b")).otherwise(pl.col("country_a")))
        ).otherwise(pl.any_horizontal(pl.col(c).is_not_null() for c in ("leader", "follower", "gap", "tied")))
        .fill_null(True).alias("leader_not_of_the_pair"),
        (known == (pl.col("status") == "ambiguous")).alias("gap_presence_wrong"),
    )  # fmt: skip


def _gap_checks(E) -> list:
    keys = [*FRONT, "pair"]
    return [
        E.ExpectCompoundColumnsToBeUnique(column_list=keys),
        *(E.ExpectColumnValuesToNotBeNull(column=c) for c in [*keys, "country_a", "country_b", "model_a", "model_b",
                                                               "rating_a", "rating_b", "status", "load_id"]),
        E.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES),
        E.ExpectColumnValuesToBeBetween(column="gap", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="unattributed_above", min_value=0),
        *(E.ExpectColumnValuesToBeInSet(column=c, value_set=[False]) for c in (
            "gap_not_the_difference", "gap_not_its_size", "gap_outside_bounds", "tie_rule_broken",
            "leader_not_of_the_pair", "gap_presence_wrong")),
    ]  # fmt: skip


# table -> (build, derive, keys), the shape of datasets/funding/checks.py FUNDING_MART_SUITES
LMARENA_MART_SUITES = {
    "marts.lmarena_frontier": (_frontier_checks, _frontier_derived, [*FRONT, "country"]),
    "marts.lmarena_gap": (_gap_checks, _gap_derived, [*FRONT, "pair"]),
}
