"""Run selection and names, the warehouse writer slot, the rebuild flow and the published report,
under the session Prefect harness (the real server path is tests/test_prefect_server.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from datetime import date
from types import SimpleNamespace

import duckdb
import pytest
from conftest import BAD, RANKED, query
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

from flows import writer
from flows.pipeline import describe_run, pipeline, run_summary, select_sources
from flows.rebuild import rebuild_marts

ADAPTERS = {
    "archive": SimpleNamespace(kind="leaderboard", in_default_run=True),
    "live-hub": SimpleNamespace(kind="leaderboard", in_default_run=False),
    "oecd": SimpleNamespace(kind="funding", in_default_run=False),
    "owid": SimpleNamespace(kind="funding", in_default_run=True),
}


def test_kinds_select_every_source_of_the_kind_online_ones_included():
    assert select_sources(ADAPTERS, None, ["leaderboard"], None) == ["archive", "live-hub"]
    assert select_sources(ADAPTERS, None, ["funding"], None) == ["oecd", "owid"]
    assert select_sources(ADAPTERS, None, None, None) == ["archive", "owid"]  # a plain offline run
    assert select_sources(ADAPTERS, None, None, {"oecd": "/tmp/x"}) == ["archive", "oecd", "owid"]
    assert select_sources(ADAPTERS, ["live-hub", "owid"], ["leaderboard"], None) == ["live-hub"]


def test_run_names_say_what_the_run_loads():
    day = date(2026, 11, 23)
    assert describe_run({"kinds": ["leaderboard"]}, day) == "aigap leaderboard sources · 2026-11-23"
    assert (
        describe_run({"only": ["open-llm-v2-archive"], "since": "2024-01-01", "max_snapshots": 20}, day)
        == "aigap open-llm-v2-archive · snapshots 2024-01-01 to latest · at most 20 new per source · 2026-11-23"
    )
    assert describe_run({"sources_label": "all sources"}) == "aigap all sources"


@flow
def hold_writer(name: str) -> list[int]:
    """Inside the slot, how many slots of the limit are taken."""
    with writer.warehouse_writer(name), get_client(sync_client=True) as client:
        return [client.read_global_concurrency_limit_by_name(name).active_slots]


def test_a_run_holds_the_writer_slot_while_it_writes(prefect_harness):
    name = f"test-writer-{uuid.uuid4().hex[:8]}"
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
        try:
            assert hold_writer(name) == [1]
            assert client.read_global_concurrency_limit_by_name(name).active_slots == 0
        finally:
            client.delete_global_concurrency_limit_by_name(name)


def test_a_deployment_run_refuses_to_write_without_the_limit(prefect_harness, monkeypatch):
    monkeypatch.setattr(writer, "deployment", SimpleNamespace(id="a-deployment"))
    with pytest.raises(writer.WriterLimitMissing, match="run `aigap setup`"):
        hold_writer(f"missing-{uuid.uuid4().hex[:8]}")


def test_setup_without_a_server_says_how_to_start_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "aigap.cli", "setup"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "prefect server start" in done.stderr and "PREFECT_API_URL" in done.stderr


def test_the_pipeline_writes_its_report_and_charts_next_to_the_warehouse(bundled_run):
    warehouse, _ = bundled_run
    reports = warehouse.parent / "reports"
    titles = {}
    for board in ("arena-text", "open-llm-v2", "open-llm-v1"):
        svg = ET.parse(reports / f"us-cn-gap-{board}.svg").getroot()
        texts = ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]
        titles[board] = next(t for t in texts if " on " in t and ("leads" in t or "level" in t))
        assert (reports / f"us-cn-gap-{board}.png").read_bytes().startswith(b"\x89PNG")
    # the answers, computed from the bundled data (see the README's summary)
    assert titles == {
        "arena-text": "US leads China by 36 Elo on Chatbot Arena (text), August 2026",
        "open-llm-v2": "China leads US by 3.13 points on Open LLM Leaderboard v2, March 2025",
        "open-llm-v1": "US leads China by 3.09 points on Open LLM Leaderboard v1, July 2024",
    }
    for name in ("us-cn-funding", "us-cn-race-by-year"):
        assert ET.parse(reports / f"{name}.svg").getroot().tag == "{http://www.w3.org/2000/svg}svg"
    page = (reports / "charts.html").read_text()
    assert page.count('vegaEmbed("#chart-') == len(RANKED) + 2 and "<script src" not in page
    embedded = [part.split('", ', 1)[1].split(', {"actions"', 1)[0] for part in page.split('vegaEmbed("#chart-')[1:]]
    specs = [json.loads(spec) for spec in embedded]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        dates = dict(
            con.execute(
                "SELECT leaderboard, list(DISTINCT snapshot_date::VARCHAR) FROM marts.gap "
                "WHERE pair = 'US-CN' AND scope = 'all' AND gap IS NOT NULL GROUP BY ALL"
            ).fetchall()
        )
        holes = con.execute(
            "SELECT last_snapshot_before::VARCHAR, first_snapshot_after::VARCHAR FROM marts.snapshot_holes "
            "WHERE leaderboard = 'arena-text' ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    # every snapshot with a measured US-CN gap is a point: 17 on v2, 2 on v1, 228 on the Arena's text board
    # (6 of its 234 snapshots list no Chinese model: no gap, no point)
    counts = {board: len(days) for board, days in dates.items()}
    assert sorted(counts) == RANKED
    assert (counts["open-llm-v2"], counts["open-llm-v1"], counts["arena-text"]) == (17, 2, 228)
    for spec in specs[: len(RANKED)]:
        board = spec["vconcat"][0]["title"]["text"]
        rows = [r for data in spec["datasets"].values() for r in data if "margin" in r]
        shown = {r["date"] for r in rows}
        assert shown in [set(days) for days in dates.values()], board
        if "Chatbot Arena (text)" in board:  # the two holes of marts.snapshot_holes shaded, the line broken after each
            shaded = [(r["after"], r["before"]) for data in spec["datasets"].values() for r in data if "after" in r]
            assert shaded == holes == [("2023-12-20", "2024-06-19"), ("2025-08-04", "2026-03-19")]
            assert max(r["segment"] for r in rows) == 2
    race = specs[-1]["vconcat"][0]["vconcat"][0]  # funding-cset and funding-eto: one estimate, said so
    assert "funding-cset and funding-eto publish the same upstream estimate (cset)" in race["title"]["subtitle"][0]
    report = (reports / "gap-report.md").read_text()
    assert (
        report.split("## The answer")[1]
        .lstrip()
        .startswith(
            "- **Chatbot Arena (text)**, 2026-08-07: the US leads China by 36 Elo (1,507 vs 1,471); China is 427 days "
            "behind; over 30 days (vs 2026-07-08): flat (was 34 Elo);"
        )
    )
    assert (
        "- **Open LLM Leaderboard v2**, 2025-03-21: China leads the US by 3.13 points (47.98 vs 44.85; country known "
        "for 16% of the top 100); the US is 20 days behind; over 90 days (vs 2024-12-11): the lead changed (the US "
        "led by 0.99 points);"
    ) in report
    assert (
        "- **Open LLM Leaderboard v1**, 2024-07-07: the US leads China by 3.09 points (80.48 vs 77.39; country known "
        "for 19% of the top 100); China is at least 18 days behind;"
    ) in report
    assert "| open-llm-v2 | publisher | 2025-03-21 | CN +3.13 points | US 20 days |" in report
    assert "| arena-text | all modes | 2026-08-07 | US +36 Elo | CN 427 days |" in report
    assert "![US minus China best score on Chatbot Arena (text)](us-cn-gap-arena-text.svg)" in report


def test_rebuild_marts_recomputes_them_and_reports_without_loading(bundled_run, tmp_path):
    source, _ = bundled_run
    warehouse = tmp_path / "aigap.duckdb"
    shutil.copy(source, warehouse)

    state = rebuild_marts(warehouse=str(warehouse), return_state=True)

    assert state.is_completed(), state.message
    summary = run_summary(state)
    assert summary.loads == []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM meta.runs").fetchone()[0] >= 2
        for table, rows in summary.marts.rows.items():  # every mart recomputed, none emptied
            assert rows == con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
    finally:
        con.close()
    report = (tmp_path / "reports" / "gap-report.md").read_text()
    assert "This run loaded nothing: it rebuilt the marts" in report
    # compared with the run that loaded the warehouse
    assert "| open-llm-v2 | publisher | 2025-03-21 | CN +3.13 points | US 20 days | no new snapshot |" in report


def _task_runs(flow_run_id) -> dict[str, str]:
    """{task run name: state name} of a flow run, as the Prefect API tells the UI."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    assert len({r.name for r in runs}) == len(runs), [r.name for r in runs]
    return {r.name: r.state.name for r in runs}


