"""Hostile input: dates from the data, parse failures as quarantines, sources that find nothing,
plausibility gates, HTTP limits, escaping. Real files derived from the bundled ones
(tests/data/make_hostile_inputs.py) and a local misbehaving server (tests/hostile_server.py).
"""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import query
from hostile_server import Answer, HostileServer

from aigap.cli import main, shown
from common import http, settings
from common.errors import SnapshotRejected
from datasets import registry
from datasets.arena.daily import ArenaDaily
from datasets.base import GateContext, SnapshotRef
from datasets.funding.sources import AIIndex
from engine import load as loading
from flows import pipeline as pipeline_module
from reports.gap_report import RunRecord, report_markdown
from warehouse import connection

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
DAILY = ROOT / "data" / "leaderboards" / "arena_daily"
TODAY = date(2026, 11, 23)


@pytest.fixture
def server():
    state = HostileServer()
    running, url = state.start()
    yield state, url
    running.shutdown()
    running.server_close()


def quarantined(source: str, key: str, data: bytes, warehouse: Path, tmp_path: Path) -> list[str]:
    """Stage a hostile file as `source` would; its reasons, after checking it is quarantined with a ledger row."""
    path = tmp_path / "in" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    ref = SnapshotRef(source, key, str(path), date(2026, 3, 25))
    landed = loading.fetch(ref, warehouse)
    staged = loading.stage(ref, landed, warehouse)
    assert staged.rejected, f"{key} was not rejected"
    outcome = loading.quarantine(ref, landed, staged, staged.rejected, warehouse, connection.utcnow())
    [(status, raw_path)] = query(
        warehouse, f"SELECT status, raw_path FROM meta.loads WHERE load_id = '{outcome.load_id}'"
    )
    assert status == "quarantined" and (warehouse.parent / raw_path).read_bytes() == data
    return outcome.reasons


# --- 1. dates from the data -------------------------------------------------------------------------


def test_an_edition_fetched_by_url_is_dated_by_its_path_not_by_last_modified(prefect_harness, server, tmp_path):
    state, url = server
    state.answer(
        "/2026-04-08/text.json",
        Answer(
            200, (DAILY / "2026-04-08" / "text.json").read_bytes(), {"Last-Modified": "Thu, 19 Nov 2026 10:00:00 GMT"}
        ),
    )
    warehouse = tmp_path / "w.duckdb"

    state_ = pipeline_module.pipeline(
        warehouse=str(warehouse), only=["arena-daily"], locations={"arena-daily": f"{url}/2026-04-08/text.json"},
        return_state=True,
    )  # fmt: skip

    assert state_.is_completed(), state_.message
    assert query(warehouse, "SELECT snapshot_date::VARCHAR FROM meta.loads") == [("2026-04-08",)]
    assert query(warehouse, "SELECT DISTINCT snapshot_date::VARCHAR FROM marts.gap") == [("2026-04-08",)]


def test_a_url_without_a_date_is_dated_by_the_feed_or_quarantined():
    raw = (DAILY / "2026-04-08" / "text.json").read_bytes()
    [ref] = ArenaDaily().discover("http://127.0.0.1:9/latest.json")
    assert ref.snapshot_date is None
    assert ArenaDaily().parse(raw, ref).snapshot_date == date(2026, 4, 8)  # meta.fetched_at
    undatable = json.dumps({**json.loads(raw), "meta": {"leaderboard": "text"}}).encode()
    with pytest.raises(SnapshotRejected, match="cannot date 'latest.json'"):
        ArenaDaily().parse(undatable, ref)
    [wrong_day] = ArenaDaily().discover("http://127.0.0.1:9/2026-03-01/text.json")
    with pytest.raises(SnapshotRejected, match="the path says 2026-03-01 but the feed says .* 2026-04-08"):
        ArenaDaily().parse(raw, wrong_day)


def test_a_funding_url_takes_its_edition_from_its_path_else_the_day_first_retrieved():
    raw = (
        ROOT / "data" / "funding" / "ai_index_owid" / "2025-04" / "private-investment-in-artificial-intelligence.csv"
    ).read_bytes()
    in_path = SnapshotRef("funding-ai-index", "f.csv", "https://feeds.example/ai/2026-04/f.csv")
    assert AIIndex().parse(raw, in_path).frame["edition"].unique().to_list() == ["2026-04"]
    retrieved = SnapshotRef("funding-ai-index", "f.csv", "https://feeds.example/f.csv", first_fetched=date(2026, 5, 2))
    parsed = AIIndex().parse(raw, retrieved)
    assert parsed.frame["edition"].unique().to_list() == ["2026-05-02"]
    assert parsed.details["edition_from"].startswith("the day this content was first retrieved")


