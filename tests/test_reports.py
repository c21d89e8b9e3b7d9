"""The run report and the quarantine table as pure functions (no Prefect, no DuckDB); the charts are
in tests/test_charts.py."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polars as pl

from reports.gap_report import (
    RunRecord,
    change_since,
    collapse_modes,
    gap_changes,
    headline_sentence,
    latest_gap_records,
    quarantine_rows,
    report_markdown,
    short_check,
    short_raw_file,
    short_reason,
    trend_clause,
)
from reports.wording import lag_phrase


def gap_frame(rows):
    columns = ["leaderboard", "snapshot_date", "attribution", "leader", "follower", "leader_score", "follower_score"]
    frame = pl.DataFrame([dict(zip(columns, r, strict=True)) for r in rows])
    start = pl.col("snapshot_date").min().over("leaderboard")
    return frame.with_columns(
        (pl.col("leader_score") - pl.col("follower_score")).round(6).alias("gap"),
        # as in marts.gap on these two snapshots: the leader was already there on the first one, so every lag
        # is censored, a lower bound (0 days on 2024-07-13, at least 48 on 2024-08-30)
        pl.lit(None, dtype=pl.Int64).alias("lag_days"),
        pl.lit(True).alias("lag_censored"),
        (pl.col("snapshot_date") - start).dt.total_days().alias("lag_days_at_least"),
    )


# the US-CN values of the bundled Open LLM v2 snapshots 2024-07-13 and 2024-08-30 (tests/test_pipeline.py)
GAP = gap_frame(
    [
        ("open-llm-v2", date(2024, 7, 13), "publisher", "CN", "US", 42.49, 36.18),
        ("open-llm-v2", date(2024, 8, 30), "publisher", "CN", "US", 42.49, 41.74),
        ("open-llm-v2", date(2024, 7, 13), "lineage", "US", "CN", 40.0, 39.0),
        ("open-llm-v2", date(2024, 8, 30), "publisher", "FR", "CN", 43.0, 42.49),
        ("arena", date(2024, 8, 1), "publisher", "US", "CN", 1300.0, 1250.0),
    ]
)


def test_latest_gap_per_leaderboard_mode_and_unordered_pair():
    latest = latest_gap_records(GAP)
    keys = [(r["leaderboard"], r["attribution"], r["pair"], r["snapshot_date"], r["gap"]) for r in latest]
    assert keys == [
        ("arena", "publisher", "US–CN", "2024-08-01", 50.0),
        ("open-llm-v2", "lineage", "US–CN", "2024-07-13", 1.0),
        ("open-llm-v2", "publisher", "CN–FR", "2024-08-30", 0.51),
        ("open-llm-v2", "publisher", "US–CN", "2024-08-30", 0.75),
    ]
    assert latest_gap_records(GAP.head(0)) == []


def row(leader, gap, day="2024-08-30"):
    return {"leaderboard": "b", "attribution": "m", "pair": "US–CN", "leader": leader, "gap": gap, "snapshot_date": day}


def test_change_since_the_previous_run_is_signed_in_the_leaders_favour():
    assert change_since(row("CN", 0.75), row("CN", 6.31, "2024-07-13")) == "-5.56 (narrowing; was 6.31 on 2024-07-13)"
    assert change_since(row("CN", 2.0), row("CN", 0.5, "2024-07-13")).startswith("+1.50 (widening")
    assert change_since(row("US", 1.0), row("CN", 2.0, "2024-07-13")) == "lead changed: CN was ahead by 2.00"
    assert change_since(row("CN", 0.75), row("CN", 0.75)) == "no new snapshot"
    assert change_since(row("CN", 0.75), row("CN", 0.75, "2024-07-13")) == "unchanged since 2024-07-13"
    assert change_since(row("CN", 0.75), None) == "new"
    assert gap_changes([row("CN", 1.0)], None)[0]["change"] == "first recorded run"


def loads_frame(rows):
    columns = ["load_id", "source", "snapshot_key", "snapshot_date", "status", "reasons", "raw_path", "flow_run_id"]
    records = [dict(zip([*columns, "finished_at"], r, strict=True)) for r in rows]
    return pl.DataFrame(records).with_columns(pl.col("finished_at").dt.replace_time_zone("UTC"))


def reasons(*texts):
    """Gate reasons as the ledger keeps them: a range check on the column the text starts with."""
    return json.dumps(
        [{"check": "expect_column_values_to_be_between", "column": t.split(":")[0], "reason": t} for t in texts]
    )


def test_quarantine_rows_list_unresolved_loads_one_row_per_reason():
    t = [datetime(2026, 11, d, 6, 0) for d in (1, 2, 3)]
    long = "average: 760 of 760 values outside [0, 100]; sample rows " + ", ".join(str(n) for n in range(60))
    loads = loads_frame(
        [
            ("s:a@1", "s", "a.csv", date(2024, 8, 15), "quarantined", reasons(long, "ifeval: 758 of 760"), "raw/s/a.1.csv", "run-3", t[2]),
            ("s:b@1", "s", "b.csv", date(2024, 8, 1), "quarantined", reasons("cut short"), "raw/s/b.1.csv", "run-1", t[0]),
            ("s:b@2", "s", "b.csv", date(2024, 8, 1), "published", None, "raw/s/b.2.csv", "run-2", t[1]),
            ("s:c@1", "s", "c.csv", None, "quarantined", json.dumps([{"check": "parse", "reason": "not a CSV"}]), "raw/s/c.1.csv", "run-1", t[0]),
            ("s:d@1", "s", "d.csv", date(2024, 7, 1), "published", None, "raw/s/d.1.csv", "run-1", t[0]),
        ]
    )  # fmt: skip
    rows = quarantine_rows(loads, "run-3")
    # what, when, which check and why, then where: the columns a narrow table keeps in view come first
    assert [(r["snapshot"], r["quarantined"], r["check"], r["reason"]) for r in rows] == [
        ("a.csv", "this run", "average: range", short_reason(long.removeprefix("average: "))),
        ("a.csv", "this run", "ifeval: range", "758 of 760"),
        ("c.csv", "earlier, 2026-11-01", "parse", "not a CSV"),
    ]  # b.csv was corrected (published after its quarantine); d.csv never failed
    assert (
        len(rows[0]["reason"]) <= 60 and rows[0]["reason"].endswith("…") and rows[0]["reason"].startswith("760 of 760")
    )
    assert list(rows[0]) == ["source", "snapshot", "quarantined", "check", "reason", "raw_file", "load_id", "raw_path"]
    assert rows[0]["raw_path"] == "raw/s/a.1.csv" and rows[0]["load_id"] == "s:a@1"
    digest = "f5de888ba78c120077c3260b5ee0e5aa14eaecf7bff75759db50d88329beb7de"
    assert short_raw_file(f"raw/open-llm-v2-archive/scraped_2024-08-15.{digest}.csv") == (
        "scraped_2024-08-15.f5de888ba78c….csv"
    )
    assert short_check({"check": "expect_column_values_to_be_between", "column": "average"}) == "average: range"


def summary(**overrides):
    base = {
        "counts": {"open-llm-v2-archive": {"published": 2, "skipped": 0, "quarantined": 1}},
        "loads": [
            {"source": "open-llm-v2-archive", "snapshot_key": "scraped/2024-08-15.csv", "status": "quarantined",
             "reasons": ["1 row(s) do not have 33 fields"]},
        ],
        "marts": {"published": True, "rows": {"marts.gap": 2}, "reasons": []},
        "errors": [],
        "latest_gaps": latest_gap_records(GAP.filter(pl.col("leaderboard") == "open-llm-v2")),
    }  # fmt: skip
    return {**base, **overrides}


def latest(board, mode, leader, follower, scores, day, lag, pair="US–CN"):
    return {"leaderboard": board, "attribution": mode, "pair": pair, "snapshot_date": day, "leader": leader,
            "follower": follower, "leader_score": scores[0], "follower_score": scores[1],
            "gap": round(scores[0] - scores[1], 6), "lag_days": lag}  # fmt: skip


# the latest US-CN values of the bundled data (README, tests/test_orchestration.py)
ARENA = [
    latest("arena-text", m, "US", "CN", (1503.0, 1467.0), "2026-04-08", 306) for m in ("publisher", "lineage", "family")
]
V2 = [
    latest("open-llm-v2", "publisher", "CN", "US", (47.98, 44.85), "2025-03-21", 20),
    latest("open-llm-v2", "lineage", "CN", "US", (52.08, 45.74), "2025-03-21", 171),
    latest("open-llm-v2", "family", "CN", "US", (52.08, 45.74), "2025-03-21", 171),
    latest("open-llm-v2", "publisher", "FR", "CN", (49.44, 47.98), "2025-03-21", 20, pair="CN–FR"),
]


def test_one_phrase_for_a_lag_wherever_it_is_printed():
    # marts.gap: lag_days, lag_censored, lag_days_at_least; the CLI and tooltips use lines, tables cells
    assert lag_phrase("CN", 306, False, 306) == "CN 306 days behind"
    assert lag_phrase("CN", None, True, 18) == "CN at least 18 days behind"
    assert lag_phrase("CN", None, True, None) == "CN: lag unknown"
    assert lag_phrase("CN", None, True, 18, form="cell") == "CN at least 18 days"  # a column headed "behind"
    assert lag_phrase("CN", None, True, None, form="cell") == "CN unknown"
    assert lag_phrase("US", 1, False, 1, form="prose") == "the US is 1 day behind"
    assert lag_phrase("CN", None, True, 0, form="prose") == "China is at least 0 days behind"  # never "0 days"
    assert lag_phrase("CN", None, None, None, form="prose") == "how many days China is behind is unknown"


def test_headline_sentence_gives_the_answer_with_its_date_lag_and_change():
    assert headline_sentence(ARENA[0], "no new snapshot") == (
        "**Chatbot Arena (text)**, 2026-04-08: the US leads China by 36 Elo (1,503 vs 1,467); China is 306 days "
        "behind; since the previous run: no new snapshot."
    )
    # the publisher frontier on v2 rests on the 16% of the top 100 that publisher attribution can place
    assert headline_sentence(V2[0], "-0.20 (narrowing; was 3.33 on 2025-03-01)", top100_share=0.16) == (
        "**Open LLM Leaderboard v2**, 2025-03-21: China leads the US by 3.13 points (47.98 vs 44.85; country known "
        "for 16% of the top 100); the US is 20 days behind; since the previous run: -0.20 (narrowing; was 3.33 on "
        "2025-03-01)."
    )
    # censored (marts.gap.lag_censored): the record does not reach back far enough, so a lower bound
    censored = {**V2[0], "lag_days": None, "lag_censored": True, "lag_days_at_least": 20}
    sentence = headline_sentence(censored, "first recorded run")
    assert "the US is at least 20 days behind;" in sentence and "is 20 days" not in sentence
    assert sentence.endswith("first value recorded (no earlier run to compare with).")
    unknown = headline_sentence({**censored, "lag_days_at_least": None}, "new")
    assert "how many days the US is behind is unknown;" in unknown


def trend_frame(rows):
    """marts.gap_trend rows (US-CN, scope all) from (leaderboard, date, mode, window, compared_with, gap then,
    US minus China now, trend)."""
    columns = ["leaderboard", "snapshot_date", "attribution", "window_days", "compared_with", "gap_then",
               "gap_a_minus_b", "trend"]  # fmt: skip
    frame = pl.DataFrame(
        [dict(zip(columns, r, strict=True)) for r in rows], schema_overrides={"compared_with": pl.Date}
    )
    return frame.with_columns(
        pl.lit("all").alias("scope"), pl.lit("US-CN").alias("pair"), pl.lit("US").alias("country_a"),
        pl.lit("CN").alias("country_b"),
        (pl.col("gap_a_minus_b").abs() - pl.col("gap_then").abs()).round(6).alias("abs_gap_change"),
    )  # fmt: skip


def test_the_change_over_30_and_90_days_is_by_calendar_date_and_says_when_unknown():
    # the bundled data's latest snapshots: v2 2025-03-21 against 2024-12-11 (90 days, ±21: 100 days apart),
    # the Arena's 2026-04-08 has no snapshot near 30 or 90 days earlier (the 2025-08 -> 2026-03 hole)
    gap = pl.DataFrame(
        [{"leaderboard": b, "snapshot_date": d, "attribution": "publisher", "scope": "all", "pair": "US-CN",
          "leader": lead, "follower": f, "leader_score": ls, "follower_score": fs, "gap": round(ls - fs, 6),
          "lag_days": lag, "lag_censored": False, "lag_days_at_least": lag}
         for b, d, lead, f, ls, fs, lag in (("open-llm-v2", date(2025, 3, 21), "CN", "US", 47.98, 44.85, 20),
                                         ("arena-text", date(2026, 4, 8), "US", "CN", 1503.0, 1467.0, 306))]
    )  # fmt: skip
    trend = trend_frame(
        [("open-llm-v2", date(2025, 3, 21), "publisher", 30, None, None, -3.13, None),
         ("open-llm-v2", date(2025, 3, 21), "publisher", 90, date(2024, 12, 11), 0.99, -3.13, "leader changed"),
         ("arena-text", date(2026, 4, 8), "publisher", 30, None, None, 36.0, None),
         ("arena-text", date(2026, 4, 8), "publisher", 90, None, None, 36.0, None)]
    )  # fmt: skip
    arena, v2 = latest_gap_records(gap, trend)
    assert [t["window_days"] for t in v2["trends"]] == [30, 90]
    assert trend_clause(v2) == "over 90 days (vs 2024-12-11): the lead changed (the US led by 0.99 points)"
    assert trend_clause(arena) == "no snapshot near 30 or 90 days earlier to compare with"
    assert "no snapshot near 30 or 90 days earlier" in headline_sentence(arena, "new")
    widening = {**v2, "trends": [{**v2["trends"][1], "gap_then": -1.5, "abs_gap_change": 1.63, "trend": "widening"}]}
    assert trend_clause(widening) == "over 90 days (vs 2024-12-11): widening by 1.63 points (from 1.50)"
    assert trend_clause(latest_gap_records(gap)[1]) is None  # no trend mart given: nothing claimed


def test_modes_that_agree_are_one_row():
    rows = collapse_modes([{**r, "change": "no new snapshot"} for r in ARENA + V2])
    assert [(r["leaderboard"], r["pair"], r["attribution"]) for r in rows] == [
        ("arena-text", "US–CN", "all modes"),
        ("open-llm-v2", "US–CN", "publisher"),
        ("open-llm-v2", "US–CN", "lineage = family"),
        ("open-llm-v2", "CN–FR", "publisher"),
    ]


def test_report_leads_with_the_answer_then_compact_tables():
    previous = RunRecord("run-1", datetime(2026, 11, 22, 5, 31, tzinfo=UTC), summary(latest_gaps=ARENA + V2))
    censored = [{**r, "lag_days": None, "lag_censored": True, "lag_days_at_least": r["lag_days"]}
                if r["leaderboard"] == "open-llm-v2" else r for r in ARENA + V2]  # fmt: skip
    text = report_markdown(
        RunRecord("run-2", datetime(2026, 11, 23, 5, 31, tzinfo=UTC), summary(latest_gaps=censored)), "daily", previous, None
    )  # fmt: skip
    lines = text.splitlines()
    assert lines[:6] == [
        "# aigap gap report: daily",
        "",
        "**NEEDS ATTENTION** (1 snapshot(s) quarantined: see *Loads in this run*) · run `run-2` · 2026-11-23 05:31 UTC",
        "",
        "## The answer",
        "",
    ]
    assert lines[6].startswith("- **Chatbot Arena (text)**, 2026-04-08: the US leads China by 36 Elo")
    assert lines[7].startswith("- **Open LLM Leaderboard v2**, 2025-03-21: China leads the US by 3.13 points")
    assert "the US is at least 20 days behind" in lines[7]
    assert any(line.startswith("*At least N days*") for line in lines)
    us_cn = text.split("## US–China in every attribution mode")[1].split("##")[0]
    table = [line for line in us_cn.splitlines() if line.startswith("| ") and "---" not in line]
    assert table == [
        "| leaderboard | attribution | snapshot | gap | behind | since previous run |",
        "| arena-text | all modes | 2026-04-08 | US +36 Elo | CN 306 days | no new snapshot |",
        "| open-llm-v2 | publisher | 2025-03-21 | CN +3.13 points | US at least 20 days | no new snapshot |",
        "| open-llm-v2 | lineage = family | 2025-03-21 | CN +6.34 points | US at least 171 days | no new snapshot |",
    ]  # fmt: skip
    assert "| CN–FR | open-llm-v2 | 2025-03-21 | FR +1.46 points | CN at least 20 days | no new snapshot |" in text
    assert text.index("## The answer") < text.index("## Other country pairs (publisher attribution)")
    assert text.index("## Other country pairs") < text.index("## Loads in this run")


def test_report_reads_loads_latest_gaps_changes_and_coverage():
    finished = datetime(2026, 11, 23, 5, 31, tzinfo=UTC)
    previous = RunRecord(
        "run-1", datetime(2026, 11, 22, 5, 31, tzinfo=UTC), summary(latest_gaps=latest_gap_records(GAP.head(1)))
    )
    coverage = pl.DataFrame(
        {
            "leaderboard": ["open-llm-v2"] * 3,
            "snapshot_date": [date(2024, 7, 13), date(2024, 8, 30), date(2024, 8, 30)],
            "mode": ["publisher", "publisher", "lineage"],
            "rows_share": [0.5, 0.625, 0.7],
            "top100_share": [0.8, 0.91, 0.95],
            "top100_chain_share": [None, None, 0.8],
            "top100_architecture_share": [None, None, 0.15],
        }
    )
    text = report_markdown(RunRecord("run-2", finished, summary()), "aigap leaderboard sources", previous, coverage)
    assert text.startswith("# aigap gap report: aigap leaderboard sources\n\n**NEEDS ATTENTION**")
    assert "| open-llm-v2-archive | 2 | 0 | 1 |" in text
    assert "- **QUARANTINED** `open-llm-v2-archive` `scraped/2024-08-15.csv`: 1 row(s) do not have 33 fields" in text
    assert (
        "| open-llm-v2 | publisher | 2024-08-30 | CN +0.75 points | US at least 48 days "
        "| -5.56 (narrowing; was 6.31 on 2024-07-13) |" in text
    )
    # the board's first snapshot: the lag is censored, a lower bound (never "0 days")
    assert "| open-llm-v2 | lineage | 2024-07-13 | US +1.00 points | CN at least 0 days | new |" in text
    assert "the previous run `run-1` (2026-11-22 05:31 UTC)" in text
    assert "| open-llm-v2 | lineage | 2024-08-30 | 70.0% | 95.0% | 80.0% | 15.0% |" in text
    assert "| open-llm-v2 | publisher | 2024-08-30 | 62.5% | 91.0% |  |  |" in text
    assert "![" not in text  # no chart unless asked for


def test_report_without_coverage_table_previous_run_or_loads():
    quiet = summary(counts={}, loads=[], note="This run loaded nothing: it rebuilt the marts.")
    charts = [("US minus China on Chatbot Arena (text)", "us-cn-gap-arena-text.svg")]
    text = report_markdown(RunRecord("r", None, quiet), "aigap rebuild marts", None, None, chart_src=charts)
    assert "**OK**" in text and "This run loaded nothing: it rebuilt the marts." in text
    assert (
        "Attribution coverage is not available: this warehouse has no `marts.attribution_coverage` table yet." in text
    )
    assert "first recorded run" in text and "no previous run to measure a change against" in text
    assert text.rstrip().endswith("![US minus China on Chatbot Arena (text)](us-cn-gap-arena-text.svg)")
    failed_marts = summary(marts={"published": False, "rows": {}, "reasons": ["marts.gap: 1 of 12 checks failed"]})
    assert "**Marts NOT refreshed** (last good state kept): marts.gap: 1 of 12 checks failed" in report_markdown(
        RunRecord("r", None, failed_marts), "x", None, None
    )
    empty = report_markdown(RunRecord("r", None, summary(latest_gaps=[])), "x", None, None)
    assert "No US–China gap published yet" in empty and "## US–China in every attribution mode" not in empty
