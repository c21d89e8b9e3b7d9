"""The Hub sources with the real huggingface_hub client against a local stand-in Hub (tests/localhub.py),
serving repos built from the bundled real snapshots (tests/hub_fixtures.py)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import socket
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import query
from hub_fixtures import build_hub, parquet_bytes, v2_hub_frame

from aigap.cli import main
from common import http
from common import hub as hub_client
from common.csvio import read_csv_text
from common.errors import SnapshotRejected
from common.http import FetchError
from datasets.arena.space import ArenaSpace
from datasets.base import GateContext, SnapshotRef, SnapshotUnavailable
from datasets.open_llm import v2 as open_llm_v2
from datasets.open_llm.hub import OpenLLMv1Hub, OpenLLMv2Hub
from engine import load as loading
from warehouse import connection, schema

ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2026, 11, 23)
TOKEN = "hf_aigapTestTokenNeverLogged42"


@pytest.fixture(autouse=True)
def client_waits_not_slept(monkeypatch):
    """The Hugging Face client's own waits between its retries (1, 2, 4, 8 s; 1 s before each resume
    of a cut download) are recorded, not slept: what these tests check is which requests are sent,
    and how many, not the client's clock. Costs ~10 s of sleeping otherwise. (`offline` replaces
    this with a recorder its tests read.)"""
    from types import SimpleNamespace

    import huggingface_hub.file_download as hf_download
    import huggingface_hub.utils._http as hf_http

    waits: list[float] = []
    monkeypatch.setattr(hf_http, "time", SimpleNamespace(sleep=waits.append))
    monkeypatch.setattr(hf_download, "time", SimpleNamespace(sleep=waits.append))
    return waits


@pytest.fixture
def local_hub(tmp_path):
    marker = tmp_path / "pickle-was-opened"
    hub, v2 = build_hub(marker)
    server, url = hub.start()
    yield hub, url, v2, marker
    server.shutdown()
    server.server_close()


def test_discovery_gives_every_revision_its_commit_date(local_hub):
    hub, url, v2, _ = local_hub
    refs = OpenLLMv2Hub().discover(url)  # 6 commits, served 2 per page: pagination is followed
    assert [r.key for r in refs] == list(v2.values())
    assert [r.snapshot_date for r in refs] == [
        date(2024, 12, 1), date(2024, 12, 11), date(2024, 12, 20), date(2025, 1, 9), date(2025, 2, 1), date(2025, 3, 21)
    ]  # fmt: skip
    assert len(hub.requested("/commits/")) == 3


def test_fetch_lists_the_revision_and_survives_429_503_and_a_cut_body(local_hub):
    hub, url, v2, _ = local_hub
    ref = next(r for r in OpenLLMv2Hub().discover(url) if r.key == v2["2025-03-21"])
    hub.fail("/tree/" + v2["2025-03-21"], 429, 503, method="GET")
    hub.fail("5e5e5e5e.parquet", 503, "truncate", method="GET")

    data = OpenLLMv2Hub().fetch(ref)

    assert data == parquet_bytes(v2_hub_frame("2025-03-21"))
    assert len(hub.requested("/tree/", "GET")) == 3  # 429, 503, then the listing
    downloads = hub.requested("5e5e5e5e.parquet", "GET")
    assert len(downloads) == 3  # 503; cut half-way; asked again by the client


def test_a_revision_without_a_parquet_is_unavailable_not_an_error(local_hub):
    hub, url, v2, _ = local_hub
    ref = next(r for r in OpenLLMv2Hub().discover(url) if r.key == v2["init"])
    with pytest.raises(SnapshotUnavailable, match="no parquet under data/"):
        OpenLLMv2Hub().fetch(ref)


def test_a_body_always_cut_short_is_never_landed(local_hub, tmp_path, monkeypatch):
    hub, url, v2, _ = local_hub
    monkeypatch.setattr(OpenLLMv2Hub, "limits", http.Limits(attempts=1))
    ref = next(r for r in OpenLLMv2Hub().discover(url) if r.key == v2["2024-12-11"])
    hub.fail("1f3b6c0e.parquet", *["truncate"] * 10, method="GET")
    warehouse = tmp_path / "w.duckdb"
    with connection.connect(warehouse) as con:
        schema.migrate(con)

    with pytest.raises(FetchError, match="complete message body"):
        loading.fetch(ref, warehouse)

    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").rglob("*.*"))


def test_a_hub_host_that_does_not_resolve_fails_at_once_and_is_not_retried():
    # What httpx raises offline, the resolver's error as its cause (a name that resolved a moment
    # before the call: the client has already retried it five times by then).
    import httpx

    calls = []

    def list_commits():
        calls.append(1)
        try:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError("[Errno -2] Name or service not known") from exc

    with pytest.raises(FetchError, match="Name or service not known") as raised:
        hub_client.hub_call("list commits of the Hub", list_commits, http.Limits(backoff_seconds=30), attempts=4)

    assert len(calls) == 1  # no backoff of ours on top of the client's
    assert raised.value.retryable is False  # so the Prefect task does not retry it either


OFFLINE_HOST = "aigap-offline-test.invalid"  # .invalid never resolves (RFC 6761): offline, for real
# the resolver's own words vary ("Name or service not known", "Temporary failure in name resolution")
OFFLINE_LINE = (
    re.escape(f"cannot resolve {OFFLINE_HOST} (")
    + r"[^;]+"
    + re.escape("; no network?): nothing fetched from it this run")
)


@pytest.fixture
def offline(monkeypatch):
    """The Hub sources' default endpoint on a host name that does not resolve, with every lookup of
    it, every request the Hub client sends and every retry wait of the client counted (the real
    resolver and the real client run; the client's waits are only recorded, not slept)."""
    from types import SimpleNamespace

    import huggingface_hub.utils._http as hf_http

    transport = type(hf_http.get_session()._transport)  # the client's HTTP transport class
    counted = SimpleNamespace(lookups=0, client_requests=[], client_waits=[])
    real_getaddrinfo, real_send = socket.getaddrinfo, transport.handle_request

    def getaddrinfo(host, *args, **kwargs):
        counted.lookups += host == OFFLINE_HOST
        return real_getaddrinfo(host, *args, **kwargs)

    def handle_request(self, request):  # before the connection, so before any lookup of its own
        counted.client_requests.append(request.url.host)
        return real_send(self, request)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(transport, "handle_request", handle_request)
    monkeypatch.setattr(hf_http, "time", SimpleNamespace(sleep=counted.client_waits.append))
    monkeypatch.setattr(http, "_unresolved", {})  # nothing remembered from another test
    for proxy in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)  # this machine resolves names itself
    monkeypatch.setenv("HF_ENDPOINT", f"https://{OFFLINE_HOST}")
    return counted