# --- 6. every parse failure is a quarantine with a reason --------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("daily_meta_string.json", "`meta` is str 'text leaderboard', expected an object"),
        ("daily_deep_nesting.json", "JSON nested more than 64 levels deep"),
        ("daily_models_not_objects.json", "entries of `models` are not objects"),
        ("daily_model_count_word.json", "meta.model_count is 'fifty', not a whole number"),
        ("daily_nested_field.json", "model field(s) ['score'] hold lists or objects"),
        ("daily_utf16.json", "UTF-16 text (two bytes per character): save it as UTF-8 JSON"),
    ],
)
def test_malformed_json_is_quarantined_with_a_reason(name, expected, warehouse, tmp_path):
    reasons = quarantined("arena-daily", f"2026-03-25/{name}", (HOSTILE / name).read_bytes(), warehouse, tmp_path)
    assert any(expected in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("table_gzip.csv", "a gzip-compressed file: decompress it first"),
        ("table_utf16.csv", "UTF-16 text (two bytes per character): save it as UTF-8 CSV"),
        ("table_nul.csv", "contains a NUL byte at byte 500"),
        ("table_latin1.csv", "not UTF-8 text: byte"),
        ("table_thousands_separator.csv", "numbers written with a comma (votes: '37,712')"),
    ],
)
def test_unreadable_tables_are_quarantined_with_a_reason(name, expected, warehouse, tmp_path):
    reasons = quarantined(
        "arena-archive", f"scraped/2024-11-05-{name}", (HOSTILE / name).read_bytes(), warehouse, tmp_path
    )
    assert any(expected in r for r in reasons), reasons


def test_a_parser_crash_is_a_quarantine_not_a_failed_run(warehouse, tmp_path, monkeypatch):
    def crash(raw, board):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("datasets.arena.daily.normalise_daily_json", crash)
    raw = (DAILY / "2026-03-25" / "text.json").read_bytes()
    reasons = quarantined("arena-daily", "2026-03-25/text.json", raw, warehouse, tmp_path)
    assert reasons == ["could not be parsed: RecursionError: maximum recursion depth exceeded"]


def test_a_model_count_written_as_text_is_read_as_the_number():
    ref = SnapshotRef("arena-daily", "2026-03-25/text.json", "x", date(2026, 3, 25))
    parsed = registry()["arena-daily"].parse((HOSTILE / "daily_model_count_text.json").read_bytes(), ref)
    assert len(parsed.frame) == 50


# --- 7. a source that finds nothing is a finding ------------------------------------------------------


def test_discovery_is_case_insensitive_skips_hidden_files_and_stays_inside_the_location(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("not yours\n")
    folder = tmp_path / "archive"
    (folder / ".store" / "scraped").mkdir(parents=True)  # versions kept in a hidden folder ...
    (folder / ".store" / "scraped" / "2024-07-13.CSV").write_text("x\n")
    (folder / "scraped").symlink_to(folder / ".store" / "scraped")  # ... published through a link: followed
    (folder / "escape").symlink_to(outside)  # a folder linked outside: refused
    (folder / "leak.csv").symlink_to(outside / "secret.csv")  # a file linked outside: refused
    (folder / "loop").symlink_to(folder)  # a cycle: searched once
    (folder / ".2024-07-14.csv").write_text("x\n")

    found = registry()["open-llm-v2-archive"].discover(str(folder))

    assert [(r.key, r.snapshot_date) for r in found] == [("scraped/2024-07-13.CSV", date(2024, 7, 13))]
    assert all(str(outside) not in r.location for r in found)
    assert found.skipped == {"hidden file or folder": 2, "symlink pointing outside the location": 2}
    with pytest.raises(http.Refused, match="only http and https"):
        registry()["open-llm-v2-archive"].discover("file:///etc/passwd")


def test_a_named_source_that_finds_nothing_fails_the_run(prefect_harness, server, tmp_path, monkeypatch, capsys):
    from datasets.arena import daily as arena_daily

    _, url = server  # every day answers 404: a typo in the base URL
    monkeypatch.setattr(arena_daily, "_today", lambda: date(2026, 3, 25))
    monkeypatch.setenv(settings.ARENA_DAILY_LOOKBACK_ENV, "2")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".hidden.csv").write_text("x\n")
    warehouse = tmp_path / "w.duckdb"

    code = main([
        "run", "--warehouse", str(warehouse), "--only", "arena-daily", "--only", "open-llm-v1-archive",
        "--source", f"arena-daily={url}/typo", "--source", f"open-llm-v1-archive={empty}",
    ])  # fmt: skip

    assert code == 1
    out = capsys.readouterr().out
    assert f"  open-llm-v1-archive: 0 snapshots at {empty} (1 hidden file or folder)" in out
    assert f"  arena-daily: 0 snapshots at {url}/typo (39 of 39 candidate(s) answered 404)" in out
    assert "SOURCE ERROR open-llm-v1-archive: 0 snapshots at" in out and "it was named for this run" in out
    assert "every candidate answered 404" in out


