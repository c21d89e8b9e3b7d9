"""A source's snapshots stage by stage (engine/load.py): known files set aside without reading them,
fetch and parse of the new ones together, one gate for the batch, publishes in order. Real bundled
files and real bad files in tmp folders, the plain functions the flow's tasks call."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import BAD, query

from datasets import registry
from datasets.base import GateContext, SnapshotUnavailable
from datasets.open_llm.v2_archive import OpenLLMv2Archive
from engine import load as loading

SOURCE = "open-llm-v2-archive"
V2 = Path(__file__).resolve().parents[1] / "data" / "leaderboards" / "open_llm_v2_archive"
TODAY = date(2026, 11, 23)


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "archive" / "scraped"
    target.mkdir(parents=True)
    for day in ("2024-07-13", "2024-08-01", "2024-08-30"):
        shutil.copy(V2 / "scraped" / f"{day}.csv", target / f"{day}.csv")
    shutil.copy(BAD / "scores_times_100.csv", target / "2024-08-15.csv")
    shutil.copy(BAD / "truncated_mid_row.csv", target / "2024-08-20.csv")
    return target.parent


def run_stages(folder: Path, warehouse: Path):
    """What a run does with one source, without Prefect: (refs, their outcomes or Ready/Held)."""
    refs = registry()[SOURCE].discover(str(folder))
    known = loading.known_without_reading(refs, warehouse)
    new = [r for r, k in zip(refs, known, strict=True) if k is None]
    fetched = loading.fetch_and_stage(new, warehouse)
    parsed = [f for f in fetched if isinstance(f, loading.Parsed)]
    gated = loading.gate_batch(parsed, warehouse, TODAY) if parsed else []
    ready = [g for g in gated if isinstance(g, loading.Ready)]
    for held in (g for g in gated if isinstance(g, loading.Held)):
        item = held.item
        loading.quarantine(item.ref, item.landed, item.staged, held.reasons, warehouse, item.started_at)
    loading.publish_batch(ready, warehouse)
    return refs, known, fetched, gated


def test_a_batch_quarantines_each_bad_snapshot_alone_with_its_reasons_and_publishes_the_rest(folder, warehouse):
    _, known, _, gated = run_stages(folder, warehouse)

    assert known == [None] * 5
    held = {g.item.ref.key: g.reasons for g in gated if isinstance(g, loading.Held)}
    assert set(held) == {"scraped/2024-08-15.csv", "scraped/2024-08-20.csv"}
    assert any("values outside [0" in r["reason"] for r in held["scraped/2024-08-15.csv"])
    assert "truncated" in held["scraped/2024-08-20.csv"][0]["reason"]
    # the same reasons as the gate of that snapshot on its own
    adapter = registry()[SOURCE]
    path = folder / "scraped" / "2024-08-15.csv"
    ref = next(r for r in adapter.discover(str(folder)) if r.key == "scraped/2024-08-15.csv")
    alone = adapter.gate(adapter.parse(path.read_bytes(), ref).frame, GateContext(TODAY, previous_rows=520))
    assert held["scraped/2024-08-15.csv"] == alone.failures
    assert query(warehouse, "SELECT snapshot_key, status FROM meta.loads ORDER BY 1") == [
        ("scraped/2024-07-13.csv", "published"),
        ("scraped/2024-08-01.csv", "published"),
        ("scraped/2024-08-15.csv", "quarantined"),
        ("scraped/2024-08-20.csv", "quarantined"),
        ("scraped/2024-08-30.csv", "published"),
    ]
    # the raw bytes of the quarantined ones are kept as they came
    for key, bad in (("2024-08-15", "scores_times_100.csv"), ("2024-08-20", "truncated_mid_row.csv")):
        [(raw,)] = query(warehouse, f"SELECT raw_path FROM meta.loads WHERE snapshot_key = 'scraped/{key}.csv'")
        assert (warehouse.parent / raw).read_bytes() == (BAD / bad).read_bytes()


def test_an_unchanged_file_is_known_without_reading_it(folder, warehouse, monkeypatch):
    run_stages(folder, warehouse)

    def no_reading(self, ref):
        raise AssertionError(f"{ref.key} was read")

    with monkeypatch.context() as patched:
        patched.setattr(OpenLLMv2Archive, "fetch", no_reading)
        refs = registry()[SOURCE].discover(str(folder))
        known = loading.known_without_reading(refs, warehouse)
    # published and quarantined alike: the ledger holds their content, nothing is read
    assert [k.status for k in known] == ["skipped"] * 5
    assert all(k.note.startswith("unchanged: already ") for k in known)

    # touched (same bytes, new mtime): read again, found known by its bytes, and known unread next time
    touched = folder / "scraped" / "2024-08-01.csv"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    refs, known, fetched, gated = run_stages(folder, warehouse)
    assert [r.key for r, k in zip(refs, known, strict=True) if k is None] == ["scraped/2024-08-01.csv"]
    assert [f.status for f in fetched] == ["skipped"] and gated == []
    assert all(loading.known_without_reading(refs, warehouse))

    # changed content of the same size: the mtime tells, the new bytes are read and gated
    text = touched.read_bytes()
    touched.write_bytes(text.replace(b"Qwen", b"QWEN", 1))
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 2 * 10**9))
    refs, known, fetched, gated = run_stages(folder, warehouse)
    assert [type(f).__name__ for f in fetched] == ["Parsed"]
    assert [type(g).__name__ for g in gated] == ["Ready"]
    assert query(warehouse, "SELECT count(*) FROM meta.loads WHERE snapshot_key = 'scraped/2024-08-01.csv'") == [(2,)]


def test_each_snapshot_keeps_its_place_and_its_own_failure(folder, warehouse):
    refs = registry()[SOURCE].discover(str(folder))
    missing = refs[1].__class__(SOURCE, "scraped/2024-09-09.csv", str(folder / "scraped" / "gone.csv"))
    fetched = loading.fetch_and_stage([refs[0], missing, refs[2]], warehouse)
    assert isinstance(fetched[0], loading.Parsed) and fetched[0].ref == refs[0]
    assert isinstance(fetched[1], Exception) and not isinstance(fetched[1], SnapshotUnavailable)
    assert isinstance(fetched[2], loading.Parsed) and fetched[2].ref == refs[2]


def test_a_group_that_fails_is_published_again_one_snapshot_at_a_time_and_only_the_bad_one_fails(
    folder, warehouse, caplog
):
    refs = registry()[SOURCE].discover(str(folder))
    parsed = [p for p in loading.fetch_and_stage(refs, warehouse) if isinstance(p, loading.Parsed)]
    ready = [g for g in loading.gate_batch(parsed, warehouse, TODAY) if isinstance(g, loading.Ready)]
    assert [r.ref.key for r in ready] == ["scraped/2024-07-13.csv", "scraped/2024-08-01.csv", "scraped/2024-08-30.csv"]
    # the last one's staged rows turn bad after its gate: a score that is not a number
    bad = ready[-1]
    pl.read_parquet(bad.staged.path).with_columns(pl.lit("not a number").alias("average")).write_parquet(
        bad.staged.path
    )

    with pytest.raises(duckdb.ConversionException, match="not a number"):
        loading.publish_batch(ready, warehouse)

    assert "publishing 3 snapshots of 'open-llm-v2-archive' together failed" in caplog.text
    assert "publishing them one at a time" in caplog.text
    assert query(warehouse, "SELECT snapshot_key, status FROM meta.loads ORDER BY 1") == [
        ("scraped/2024-07-13.csv", "published"),
        ("scraped/2024-08-01.csv", "published"),
    ]
    assert query(warehouse, "SELECT load_id, count(*) FROM core.open_llm_v2_entries GROUP BY 1 ORDER BY 1") == sorted(
        (r.staged.load_id, r.staged.rows) for r in ready[:2]
    )
