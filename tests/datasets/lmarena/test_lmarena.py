"""The LMArena dataset on the real bundled files: dated by LMArena's publish date, one publish one
snapshot whatever the collector's fetch says, bad bytes quarantined, the Hub read by commit against
the local stand-in Hub, and the marts' answers checked against the raw rows."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import query
from lmarena_fixtures import REPO, ROOT, build_lmarena_hub, bundled, hub_parquet, latest

from attribution.registry import load_registry
from common.parquetio import read_parquet_text
from datasets import registry
from datasets.base import GateContext, SnapshotRef
from datasets.lmarena.marts import attributed
from datasets.lmarena.parse import content_sha256, parse_collector_json, parse_hub_parquet
from datasets.lmarena.sources import LMArenaDataset, LMArenaHub
from flows.pipeline import pipeline
from warehouse.landing import sha256_of


def copy_fetches(folder: Path, fetches: dict[str, list[str]]) -> Path:
    for fetch_date, subsets in fetches.items():
        (folder / fetch_date).mkdir(parents=True, exist_ok=True)
        for subset in subsets:
            shutil.copy(bundled(fetch_date, subset), folder / fetch_date / f"{subset}.json")
    return folder


def run(warehouse: Path, source: str, location: str):
    state = pipeline(warehouse=str(warehouse), locations={source: location}, only=[source], return_state=True)
    result = state.result(raise_on_failure=False)
    summary = getattr(result, "summary", result)
    return state, {o.snapshot_key: o for o in summary.loads}


# --- dating and identity, on the files alone ------------------------------------------------------


def test_the_snapshot_date_is_the_publish_date_never_the_fetch_date_or_fetched_at():
    adapter = LMArenaDataset()
    refs = {r.key: r for r in adapter.discover(adapter.default_location())}
    for key, published in {"2026-08-04/text.json": date(2026, 8, 3), "2026-06-30/webdev.json": date(2026, 6, 21),
                           "2026-08-11/video_edit.json": date(2026, 6, 30)}.items():  # fmt: skip
        parsed = adapter.parse(Path(refs[key].location).read_bytes(), refs[key])
        assert parsed.snapshot_date == published != date.fromisoformat(key[:10])
        assert parsed.details["fetched_at"][:10] == key[:10]  # the collector's stamp: kept, never the date
        assert set(parsed.frame["snapshot_date"]) == {published}
    # the collector's digest is listed as skipped with its reason, never loaded
    assert not any(k.endswith("_summary.json") for k in refs)
    assert adapter.discover(adapter.default_location()).skipped == {
        "the collector's own digest (_summary.json), not LMArena's data": 5
    }


def test_two_fetches_of_one_publish_are_one_content_though_their_bytes_differ():
    adapter = LMArenaDataset()
    text = [bundled(day, "text").read_bytes() for day in ("2026-08-04", "2026-08-05")]
    webdev = [bundled(day, "webdev").read_bytes() for day in ("2026-08-04", "2026-08-05")]
    assert sha256_of(text[0]) != sha256_of(text[1])  # fetched_at differs
    assert adapter.content_sha256(text[0]) == adapter.content_sha256(text[1])
    assert adapter.content_sha256(webdev[0]) != adapter.content_sha256(webdev[1])  # two webdev publishes
    style = bundled("2026-08-04", "text_style_control").read_bytes()
    assert adapter.content_sha256(style) != adapter.content_sha256(text[0])  # the twin is another snapshot


def test_the_hub_parquet_and_the_collector_copy_of_one_publish_are_the_same_rows():
    from_json, _ = parse_collector_json(bundled("2026-08-04", "webdev").read_bytes())
    from_hub, details = parse_hub_parquet(read_parquet_text(hub_parquet("2026-08-04", "webdev")), "webdev")
    assert details["leaderboard_publish_date"] == "2026-08-02"
    assert content_sha256(from_hub) == content_sha256(from_json)


def test_repeated_listings_are_counted_not_dropped():
    frame, _ = parse_collector_json(bundled("2026-07-20", "search").read_bytes())  # 32 models, 182 rows
    assert len(frame) == 182 and frame["model"].n_unique() == 32 and frame["listings"].max() > 1


def test_the_gate_holds_back_a_rescaled_or_shifted_rating_and_a_future_publish():
    adapter = LMArenaDataset()
    path = bundled("2026-08-11", "webdev")
    frame = adapter.parse(path.read_bytes(), SnapshotRef(adapter.name, "2026-08-11/webdev.json", str(path))).frame
    today = GateContext(date(2026, 11, 23))
    assert adapter.gate(frame, today).success
    rescaled = frame.with_columns(pl.col("rating", "rating_lower", "rating_upper") * 10)
    shifted = frame.with_columns(pl.col("rating") + 100)  # off its own published bounds
    for bad, reason in ((rescaled, "rating: 469 of 469 values outside [300.0, 2500.0]"),
                        (shifted, "rating_outside_bounds: 469 of 469 values not in [False]")):  # fmt: skip
        report = adapter.gate(bad, today)
        assert not report.success and [f["reason"] for f in report.failures] == [reason]
    early = adapter.gate(frame, GateContext(date(2026, 8, 1)))  # published 2026-08-10: not yet
    assert [f["reason"] for f in early.failures] == ["snapshot_date: 469 of 469 values outside [None, 2026-08-01]"]


# --- the bundled form through the pipeline ----------------------------------------------------------


def test_a_second_fetch_of_one_publish_is_skipped_as_known_never_a_second_date(prefect_harness, tmp_path):
    folder = copy_fetches(tmp_path / "lmarena", {"2026-08-04": ["text", "webdev"]})
    warehouse = tmp_path / "w.duckdb"
    first, _ = run(warehouse, "lmarena-dataset", str(folder))
    assert first.is_completed(), first.message

    copy_fetches(folder, {"2026-08-05": ["text", "webdev"]})  # the next day's fetch
    second, outcomes = run(warehouse, "lmarena-dataset", str(folder))

    assert second.is_completed(), second.message
    text = outcomes["2026-08-05/text.json"]
    assert text.status == "skipped" and text.note.startswith("same content as lmarena-dataset:2026-08-04/text.json")
    assert outcomes["2026-08-05/webdev.json"].status == "published"
    dates = query(warehouse, "SELECT subset, snapshot_date, count(DISTINCT load_id) FROM core.lmarena_entries "
                             "GROUP BY ALL ORDER BY ALL")  # fmt: skip
    assert dates == [("text", date(2026, 8, 3), 1), ("webdev", date(2026, 8, 2), 1), ("webdev", date(2026, 8, 4), 1)]

    third, outcomes = run(warehouse, "lmarena-dataset", str(folder))  # nothing new: every file known unread
    assert third.is_completed() and {o.status for o in outcomes.values()} == {"skipped"}


def test_two_fetches_of_one_publish_in_one_run_are_one_snapshot(prefect_harness, tmp_path):
    folder = copy_fetches(tmp_path / "lmarena", {"2026-08-04": ["text"], "2026-08-05": ["text"]})
    warehouse = tmp_path / "w.duckdb"
    state, outcomes = run(warehouse, "lmarena-dataset", str(folder))
    assert state.is_completed(), state.message
    assert [o.status for _, o in sorted(outcomes.items())] == ["published", "skipped"]
    assert query(warehouse, "SELECT DISTINCT snapshot_date FROM core.lmarena_entries") == [(date(2026, 8, 3),)]


def test_bad_bytes_are_quarantined_and_the_good_files_still_load(prefect_harness, tmp_path):
    folder = copy_fetches(tmp_path / "lmarena", {"2026-08-11": ["text_to_video"]})
    real = bundled("2026-08-11", "video_edit").read_bytes()
    renamed = real.replace(b'"rating": ', b'"score": ')
    assert renamed != real
    (folder / "2026-08-11" / "video_edit.json").write_bytes(renamed)
    cut = bundled("2026-08-11", "image_to_video").read_bytes()
    (folder / "2026-08-11" / "image_to_video.json").write_bytes(cut[: len(cut) // 2])
    warehouse = tmp_path / "w.duckdb"

    state, outcomes = run(warehouse, "lmarena-dataset", str(folder))

    assert state.is_failed()  # a quarantine makes the run say so
    assert outcomes["2026-08-11/text_to_video.json"].status == "published"
    assert outcomes["2026-08-11/video_edit.json"].status == "quarantined"
    assert "rows lack field(s) ['rating'] (renamed?)" in outcomes["2026-08-11/video_edit.json"].reasons[0]
    assert outcomes["2026-08-11/image_to_video.json"].status == "quarantined"
    assert "not valid JSON (cut short" in outcomes["2026-08-11/image_to_video.json"].reasons[0]
    assert query(warehouse, "SELECT DISTINCT subset FROM core.lmarena_entries") == [("text_to_video",)]
    raw = query(warehouse, "SELECT raw_path FROM meta.loads WHERE snapshot_key = '2026-08-11/image_to_video.json'")
    assert (warehouse.parent / raw[0][0]).read_bytes() == cut[: len(cut) // 2]  # the evidence is kept


# --- the Hub form, against the local Hub ----------------------------------------------------------------


@pytest.fixture
def lmarena_hub():
    hub, sha = build_lmarena_hub()
    server, url = hub.start()
    yield hub, url, sha
    server.shutdown()
    server.server_close()


def test_the_hub_is_read_commit_by_commit_each_subset_file_once(prefect_harness, tmp_path, lmarena_hub):
    hub, url, sha = lmarena_hub
    refs = LMArenaHub().discover(url)
    # text once (unchanged by later commits), webdev twice: one ref per file content, at its first commit
    assert [(r.key.split("@")[0], r.location.split("/resolve/")[1].split("/")[0]) for r in refs] == [
        ("text", sha["first"]), ("webdev", sha["first"]), ("webdev", sha["webdev"])
    ]  # fmt: skip
    warehouse = tmp_path / "w.duckdb"

    state, outcomes = run(warehouse, "lmarena-hub", url)

    assert state.is_completed(), state.message
    assert {o.status for o in outcomes.values()} == {"published"}
    assert not hub.requested("full-00000", method="GET")  # the full-history file is never downloaded
    assert all(r.path.endswith(latest(r.path.split("/")[-2])) for r in hub.requested("/resolve/", method="GET"))
    dates = query(warehouse, "SELECT subset, snapshot_date FROM core.lmarena_entries GROUP BY ALL ORDER BY ALL")
    assert dates == [("text", date(2026, 8, 3)), ("webdev", date(2026, 8, 2)), ("webdev", date(2026, 8, 4))]
    revision = query(warehouse, f"SELECT details->>'revision' FROM meta.loads WHERE snapshot_key = '{refs[2].key}'")
    assert revision == [(sha["webdev"],)]

    downloads = len(hub.requested("/resolve/", method="GET"))
    again, outcomes = run(warehouse, "lmarena-hub", url)  # known blobs are skipped before any download
    assert again.is_completed() and {o.status for o in outcomes.values()} == {"skipped"}
    assert len(hub.requested("/resolve/", method="GET")) == downloads
    assert REPO in refs[0].location


def test_a_hub_publish_replaces_the_bundled_copy_of_the_same_publish(prefect_harness, tmp_path, lmarena_hub):
    _, url, _ = lmarena_hub
    warehouse = tmp_path / "w.duckdb"
    run(warehouse, "lmarena-dataset", str(copy_fetches(tmp_path / "lmarena", {"2026-08-04": ["webdev"]})))
    state, _ = run(warehouse, "lmarena-hub", url)
    assert state.is_completed(), state.message
    loads = query(
        warehouse, "SELECT source, snapshot_date, count(*) FROM core.lmarena_entries GROUP BY ALL ORDER BY ALL"
    )
    assert loads == [("lmarena-hub", date(2026, 8, 2), 455), ("lmarena-hub", date(2026, 8, 3), 10099),
                     ("lmarena-hub", date(2026, 8, 4), 459)]  # fmt: skip
    assert query(warehouse, "SELECT status FROM meta.loads WHERE source = 'lmarena-dataset'") == [("superseded",)]


# --- the marts' answers, from the raw rows ---------------------------------------------------------------


def frontier_from_raw(fetch_date: str, subset: str, category: str, country: str) -> dict:
    """The best row of a country in a category, computed from the raw JSON with the registry."""
    rows = pl.DataFrame(json.loads(bundled(fetch_date, subset).read_bytes())["rows"], infer_schema_length=None)
    rows = attributed(rows.rename({"model_name": "model"}).with_columns(pl.col("organization").replace("", None)),
                      load_registry())  # fmt: skip
    return (
        rows.filter((pl.col("category") == category) & (pl.col("country") == country))
        .sort("rating")
        .row(-1, named=True)
    )


def test_the_gap_mart_answers_does_china_lead_and_what_style_control_changes(prefect_harness, tmp_path):
    folder = copy_fetches(tmp_path / "lmarena", {"2026-08-11": ["text", "text_style_control"]})
    warehouse = tmp_path / "w.duckdb"
    state, _ = run(warehouse, "lmarena-dataset", str(folder))
    assert state.is_completed(), state.message
    for subset, style_control in (("text", False), ("text_style_control", True)):
        for category in ("chinese", "overall", "math"):
            us, cn = (frontier_from_raw("2026-08-11", subset, category, c) for c in ("US", "CN"))
            [row] = query(warehouse, "SELECT model_a, model_b, gap_a_minus_b, gap_a_minus_b_lower, gap_a_minus_b_upper, "
                          "tied, leader, status FROM marts.lmarena_gap WHERE subset = 'text' AND pair = 'US-CN' AND "
                          f"category = '{category}' AND style_control = {style_control}")  # fmt: skip
            overlap = us["rating_lower"] <= cn["rating_upper"] and cn["rating_lower"] <= us["rating_upper"]
            assert row[:2] == (us["model"], cn["model"])
            assert row[2] == pytest.approx(us["rating"] - cn["rating"], abs=1e-6)
            assert row[3] == pytest.approx(us["rating_lower"] - cn["rating_upper"], abs=1e-6)
            assert row[4] == pytest.approx(us["rating_upper"] - cn["rating_lower"], abs=1e-6)
            assert row[5] is overlap and row[7] == ("tie" if overlap else "lead")
            assert row[6] == ("US" if us["rating"] >= cn["rating"] else "CN")
    # the ready question answers from the same rows
    sql = (ROOT / "warehouse" / "queries" / "10_lmarena_fronts.sql").read_text()
    chinese, style = (
        "\n".join(line for line in part.splitlines() if not line.startswith("--")) for part in sql.split(";")[:2]
    )
    assert [(r[2], r[8] > 0, r[12]) for r in query(warehouse, chinese)] == [(False, True, "tie"), (True, True, "tie")]
    changes = {r[1]: r for r in query(warehouse, style)}  # how much style control changes the gap
    assert len(changes) == 29 and changes["chinese"][7] == pytest.approx(
        changes["chinese"][5] - changes["chinese"][3], abs=0.11
    )


def test_every_organisation_on_the_bundled_dataset_is_in_the_registry():
    aliases = set(load_registry().alias_table("arena_organization")["alias_key"])
    slugs = set()
    for path in Path(LMArenaDataset().default_location()).glob("*/*.json"):
        if path.name != "_summary.json":
            slugs |= {r["organization"].strip().lower() for r in json.loads(path.read_bytes())["rows"]}
    assert slugs - {""} <= aliases, sorted(slugs - {""} - aliases)
    assert "lmarena-dataset" in registry() and registry()["lmarena-dataset"].in_default_run
    assert not registry()["lmarena-hub"].in_default_run
