"""Gap transforms on small hand-made boards whose answers can be worked out by hand."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from transforms import gaps

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
    rows = [("lb", m, mode, c and c.lower(), c) for m, c in countries.items() for mode in modes]
    schema = {"leaderboard": pl.Utf8, "model_id": pl.Utf8, "mode": pl.Utf8, "org_id": pl.Utf8, "country": pl.Utf8}
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


def test_gap_relative_gap_and_lag_days():
    gap = gaps.gaps_with_lag(FRONTIER, PAIRS).filter(
        (pl.col("scope") == "all") & (pl.col("attribution") == "publisher")
    )
    rows = gap.select("snapshot_date", "leader", "gap", "relative_gap", "lag_days").rows()
    # lag = days since the leader (CN) first reached the follower's (US) current frontier:
    # D1: US 44.0, CN already at 47.5 on D1 (the history starts there) -> 0 days.
    # D2: US 46.0, CN reached 47.5 on D1 -> 31 days.  D3: US 49.0, CN first >= 49 on D3 -> 0 days.
    assert rows[0] == (D1, "CN", 3.5, round(3.5 / 47.5, 6), 0)
    assert rows[1] == (D2, "CN", 1.5, round(1.5 / 47.5, 6), 31)  # US 46.0 on D2; CN reached 47.5 on D1
    assert rows[2] == (D3, "CN", 3.0, round(3.0 / 52.0, 6), 0)


def test_topn_shares_sum_to_at_most_one():
    top = gaps.ranked(BOARD, SCOPES)
    shares = gaps.topn_share(top, ATTRIBUTION).filter(
        (pl.col("scope") == "all") & (pl.col("attribution") == "publisher") & (pl.col("top_n") == 10)
    )
    d1 = dict(shares.filter(pl.col("snapshot_date") == D1).select("country", "share").rows())
    assert d1 == {"US": 0.2, "CN": 0.1, "unattributed": 0.1}


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


def test_gap_trend_closing_and_widening():
    gap = pl.DataFrame(
        {
            "leaderboard": "lb", "attribution": "publisher", "scope": "all", "pair": "US-CN",
            "snapshot_date": [D1, D2, D3], "leader": ["CN", "CN", "US"], "gap": [4.0, 1.0, 2.0],
            "leader_score": [50.0, 50.0, 50.0],
        }
    )  # fmt: skip
    trend = gaps.gap_trend(gap, k=1)
    assert trend["gap_a_minus_b"].to_list() == [-4.0, -1.0, 2.0]
    assert trend["trend"].to_list() == [None, "closing", "leader changed"]


def test_coverage_counts_known_countries():
    top = gaps.ranked(BOARD, SCOPES)
    coverage = gaps.attribution_coverage(FINE, top, ATTRIBUTION).filter(
        (pl.col("mode") == "publisher") & (pl.col("snapshot_date") == D1)
    )
    assert coverage.select("models", "rows_share", "top100_share").row(0) == (4, 0.75, 0.75)
