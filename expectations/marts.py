"""Quality gates for mart tables, run before any mart is replaced.

Relations between columns (gap = leader_score - follower_score) are checked on derived columns
added to a validation copy of the mart, so the offending rows show up in the report.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from expectations.gate import GateReport, validate

TOLERANCE = 1e-6  # gaps are rounded to 6 decimals (transforms/gaps.py)


def _frontier(E) -> list:
    keys = ["leaderboard", "snapshot_date", "attribution", "country"]
    checks = [E.ExpectCompoundColumnsToBeUnique(column_list=keys)]
    for column in [*keys, "best_score", "best_model", "models"]:
        checks.append(E.ExpectColumnValuesToNotBeNull(column=column))
    checks.append(E.ExpectColumnValuesToBeBetween(column="models", min_value=1))
    checks.append(E.ExpectColumnValuesToMatchRegex(column="country", regex=r"^(?:[A-Z]{2}|unattributed)$"))
    return checks


def _gap(E) -> list:
    keys = ["leaderboard", "snapshot_date", "attribution", "leader", "follower"]
    checks = [E.ExpectCompoundColumnsToBeUnique(column_list=keys)]
    for column in [*keys, "leader_score", "follower_score", "gap"]:
        checks.append(E.ExpectColumnValuesToNotBeNull(column=column))
    checks.append(E.ExpectColumnValuesToBeBetween(column="gap", min_value=0))
    checks.append(
        E.ExpectColumnValuesToBeBetween(column="gap_minus_score_difference", min_value=-TOLERANCE, max_value=TOLERANCE)
    )
    return checks


def _open_weights_gap(E) -> list:
    keys = ["leaderboard", "snapshot_date", "attribution", "weights", "leader", "follower"]
    checks = [E.ExpectCompoundColumnsToBeUnique(column_list=keys)]
    for column in [*keys, "leader_score", "follower_score", "gap", "leader_model", "follower_model"]:
        checks.append(E.ExpectColumnValuesToNotBeNull(column=column))
    checks.append(E.ExpectColumnValuesToBeInSet(column="weights", value_set=["open", "proprietary"]))
    checks.append(E.ExpectColumnValuesToBeBetween(column="gap", min_value=0))
    checks.append(
        E.ExpectColumnValuesToBeBetween(column="gap_minus_score_difference", min_value=-TOLERANCE, max_value=TOLERANCE)
    )
    return checks


def _gap_checks(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        (pl.col("gap") - (pl.col("leader_score") - pl.col("follower_score"))).alias("gap_minus_score_difference")
    )


# mart table -> (suite builder, derive check columns, id columns shown with offending rows)
MART_SUITES: dict[str, tuple[Callable, Callable[[pl.DataFrame], pl.DataFrame] | None, list[str]]] = {
    "marts.country_frontier": (_frontier, None, ["leaderboard", "snapshot_date", "attribution", "country"]),
    "marts.gap": (_gap, _gap_checks, ["leaderboard", "snapshot_date", "attribution"]),
    "marts.open_weights_gap": (_open_weights_gap, _gap_checks, ["leaderboard", "snapshot_date", "weights"]),
}


def validate_mart(table: str, frame: pl.DataFrame) -> GateReport:
    build, derive, ids = MART_SUITES[table]
    checked = derive(frame) if derive else frame
    return validate(checked, table, build, ids)
