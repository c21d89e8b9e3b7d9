"""Quality gates for the derived tables (marts and core.model_attribution), run before any is replaced.

Relations between columns and rows (gap = leader_score - follower_score, shares of one top-N
summing to at most 1) are checked on derived columns added to a validation copy, so the offending
rows show up in the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from attribution.lineage import GRAPH_METHODS, UNRESOLVED
from attribution.lineage import METHODS as LINEAGE_METHODS
from common.gate import GateReport, validate
from datasets.artificial_analysis.checks import CAPABILITY_MART_SUITES
from datasets.funding.checks import FUNDING_MART_SUITES
from datasets.lmarena.checks import LMARENA_MART_SUITES
from marts.gaps import HOLE_DAYS, LINEAGE_SPLIT, TREND_WINDOWS

TOLERANCE = 1e-6  # gaps are rounded to 6 decimals (marts/gaps.py)
COUNTRY = r"^(?:[A-Z]{2}|unattributed)$"
MODES = ["publisher", "lineage", "family"]
SCOPES = ["all", "unflagged", "official", "no_merges", "open_weights", "proprietary"]


@dataclass(frozen=True)
class MartSuite:
    build: Callable  # (gx expectations module) -> list of expectations
    keys: list[str]  # unique together; shown with offending rows
    derive: Callable[[pl.DataFrame], pl.DataFrame] | None = None


def _common(E, keys: list[str], not_null: list[str]) -> list:
    checks = [
        E.ExpectCompoundColumnsToBeUnique(column_list=keys)
        if len(keys) > 1
        else E.ExpectColumnValuesToBeUnique(column=keys[0])
    ]
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


def _lag_derived(frame: pl.DataFrame) -> pl.DataFrame:
    """A censored lag has no lag_days and a lower bound; an uncensored one equals its lower bound."""
    return _pair_derived(frame).with_columns(
        pl.when(pl.col("follower_censored"))
        .then(pl.col("lag_days").is_null() & pl.col("lag_days_at_least").is_null() & pl.col("lag_censored"))
        .when(pl.col("lag_censored"))
        .then(pl.col("lag_days").is_null() & pl.col("lag_days_at_least").is_not_null())
        .otherwise(pl.col("lag_days") == pl.col("lag_days_at_least"))
        .fill_null(False)
        .alias("lag_consistent"),
        (pl.col("after_hole") == (pl.col("days_since_previous").fill_null(0) > HOLE_DAYS)).alias("hole_consistent"),
        # a censored follower: no gap, no score, a bound; a measured one: the gap is its own lower bound
        pl.when(pl.col("follower_censored"))
        .then(
            pl.col("gap").is_null()
            & pl.col("follower_score").is_null()
            & pl.col("follower_below").is_not_null()
            & (pl.col("gap_at_least") == (pl.col("leader_score") - pl.col("follower_below")).round(6))
        )
        .otherwise(
            pl.col("gap").is_not_null()
            & pl.col("follower_model").is_not_null()
            & (pl.col("gap_at_least") == pl.col("gap"))
        )
        .fill_null(False)
        .alias("censoring_consistent"),
    )


def _trend_derived(frame: pl.DataFrame) -> pl.DataFrame:
    """The compared snapshot lies within the stated tolerance of the window; no trend without one."""
    return frame.with_columns(
        (
            pl.col("compared_with").is_null()
            | ((pl.col("days_apart") - pl.col("window_days")).abs() <= pl.col("tolerance_days"))
        ).alias("compared_within_tolerance"),
        (pl.col("trend").is_null() == pl.col("gap_then").is_null()).alias("trend_iff_compared"),
    )


def _lineage_derived(frame: pl.DataFrame) -> pl.DataFrame:
    """Resolved through the graph -> a root; unattributed -> no organisation."""
    graph = pl.col("method").is_in(list(GRAPH_METHODS))
    return frame.with_columns(
        (graph == pl.col("root_model").is_not_null()).alias("root_iff_graph"),
        ((pl.col("method") == UNRESOLVED) == pl.col("org_id").is_null()).alias("org_iff_resolved"),
    )


def _attribution_derived(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        ((pl.col("mode") != "lineage") | pl.col("method").is_in(list(LINEAGE_METHODS))).alias("lineage_method_known")
    )


def _coverage_derived(frame: pl.DataFrame) -> pl.DataFrame:
    """Lineage: the top-100 share with a known country is the chain share plus the architecture share."""
    return frame.with_columns(
        pl.when(pl.col("mode") == "lineage")
        .then(pl.col("top100_chain_share") + pl.col("top100_architecture_share") - pl.col("top100_share"))
        .otherwise(0.0)
        .fill_null(0.0)
        .alias("lineage_split_error"),
        pl.when(pl.col("mode") == "lineage")
        .then(True)
        .otherwise(pl.all_horizontal(pl.col(c).is_null() for c in LINEAGE_SPLIT))
        .alias("split_only_for_lineage"),
    )


def _topn_derived(frame: pl.DataFrame) -> pl.DataFrame:
    group = ["leaderboard", "snapshot_date", "attribution", "scope", "top_n"]
    return frame.with_columns(
        pl.col("share").sum().over(group).alias("share_sum_of_top_n"),
        (pl.col("share").is_null() == pl.col("share_null_reason").is_not_null()).alias("share_null_iff_reason"),
    )


PAIR_KEYS = ["leaderboard", "snapshot_date", "attribution", "scope", "pair"]
PAIR_NOT_NULL = ["leader", "follower", "leader_score", "follower_score", "gap", "leader_model", "follower_model"]

MART_SUITES: dict[str, MartSuite] = {
    "core.model_lineage": MartSuite(
        lambda E: [
            *_common(E, ["model_key"], ["model_id", "leaderboards", "method", "hops", "lineage_path", "evidence"]),
            E.ExpectColumnValuesToBeInSet(column="method", value_set=list(LINEAGE_METHODS)),
            E.ExpectColumnValuesToMatchRegex(column="country", regex=r"^[A-Z]{2}$"),
            E.ExpectColumnValuesToBeBetween(column="hops", min_value=0),
            E.ExpectColumnValuesToBeInSet(column="root_iff_graph", value_set=[True]),
            E.ExpectColumnValuesToBeInSet(column="org_iff_resolved", value_set=[True]),
        ],
        ["model_key"],
        _lineage_derived,
    ),
    "core.model_attribution": MartSuite(
        lambda E: [
            *_common(E, ["leaderboard", "model_id", "mode"], ["method", "evidence"]),
            E.ExpectColumnValuesToBeInSet(column="mode", value_set=MODES),
            E.ExpectColumnValuesToMatchRegex(column="country", regex=r"^[A-Z]{2}$"),
            E.ExpectColumnValuesToBeInSet(column="lineage_method_known", value_set=[True]),
        ],
        ["leaderboard", "model_id", "mode"],
        _attribution_derived,
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
            *_common(
                E,
                PAIR_KEYS,
                [
                    "leader",
                    "follower",
                    "leader_score",
                    "leader_model",
                    "lag_censored",
                    "after_hole",
                    "follower_censored",
                    "gap_at_least",
                ],
            ),
            *_pair_checks(E),
            E.ExpectColumnValuesToBeInSet(column="censoring_consistent", value_set=[True]),
            E.ExpectColumnValuesToBeBetween(column="gap_at_least", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="lag_days", min_value=0),  # NULL (censored) is allowed
            E.ExpectColumnValuesToBeBetween(column="lag_days_at_least", min_value=0),
            E.ExpectColumnValuesToBeInSet(column="lag_consistent", value_set=[True]),
            E.ExpectColumnValuesToBeInSet(column="hole_consistent", value_set=[True]),
        ],
        PAIR_KEYS,
        _lag_derived,
    ),
    "marts.topn_share": MartSuite(
        lambda E: [
            *_common(E, ["leaderboard", "snapshot_date", "attribution", "scope", "top_n", "country"], ["models"]),
            E.ExpectColumnValuesToBeInSet(column="top_n", value_set=[10, 50, 100]),
            E.ExpectColumnValuesToBeBetween(column="share", min_value=0, max_value=1),
            E.ExpectColumnValuesToBeBetween(column="share_sum_of_top_n", min_value=0, max_value=1 + TOLERANCE),
            E.ExpectColumnValuesToBeInSet(column="share_null_iff_reason", value_set=[True]),
        ],
        ["leaderboard", "snapshot_date", "attribution", "scope", "top_n", "country"],
        _topn_derived,
    ),
    "marts.snapshot_lists": MartSuite(
        lambda E: [
            *_common(E, ["leaderboard", "snapshot_date"], ["listed", "ranked", "last_listed_score", "list_truncated"]),
            E.ExpectColumnValuesToBeBetween(column="listed", min_value=1),
            E.ExpectColumnValuesToBeBetween(column="ranked", min_value=0),
        ],
        ["leaderboard", "snapshot_date"],
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
            *_common(E, [*PAIR_KEYS, "window_days"], ["country_a", "country_b", "gap_a_minus_b", "target_date"]),
            E.ExpectColumnValuesToBeInSet(column="trend", value_set=["closing", "widening", "flat", "leader changed"]),
            E.ExpectColumnValuesToBeInSet(column="window_days", value_set=list(TREND_WINDOWS)),
            E.ExpectColumnValuesToBeInSet(column="compared_within_tolerance", value_set=[True]),
            E.ExpectColumnValuesToBeInSet(column="trend_iff_compared", value_set=[True]),
        ],
        [*PAIR_KEYS, "window_days"],
        _trend_derived,
    ),
    "marts.snapshot_holes": MartSuite(
        lambda E: [
            *_common(E, ["leaderboard", "last_snapshot_before"], ["first_snapshot_after", "days_between"]),
            E.ExpectColumnValuesToBeBetween(column="days_between", min_value=HOLE_DAYS + 1),
            E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="first_snapshot_after", column_B="last_snapshot_before"),
        ],
        ["leaderboard", "last_snapshot_before"],
    ),
    "marts.attribution_coverage": MartSuite(
        lambda E: [
            *_common(E, ["leaderboard", "snapshot_date", "mode"], ["models", "rows_share", "org_rows_share"]),
            *(
                E.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1)
                for c in ("rows_share", "top100_share", "org_rows_share", "org_top100_share", *LINEAGE_SPLIT)
            ),
            E.ExpectColumnValuesToBeBetween(column="lineage_split_error", min_value=-TOLERANCE, max_value=TOLERANCE),
            E.ExpectColumnValuesToBeInSet(column="split_only_for_lineage", value_set=[True]),
        ],
        ["leaderboard", "snapshot_date", "mode"],
        _coverage_derived,
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
    {
        table: MartSuite(build, ids, derive)
        for table, (build, derive, ids) in {**FUNDING_MART_SUITES, **CAPABILITY_MART_SUITES}.items()
    }
)
MART_SUITES.update(
    {table: MartSuite(build, ids, derive) for table, (build, derive, ids) in LMARENA_MART_SUITES.items()}
)


def validate_mart(table: str, frame: pl.DataFrame) -> GateReport:
    if frame.is_empty():  # nothing published for this mart yet (e.g. a warehouse with funding only)
        return GateReport(table, True, 0, 0)
    suite = MART_SUITES[table]
    checked = suite.derive(frame) if suite.derive else frame
    return validate(checked, table, suite.build, suite.keys)
