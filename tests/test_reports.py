"""The run report, quarantine table and gap chart as pure functions (no Prefect, no DuckDB)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import polars as pl

from reports.chart import date_ticks, gap_chart_svg, nice_ticks, us_cn_margin
from reports.gap_report import (
    RunRecord,
    change_since,
    gap_changes,
    latest_gap_records,
    quarantine_rows,
    report_markdown,
)

SVG = "{http://www.w3.org/2000/svg}"


def gap_frame(rows):
    columns = ["leaderboard", "snapshot_date", "attribution", "leader", "follower", "leader_score", "follower_score"]
    frame = pl.DataFrame([dict(zip(columns, r, strict=True)) for r in rows])
    first = pl.col("snapshot_date") == pl.col("snapshot_date").min().over("leaderboard")
    return frame.with_columns(
        (pl.col("leader_score") - pl.col("follower_score")).round(6).alias("gap"),
        # censored on a board's first snapshot (the record does not reach back), 48 days on 2024-08-30
        pl.when(first).then(None).otherwise(48).alias("lag_days"),
        first.alias("lag_censored"),
        pl.when(first).then(0).otherwise(48).alias("lag_days_at_least"),
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
    return json.dumps([{"check": "expect_column_values_to_be_between", "reason": t} for t in texts])


def test_quarantine_rows_list_unresolved_loads_one_row_per_reason():
    t = [datetime(2026, 11, d, 6, 0) for d in (1, 2, 3)]
    loads = loads_frame(
        [
            ("s:a@1", "s", "a.csv", date(2024, 8, 15), "quarantined", reasons("average: 760 of 760 values outside [0, 100]", "ifeval: 758 of 760"), "raw/s/a.1.csv", "run-3", t[2]),
            ("s:b@1", "s", "b.csv", date(2024, 8, 1), "quarantined", reasons("cut short"), "raw/s/b.1.csv", "run-1", t[0]),
            ("s:b@2", "s", "b.csv", date(2024, 8, 1), "published", None, "raw/s/b.2.csv", "run-2", t[1]),
            ("s:c@1", "s", "c.csv", None, "quarantined", json.dumps([{"check": "parse", "reason": "not a CSV"}]), "raw/s/c.1.csv", "run-1", t[0]),
            ("s:d@1", "s", "d.csv", date(2024, 7, 1), "published", None, "raw/s/d.1.csv", "run-1", t[0]),
        ]
    )  # fmt: skip
    rows = quarantine_rows(loads, "run-3")
    assert [(r["snapshot"], r["quarantined"], r["reason"]) for r in rows] == [
        ("a.csv", "this run", "average: 760 of 760 values outside [0, 100]"),
        ("a.csv", "this run", "ifeval: 758 of 760"),
        ("c.csv", "earlier run, 2026-11-01 06:00 UTC", "not a CSV"),
    ]  # b.csv was corrected (published after its quarantine); d.csv never failed
    assert rows[0]["raw_path"] == "raw/s/a.1.csv" and rows[2]["snapshot_date"] == ""


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
    assert text.startswith("# aigap gap report: aigap leaderboard sources\n\n**NEEDS ATTENTION** · run `run-2`")
    assert "| open-llm-v2-archive | 2 | 0 | 1 |" in text
    assert "- **QUARANTINED** `open-llm-v2-archive` `scraped/2024-08-15.csv`: 1 row(s) do not have 33 fields" in text
    assert (
        "| open-llm-v2 | publisher | US–CN | 2024-08-30 | CN +0.75 | CN 42.49, US 41.74 | US 48 days behind "
        "| -5.56 (narrowing; was 6.31 on 2024-07-13) |" in text
    )
    assert (
        "| open-llm-v2 | lineage | US–CN | 2024-07-13 | US +1.00 | US 40.00, CN 39.00 | CN at least 0 days behind "
        "(the record does not show when the leader got there) | new |"
    ) in text
    assert "the previous run `run-1` (2026-11-22 05:31 UTC)" in text
    assert "| open-llm-v2 | lineage | 2024-08-30 | 70.0% | 95.0% | 80.0% | 15.0% |" in text
    assert "| open-llm-v2 | publisher | 2024-08-30 | 62.5% | 91.0% |  |  |" in text
    assert "![" not in text  # no chart unless asked for


def test_report_without_coverage_table_previous_run_or_loads():
    quiet = summary(counts={}, loads=[], note="This run loaded nothing: it rebuilt the marts.")
    text = report_markdown(RunRecord("r", None, quiet), "aigap rebuild marts", None, None, chart_src="us-cn-gap.svg")
    assert "**OK**" in text and "This run loaded nothing: it rebuilt the marts." in text
    assert (
        "Attribution coverage is not available: this warehouse has no `marts.attribution_coverage` table yet." in text
    )
    assert "first recorded run" in text and "measured against no previous run" in text
    assert text.rstrip().endswith("(us-cn-gap.svg)")
    failed_marts = summary(marts={"published": False, "rows": {}, "reasons": ["marts.gap: 1 of 12 checks failed"]})
    assert "**Marts NOT refreshed** (last good state kept): marts.gap: 1 of 12 checks failed" in report_markdown(
        RunRecord("r", None, failed_marts), "x", None, None
    )


def test_us_cn_margin_is_positive_when_the_us_leads():
    margin = us_cn_margin(GAP)
    assert margin.filter(pl.col("leaderboard") == "open-llm-v2").rows() == [
        ("open-llm-v2", "lineage", date(2024, 7, 13), 1.0),
        ("open-llm-v2", "publisher", date(2024, 7, 13), -6.31),
        ("open-llm-v2", "publisher", date(2024, 8, 30), -0.75),
    ]  # the FR-CN row is not the pair


def test_chart_has_a_panel_per_leaderboard_and_a_line_per_mode():
    svg = ET.fromstring(gap_chart_svg(us_cn_margin(GAP)))
    titles = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "title"]
    assert titles == [
        "arena: US minus China frontier score (points)",
        "open-llm-v2: US minus China frontier score (points)",
    ]
    lines = svg.findall(f"{SVG}polyline")
    assert [line.get("data-mode") for line in lines] == ["publisher", "lineage", "publisher"]
    # open-llm-v2 publisher: China ahead on both dates, so both points lie below the zero line
    zero_y = [float(z.get("y1")) for z in svg.iter(f"{SVG}line") if z.get("class") == "zero"][1]
    publisher = [tuple(map(float, p.split(","))) for p in lines[2].get("points").split()]
    assert len(publisher) == 2 and all(y > zero_y for _, y in publisher)
    assert publisher[0][1] > publisher[1][1]  # -6.31 is further below than -0.75
    assert "publisher 2024-08-30: -0.75" in [t.text for t in svg.iter(f"{SVG}title")]


def test_chart_without_data_says_so():
    svg = ET.fromstring(gap_chart_svg(us_cn_margin(GAP.head(0))))
    assert svg.findall(f"{SVG}polyline") == []
    assert any("No US–China gap yet" in (t.text or "") for t in svg.iter(f"{SVG}text"))


def test_axis_ticks():
    assert nice_ticks(-6.31, 0) == [-8.0, -6.0, -4.0, -2.0, 0.0]
    assert nice_ticks(0, 50) == [0, 20, 40, 60]
    assert date_ticks(date(2024, 7, 13), date(2024, 7, 13)) == [date(2024, 7, 13)]
    ticks = date_ticks(date(2024, 7, 13), date(2025, 3, 21))
    assert ticks[0] == date(2024, 7, 13) and ticks[-1] == date(2025, 3, 21) and len(ticks) == 5
