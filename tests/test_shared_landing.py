"""A landing folder of its own ($AIGAP_RAW_DIR): several workers, each with its own warehouse folder,
land raw bytes in one shared place, the ledger names them so every worker finds them, and a run's
clean-up never removes another worker's landing in flight. Real bundled and bad files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import query
from test_load_path import SOURCE, folder, run_stages  # noqa: F401 (fixture)

from common.settings import RAW_DIR_ENV, landed_path, raw_dir
from engine import load as loading
from warehouse import connection, schema
from warehouse.landing import remove_partial_landings


def migrated(path: Path) -> Path:
    with connection.connect(path) as con:
        schema.migrate(con)
    return path


def test_two_workers_land_in_one_shared_folder_and_each_finds_every_file(tmp_path, folder, monkeypatch):  # noqa: F811
    shared = tmp_path / "shared-landing"
    monkeypatch.setenv(RAW_DIR_ENV, str(shared))
    first = migrated(tmp_path / "worker-1" / "w.duckdb")
    second = migrated(tmp_path / "worker-2" / "w.duckdb")
    assert raw_dir(first) == raw_dir(second) == shared.resolve()

    run_stages(folder, first)
    run_stages(folder, second)

    for warehouse in (first, second):
        rows = query(warehouse, f"SELECT status, raw_path FROM meta.loads WHERE source = '{SOURCE}'")
        assert sorted(status for status, _ in rows) == ["published"] * 3 + ["quarantined"] * 2
        for _, raw_path in rows:  # absolute: the same path on every worker that mounts the landing
            assert Path(raw_path).is_absolute() and Path(raw_path).is_relative_to(shared.resolve())
            assert landed_path(warehouse, raw_path).is_file()  # quarantined bytes kept too
    assert not (tmp_path / "worker-1" / "raw").exists() and not (tmp_path / "worker-2" / "raw").exists()
    # content-addressed: the second worker landed nothing twice
    assert len([p for p in shared.rglob("*") if p.is_file()]) == 5


def test_without_the_setting_the_landing_stays_next_to_the_warehouse_and_is_named_relative(tmp_path, folder):  # noqa: F811
    assert RAW_DIR_ENV not in os.environ
    warehouse = migrated(tmp_path / "w.duckdb")
    run_stages(folder, warehouse)
    paths = [p for (p,) in query(warehouse, "SELECT raw_path FROM meta.loads")]
    assert paths and all(p.startswith("raw/") for p in paths)  # a folder moved whole still finds them
    assert all(landed_path(warehouse, p).is_file() for p in paths)


def test_a_shared_landing_keeps_a_young_half_written_file_another_worker_may_be_writing(tmp_path, monkeypatch):
    monkeypatch.setenv(RAW_DIR_ENV, str(tmp_path / "shared"))
    warehouse = tmp_path / "worker" / "w.duckdb"
    landing = raw_dir(warehouse) / SOURCE
    landing.mkdir(parents=True)
    young, old = landing / ".landing-young", landing / ".landing-old"
    young.write_bytes(b"in flight")
    old.write_bytes(b"left by a killed run")
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (day_ago, day_ago))

    loading.clear_staging(warehouse)  # what every run does at its start and end

    assert young.exists() and not old.exists()
    # in a warehouse's own landing the run lock excludes every other writer: any leftover goes
    young.rename(landing / ".landing-again")
    assert remove_partial_landings(raw_dir(warehouse)) == 1


@pytest.fixture(autouse=True)
def _no_inherited_setting(monkeypatch):
    monkeypatch.delenv(RAW_DIR_ENV, raising=False)
