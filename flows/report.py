"""Publish a run's report: read its inputs from the warehouse, build it (reports/, pure), then write
it next to the warehouse (warehouse/reports/) and as Prefect artifacts on the flow run.

Called inside the warehouse writer slot, after the run is recorded in meta.runs.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from aigap.config import reports_dir
from reports.chart import gap_chart_svg, us_cn_margin
from reports.gap_report import RunRecord, latest_gap_records, quarantine_rows, report_markdown
from warehouse import store

REPORT_KEY = "aigap-gap-report"
QUARANTINE_KEY = "aigap-quarantined-loads"
CHART_KEY = "aigap-gap-chart"
COVERAGE_TABLE = ("marts", "attribution_coverage")
# The report shows the headline scope: every model on the board (marts.gap also has filtered scopes).
HEADLINE_GAP = "SELECT * FROM marts.gap WHERE scope = 'all'"


@dataclass(frozen=True)
class PublishedReport:
    markdown_path: Path
    chart_path: Path
    quarantined_rows: int


def latest_gaps(warehouse: Path) -> list[dict]:
    """The latest gap per leaderboard, mode and pair, for the run summary."""
    with store.connect(warehouse, read_only=True) as con:
        return latest_gap_records(store.read_table(con, HEADLINE_GAP))


def _run_record(row) -> RunRecord:
    return RunRecord(run_id=row[0], finished_at=row[1], summary=json.loads(row[2] or "{}"))


def publish_run_report(warehouse: Path, run_id: str, run_name: str) -> PublishedReport:
    with store.connect(warehouse, read_only=True) as con:
        current = con.execute(
            "SELECT run_id, finished_at, summary FROM meta.runs WHERE run_id = ?", [run_id]
        ).fetchone()
        if current is None:
            raise LookupError(f"run {run_id} is not recorded in meta.runs of {warehouse}")
        previous = con.execute(
            "SELECT run_id, finished_at, summary FROM meta.runs WHERE run_id <> ? AND finished_at <= ? "
            "ORDER BY finished_at DESC LIMIT 1",
            [run_id, current[1]],
        ).fetchone()
        gap = store.read_table(con, HEADLINE_GAP)
        has_coverage = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", list(COVERAGE_TABLE)
        ).fetchone()[0]
        coverage = store.read_table(con, "SELECT * FROM marts.attribution_coverage") if has_coverage else None
        loads = store.read_table(
            con,
            "SELECT load_id, source, snapshot_key, snapshot_date, status, reasons, raw_path, flow_run_id, finished_at "
            "FROM meta.loads",
        )
    run, before = _run_record(current), (_run_record(previous) if previous else None)
    svg = gap_chart_svg(us_cn_margin(gap))
    quarantined = quarantine_rows(loads, run_id)

    folder = reports_dir(warehouse)
    folder.mkdir(parents=True, exist_ok=True)
    chart_path = folder / "us-cn-gap.svg"
    chart_path.write_text(svg, encoding="utf-8")
    markdown_path = folder / "gap-report.md"
    markdown_path.write_text(
        report_markdown(run, run_name, before, coverage, chart_src=chart_path.name), encoding="utf-8"
    )

    markdown = report_markdown(run, run_name, before, coverage)
    markdown += f"\nThe chart is the *{CHART_KEY}* artifact; this report and the chart are also in `{folder}`.\n"
    create_markdown_artifact(markdown, key=REPORT_KEY, description=f"Gap report of {run_name}")
    create_table_artifact(
        quarantined,
        key=QUARANTINE_KEY,
        description=(
            f"{len({r['load_id'] for r in quarantined})} unresolved quarantined load(s), one row per failed check; "
            "raw_path is relative to the warehouse folder. Empty when every snapshot passed its gate."
        ),
    )
    data_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    create_markdown_artifact(
        f"## US–China frontier gap over time\n\n![US minus China frontier score per leaderboard]({data_uri})\n\n"
        f"Above zero the US leads, below zero China; one line per attribution mode. File: `{chart_path}`\n",
        key=CHART_KEY,
        description="US minus China best score per snapshot, per leaderboard",
    )
    return PublishedReport(markdown_path, chart_path, len(quarantined))
