"""Gap transforms on small hand-made boards."""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms import gaps

DAY = date(2025, 1, 1)


def board(rows):
    return pl.DataFrame(rows, schema=["leaderboard", "snapshot_date", "model_id", "score"], orient="row")


def test_one_row_per_model_keeps_the_best_precision():
    rows = board([("lb", DAY, "a/x", 40.0), ("lb", DAY, "a/x", 42.0), ("lb", DAY, "b/y", 30.0)])
    deduped = gaps.one_row_per_model(rows)
    assert sorted(deduped.rows()) == [("lb", DAY, "a/x", 42.0), ("lb", DAY, "b/y", 30.0)]


def test_frontier_and_gap():
    rows = board(
        [("lb", DAY, "us/a", 40.0), ("lb", DAY, "us/b", 44.0), ("lb", DAY, "cn/c", 47.5), ("lb", DAY, "x/d", 50.0)]
    )
    attribution = pl.DataFrame(
        {
            "model_id": ["us/a", "us/b", "cn/c", "x/d"],
            "mode": "publisher",
            "org_id": ["u", "u", "c", None],
            "country": ["US", "US", "CN", None],
        }
    )
    frontier = gaps.country_frontier(gaps.attribute(rows, attribution))
    assert frontier.select("country", "best_score", "best_model", "models").rows() == [
        ("CN", 47.5, "cn/c", 1),
        ("US", 44.0, "us/b", 2),
        ("unattributed", 50.0, "x/d", 1),
    ]
    gap = gaps.pair_gap(frontier).row(0, named=True)
    assert (gap["leader"], gap["follower"], gap["gap"]) == ("CN", "US", 3.5)


def test_no_gap_row_where_a_country_is_absent():
    rows = board([("lb", DAY, "us/a", 40.0)])
    attribution = pl.DataFrame({"model_id": ["us/a"], "mode": "publisher", "org_id": ["u"], "country": ["US"]})
    assert gaps.pair_gap(gaps.country_frontier(gaps.attribute(rows, attribution))).is_empty()