def test_offline_each_hub_source_fails_once_at_once_without_the_clients_retries(offline, caplog):
    for source in (OpenLLMv2Hub(), OpenLLMv1Hub(), ArenaSpace()):
        with pytest.raises(http.Unresolved) as raised:
            source.discover(source.default_location())
        assert re.fullmatch(OFFLINE_LINE, str(raised.value))
        assert raised.value.retryable is False  # nor will a Prefect task retry it

    assert offline.lookups == 1  # one question to the resolver for the three sources
    assert OFFLINE_HOST not in offline.client_requests and offline.client_waits == []  # the client never tried
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []  # the one line is the error's


def test_a_host_that_resolves_but_refuses_keeps_the_clients_bounded_retries(offline):
    # The difference that matters: a refused connection may be a Hub restarting (retried by the
    # client, 5 times, waits 1-8 s); a name that does not resolve is not (see above).
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]

    with pytest.raises(FetchError, match="ConnectError") as raised:
        OpenLLMv2Hub().discover(f"http://localhost:{port}")

    assert not isinstance(raised.value, http.Unresolved)
    assert offline.client_requests.count("localhost") == 6 and offline.client_waits == [1, 2, 4, 8, 8]


def test_behind_a_proxy_the_name_is_the_proxys_to_resolve(offline, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    http.check_resolves(f"https://{OFFLINE_HOST}")  # not asked: the proxy resolves names, not this machine
    assert offline.lookups == 0
    monkeypatch.setenv("NO_PROXY", OFFLINE_HOST)  # ... unless this host bypasses the proxy
    with pytest.raises(http.Unresolved):
        http.check_resolves(f"https://{OFFLINE_HOST}")
    assert offline.lookups == 1


def test_our_own_http_fetch_does_not_retry_a_name_that_does_not_resolve(offline):
    with pytest.raises(http.Unresolved, match=f"cannot resolve {OFFLINE_HOST}"):
        http.fetch(f"http://{OFFLINE_HOST}/2026-04-08/text.json", limits=http.Limits(attempts=4, backoff_seconds=30))
    assert offline.lookups == 1  # one try, no backoff (30 + 60 + 120 s before)


def test_offline_run_of_the_daily_sources_loads_the_rest_and_says_one_line_per_hub_source(
    prefect_harness, offline, tmp_path, capsys, caplog
):
    archive = tmp_path / "v1"
    archive.mkdir()
    shutil.copy(ROOT / "data" / "leaderboards" / "open_llm_v1_archive" / "2024-07-07.csv", archive)
    warehouse = tmp_path / "w.duckdb"
    hub_sources = ("open-llm-v2-hub", "open-llm-v1-hub", "arena-space")
    args = ["run", "--warehouse", str(warehouse), "--source", f"open-llm-v1-archive={archive}"]
    for name in ("open-llm-v1-archive", *hub_sources):
        args += ["--only", name]

    code = main(args)

    out = capsys.readouterr().out
    assert code == 1  # a source could not be read: the run says so
    assert "open-llm-v1-archive: 1 published, 0 skipped, 0 quarantined" in out
    assert query(warehouse, "SELECT count(*) FROM core.open_llm_v1_entries") == [(7169,)]
    errors = [line.strip() for line in out.splitlines() if "SOURCE ERROR" in line]
    assert len(errors) == len(hub_sources)  # one line per Hub source, nothing else
    for name, line in zip(hub_sources, errors, strict=True):
        assert re.fullmatch(f"SOURCE ERROR {name}: {OFFLINE_LINE}", line)
    assert offline.lookups == 1 and OFFLINE_HOST not in offline.client_requests and offline.client_waits == []
    assert [r for r in caplog.records if r.name.startswith("huggingface_hub")] == []


def test_the_hub_parquet_reads_exactly_like_the_flat_scrape_of_the_same_day():
    # Evidence that the parquet's booleans are not inverted: the backend JSON (flat scrape) copies them.
    flat = ROOT / "data" / "leaderboards" / "open_llm_v2_archive" / "scraped" / "2025-01-09.csv"
    expected, _ = open_llm_v2.normalise(read_csv_text(flat.read_bytes()))
    parsed = OpenLLMv2Hub().parse(
        parquet_bytes(v2_hub_frame("2025-01-09")), SnapshotRef("open-llm-v2-hub", "sha", "loc", date(2025, 1, 9))
    )
    assert parsed.details["header_variant"] == "hub-2024-12"
    assert parsed.frame.drop("snapshot_date").equals(expected)
    # the file says features_is_flagged TRUE on 1 row, features_is_moe TRUE on 55
    assert parsed.frame["flagged"].sum() == 1 and parsed.frame["moe"].sum() == 55


def test_a_parquet_with_the_display_tables_inverted_flags_is_quarantined():
    inverted = v2_hub_frame("2025-01-09").with_columns(~pl.col("Flagged"))
    ref = SnapshotRef("open-llm-v2-hub", "sha", "loc", date(2025, 1, 9))
    frame = OpenLLMv2Hub().parse(parquet_bytes(inverted), ref).frame
    report = OpenLLMv2Hub().gate(frame, GateContext(today=TODAY))
    assert not report.success
    [reason] = report.failures
    assert (
        reason["column"] == "flagged" and "2914 of 2915 values not in [False] (at most 50% allowed)" in reason["reason"]
    )


def test_a_revision_lacking_a_required_column_is_rejected_with_the_reason():
    raw = parquet_bytes(v2_hub_frame("2025-02-01").drop("IFEval Raw"))
    with pytest.raises(SnapshotRejected, match=r"missing \['IFEval Raw'\]"):
        OpenLLMv2Hub().parse(raw, SnapshotRef("open-llm-v2-hub", "sha", "loc", date(2025, 2, 1)))


def test_the_space_pickles_are_never_requested_nor_opened(local_hub):
    hub, url, _, marker = local_hub
    space = ArenaSpace()
    refs = space.discover(url)
    assert [r.key.split("@")[0] for r in refs] == [
        "leaderboard_table_20231220.csv", "leaderboard_table_20240109.csv", "leaderboard_table_20250511.csv"
    ]  # fmt: skip
    for ref in refs:
        space.fetch(ref)
    # even a hand-made reference to a pickle is refused before any request
    pickle_url = refs[0].location.replace("leaderboard_table_20231220.csv", "elo_results_20231220.pkl")
    before = len(hub.requests)
    with pytest.raises(FetchError, match="refusing to download 'elo_results_20231220.pkl'"):
        space.fetch(SnapshotRef(space.name, "elo_results_20231220.pkl", pickle_url))
    assert len(hub.requests) == before
    assert hub.requested(".pkl") == []
    assert not marker.exists()


def test_cli_runs_the_hub_sources_end_to_end(prefect_harness, local_hub, tmp_path, monkeypatch, capsys, caplog):
    hub, url, v2, marker = local_hub
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    hub.fail("/commits/main", 429, 503, method="GET")
    hub.fail("5e5e5e5e.parquet", 503, "truncate", method="GET")
    warehouse = tmp_path / "w.duckdb"
    args = ["run", "--warehouse", str(warehouse)]
    for name in ("open-llm-v2-hub", "open-llm-v1-hub", "arena-space"):
        args += ["--source", f"{name}={url}", "--only", name]

    code = main(args)

    printed = capsys.readouterr()
    assert code == 1  # one revision is quarantined
    statuses = dict(query(warehouse, "SELECT snapshot_key, status FROM meta.loads WHERE source = 'open-llm-v2-hub'"))
    assert statuses == {
        v2["2024-12-11"]: "published",
        v2["readme"]: "skipped",  # a README edit: same parquet bytes as the published 2024-12-11 revision
        v2["2025-01-09"]: "published",
        v2["no-ifeval-raw"]: "quarantined",
        v2["2025-03-21"]: "published",  # after 429/503 on the history and a 503 + a cut body on the file
    }
    [(reasons, raw_path)] = query(
        warehouse, f"SELECT reasons, raw_path FROM meta.loads WHERE snapshot_key = '{v2['no-ifeval-raw']}'"
    )
    assert "missing ['IFEval Raw']" in json.loads(reasons)[0]["reason"]
    assert (warehouse.parent / raw_path).exists()
    full = parquet_bytes(v2_hub_frame("2025-03-21"))
    assert query(warehouse, f"SELECT content_sha256 FROM meta.loads WHERE snapshot_key = '{v2['2025-03-21']}'") == [
        (hashlib.sha256(full).hexdigest(),)
    ]
    assert query(
        warehouse,
        "SELECT snapshot_date, count(*) FROM core.open_llm_v2_entries GROUP BY 1 ORDER BY 1",
    ) == [(date(2024, 12, 11), 2209), (date(2025, 1, 9), 2915), (date(2025, 3, 21), 4576)]
    assert query(warehouse, "SELECT count(*) FROM core.open_llm_v1_entries") == [(7065 + 7169,)]
    # the Space: the 2023 table's scores are entries, the later tables only metadata
    assert query(warehouse, "SELECT count(*) FROM core.arena_entries WHERE source = 'arena-space'") == [(51,)]
    assert query(warehouse, "SELECT count(DISTINCT snapshot_date) FROM core.arena_models") == [(2,)]
    assert hub.requested(".pkl") == [] and not marker.exists()
    # the token was sent to the Hub, and shows nowhere else
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in hub.requested("/api/"))
    ledger = query(warehouse, "SELECT * FROM meta.loads") + query(warehouse, "SELECT * FROM meta.runs")
    for text in (printed.out, printed.err, caplog.text, str(ledger)):
        assert TOKEN not in text

    # A second run: every key is a known immutable revision (the quarantined one included: its
    # content cannot change), so nothing is downloaded again and the run is clean.
    downloads_before = len(hub.requested("/resolve/", "GET"))
    assert main(args) == 0
    second = capsys.readouterr().out
    assert "open-llm-v2-hub: 0 published, 5 skipped, 0 quarantined" in second  # the first commit has no parquet
    assert "open-llm-v1-hub: 0 published, 2 skipped, 0 quarantined" in second
    assert "arena-space: 0 published, 3 skipped, 0 quarantined" in second
    assert len(hub.requested("/resolve/", "GET")) == downloads_before
    assert query(warehouse, "SELECT count(*) FROM meta.loads") == [(5 + 2 + 3,)]