# --- 8. plausibility ----------------------------------------------------------------------------------


def gate_of(source: str, name: str, key: str):
    adapter = registry()[source]
    ref = SnapshotRef(source, key, f"/x/{key}", date(2024, 11, 5))
    parsed = adapter.parse((HOSTILE / name).read_bytes(), ref)
    return adapter.gate(parsed.frame, GateContext(today=TODAY))


@pytest.mark.parametrize("name", ["funding_1e308.csv", "funding_unit_slip.csv"])
def test_an_implausible_funding_figure_is_quarantined(name):
    report = gate_of("funding-ai-index", name, f"2025-04/{name}")
    [failure] = [f for f in report.failures if f["check"] == "plausible_magnitude"]
    assert "China 2023 private_investment = " in failure["reason"] and "> 2.5e+12" in failure["reason"]


@pytest.mark.parametrize("name", ["funding_comma.csv", "funding_decimal_comma.csv"])
def test_a_number_written_with_a_comma_is_never_guessed(name):
    with pytest.raises(SnapshotRejected, match="numbers written with a comma"):
        registry()["funding-ai-index"].parse(
            (HOSTILE / name).read_bytes(), SnapshotRef("funding-ai-index", f"2025-04/{name}", "/x/2025-04/f.csv")
        )


def test_control_characters_in_model_names_fail_the_gate():
    report = gate_of("arena-archive", "table_control_chars.csv", "scraped/2024-11-05.csv")
    reasons = {f["column"]: f["reason"] for f in report.failures}
    assert reasons["control_characters_in"] == "model: 2 of 157 rows hold control characters (NUL, newline, tab ...)"


# --- 9. HTTP within limits ------------------------------------------------------------------------------


def test_a_dripping_body_is_cut_at_the_deadline(server):
    state, url = server
    state.answer("/drip.csv", Answer(200, b"a,b\n" * 200, drip_seconds=0.2))
    started = time.monotonic()
    with pytest.raises(http.Refused, match="deadline of 1 s"):
        http.fetch(f"{url}/drip.csv", limits=http.Limits(deadline_seconds=1, read_timeout=5))
    assert time.monotonic() - started < 3 and state.asked("/drip.csv") == 1  # not retried


def test_a_body_over_the_cap_is_refused_announced_or_not(server):
    state, url = server
    state.answer("/big.csv", Answer(200, b"x" * 5000))
    state.answer("/big-unannounced.csv", Answer(200, b"x" * 5000, length=False))
    limits = http.Limits(max_bytes=1000)
    with pytest.raises(http.Refused, match="announces 5000 bytes, over this source's cap of 1000"):
        http.fetch(f"{url}/big.csv", limits=limits)
    with pytest.raises(http.Refused, match="body exceeds this source's cap of 1000 bytes"):
        http.fetch(f"{url}/big-unannounced.csv", limits=limits)
    assert state.asked("/big.csv") == state.asked("/big-unannounced.csv") == 1


