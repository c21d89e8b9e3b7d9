"""Gap transforms on small hand-made boards whose answers can be worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from marts import gaps

D1, D2, D3 = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)


def board(rows):
    """rows: (snapshot_date, model_id, score, params_b, flagged, official, merged, bench)."""
    frame = pl.DataFrame(
        rows,
        schema=["snapshot_date", "model_id", "score", "params_b", "flagged", "official_provider", "merged", "ifeval"],
        orient="row",
    )
    return frame.with_columns(
        pl.lit("lb").alias("leaderboard"), pl.col("model_id").str.split("/").list.first().alias("publisher")
    )


def attribution(countries: dict[str, str | None], modes=("publisher", "lineage", "family")):
    """Each model's country in every mode; lineage found through the model graph (method root), except
    us/e, found by an exclusive architecture."""

    def method(model, mode, country):
        if mode != "lineage":
            return "registry alias"
        return "unattributed" if country is None else "exclusive architecture" if model == "us/e" else "root"

    rows = [("lb", m, mode, c and c.lower(), c, method(m, mode, c)) for m, c in countries.items() for mode in modes]
    schema = {"leaderboard": pl.Utf8, "model_id": pl.Utf8, "mode": pl.Utf8, "org_id": pl.Utf8, "country": pl.Utf8,
              "method": pl.Utf8}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


BOARD = board(
    [
        (D1, "us/a", 40.0, 8.0, False, True, False, 70.0),
        (D1, "us/b", 44.0, 70.0, False, False, True, 60.0),
        (D1, "cn/c", 47.5, 72.0, False, True, False, 50.0),
        (D1, "x/d", 50.0, 7.0, True, False, False, 80.0),
        (D2, "us/b", 44.0, 70.0, False, False, True, 60.0),
        (D2, "cn/c", 47.5, 72.0, False, True, False, 50.0),
        (D2, "us/e", 46.0, 8.0, False, True, False, 75.0),
        (D3, "us/f", 49.0, 70.0, False, True, False, 55.0),
        (D3, "cn/g", 52.0, 9.0, False, True, False, 65.0),
    ]
)
ATTRIBUTION = attribution(
    {"us/a": "US", "us/b": "US", "cn/c": "CN", "x/d": None, "us/e": "US", "us/f": "US", "cn/g": "CN"}
)
WIDE = gaps.wide_attribution(ATTRIBUTION)
FINE = gaps.fine_groups(gaps.attributed_board(BOARD, WIDE), WIDE, ["score", "ifeval"])
SCOPES = gaps.scoped(BOARD)
FRONTIER = gaps.country_frontier(FINE, WIDE, SCOPES)
PAIRS = [("US", "CN")]


def frontier(scope="all", mode="publisher"):
    return FRONTIER.filter((pl.col("scope") == scope) & (pl.col("attribution") == mode))


def test_frontier_per_country_with_unattributed_bucket():
    rows = (
        frontier().filter(pl.col("snapshot_date") == D1).select("country", "best_score", "best_model", "models").rows()
    )
    assert rows == [("CN", 47.5, "cn/c", 1), ("US", 44.0, "us/b", 2), ("unattributed", 50.0, "x/d", 1)]


@pytest.mark.parametrize(
    ("scope", "us_best", "us_models"),
    [("all", 44.0, 2), ("unflagged", 44.0, 2), ("official", 40.0, 1), ("no_merges", 40.0, 1)],
)
def test_scopes_filter_flags(scope, us_best, us_models):
    us = frontier(scope).filter((pl.col("snapshot_date") == D1) & (pl.col("country") == "US")).row(0, named=True)
    assert (us["best_score"], us["models"]) == (us_best, us_models)
    flagged_in = frontier(scope).filter((pl.col("snapshot_date") == D1) & (pl.col("country") == "unattributed"))
    assert flagged_in.height == (1 if scope == "all" else 0)


def test_gap_relative_gap_and_censored_lags():
    gap = gaps.gaps_with_lag(FRONTIER, PAIRS).filter(
        (pl.col("scope") == "all") & (pl.col("attribution") == "publisher")
    )
    rows = gap.select("snapshot_date", "leader", "gap", "relative_gap", "lag_days", "lag_censored",
                      "lag_days_at_least").rows()  # fmt: skip
    # lag = days since the leader (CN) first reached the follower's (US) current frontier:
    # D1: US 44.0, CN at 47.5 already on D1, where the record starts: when CN got there is not in the
    #     data, so the lag is censored: NULL, "at least 0 days", never a 0 that means unknown.
    # D2: US 46.0, CN reached 47.5 on D1, the record's first snapshot: at least 31 days, still censored.
    # D3: US 49.0, CN first >= 49 on D3 itself (52.0): a known lag of 0 days.
    assert rows[0] == (D1, "CN", 3.5, round(3.5 / 47.5, 6), None, True, 0)
    assert rows[1] == (D2, "CN", 1.5, round(1.5 / 47.5, 6), None, True, 31)
    assert rows[2] == (D3, "CN", 3.0, round(3.0 / 52.0, 6), 0, False, 0)


def frontier_of(points: list[tuple[date, str, float]]) -> pl.DataFrame:
    """A publisher-mode, scope-all country frontier from (date, country, best score)."""
    return pl.DataFrame(points, schema=["snapshot_date", "country", "best_score"], orient="row").with_columns(
        pl.lit("lb").alias("leaderboard"), pl.lit("publisher").alias("attribution"), pl.lit("all").alias("scope"),
        pl.col("country").str.to_lowercase().alias("best_model"), pl.lit(1).alias("models"),
    )  # fmt: skip


def test_a_lag_reached_only_after_a_hole_is_censored_too():
    # US reaches 50 on day 0 ... the record stops for 100 days ... and then is at 60. CN is at 55 on
    # day 110: the US got past 55 somewhere inside the hole; the data cannot say when.
    start = date(2024, 1, 1)
    days = [0, 10, 110, 120]
    points = [(start + timedelta(days=d), "US", us) for d, us in zip(days, [50.0, 50.0, 60.0, 60.0], strict=True)]
    points += [(start + timedelta(days=d), "CN", cn) for d, cn in zip(days, [40.0, 40.0, 55.0, 58.0], strict=True)]
    gap = gaps.gaps_with_lag(frontier_of(points), PAIRS).sort("snapshot_date")
    assert gap.select("lag_days", "lag_censored", "lag_days_at_least").rows() == [
        (None, True, 0),  # the first snapshot
        (None, True, 10),  # reached on the first snapshot, 10 days ago at least
        (None, True, 0),  # reached on the first snapshot after the hole
        (None, True, 10),
    ]
    assert gap.select("days_since_previous", "after_hole").rows() == [
        (None, False),
        (10, False),
        (100, True),
        (10, False),
    ]


def test_snapshot_holes_mark_stretches_without_a_snapshot():
    board = pl.DataFrame(
        {"leaderboard": "lb", "snapshot_date": [date(2024, 1, 1), date(2024, 2, 10), date(2024, 6, 1)]}
    )
    holes = gaps.snapshot_holes(board)
    assert holes.select("last_snapshot_before", "first_snapshot_after", "days_between").rows() == [
        (date(2024, 2, 10), date(2024, 6, 1), 112)
    ]
    assert gaps.HOLE_DAYS == 45


def test_topn_shares_sum_to_at_most_one():
    top = gaps.ranked(BOARD, SCOPES)
    shares = gaps.topn_share(top, ATTRIBUTION).filter(
        (pl.col("scope") == "all") & (pl.col("attribution") == "publisher") & (pl.col("top_n") == 10)
    )
    d1 = shares.filter(pl.col("snapshot_date") == D1)
    assert dict(d1.select("country", "models").rows()) == {"US": 2, "CN": 1, "unattributed": 1}
    # four models are no top 10: the share is NULL, and says why (a share of 10 would read 0.2 for 2 of 4)
    assert d1["share"].null_count() == len(d1)
    assert set(d1["share_null_reason"]) == {"only 4 ranked models in scope: fewer than 10"}


def test_benchmark_gap_uses_each_countrys_best_on_that_benchmark():
    bench = gaps.benchmark_gap(FINE, WIDE, SCOPES, ["ifeval"], PAIRS).filter(
        (pl.col("scope") == "all") & (pl.col("attribution") == "publisher") & (pl.col("snapshot_date") == D1)
    )
    row = bench.row(0, named=True)
    assert (row["leader"], row["leader_model"], row["leader_score"], row["follower_score"]) == (
        "US",
        "us/a",
        70.0,
        50.0,
    )


def test_size_gap_compares_within_buckets():
    sized = gaps.size_gap(FINE, WIDE, SCOPES, PAIRS).filter(
        (pl.col("scope") == "all") & (pl.col("attribution") == "publisher") & (pl.col("snapshot_date") == D3)
    )
    # D3: >40B US 49.0 only (no CN) -> no row; <10B CN 52.0 only -> no row
    assert sized.is_empty()
    d1 = gaps.size_gap(FINE, WIDE, SCOPES, PAIRS).filter(
        (pl.col("scope") == "all") & (pl.col("attribution") == "publisher") & (pl.col("snapshot_date") == D1)
    )
    assert d1.select("size_bucket", "leader", "gap").rows() == [(">40B", "CN", 3.5)]


def trend_input(days: list[int], leaders: list[str], gaps_: list[float]) -> pl.DataFrame:
    start = date(2025, 1, 1)
    return pl.DataFrame(
        {
            "leaderboard": "lb", "attribution": "publisher", "scope": "all", "pair": "US-CN",
            "snapshot_date": [start + timedelta(days=d) for d in days], "leader": leaders, "gap": gaps_,
            "leader_score": 50.0,
        }
    )  # fmt: skip


def test_gap_trend_compares_by_calendar_time_not_by_snapshot_count():
    # snapshots on days 0, 10, 31, 40, 95: the 30-day trend of day 31 compares with day 0 (31 days,
    # within +/-7), of day 40 with day 10; day 95 has nothing within 7 days of day 65: NULL
    trend = gaps.gap_trend(trend_input([0, 10, 31, 40, 95], ["CN", "CN", "CN", "US", "US"], [4.0, 3.0, 1.0, 2.0, 5.0]))
    month = trend.filter(pl.col("window_days") == 30)
    assert month["gap_a_minus_b"].to_list() == [-4.0, -3.0, -1.0, 2.0, 5.0]
    assert month.select("days_apart", "gap_then", "trend").rows() == [
        (None, None, None), (None, None, None), (31, -4.0, "closing"), (30, -3.0, "leader changed"), (None, None, None)
    ]  # fmt: skip
    # 90 days: day 95 targets day 5, equally near days 0 and 10 (within 21): the earlier one wins
    quarter = trend.filter((pl.col("window_days") == 90) & (pl.col("days_apart").is_not_null()))
    assert quarter.select("snapshot_date", "compared_with", "days_apart", "trend").rows() == [
        (date(2025, 4, 6), date(2025, 1, 1), 95, "leader changed")
    ]
    assert set(trend["tolerance_days"]) == {7, 21} and set(trend["window_days"]) == {30, 90}


def test_coverage_counts_known_countries_and_splits_lineage_by_evidence():
    top = gaps.ranked(BOARD, SCOPES)
    coverage = gaps.attribution_coverage(FINE, top, ATTRIBUTION)
    d1 = coverage.filter((pl.col("mode") == "publisher") & (pl.col("snapshot_date") == D1))
    assert d1.select("models", "rows_share", "top100_share", "top100_chain_share").row(0) == (4, 0.75, None, None)
    # four ranked models are no top 100: its shares are NULL, with the reason
    assert d1["top100_null_reason"].to_list() == ["only 4 ranked models: fewer than 100"]
    # D2's three models: no top 100 either, so no lineage split of one (rows_share still counts them)
    d2 = coverage.filter((pl.col("mode") == "lineage") & (pl.col("snapshot_date") == D2))
    assert d2.select("rows_share", "top100_share", "top100_chain_share", "top100_architecture_share").row(0) == (
        1.0,
        None,
        None,
        None,
    )
