"""The scheduled path against the real thing: `prefect server start` on a free loopback port,
`aigap setup`, `prefect deploy --all` from prefect.yaml, a process worker, deployment runs.

One server for the module (starting it dominates the cost). Two runs are triggered at the same
moment on one fresh warehouse: the daily deployment, and the backfill deployment whose folder
also holds a truncated snapshot. Both need the one warehouse writer slot, so they must take
turns; the tests then check what each left behind, in the warehouse and through the Prefect API.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from browser import Browser, open_artifact, open_artifacts_tab, require_chromium
from conftest import ARCHIVE, BAD, query
from prefect_stack import PrefectStack

SOURCE = "open-llm-v2-archive"
GOOD = ("scraped/2024-07-13.csv", "scraped/2024-08-30.csv")  # the two smallest real snapshots
BAD_KEY = "scraped/2024-08-15.csv"
# Offline: the daily deployment selects sources by kind; a test run pins them to the bundled archive.
ONLY = [SOURCE]
ARTIFACT_KEYS = {"aigap-gap-report", "aigap-quarantined-loads", "aigap-gap-chart", "aigap-funding-chart"}


def _folder(path, with_bad: bool):
    for key in GOOD:
        (path / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARCHIVE / key, path / key)
    if with_bad:
        shutil.copy(BAD / "truncated_mid_row.csv", path / BAD_KEY)
    return str(path)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-stack")
    with PrefectStack(home, ui=True) as stack:  # the UI too: a browser reads the run's artifacts
        stack.start_server()
        stack.setup_output = stack.run("setup", *stack.aigap("setup"))
        stack.start_worker()
        stack.setup_again = stack.run("setup-again", *stack.aigap("setup"))  # idempotent
        stack.deploy_output = stack.run("deploy", *stack.prefect("--no-prompt", "deploy", "--all"), timeout=300)

        data = tmp_path_factory.mktemp("data")
        stack.warehouse = data / "warehouse" / "aigap.duckdb"
        good = _folder(data / "good", with_bad=False)
        with_bad = _folder(data / "with-bad", with_bad=True)
        stack.runs = {
            "daily": stack.create_run(
                "aigap-pipeline",
                "daily-leaderboards",
                {"warehouse": str(stack.warehouse), "only": ONLY, "locations": {SOURCE: good}},
            ),
            "backfill": stack.create_run(
                "aigap-pipeline",
                "backfill",
                {"warehouse": str(stack.warehouse), "locations": {SOURCE: with_bad}, "since": "2024-07-01"},
            ),
        }
        stack.finished = stack.wait_finished(list(stack.runs.values()), timeout=420)
        yield stack


def test_setup_creates_pool_limit_and_automation_once(stack):
    assert "work pool 'aigap' (process): created" in stack.setup_output
    assert "already there" in stack.setup_again and "created" not in stack.setup_again
    limit = stack.get("/v2/concurrency_limits/aigap-warehouse-writer")
    assert limit["limit"] == 1 and limit["active"]
    automations = stack.post("/automations/filter")
    assert [a["name"] for a in automations] == ["aigap: mark runs whose gate quarantined a load"]
    names = {d["name"] for d in stack.post("/deployments/filter")}
    assert names == {"daily-leaderboards", "monthly-funding", "backfill", "rebuild-marts"}


def test_schedules_create_runs_on_the_server(stack):
    # the server's scheduler turns each cron schedule into upcoming runs (05:30 UTC for the daily one)
    daily = stack.get("/deployments/name/aigap-pipeline/daily-leaderboards")
    assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in daily["schedules"]] == [("30 5 * * *", "UTC")]
    scheduled = stack.wait_until_scheduled(daily["id"])
    assert scheduled and all(r["expected_start_time"][11:16] == "05:30" for r in scheduled)


def test_daily_deployment_run_loads_the_warehouse_and_publishes_artifacts(stack):
    run = stack.finished[stack.runs["daily"]]
    assert run["state_type"] == "COMPLETED", run["state"]["message"]
    assert run["name"].startswith(f"aigap {SOURCE} · ") and {"aigap", "daily", "leaderboard"} <= set(run["tags"])
    assert query(stack.warehouse, f"SELECT state FROM meta.runs WHERE run_id = '{run['id']}'") == [("ok",)]

    artifacts = stack.artifacts(run["id"])
    assert set(artifacts) == ARTIFACT_KEYS
    report = artifacts["aigap-gap-report"]
    assert report["type"] == "markdown"
    # two snapshots: the record starts on the first, so the lag is a lower bound, and no 30/90-day comparison
    assert (
        "- **Open LLM Leaderboard v2**, 2024-08-30: China leads the US by 0.75 points (42.49 vs 41.74; country known "
        "for 44% of the top 100); the US is at least 48 days behind; no snapshot near 30 or 90 days earlier to "
        "compare with;" in report["data"]
    )
    assert "| open-llm-v2 | publisher | 2024-08-30 | CN +0.75 points | US at least 48 days |" in report["data"]
    assert "## Attribution coverage" in report["data"]
    assert "| open-llm-v2 | lineage | 2024-08-30 |" in report["data"]  # the latest snapshot's coverage, per mode
    assert artifacts["aigap-quarantined-loads"]["type"] == "table"
    # the daily run itself quarantined nothing; if the backfill wrote first, its bad snapshot is still open
    rows = json.loads(artifacts["aigap-quarantined-loads"]["data"])
    assert all(r["snapshot"] == BAD_KEY and r["quarantined"].startswith("earlier, ") for r in rows)
    chart = artifacts["aigap-gap-chart"]["data"]
    encoded = chart.split("data:image/svg+xml;base64,")[1].split(")")[0]
    svg = ET.fromstring(base64.b64decode(encoded))
    titles = ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "China leads US by 0.75 points on Open LLM Leaderboard v2, August 2024" in titles
    assert str(stack.warehouse.parent) not in chart  # no local path in what the UI shows
    # no funding feed in this warehouse: no funding chart, and the race by year says what it lacks
    money = artifacts["aigap-funding-chart"]["data"]
    assert "us-cn-funding.svg" not in money
    race = base64.b64decode(money.split("data:image/svg+xml;base64,")[1].split(")")[0]).decode()
    assert "US vs China by year: no year has both a leaderboard gap and a funding figure yet" in race
    # the chart and the report of the warehouse's latest run, also next to the warehouse
    reports = stack.warehouse.parent / "reports"
    assert ET.parse(reports / "us-cn-gap-open-llm-v2.svg").getroot().tag == "{http://www.w3.org/2000/svg}svg"
    assert (reports / "us-cn-gap-open-llm-v2.png").read_bytes().startswith(b"\x89PNG")
    assert "## The answer" in (reports / "gap-report.md").read_text()


WRITER_MARKERS = ("waiting for the warehouse writer slot", "writer slot acquired", "writer slot released")


def _writer_window(stack, run_id) -> tuple[datetime, ...]:
    """When the run asked for the writer slot, got it and gave it back, from its logs in the API
    (the last log batch of a run may land a moment after its final state)."""
    deadline = time.monotonic() + 30
    while True:
        times: dict[str, datetime] = {}
        for log in stack.logs(run_id):
            for marker in WRITER_MARKERS:
                if marker in log["message"]:
                    times.setdefault(marker, datetime.fromisoformat(log["timestamp"]))
        if len(times) == len(WRITER_MARKERS) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert len(times) == len(WRITER_MARKERS), f"writer slot log lines missing for {run_id}: {times}"
    return tuple(times[m] for m in WRITER_MARKERS)


def test_simultaneous_runs_take_turns_and_leave_a_consistent_warehouse(stack):
    windows = {name: _writer_window(stack, run_id) for name, run_id in stack.runs.items()}
    ordered = sorted(windows.values(), key=lambda w: w[1])
    for (_, _, released), (_, acquired, _) in zip(ordered, ordered[1:], strict=False):
        assert acquired >= released, "two runs held the warehouse writer slot at the same time"
    # they really ran at the same time: a later writer asked before the earlier one let go, and waited
    assert any(asked < released for (_, _, released), (asked, _, _) in zip(ordered, ordered[1:], strict=False))

    daily = stack.finished[stack.runs["daily"]]
    assert daily["state_type"] == "COMPLETED", daily["state"]["message"]
    assert query(stack.warehouse, "SELECT snapshot_key, status FROM meta.loads ORDER BY 1") == [
        ("scraped/2024-07-13.csv", "published"),
        (BAD_KEY, "quarantined"),
        ("scraped/2024-08-30.csv", "published"),
    ]
    assert query(stack.warehouse, "SELECT count(*) FROM meta.runs") == [(2,)]
    # each good snapshot was published by exactly one of the two runs; the other skipped it
    published = query(
        stack.warehouse,
        "SELECT json_extract_string(summary, '$.counts.\"open-llm-v2-archive\".published') FROM meta.runs",
    )
    assert sorted(int(p) for (p,) in published) == [0, 2]
    assert query(stack.warehouse, "SELECT count(DISTINCT snapshot_date) FROM core.open_llm_v2_entries") == [(2,)]


def test_a_run_whose_gate_quarantined_a_load_is_marked_quarantined(stack):
    backfill = stack.runs["backfill"]
    assert stack.finished[backfill]["state_type"] == "FAILED"
    # the automation acts on the event the finished run emits; give it a bounded moment
    run = stack.wait_until([backfill], lambda r: r["state_name"] == "Quarantined", 60, "marked Quarantined")[backfill]
    assert run["state_type"] == "FAILED" and "aigap-quarantined-loads" in run["state"]["message"]
    assert {"aigap", "backfill"} <= set(run["tags"])

    artifacts = stack.artifacts(backfill)
    rows = json.loads(artifacts["aigap-quarantined-loads"]["data"])
    assert [(r["snapshot"], r["quarantined"]) for r in rows] == [(BAD_KEY, "this run")]
    assert rows[0]["reason"].startswith("1 row(s) do not have 33 fields") and rows[0]["raw_path"].startswith("raw/")
    # the table shortens the reason; the ledger keeps all of it
    (reasons,) = query(stack.warehouse, f"SELECT reasons FROM meta.loads WHERE snapshot_key = '{BAD_KEY}'")[0]
    assert "the file looks truncated" in reasons
    assert f"**QUARANTINED** `{SOURCE}` `{BAD_KEY}`" in artifacts["aigap-gap-report"]["data"]

    # the run page: a few task runs named by stage and source, the held-back snapshot red and named
    tasks = {
        t["name"]: t["state_type"] for t in stack.post("/task_runs/filter", {"flow_runs": {"id": {"any_": [backfill]}}})
    }
    [held] = [name for name in tasks if name.startswith("quarantine ")]
    assert held.startswith(f"quarantine {SOURCE} {BAD_KEY} (1 row(s) do not have 33 fields") and tasks[held] == "FAILED"
    assert {name.split(" (")[0] for name in tasks if name != held} <= {
        f"discover {SOURCE}",
        f"fetch {SOURCE}",
        f"gate {SOURCE}",
        f"publish {SOURCE}",
        "refresh marts",
    }, tasks
    assert [state for name, state in tasks.items() if name != held] == ["COMPLETED"] * (len(tasks) - 1), tasks


def test_the_run_page_shows_the_report_the_quarantine_table_and_the_chart_in_a_browser(stack):
    """What a person sees in the Prefect UI, read from the DOM of a real headless Chromium after the
    UI's JavaScript ran: the quarantined backfill run's Artifacts tab, then each artifact's page."""
    require_chromium()
    run_id = stack.runs["backfill"]
    artifacts = stack.artifacts(run_id)
    with Browser() as browser:
        tab = browser.tab()
        open_artifacts_tab(tab, stack.url, run_id)
        page = tab.text()
        assert all(key in page for key in ARTIFACT_KEYS), page[:2000]

        open_artifact(tab, stack.url, artifacts["aigap-gap-report"]["id"], "aigap-gap-report")
        page = tab.text()
        # the answer comes first, then the tables, then this run's loads with the quarantined one
        assert "Open LLM Leaderboard v2, 2024-08-30: China leads the US by 0.75 points" in page
        headings = tab.evaluate("[...document.querySelectorAll('h2')].map(h => h.innerText.trim())")
        assert headings[:5] == [
            "The answer",
            "US–China in every attribution mode",
            "Other country pairs (publisher attribution)",
            "Loads in this run",
            "Attribution coverage",
        ], headings
        assert f"QUARANTINED {SOURCE} {BAD_KEY}" in " ".join(page.split())
        # every table of the report fits the text column of a 1400-pixel window: no last column cut off
        overflow = tab.evaluate(
            "(() => { const column = [...document.querySelectorAll('h2')][0].getBoundingClientRect().right;"
            " return [...document.querySelectorAll('table')].map(t => [...t.querySelectorAll('th')].at(-1))"
            ".filter(th => th.getBoundingClientRect().right > column + 1).map(th => th.innerText); })()"
        )
        assert overflow == [], overflow

        # the quarantine table on a 1920-pixel screen: every column up to the raw file in view, none
        # cut off at the right edge (the table does not wrap its cells)
        open_artifact(tab, stack.url, artifacts["aigap-quarantined-loads"]["id"], "aigap-quarantined-loads", 1920)
        columns = tab.evaluate(
            "[...document.querySelectorAll('th')].map(th => [th.innerText.trim(), th.getBoundingClientRect().right])"
        )
        names = [name for name, _ in columns]
        assert names[:6] == ["source", "snapshot", "quarantined", "check", "reason", "raw_file"], names
        assert dict(columns)["raw_file"] <= tab.evaluate("window.innerWidth"), columns
        cells = tab.evaluate("[...document.querySelectorAll('td')].map(td => td.innerText.trim())")
        assert cells[:4] == [SOURCE, BAD_KEY, "this run", "parse"], cells
        assert cells[5].startswith("scraped_2024-08-15.") and cells[5].endswith("….csv")

        open_artifact(tab, stack.url, artifacts["aigap-gap-chart"]["id"], "aigap-gap-chart")
        image = tab.evaluate(
            "(() => { const i = [...document.images].find(i => i.alt.startsWith('US minus China'));"
            " return i && {alt: i.alt, width: i.naturalWidth, shown: i.getBoundingClientRect().width,"
            " svg: atob(i.src.split(',')[1])}; })()"
        )
        assert image and image["alt"] == "US minus China best score on Open LLM Leaderboard v2"
        assert image["width"] > 600 and image["shown"] > 300  # decoded and drawn, not a broken image
        assert "China leads US by 0.75 points on Open LLM Leaderboard v2, August 2024" in image["svg"]
        assert str(stack.warehouse.parent) not in tab.text()