def test_cli_backfill_window_on_the_hub(prefect_harness, local_hub, tmp_path):
    # --since/--until select revisions by commit date; --max-snapshots caps the new ones loaded
    hub, url, v2, _ = local_hub
    warehouse = tmp_path / "w.duckdb"
    window = ["--since", "2024-12-15", "--until", "2025-03-01", "--max-snapshots", "1"]
    code = main(
        [
            "run",
            "--warehouse",
            str(warehouse),
            "--source",
            f"open-llm-v2-hub={url}",
            "--only",
            "open-llm-v2-hub",
            *window,
        ]
    )
    assert code == 0
    # 2024-12-20 (README edit) is the first revision in the window: its parquet is new to this warehouse
    assert query(warehouse, "SELECT snapshot_key, snapshot_date, status FROM meta.loads") == [
        (v2["readme"], date(2024, 12, 20), "published")
    ]
    assert hub.requested("5e5e5e5e.parquet") == []  # 2025-03-21 is outside the window


def test_a_failing_file_metadata_request_costs_the_clients_tries_only(local_hub, monkeypatch):
    # hf_hub_download asks for the file's metadata first and retries that itself: no retries of ours on top
    from types import SimpleNamespace

    import huggingface_hub.utils._http as hf_http

    monkeypatch.setattr(hf_http, "time", SimpleNamespace(sleep=lambda seconds: None))
    hub, url, v2, _ = local_hub
    ref = next(r for r in OpenLLMv2Hub().discover(url) if r.key == v2["2025-03-21"])
    hub.fail("5e5e5e5e.parquet", *[503] * 30, method="HEAD")
    with pytest.raises(FetchError, match="locate the file on the Hub"):
        OpenLLMv2Hub().fetch(ref)
    assert len(hub.requested("5e5e5e5e.parquet", "HEAD")) <= 7 and hub.requested("5e5e5e5e.parquet", "GET") == []