def test_task_runs_are_few_named_by_stage_and_source_and_the_failed_one_names_its_snapshot(
    prefect_harness, archive_copy, tmp_path
):
    source = "open-llm-v2-archive"
    shutil.copy(BAD / "scores_times_100.csv", archive_copy / "scraped" / "2024-08-15.csv")
    run = {"warehouse": str(tmp_path / "w.duckdb"), "locations": {source: str(archive_copy)}, "only": [source]}

    state = pipeline(**run, return_state=True)

    assert state.is_failed()
    names = _task_runs(state.state_details.flow_run_id)
    [held] = [name for name in names if name.startswith("quarantine ")]
    assert held.startswith(f"quarantine {source} scraped/2024-08-15.csv (average: 520 of 520 values outside [0")
    assert names == {
        f"discover {source}": "Completed",
        f"fetch {source} (4 new)": "Completed",
        f"gate {source} (4)": "Completed",
        held: "Failed",  # red on the run page, named by its snapshot and first reason
        f"publish {source} (3)": "Completed",
        "refresh marts": "Completed",
    }

    # nothing new: no task run for any snapshot, and no file read again
    state = pipeline(**run, return_state=True)
    names = _task_runs(state.state_details.flow_run_id)
    assert f"discover {source}" in names
    assert not [n for n in names if n.split()[0] in ("fetch", "gate", "publish", "quarantine")], names
    assert [o.status for o in run_summary(state).loads] == ["skipped"] * 4


