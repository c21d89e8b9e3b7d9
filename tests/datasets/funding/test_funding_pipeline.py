"""Funding feeds end to end: the bundled run, a quarantined inconsistent split, a newer edition next
to the old one, and feed URLs against a local HTTP server (changed, unchanged/304, 404, 500 then
success, HTML instead of CSV)."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import RANKED, query

from aigap.cli import main
from common.http import FetchError
from datasets.base import SnapshotRef
from engine import load as loading
from flows.pipeline import pipeline
from warehouse import connection

ROOT = Path(__file__).resolve().parents[3]
FUNDING = ROOT / "data" / "funding"
TEST_FILES = Path(__file__).resolve().parents[2] / "data" / "funding"
AI_INDEX = "funding-ai-index"
FILE = "private-investment-in-artificial-intelligence.csv"
OLD = (FUNDING / "ai_index_owid" / "2025-04" / FILE).read_bytes()
NEW = (TEST_FILES / "newer_edition" / "2026-04" / FILE).read_bytes()
HTML = (ROOT / "tests" / "data" / "bad_snapshots" / "html_error_page.csv").read_bytes()
SPLIT = TEST_FILES / "cb_insights_2023_split_inconsistent.csv"


# --- the bundled run ------------------------------------------------------------------------------


def test_bundled_run_publishes_every_funding_source(bundled_run):
    warehouse, state = bundled_run
    counts = state.result().counts()
    for source, files in {"funding-ai-index": 2, "funding-cset": 1, "funding-eto": 2, "funding-oecd-vc": 3,
                          "funding-published": 1}.items():  # fmt: skip
        assert counts[source] == {"published": files, "skipped": 0, "quarantined": 0}
    rows = query(
        warehouse,
        "SELECT year, round(value_a / 1e9, 2), round(value_b / 1e9, 2) FROM marts.funding_gap "
        "WHERE source = 'funding-ai-index' AND metric = 'private_investment' ORDER BY year",
    )
    assert [r[0] for r in rows] == list(range(2013, 2025))
    assert rows[0] == (2013, 4.21, 0.72) and rows[-1] == (2024, 94.22, 8.03)
    frontier = query(
        warehouse,
        "SELECT year, as_of FROM marts.race_by_year WHERE measure = 'frontier_gap' AND source = 'open-llm-v2' ORDER BY 1",
    )
    assert frontier == [(2024, "2024-12-11"), (2025, "2025-03-21")]
    boards = query(
        warehouse, "SELECT DISTINCT source FROM marts.race_by_year WHERE measure = 'frontier_gap' ORDER BY 1"
    )
    assert boards == [(board,) for board in RANKED]
    revised = query(
        warehouse,
        "SELECT old_value, new_value FROM marts.funding_revisions WHERE series = 'cb-insights-state-of-ai' "
        "AND period = '2023' AND region_code = 'WORLD' AND metric = 'equity_funding'",
    )
    assert revised == [(42.5, 52.1)]


def test_the_inconsistent_split_is_quarantined_and_nothing_of_it_published(bundled_run, tmp_path, capsys):
    warehouse = tmp_path / "aigap.duckdb"
    shutil.copy(bundled_run[0], warehouse)  # the default run, already done

    # only this source: the others would all be skipped (tests/test_pipeline.py checks that)
    code = main(["run", "--warehouse", str(warehouse), "--source", f"funding-published={SPLIT}",
                 "--only", "funding-published"])  # fmt: skip

    assert code == 1
    printed = capsys.readouterr().out
    assert "funding-published cb_insights_2023_split_inconsistent.csv" in printed
    assert "United States 31 + Asia 9.4 + Europe 6.4 = 46.8 > World 42.5 USD billions" in printed
    assert main(["status", "--warehouse", str(warehouse)]) == 0
    status = capsys.readouterr().out
    assert "QUARANTINED cb_insights_2023_split_inconsistent.csv" in status
    assert "regions add up to more than the world total" in status
    [(load_id, raw_path)] = query(
        warehouse,
        "SELECT load_id, raw_path FROM meta.loads WHERE snapshot_key = 'cb_insights_2023_split_inconsistent.csv'",
    )
    assert query(warehouse, f"SELECT count(*) FROM core.funding_observations WHERE load_id = '{load_id}'") == [(0,)]
    assert (warehouse.parent / raw_path).read_bytes() == SPLIT.read_bytes()
    assert query(warehouse, "SELECT count(*) FROM marts.funding_revisions") == query(
        bundled_run[0], "SELECT count(*) FROM marts.funding_revisions"
    )


def test_a_newer_edition_is_published_next_to_the_old_one(prefect_harness, tmp_path):
    feed = tmp_path / "ai_index"
    (feed / "2025-04").mkdir(parents=True)
    (feed / "2025-04" / FILE).write_bytes(OLD)
    warehouse = tmp_path / "w.duckdb"
    assert pipeline(
        warehouse=str(warehouse), only=[AI_INDEX], locations={AI_INDEX: str(feed)}, return_state=True
    ).is_completed()
    (feed / "2026-04").mkdir()
    (feed / "2026-04" / FILE).write_bytes(NEW)

    state = pipeline(warehouse=str(warehouse), only=[AI_INDEX], locations={AI_INDEX: str(feed)}, return_state=True)

    assert state.is_completed(), state.message
    assert [(o.snapshot_key, o.status) for o in state.result().loads] == [
        (f"2025-04/{FILE}", "skipped"),
        (f"2026-04/{FILE}", "published"),
    ]
    assert query(warehouse, "SELECT edition, count(*) FROM core.funding_observations GROUP BY 1 ORDER BY 1") == [
        ("2025-04", 48),
        ("2026-04", 48),
    ]
    assert query(warehouse, "SELECT status, count(*) FROM meta.loads GROUP BY 1") == [("published", 2)]
    assert query(
        warehouse,
        "SELECT region_code, old_edition, new_edition, old_value, new_value FROM marts.funding_revisions ORDER BY 1",
    ) == [
        ("CN", "2025-04", "2026-04", 8419883187.0, 9430269169.0),
        ("US", "2025-04", "2026-04", 64353633104.0, 70788996414.0),
    ]
    assert query(warehouse, "SELECT DISTINCT edition FROM marts.funding_gap") == [("2026-04",)]
    assert query(warehouse, "SELECT count(DISTINCT edition) FROM marts.funding_gap_all_editions") == [(2,)]


# --- feed URLs against a local server ---------------------------------------------------------------


class Feed:
    """What the local server serves: a current body with validators, and a queue of one-off answers."""

    def __init__(self):
        self.body, self.etag, self.last_modified = OLD, '"v1"', "Tue, 15 Apr 2025 08:00:00 GMT"
        self.content_type = "text/csv"
        self.queue: list[tuple[int, bytes]] = []
        self.requests: list[dict] = []
        self.answers: list[int] = []


@pytest.fixture
def feed():
    state = Feed()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            state.requests.append(dict(self.headers))
            if state.queue:
                status, body = state.queue.pop(0)
                headers = {"Content-Type": "text/plain"}
            elif self.headers.get("If-None-Match") == state.etag:
                status, body, headers = 304, b"", {"ETag": state.etag}
            else:
                status, body = 200, state.body
                headers = {"Content-Type": state.content_type, "ETag": state.etag, "Last-Modified": state.last_modified}
            state.answers.append(status)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/grapher/{FILE}"
    yield state
    server.shutdown()
    server.server_close()


def test_feed_url_changed_unchanged_and_changed_again(prefect_harness, feed, tmp_path, monkeypatch):
    warehouse = tmp_path / "w.duckdb"
    monkeypatch.setattr(loading, "_today", lambda: date(2025, 4, 16))

    def run():
        state = pipeline(warehouse=str(warehouse), only=[AI_INDEX], locations={AI_INDEX: feed.url}, return_state=True)
        assert state.is_completed(), state.message
        return [(o.snapshot_key, o.status) for o in state.result().loads]

    assert run() == [(FILE, "published")]
    assert query(warehouse, "SELECT DISTINCT edition, source_url FROM core.funding_observations") == [
        ("2025-04-16", feed.url)  # the day it was first retrieved; Last-Modified (04-15) is metadata only
    ]
    # unchanged: the stored ETag goes back, the server answers 304, nothing is downloaded or loaded
    assert run() == [(FILE, "skipped")]
    assert feed.requests[-1]["If-None-Match"] == '"v1"' and feed.answers[-1] == 304
    # changed upstream, retrieved a year later: a new edition, published next to the first
    feed.body, feed.etag, feed.last_modified = NEW, '"v2"', "Mon, 06 Apr 2026 09:30:00 GMT"
    monkeypatch.setattr(loading, "_today", lambda: date(2026, 4, 7))
    assert run() == [(FILE, "published")]
    assert feed.answers[-1] == 200
    assert query(warehouse, "SELECT edition, count(*) FROM core.funding_observations GROUP BY 1 ORDER BY 1") == [
        ("2025-04-16", 48),
        ("2026-04-07", 48),
    ]
    assert query(warehouse, "SELECT count(*), min(old_edition), min(new_edition) FROM marts.funding_revisions") == [
        (2, "2025-04-16", "2026-04-07")
    ]


def test_feed_url_404_is_a_clear_error_and_the_run_goes_on(prefect_harness, feed, tmp_path):
    feed.queue = [(404, b"Not Found")]
    warehouse = tmp_path / "w.duckdb"

    state = pipeline(warehouse=str(warehouse), only=[AI_INDEX], locations={AI_INDEX: feed.url}, return_state=True)

    assert state.is_failed() and "HTTP 404" in state.message
    assert feed.answers == [404]  # not retried: retrying cannot change a 404
    assert query(warehouse, "SELECT count(*) FROM meta.loads") == [(0,)]
    assert query(warehouse, "SELECT count(*) FROM marts.funding_gap_all_editions") == [(0,)]  # marts still refreshed


def test_feed_url_404_raises_without_landing_anything(feed, warehouse):
    feed.queue = [(404, b"Not Found")]
    ref = SnapshotRef(AI_INDEX, FILE, feed.url)
    with pytest.raises(FetchError, match="HTTP 404") as raised:
        loading.fetch(ref, warehouse)
    assert not raised.value.retryable
    assert not (warehouse.parent / "raw").exists()


def test_feed_url_500_then_success_is_retried(feed, warehouse):
    feed.queue = [(500, b"Internal Server Error")]
    ref = SnapshotRef(AI_INDEX, FILE, feed.url)
    landed = loading.fetch(ref, warehouse)
    assert feed.answers == [500, 200]
    assert landed.path.read_bytes() == OLD and landed.first_fetched == loading._today()


def test_feed_url_serving_html_is_quarantined_with_its_bytes_kept(feed, warehouse):
    feed.body, feed.content_type = HTML, "text/html"
    ref = SnapshotRef(AI_INDEX, FILE, feed.url)
    started = connection.utcnow()
    landed = loading.fetch(ref, warehouse)
    staged = loading.stage(ref, landed, warehouse)
    assert staged.rejected and "HTML page, not CSV" in staged.rejected[0]["reason"]
    outcome = loading.quarantine(ref, landed, staged, staged.rejected, warehouse, started)
    assert outcome.status == "quarantined"
    [(raw_path, reasons)] = query(warehouse, "SELECT raw_path, reasons FROM meta.loads")
    assert (warehouse.parent / raw_path).read_bytes() == HTML
    assert "HTML page" in json.loads(reasons)[0]["reason"]
    assert query(warehouse, "SELECT count(*) FROM core.funding_observations") == [(0,)]
