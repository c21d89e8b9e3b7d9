"""Incremental marts (engine/marts.py): a warehouse built in steps, refreshing the marts after each,
holds exactly what a full rebuild of the same core tables holds: snapshots that open a hole, a
snapshot landing in it, a revision that supersedes a published snapshot, a run that stopped before
its marts. A run with nothing new recomputes nothing; a changed input rebuilds everything; a failing
mart gate keeps every mart and the marts' state at their last good state.

Loads go through the plain load steps (as in test_which_load_counts.py); real bundled files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from common.gate import GateReport
from datasets import registry
from engine import load as loading
from engine import marts as marts_flow
from engine.marts import changed_inputs, read_inputs, refresh_marts
from marts.build import MART_COLUMNS, build_marts
from warehouse import connection

DATA = Path(__file__).resolve().parents[1] / "data"
V2 = DATA / "leaderboards" / "open_llm_v2_archive"
ARENA = DATA / "leaderboards" / "arena_archive"
AI_INDEX = DATA / "funding" / "ai_index_owid" / "2025-04"
SOURCE = "open-llm-v2-archive"


def publish(folder: Path, name: str, text: str | None = None) -> str:
    """Put a scrape into the source folder (a bundled file, or `text` under its name); its key."""
    target = folder / "scraped" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        shutil.copy(V2 / "scraped" / name, target)
    else:
        target.write_text(text)
    return f"scraped/{name}"


def load(folder: Path, key: str, warehouse: Path, source: str = SOURCE) -> loading.LoadOutcome:
    ref = next(r for r in registry()[source].discover(str(folder)) if r.key == key)
    landed = loading.fetch(ref, warehouse)
    assert loading.known_outcome(ref, landed, warehouse) is None
    staged = loading.stage(ref, landed, warehouse)
    assert staged.rejected is None, staged.rejected
    return loading.publish(ref, landed, staged, warehouse, connection.utcnow())


def marts(warehouse: Path) -> dict[str, pl.DataFrame]:
    with connection.connect(warehouse, read_only=True) as con:
        return {
            table: con.execute(f"SELECT {', '.join(cols)} FROM {table}").pl() for table, cols in MART_COLUMNS.items()
        }


def assert_same_as_full_rebuild(warehouse: Path) -> None:
    """Every mart table equals a full build from the same core tables (the in-memory path that reads
    every core table whole), row for row."""
    expected = build_marts(read_inputs(warehouse))
    for table, got in marts(warehouse).items():
        want = expected[table].select(MART_COLUMNS[table])
        assert len(got) == len(want), f"{table}: {len(got)} rows, a full rebuild has {len(want)}"
        if got.is_empty():
            continue
        columns = got.columns
        got = got.sort(columns, nulls_last=True)
        want = want.cast(dict(got.schema)).sort(columns, nulls_last=True)
        assert got.equals(want), (
            f"{table} differs from a full rebuild:\n{got.join(want, on=columns, how='anti', nulls_equal=True)}"
        )


def state(warehouse: Path) -> tuple:
    with connection.connect(warehouse, read_only=True) as con:
        loads = con.execute("SELECT load_id FROM meta.marts_loads ORDER BY 1").fetchall()
        refreshes = con.execute("SELECT count(*) FROM meta.marts_refreshes").fetchone()[0]
    return loads, refreshes


def revised(name: str) -> str:
    """The scrape with its best model removed (an upstream correction), so the frontier moves."""
    lines = (V2 / "scraped" / name).read_text().splitlines(keepends=True)
    frame = pl.read_csv(V2 / "scraped" / name)
    assert len(lines) == frame.height + 1  # one line per row
    best = frame["average"].arg_max()
    return "".join(line for i, line in enumerate(lines) if i != best + 1)


def test_marts_refreshed_step_by_step_equal_a_full_rebuild(tmp_path, warehouse):
    folder = tmp_path / "archive"
    # two snapshots 61 days apart: a hole (more than 45 days) between them
    for name in ("2024-08-01.csv", "2024-10-01.csv"):
        load(folder, publish(folder, name), warehouse)
    first = refresh_marts(warehouse)
    assert first.published and first.mode == "full", first
    assert "marts: no record of a previous refresh: full rebuild" in first.note
    assert marts(warehouse)["marts.snapshot_holes"].height == 1
    assert_same_as_full_rebuild(warehouse)

    # a snapshot landing in the hole, and one after it; the first is published by a run that
    # stopped before its marts: the next refresh catches it up from the ledger
    load(folder, publish(folder, "2024-08-30.csv"), warehouse)
    load(folder, publish(folder, "2024-11-01.csv"), warehouse)
    second = refresh_marts(warehouse)
    assert second.mode == "incremental" and "2 load(s) published and 0 superseded" in second.note
    assert marts(warehouse)["marts.snapshot_holes"].is_empty()
    assert_same_as_full_rebuild(warehouse)

    # a revision of a published snapshot supersedes it: its rows go, the revised ones count
    revised_load = load(folder, publish(folder, "2024-08-01.csv", revised("2024-08-01.csv")), warehouse)
    assert revised_load.status == "published"
    third = refresh_marts(warehouse)
    assert third.mode == "incremental" and "1 load(s) published and 1 superseded" in third.note
    assert_same_as_full_rebuild(warehouse)
    scores = marts(warehouse)["marts.model_scores"]
    assert set(scores.filter(pl.col("snapshot_date").cast(pl.Utf8) == "2024-08-01")["load_id"]) == {
        revised_load.load_id
    }

    # nothing new and unchanged inputs: nothing recomputed, nothing written but the run record
    before, tables = state(warehouse), marts(warehouse)
    idle = refresh_marts(warehouse)
    assert idle.published and idle.mode == "unchanged" and not idle.written
    assert idle.note == "marts: nothing new, unchanged inputs: not recomputed"
    assert state(warehouse) == before
    assert all(tables[t].equals(got) for t, got in marts(warehouse).items())


def test_a_catalog_recomputes_every_arena_snapshot_and_funding_its_marts(tmp_path, warehouse):
    arena = tmp_path / "arena"
    for name in ("scraped/2024-06-19.csv", "scraped/2024-07-10.csv", "hf_space/leaderboard_table_20240109.csv"):
        (arena / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARENA / name, arena / name)
    for key in ("scraped/2024-06-19.csv", "scraped/2024-07-10.csv"):
        load(arena, key, warehouse, "arena-archive")
    refresh_marts(warehouse)
    assert_same_as_full_rebuild(warehouse)

    # the Space's catalog (core.arena_models) is read by every Arena snapshot
    load(arena, "hf_space/leaderboard_table_20240109.csv", warehouse, "arena-archive")
    catalog = refresh_marts(warehouse)
    assert catalog.mode == "incremental" and "recomputed 2 snapshot(s) of arena-text" in catalog.note, catalog.note
    assert_same_as_full_rebuild(warehouse)

    # a funding edition: the funding marts follow, the leaderboard snapshots are not recomputed
    funding = tmp_path / "ai_index"
    shutil.copytree(AI_INDEX, funding / AI_INDEX.name)
    load(funding, f"{AI_INDEX.name}/private-investment-in-artificial-intelligence.csv", warehouse, "funding-ai-index")
    edition = refresh_marts(warehouse)
    assert "recomputed 0 snapshot(s)" in edition.note and edition.written.get("marts.funding_by_country"), edition
    assert_same_as_full_rebuild(warehouse)


def test_a_changed_input_rebuilds_everything_and_says_which(tmp_path, warehouse, monkeypatch):
    folder = tmp_path / "archive"
    load(folder, publish(folder, "2024-07-13.csv"), warehouse)
    refresh_marts(warehouse)
    monkeypatch.setenv("AIGAP_GAP_PAIRS", "US-CN,US-DE")
    outcome = refresh_marts(warehouse)
    assert outcome.mode == "full" and outcome.note.startswith("marts: gap pairs changed: full rebuild")
    assert set(marts(warehouse)["marts.gap"]["pair"]) <= {"US-CN", "US-DE"}
    assert_same_as_full_rebuild(warehouse)


def test_the_log_names_the_input_that_changed():
    before = {"data/registry/aliases.csv": "a", "data/arena/model_overrides.csv": "b", "gap pairs": "c"}
    now = {**before, "data/registry/aliases.csv": "x"}
    assert changed_inputs(before, now) == "registry changed (data/registry/aliases.csv)"
    assert changed_inputs(before, {**before, "gap pairs": "y"}) == "gap pairs changed"


def test_a_failing_mart_gate_keeps_every_mart_and_the_state(tmp_path, warehouse, monkeypatch):
    folder = tmp_path / "archive"
    load(folder, publish(folder, "2024-07-13.csv"), warehouse)
    refresh_marts(warehouse)
    before, tables = state(warehouse), marts(warehouse)
    load(folder, publish(folder, "2024-08-01.csv"), warehouse)

    real = marts_flow.validate_mart
    gated = []

    def failing_gap_gate(table, frame):
        gated.append(table)
        if table == "marts.gap":
            return GateReport(table, False, len(frame), 1, [{"reason": "forced failure"}])
        return real(table, frame)

    monkeypatch.setattr(marts_flow, "validate_mart", failing_gap_gate)
    outcome = refresh_marts(warehouse)
    assert not outcome.published and "marts.gap" in outcome.reasons[0]
    assert len(gated) == len(set(gated))  # one gate run per mart, whatever the snapshots
    assert state(warehouse) == before
    assert all(tables[t].equals(got) for t, got in marts(warehouse).items())

    monkeypatch.setattr(marts_flow, "validate_mart", real)
    assert refresh_marts(warehouse).mode == "incremental"  # the next run catches up
    assert_same_as_full_rebuild(warehouse)


def test_the_local_copy_of_history_holds_what_the_lake_holds(tmp_path, warehouse):
    """An incremental refresh reads history through a local copy (engine/marts.py read_history_rows):
    whatever state the copy is in (up to date, behind, damaged, holding a load's rows wrongly), what
    it returns is row for row what the lake holds, and a copy that is wrong is written anew."""
    table = "core.open_llm_v2_entries"
    folder = tmp_path / "archive"
    for name in ("2024-08-01.csv", "2024-10-01.csv"):
        load(folder, publish(folder, name), warehouse)

    def read(trust_copy: bool = True) -> tuple[pl.DataFrame, pl.DataFrame, Path]:
        with connection.connect(warehouse, read_only=True) as con:
            published = marts_flow.published_loads(con).filter(pl.col("core_table") == table)
            lake = marts_flow.read_core(con, table, history=True)
            through_copy = marts_flow.read_history_rows(con, table, published, warehouse, trust_copy)
            path = marts_flow.history_copy_path(warehouse, table, marts_flow.core_schema(con, table))
        return lake, through_copy, path

    lake, through_copy, path = read(trust_copy=False)  # as a full rebuild: the lake read, the copy written
    assert path.exists() and through_copy.equals(lake)
    assert read()[1].equals(lake)

    # behind: a new snapshot, and a revision that supersedes a published one
    load(folder, publish(folder, "2024-08-30.csv"), warehouse)
    load(folder, publish(folder, "2024-08-01.csv", revised("2024-08-01.csv")), warehouse)
    lake, through_copy, path = read()
    assert through_copy.equals(lake) and len(set(lake["load_id"])) == 3
    copy = marts_flow.read_history_copy(path)
    assert copy.equals(lake.select(copy.columns)), "the copy was brought up to date"

    # a load whose rows the copy holds wrongly (one row missing) is read from the lake again
    marts_flow.write_history_copy(path, copy.filter(pl.int_range(pl.len()) != 5))
    lake, through_copy, _ = read()
    assert through_copy.equals(lake)
    assert marts_flow.read_history_copy(path).height == lake.height

    # a damaged copy reads as missing: the lake is read whole and the copy written anew
    path.write_bytes(path.read_bytes()[:-100])
    assert marts_flow.read_history_copy(path) is None
    lake, through_copy, _ = read()
    assert through_copy.equals(lake) and marts_flow.read_history_copy(path).height == lake.height
    # (refreshing through the copy, step by step, equals a full rebuild: the first test of this file)