def test_heartbeats_are_sent_only_where_a_server_watches_them():
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    from flows.orchestration import heartbeats_only_with_a_server

    default = get_current_settings().flows.heartbeat_frequency
    assert default is not None
    with temporary_settings(restore_defaults={PREFECT_API_URL}), heartbeats_only_with_a_server():
        assert get_current_settings().flows.heartbeat_frequency is None  # a temporary server: none
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}), heartbeats_only_with_a_server():
        assert get_current_settings().flows.heartbeat_frequency == default  # a server (workers, automations): kept
    assert get_current_settings().flows.heartbeat_frequency == default


def test_a_report_from_kept_charts_is_byte_for_byte_the_one_built_from_scratch(bundled_copy, altair_builds,
                                                                                monkeypatch):  # fmt: skip
    """A no-op run serves its charts from the cache (charts.built): the files next to the warehouse and
    the Prefect artifacts are those of a report whose charts were built anew, and the charts those
    built and drawn with no cache at all."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    from common.settings import cache_dir, reports_dir
    from flows import report
    from reports import charts

    warehouse = bundled_copy
    [(run_id,)] = query(warehouse, "SELECT run_id FROM meta.runs ORDER BY finished_at DESC LIMIT 1")
    keys = [report.REPORT_KEY, report.QUARANTINE_KEY, report.CHART_KEY, report.FUNDING_CHART_KEY]

    @flow(name="aigap-report-test")
    def publish_report():  # artifacts belong to a flow run, as in the pipeline
        report.publish_run_report(warehouse, run_id, "aigap test run", report.read_report_inputs(warehouse))

    def publish() -> tuple[dict[str, bytes], dict[str, str]]:
        monkeypatch.setattr(charts, "_DRAWN", {})  # as a new process
        publish_report()
        files = {p.name: p.read_bytes() for p in sorted(reports_dir(warehouse).iterdir())}
        with get_client(sync_client=True) as client:
            latest = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)),
                                           sort=ArtifactSort.CREATED_DESC, limit=len(keys))  # fmt: skip
        return files, {a.key: json.dumps(a.data) for a in latest}

    # as main builds a report: every chart built by altair, its drawing found under its spec (charts.render)
    for entry in cache_dir(warehouse).glob("built-*.chart"):
        entry.unlink()
    shutil.rmtree(reports_dir(warehouse))
    scratch_files, scratch_artifacts = publish()
    charts_drawn = len(RANKED) + 2  # one per leaderboard, the funding and the race-by-year charts
    assert len(scratch_files) == 2 * charts_drawn + 2 and set(scratch_artifacts) == set(keys)  # svg+png, page, report
    built = altair_builds["to_dict"]
    assert built == charts_drawn and len(list(cache_dir(warehouse).glob("built-*.chart"))) == charts_drawn

    shutil.rmtree(reports_dir(warehouse))
    kept_files, kept_artifacts = publish()
    assert altair_builds["to_dict"] == built  # no chart built: every one served as kept
    assert kept_files == scratch_files and kept_artifacts == scratch_artifacts

    # the same charts with no cache at all: built by altair and drawn anew
    inputs = report.read_report_inputs(warehouse)
    args = (inputs.gap, inputs.funding_gap, inputs.race, report.credits_by_chart_key(inputs.published_sources))
    kept = report.build_charts(*args, holes=inputs.holes, coverage=inputs.coverage, cache=cache_dir(warehouse))
    bare = report.build_charts(*args, holes=inputs.holes, coverage=inputs.coverage, cache=None)
    assert altair_builds["to_dict"] == built + charts_drawn

    def flat(files):  # vl-convert numbers clip paths per process (#clip1, then #clip7 ...): the same drawing
        return [(c.name, c.caption, json.dumps(c.rendered.spec), re.sub(r"clip\d+", "clip", c.rendered.svg),
                 c.rendered.png) for c in [*files[0], *files[1]]]  # fmt: skip

    assert flat(bare) == flat(kept)


def test_the_report_reads_the_loads_its_quarantine_table_needs_and_lists_the_same_rows(warehouse):
    from datetime import UTC, datetime

    from flows import report
    from reports.gap_report import quarantine_rows
    from warehouse import connection

    t = [datetime(2026, 11, d, 6, 0, tzinfo=UTC) for d in (1, 2, 3)]
    why = json.dumps([{"check": "expect_column_values_to_be_between", "column": "average", "reason": "out of range"}])
    ledger = [  # load id, source, key, date, status, reasons, run, finished
        ("s:a@1", "s", "a.csv", date(2024, 8, 15), "quarantined", why, "run-3", t[2]),  # this run
        ("s:b@1", "s", "b.csv", date(2024, 8, 1), "quarantined", why, "run-1", t[0]),  # corrected since
        ("s:b@2", "s", "b.csv", date(2024, 8, 1), "published", None, "run-2", t[1]),
        ("s:c@1", "s", "c.csv", None, "quarantined", json.dumps([{"check": "parse", "reason": "not a CSV"}]), "run-1", t[0]),
        ("s:c@0", "s", "c.csv", None, "published", None, "run-0", datetime(2026, 10, 1, tzinfo=UTC)),  # before it
        ("s:d@1", "s", "d.csv", date(2024, 7, 1), "published", None, "run-1", t[0]),  # never failed
        ("u:e@1", "u", "e.csv", date(2024, 7, 2), "published", None, "run-1", t[0]),
        ("v:f@1", "v", "f.csv", date(2024, 7, 3), "skipped", None, "run-1", t[0]),
    ]  # fmt: skip
    with connection.connect(warehouse) as con:
        for load_id, source, key, day, status, reasons, run, finished in ledger:
            con.execute(
                "INSERT INTO meta.loads (load_id, source, snapshot_key, snapshot_date, content_sha256, status, reasons, "
                "raw_path, flow_run_id, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [load_id, source, key, day, load_id, status, reasons, f"raw/{source}/{key}", run, finished, finished],
            )

    inputs = report.read_report_inputs(warehouse)
    with connection.connect(warehouse, read_only=True) as con:
        everything = connection.read_table(con, "SELECT * FROM meta.loads")
    # the quarantined loads and the publishes of their keys; not the rest of the ledger
    assert sorted(inputs.loads["load_id"]) == ["s:a@1", "s:b@1", "s:b@2", "s:c@0", "s:c@1"]
    listed = quarantine_rows(inputs.loads, "run-3")
    assert listed == quarantine_rows(everything, "run-3")
    assert [(r["snapshot"], r["quarantined"]) for r in listed] == [
        ("a.csv", "this run"),
        ("c.csv", "earlier, 2026-11-01"),
    ]
    assert inputs.published_sources == ["s", "u"]  # whom the charts credit
    assert inputs.gap.is_empty() and inputs.latest_gaps() == []