def test_retries_only_on_retryable_answers_within_one_budget(server):
    state, url = server
    state.answer("/busy.csv", Answer(503))
    state.answer("/gone.csv", Answer(404))
    limits = http.Limits(attempts=3, backoff_seconds=0.01)
    with pytest.raises(http.FetchError, match="failed after 3 attempt"):
        http.fetch(f"{url}/busy.csv", limits=limits)
    with pytest.raises(http.FetchError, match="HTTP 404") as gone:
        http.fetch(f"{url}/gone.csv", limits=limits)
    assert state.asked("/busy.csv") == 3 and state.asked("/gone.csv") == 1 and not gone.value.retryable
    # the Prefect tasks around a fetch do not retry on top of it
    assert pipeline_module.fetch.retries == 0 and pipeline_module.discover.retries == 0


def test_redirects_never_change_scheme_or_host_unless_declared(server):
    state, url = server
    port = url.rsplit(":", 1)[1]
    state.answer("/to-file", Answer(302, headers={"Location": "file:///etc/passwd"}))
    state.answer("/loop", Answer(302, headers={"Location": "/loop"}))
    state.answer("/elsewhere", Answer(302, headers={"Location": f"http://localhost:{port}/data.csv"}))
    state.answer("/data.csv", Answer(200, b"a,b\n1,2\n"))
    for path, reason in (
        ("/to-file", "another scheme"),
        ("/loop", "more than 5 redirects"),
        ("/elsewhere", "another host"),
    ):
        with pytest.raises(http.Refused, match=reason):
            http.fetch(f"{url}{path}")
    assert state.asked("/to-file") == 1 and state.asked("/elsewhere") == 1 and state.asked("/loop") == 6
    trusted = http.Limits(redirect_hosts=("localhost",))
    assert http.fetch(f"{url}/elsewhere", limits=trusted).content == b"a,b\n1,2\n"


def test_a_failing_hub_listing_costs_the_clients_tries_only(server, monkeypatch):
    import huggingface_hub.utils._http as hf_http

    # the client's backoff (1-8 s) is not waited out here; only its module's clock is replaced
    monkeypatch.setattr(hf_http, "time", SimpleNamespace(sleep=lambda seconds: None))
    state, url = server
    path = "/api/datasets/open-llm-leaderboard/contents/commits/main"
    state.answer(path, Answer(503))
    with pytest.raises(http.FetchError, match="HTTP 503") as failed:
        registry()["open-llm-v2-hub"].discover(url)
    assert state.asked(path) == 6  # the client's 1 + 5 retries; none of ours, none of Prefect's
    assert not failed.value.retryable


# --- 10. escaping, quoting, refusals ----------------------------------------------------------------------


def test_text_from_data_cannot_inject_markdown_or_html_into_the_report(tmp_path):
    reason = "header matches no known Arena layout; unknown columns ['<img src=x onerror=alert(1)>'] [x](http://evil)"
    summary = {"loads": [{"status": "quarantined", "source": "arena-archive", "snapshot_key": "a`b\n# forged.csv",
                          "reasons": [reason]}], "errors": ["x | y\n## forged"]}  # fmt: skip
    text = report_markdown(RunRecord("run", None, summary), "run", None, None)
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "\\[x\\](http://evil)" in text and "`a'b # forged.csv`" in text
    assert not [line for line in text.splitlines() if "forged" in line and line.startswith("#")]  # no forged heading


def test_names_with_control_characters_are_printed_quoted():
    assert shown("scraped/2024-07-13.csv") == "scraped/2024-07-13.csv"
    assert shown("2024-07-13\nQUARANTINED x.csv") == "'2024-07-13\\nQUARANTINED x.csv'"


def test_clear_staging_removes_what_a_killed_run_left(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "abc.parquet").write_bytes(b"x")
    (tmp_path / "raw" / "src").mkdir(parents=True)
    (tmp_path / "raw" / "src" / ".landing-x1y2").write_bytes(b"half")
    (tmp_path / "raw" / "src" / "kept.abc.csv").write_bytes(b"landed")
    loading.clear_staging(warehouse)
    assert not (tmp_path / "staging").exists()
    assert [p.name for p in (tmp_path / "raw" / "src").iterdir()] == ["kept.abc.csv"]


def test_a_local_file_is_read_within_the_source_cap(tmp_path):
    big = tmp_path / "2024-07-13.csv"
    big.write_bytes(b"x" * 2000)
    ref = SnapshotRef("open-llm-v2-archive", big.name, str(big))
    from datasets.files import read_bytes

    with pytest.raises(http.Refused, match="2000 bytes, over this source's cap of 1000"):
        read_bytes(ref, http.Limits(max_bytes=1000))
