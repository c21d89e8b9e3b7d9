"""`arena-daily` over HTTP against a local feed server: conditional GET, missing days, retries."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from datetime import date
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from common import settings
from datasets.arena import daily as arena_daily
from datasets.arena.board import ARENA_BOARDS
from flows.pipeline import pipeline

DAILY = Path(__file__).resolve().parents[3] / "data" / "leaderboards" / "arena_daily"
SOURCE = "arena-daily"


@pytest.fixture
def feed():
    """Serves `<base>/<date>/<board>.json` from a dict ("<date>/<board>.json" -> bytes), with ETag /
    Last-Modified and 304s; a file not in it is 404 (not published that day)."""
    state = {"files": {}, "requests": [], "fail": []}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            state["requests"].append(
                (self.path, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"))
            )
            if state["fail"]:
                self.send_response(state["fail"].pop(0))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = state["files"].get("/".join(self.path.strip("/").split("/")[-2:]))
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", formatdate(1774400000, usegmt=True))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/data"
    server.shutdown()
    server.server_close()


def ledger(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT snapshot_key, status FROM meta.loads ORDER BY snapshot_key, finished_at").fetchall()
    finally:
        con.close()


def test_daily_feed_over_http_is_conditional_and_skips_missing_days(prefect_harness, feed, tmp_path, monkeypatch):
    state, base = feed
    # the feed published the text board on 03-22, 03-24 and 03-25; 03-23 is missing, as is every other
    # board (404: not published, not an error)
    for day in ("2026-03-22", "2026-03-24", "2026-03-25"):
        state["files"][f"{day}/text.json"] = (DAILY / day / "text.json").read_bytes()
    monkeypatch.setattr(arena_daily, "_today", lambda: date(2026, 3, 25))
    monkeypatch.setenv(settings.ARENA_DAILY_LOOKBACK_ENV, "3")
    state["fail"] = [503]  # the first request meets a transient error and is retried
    warehouse = tmp_path / "w.duckdb"
    run = {"warehouse": str(warehouse), "locations": {SOURCE: base}, "only": [SOURCE], "return_state": True}

    first = pipeline(**run)

    assert first.is_completed(), first.message
    assert first.result().counts() == {SOURCE: {"published": 3, "skipped": 0, "quarantined": 0}}
    # every board of every day is asked, concurrently: whichever request met the 503 was asked again,
    # the others once
    asked_times = Counter(r[0] for r in state["requests"])
    boards = len({path.split("/")[-1] for path in asked_times})
    assert boards == len(ARENA_BOARDS) and len(asked_times) == 4 * boards, asked_times
    assert sorted(asked_times.values()) == [1] * (4 * boards - 1) + [2], asked_times

    state["requests"].clear()
    second = pipeline(**run)

    assert second.result().counts() == {SOURCE: {"published": 0, "skipped": 3, "quarantined": 0}}
    asked = {
        path.split("/")[2]: (etag, since) for path, etag, since in state["requests"] if path.endswith("/text.json")
    }
    assert set(asked) == {"2026-03-22", "2026-03-23", "2026-03-24", "2026-03-25"}
    for day in ("2026-03-22", "2026-03-24", "2026-03-25"):  # conditional: answered 304, nothing downloaded
        assert asked[day][0] and asked[day][1]

    # upstream rewrites 03-25 (it re-fetched the leaderboard that day): new content, published in place
    state["files"]["2026-03-25/text.json"] = (DAILY / "2026-03-26" / "text.json").read_bytes()
    third = pipeline(**run)

    assert third.result().counts() == {SOURCE: {"published": 1, "skipped": 2, "quarantined": 0}}
    assert ledger(warehouse)[-2:] == [("2026-03-25/text.json", "superseded"), ("2026-03-25/text.json", "published")]
