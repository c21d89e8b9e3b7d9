"""Quality gates for the derived tables (marts and core.model_attribution), run before any is replaced.

Relations between columns and rows (gap = leader_score - follower_score, shares of one top-N
summing to at most 1) are checked on derived columns added to a validation copy, so the offending
rows show up in the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from expectations.funding import FUNDING_MART_SUITES
from expectations.gate import GateReport, validate

TOLERANCE = 1e-6  # gaps are rounded to 6 decimals (transforms/gaps.py)
COUNTRY = r"^(?:[A-Z]{2}|unattributed)$"
MODES = ["publisher", "lineage", "family"]
SCOPES = ["all", "unflagged", "official", "no_merges", "open_weights", "proprietary"]


@dataclass(frozen=True)
class MartSuite:
    build: Callable  # (gx expectations module) -> list of expectations
    keys: list[str]  # unique together; shown with offending rows
    derive: Callable[[pl.DataFrame], pl.DataFrame] | None = None


def _common(E, keys: list[str], not_null: list[str]) -> list:
    checks = [E.ExpectCompoundColumnsToBeUnique(column_list=keys)]
    checks += [E.ExpectColumnValuesToNotBeNull(column=c) for c in dict.fromkeys([*keys, *not_null])]
    if "attribution" in keys:
        checks.append(E.ExpectColumnValuesToBeInSet(column="attribution", value_set=MODES))
    if "scope" in keys:
        checks.append(E.ExpectColumnValuesToBeInSet(column="scope", value_set=SCOPES))
    return checks


def _pair_checks(E) -> list:
    return [
        E.ExpectColumnValuesToBeBetween(column="gap", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="relative_gap", min_value=0, max_value=1),
        E.ExpectColumnValuesToBeBetween(column="gap_minus_score_difference", min_value=-TOLERANCE, max_value=TOLERANCE),
        E.ExpectColumnValuesToBeInSet(column="leader_is_follower", value_set=[False]),
        E.ExpectColumnValuesToMatchRegex(column="leader", regex=COUNTRY),
        E.ExpectColumnValuesToMatchRegex(column="follower", regex=COUNTRY),
    ]


def _pair_derived(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        (pl.col("gap") - (pl.col("leader_score") - pl.col("follower_score"))).alias("gap_minus_score_difference"),
        (pl.col("leader") == pl.col("follower")).alias("leader_is_follower"),
    )


def _topn_derived(frame: pl.DataFrame) -> pl.DataFrame:
    group = ["leaderboard", "snapshot_date", "attribution", "scope", "top_n"]
    return frame.with_columns(pl.col("share").sum().over(group).alias("share_sum_of_top_n"))


PAIR_KEYS = ["leaderboard", "snapshot_date", "attribution", "scope", "pair"]
PAIR_NOT_NULL = ["leader", "follower", "leader_score", "follower_score", "gap", "leader_model", "follower_model"]

MART_SUITES: dict[str, MartSuite] = {
    "core.model_attribution": MartSuite(
        lambda E: [
            *_common(E, ["leaderboard", "model_id", "mode"], ["method", "evidence"]),
            E.ExpectColumnValuesToBeInSet(column="mode", value_set=MODES),
            E.ExpectColumnValuesToMatchRegex(column="country", regex=r"^[A-Z]{2}$"),
        ],
        ["leaderboard", "model_id", "mode"],
    ),
    "marts.model_scores": MartSuite(
        lambda E: [
            *_common(E, ["leaderboard", "snapshot_date", "model_id"], ["score", "load_id"]),
            *(E.ExpectColumnValuesToMatchRegex(column=f"country_{m}", regex=r"^[A-Z]{2}$") for m in MODES),
        ],
        ["leaderboard", "snapshot_date", "model_id"],
    ),
    "marts.country_frontier": MartSuite(
        lambda E: [
            *_common(
                E, ["leaderboard", "snapshot_date", "attribution", "scope", "country"], ["best_score", "best_model"]
            ),
            E.ExpectColumnValuesToBeBetween(column="models", min_value=1),
            E.ExpectColumnValuesToMatchRegex(column="country", regex=COUNTRY),
        ],
        ["leaderboard", "snapshot_date", "attribution", "scope", "country"],
    ),
    "marts.gap": MartSuite(
        lambda E: [
            *_common(E, PAIR_KEYS, PAIR_NOT_NULL),
            *_pair_checks(E),
            E.ExpectColumnValuesToBeBetween(column="lag_days", min_value=0),
        ],
        PAIR_KEYS,
        _pair_derived,
    ),
    "marts.topn_share": MartSuite(
        lambda E: [
            *_common(E, ["leaderboard", "snapshot_date", "attribution", "scope", "top_n", "country"], ["models"]),
            E.ExpectColumnValuesToBeInSet(column="top_n", value_set=[10, 50, 100]),
            E.ExpectColumnValuesToBeBetween(column="share", min_value=0, max_value=1),
            E.ExpectColumnValuesToBeBetween(column="share_sum_of_top_n", min_value=0, max_value=1 + TOLERANCE),
        ],
        ["leaderboard", "snapshot_date", "attribution", "scope", "top_n", "country"],
        _topn_derived,
    ),
    "marts.benchmark_gap": MartSuite(
        lambda E: [*_common(E, [*PAIR_KEYS, "benchmark"], PAIR_NOT_NULL), *_pair_checks(E)],
        [*PAIR_KEYS, "benchmark"],
        _pair_derived,
    ),
    "marts.size_gap": MartSuite(
        lambda E: [
            *_common(E, [*PAIR_KEYS, "size_bucket"], PAIR_NOT_NULL),
            *_pair_checks(E),
            E.ExpectColumnValuesToBeInSet(column="size_bucket", value_set=["<10B", "10-40B", ">40B"]),
        ],
        [*PAIR_KEYS, "size_bucket"],
        _pair_derived,
    ),
    "marts.gap_trend": MartSuite(
        lambda E: [
            *_common(E, PAIR_KEYS, ["country_a", "country_b", "gap_a_minus_b"]),
            E.ExpectColumnValuesToBeInSet(column="trend", value_set=["closing", "widening", "flat", "leader changed"]),
            E.ExpectColumnValuesToBeBetween(column="k", min_value=1),
        ],
        PAIR_KEYS,
    ),
    "marts.attribution_coverage": MartSuite(
        lambda E: [
            *_common(E, ["leaderboard", "snapshot_date", "mode"], ["models", "rows_share", "org_rows_share"]),
            *(
                E.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1)
                for c in ("rows_share", "top100_share", "org_rows_share", "org_top100_share")
            ),
        ],
        ["leaderboard", "snapshot_date", "mode"],
    ),
    "marts.unattributed": MartSuite(
        lambda E: [
            *_common(E, ["leaderboard", "attribution", "priority"], ["name", "reason", "best_score", "best_model"]),
            *_common(E, ["leaderboard", "attribution", "name"], []),
            E.ExpectColumnValuesToBeBetween(column="top100_appearances", min_value=0),
        ],
        ["leaderboard", "attribution", "name"],
    ),
}


MART_SUITES.update(
    {table: MartSuite(build, ids, derive) for table, (build, derive, ids) in FUNDING_MART_SUITES.items()}
)


def validate_mart(table: str, frame: pl.DataFrame) -> GateReport:
    if frame.is_empty():  # nothing published for this mart yet (e.g. a warehouse with funding only)
        return GateReport(table, True, 0, 0)
    suite = MART_SUITES[table]
    checked = suite.derive(frame) if suite.derive else frame
    return validate(checked, table, suite.build, suite.keys)
