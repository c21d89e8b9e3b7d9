"""Run selection and names, the warehouse writer slot, the rebuild flow and the published report,
under the session Prefect harness (the real server path is tests/test_prefect_server.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from datetime import date
from types import SimpleNamespace

import duckdb
import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

from flows import writer
from flows.pipeline import describe_run, run_summary, select_sources
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


def test_the_pipeline_writes_its_report_next_to_the_warehouse(bundled_run):
    warehouse, _ = bundled_run
    svg = ET.parse(warehouse.parent / "reports" / "us-cn-gap.svg").getroot()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        points = con.execute("SELECT count(*) FROM marts.gap WHERE pair = 'US-CN' AND scope = 'all'").fetchone()[0]
    finally:
        con.close()
    # one point per leaderboard, attribution mode and snapshot: 3 modes x (17 v2 + 2 v1 + 123 Arena)
    assert len(svg.findall(".//{http://www.w3.org/2000/svg}circle")) == points == 3 * (17 + 2 + 123)
    report = (warehouse.parent / "reports" / "gap-report.md").read_text()
    assert "| open-llm-v2 | publisher | US–CN | 2025-03-21 | CN +3.13 | CN 47.98, US 44.85 |" in report


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
    assert "| CN 47.98, US 44.85 | US 20 days behind | no new snapshot |" in report
