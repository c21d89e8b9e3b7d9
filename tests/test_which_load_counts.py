"""Which load counts (warehouse/publishing.py): revisions, reverts, corrected copies, a Space table that
changes kind, two contents for one date in one run. Real bundled files, copied into tmp folders.

Most tests call the plain load steps (engine/load.py) and the store; the in-run conflict is the
flow's behaviour and runs the flow once.
"""

from __future__ import annotations

import json
import logging
import shutil
from datetime import date
from pathlib import Path

import polars as pl
from conftest import query

from common.boards import one_load_per_snapshot
from datasets import registry
from engine import load as loading
from engine.marts import read_inputs
from flows.pipeline import pipeline
from warehouse.connection import connect, utcnow
from warehouse.ledger import CONFLICT_CHECK
from warehouse.schema import migrate

ROOT = Path(__file__).resolve().parents[1]
ARENA = ROOT / "data" / "leaderboards" / "arena_archive"
AI_INDEX = ROOT / "data" / "funding" / "ai_index_owid" / "2025-04" / "private-investment-in-artificial-intelligence.csv"
TABLE = ARENA / "scraped" / "2024-11-05.csv"
V2 = ROOT / "data" / "leaderboards" / "open_llm_v2_archive"


def revised(text: str) -> str:
    """The same table with one model's vote count corrected (what an upstream revision looks like)."""
    old = ",37712,"
    assert text.count(old) == 1
    return text.replace(old, ",37800,")


def load(source: str, folder: Path, key: str, warehouse: Path) -> loading.LoadOutcome:
    """One snapshot through the plain steps a run takes (known? -> stage -> publish); the gate is not
    what these tests are about."""
    ref = next(r for r in registry()[source].discover(str(folder)) if r.key == key)
    landed = loading.fetch(ref, warehouse)
    if known := loading.known_outcome(ref, landed, warehouse):
        return known
    staged = loading.stage(ref, landed, warehouse)
    assert staged.rejected is None, staged.rejected
    return loading.publish(ref, landed, staged, warehouse, utcnow())


def ledger(warehouse) -> list[tuple]:
    return query(warehouse, "SELECT load_id, status, superseded_by FROM meta.loads ORDER BY finished_at")


def test_a_revert_to_earlier_bytes_is_published_again(tmp_path, warehouse):
    folder = tmp_path / "arena"
    (folder / "scraped").mkdir(parents=True)
    target = folder / "scraped" / "2024-11-05.csv"
    original = TABLE.read_text()
    key = "scraped/2024-11-05.csv"

    target.write_text(original)
    first = load("arena-archive", folder, key, warehouse)
    target.write_text(revised(original))
    second = load("arena-archive", folder, key, warehouse)
    target.write_text(original)  # the revision is withdrawn: the original bytes are back
    third = load("arena-archive", folder, key, warehouse)

    assert [first.status, second.status, third.status] == ["published"] * 3
    assert third.load_id == first.load_id + "#2" and third.superseded == [second.load_id]
    assert ledger(warehouse) == [
        (first.load_id, "superseded", second.load_id),
        (second.load_id, "superseded", third.load_id),
        (third.load_id, "published", None),
    ]
    assert query(warehouse, "SELECT DISTINCT load_id FROM core.arena_entries") == [(third.load_id,)]
    assert query(warehouse, "SELECT count(*) FROM core.arena_entries WHERE votes = 37712") == [(1,)]  # the original
    # unchanged since: the next run skips it
    assert load("arena-archive", folder, key, warehouse).status == "skipped"


def test_a_corrected_copy_under_another_name_replaces_the_first(tmp_path, warehouse):
    folder = tmp_path / "arena"
    (folder / "scraped").mkdir(parents=True)
    (folder / "corrected").mkdir()
    shutil.copy(TABLE, folder / "scraped" / "2024-11-05.csv")
    (folder / "corrected" / "2024-11-05.csv").write_text(revised(TABLE.read_text()))

    first = load("arena-archive", folder, "scraped/2024-11-05.csv", warehouse)
    corrected = load("arena-archive", folder, "corrected/2024-11-05.csv", warehouse)

    assert corrected.superseded == [first.load_id]
    assert ledger(warehouse) == [
        (first.load_id, "superseded", corrected.load_id),
        (corrected.load_id, "published", None),
    ]
    # the marts read one load for the date, the corrected one, and never have to pick
    entries = read_inputs(warehouse).core["core.arena_entries"].with_columns(pl.lit("arena-text").alias("leaderboard"))
    assert one_load_per_snapshot(entries)["load_id"].unique().to_list() == [corrected.load_id]
    # the first file, unchanged, is not loaded again (it would flip the date back and forth)
    assert load("arena-archive", folder, "scraped/2024-11-05.csv", warehouse).status == "skipped"


def test_a_corrected_funding_file_replaces_the_figures_it_repeats(tmp_path, warehouse):
    edition = tmp_path / "ai_index" / "2025-04"
    edition.mkdir(parents=True)
    shutil.copy(AI_INDEX, edition / AI_INDEX.name)
    fixed = AI_INDEX.read_text().replace("China,CHN,2023,8419883187", "China,CHN,2023,8519883187")
    (edition / "corrected.csv").write_text(fixed)

    first = load("funding-ai-index", edition.parent, f"2025-04/{AI_INDEX.name}", warehouse)
    corrected = load("funding-ai-index", edition.parent, "2025-04/corrected.csv", warehouse)

    assert corrected.superseded == [first.load_id]
    assert query(warehouse, "SELECT DISTINCT load_id FROM core.funding_observations") == [(corrected.load_id,)]
    assert query(
        warehouse, "SELECT value FROM core.funding_observations WHERE region_code = 'CN' AND period = '2023'"
    ) == [(8519883187.0,)]


def test_superseding_removes_the_old_rows_from_every_table_it_wrote(tmp_path, warehouse):
    # A Space file first published as a catalog (core.arena_models), then revised under the same
    # name into a scored table (core.arena_entries): nothing of the catalog may stay behind.
    folder = tmp_path / "arena" / "hf_space"
    folder.mkdir(parents=True)
    target = folder / "leaderboard_table_20240109.csv"
    key = "hf_space/leaderboard_table_20240109.csv"
    shutil.copy(ARENA / "hf_space" / "leaderboard_table_20240109.csv", target)
    catalog = load("arena-archive", folder.parent, key, warehouse)
    assert query(warehouse, "SELECT count(*) FROM core.arena_models") == [(68,)]

    shutil.copy(ARENA / "hf_space" / "leaderboard_table_20230717.csv", target)
    entries = load("arena-archive", folder.parent, key, warehouse)

    assert entries.superseded == [catalog.load_id]
    assert query(warehouse, "SELECT count(*) FROM core.arena_models") == [(0,)]
    assert query(warehouse, "SELECT DISTINCT load_id, snapshot_date::VARCHAR FROM core.arena_entries") == [
        (entries.load_id, "2024-01-09")
    ]
    assert query(warehouse, "SELECT sum(rows_published) FROM meta.loads WHERE status = 'published'") == query(
        warehouse, "SELECT (SELECT count(*) FROM core.arena_entries) + (SELECT count(*) FROM core.arena_models)"
    )


def test_a_warehouse_with_two_loads_for_one_date_is_settled_by_the_migration(tmp_path):
    # Loads published before the rule existed: the later one counts, the earlier points to it.
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        migrate(con)
        con.execute("DELETE FROM meta.migrations WHERE name = '006_which_load_counts.sql'")
        con.execute("ALTER TABLE meta.loads DROP COLUMN superseded_by")
        con.execute("ALTER TABLE meta.loads DROP COLUMN superseded_at")
        con.execute("ALTER TABLE meta.feed_validators RENAME COLUMN first_fetched TO served_date")
        for n, (load_id, finished) in enumerate((("a:old@1", "2026-01-01"), ("a:new@2", "2026-02-01"))):
            con.execute(
                "INSERT INTO meta.loads (load_id, source, snapshot_key, snapshot_date, content_sha256, status, "
                "rows_in, rows_published, started_at, finished_at) VALUES (?, 'a', ?, '2024-11-05', ?, 'published', "
                "1, 1, ?, ?)",
                [load_id, f"k{n}", str(n), finished, finished],
            )
            con.execute(
                "INSERT INTO core.arena_entries (load_id, source, snapshot_key, snapshot_date, leaderboard, model, "
                "model_key, score) VALUES (?, 'a', ?, '2024-11-05', 'arena-text', 'm', 'm', 1000)",
                [load_id, f"k{n}"],
            )
        assert migrate(con) == ["006_which_load_counts.sql"]
    assert ledger(path) == [("a:old@1", "superseded", "a:new@2"), ("a:new@2", "published", None)]
    assert query(path, "SELECT load_id FROM core.arena_entries") == [("a:new@2",)]


def gated(source: str, folder: Path, key: str, warehouse: Path) -> loading.Ready:
    ref = next(r for r in registry()[source].discover(str(folder)) if r.key == key)
    landed = loading.fetch(ref, warehouse)
    staged = loading.stage(ref, landed, warehouse)
    return loading.Ready(ref, landed, staged, utcnow(), "")


def test_settle_holds_back_two_contents_for_one_date_and_lets_one_copy_through(tmp_path, warehouse):
    folder = tmp_path / "arena"
    for sub in ("scraped", "corrected", "mirror"):
        (folder / sub).mkdir(parents=True)
    shutil.copy(TABLE, folder / "scraped" / "2024-11-05.csv")
    (folder / "corrected" / "2024-11-05.csv").write_text(revised(TABLE.read_text()))
    shutil.copy(ARENA / "scraped" / "2024-12-03.csv", folder / "scraped" / "2024-12-03.csv")
    shutil.copy(ARENA / "scraped" / "2024-12-03.csv", folder / "mirror" / "2024-12-03.csv")
    a, b, c, c_again = (
        gated("arena-archive", folder, key, warehouse)
        for key in (
            "scraped/2024-11-05.csv",
            "corrected/2024-11-05.csv",
            "scraped/2024-12-03.csv",
            "mirror/2024-12-03.csv",
        )
    )

    settled = loading.settle([a, b, c, c_again])

    assert [r.ref.key for r in settled.publish] == ["scraped/2024-12-03.csv"]
    assert [(r.ref.key, same.ref.key) for r, same in settled.duplicates] == [
        ("mirror/2024-12-03.csv", "scraped/2024-12-03.csv")
    ]
    assert [r.ref.key for r, _ in settled.conflicts] == ["scraped/2024-11-05.csv", "corrected/2024-11-05.csv"]
    reason = settled.conflicts[0][1][0]["reason"]
    assert reason.startswith("two contents for one snapshot in one run (core.arena_entries arena-text 2024-11-05)")
    assert a.staged.load_id in reason and b.staged.load_id in reason


def test_two_files_for_one_date_in_one_run_are_both_held_back_until_one_goes(prefect_harness, tmp_path, capsys, caplog):
    folder = tmp_path / "arena"
    for sub in ("scraped", "corrected"):
        (folder / sub).mkdir(parents=True)
    shutil.copy(TABLE, folder / "scraped" / "2024-11-05.csv")
    (folder / "corrected" / "2024-11-05.csv").write_text(revised(TABLE.read_text()))
    # a file whose name would forge a log line if it were not quoted
    shutil.copy(ARENA / "scraped" / "2024-12-03.csv", folder / "scraped" / "2024-12-03\nQUARANTINED forged.csv")
    warehouse = tmp_path / "w.duckdb"
    stale = tmp_path / "staging" / "left-by-a-killed-run.parquet"  # what a crash leaves behind
    stale.parent.mkdir()
    stale.write_bytes(b"PAR1")
    run = {"warehouse": str(warehouse), "locations": {"arena-archive": str(folder)}, "only": ["arena-archive"]}

    with caplog.at_level(logging.INFO):
        first = pipeline(**run, return_state=True)

    assert first.is_failed()
    outcomes = {o.snapshot_key: o for o in first.result(raise_on_failure=False).summary.loads}
    assert outcomes["scraped/2024-12-03\nQUARANTINED forged.csv"].status == "published"
    for key in ("scraped/2024-11-05.csv", "corrected/2024-11-05.csv"):
        assert outcomes[key].status == "quarantined"
        assert "two contents for one snapshot in one run" in outcomes[key].reasons[0]
    assert query(warehouse, "SELECT count(*) FROM core.arena_entries WHERE snapshot_date = '2024-11-05'") == [(0,)]
    assert not any("\nQUARANTINED forged" in r.getMessage() for r in caplog.records)  # names are quoted (%r)
    assert not stale.exists() and not (tmp_path / "staging").exists()  # staging emptied at start and end

    (folder / "corrected" / "2024-11-05.csv").unlink()  # the user settles it: the corrected copy was wrong
    second = pipeline(**run, return_state=True)

    assert second.is_completed(), second.message
    [outcome] = [o for o in second.result().loads if o.status == "published"]
    assert outcome.snapshot_key == "scraped/2024-11-05.csv" and outcome.load_id.endswith("#2")
    assert (
        json.loads(query(warehouse, f"SELECT reasons FROM meta.loads WHERE load_id = '{outcome.load_id[:-2]}'")[0][0])[
            0
        ]["check"]
        == CONFLICT_CHECK
    )


def test_the_size_check_compares_with_a_snapshot_accepted_earlier_in_the_same_run(tmp_path, warehouse):
    # a run gates every snapshot before publishing any: the previous snapshot of the series may be one
    # this run accepted but has not published yet (loading.accepted_before)
    ref = registry()["open-llm-v2-archive"].discover(str(V2 / "scraped" / "2024-07-13.csv"))[0]
    staged = loading.stage(ref, loading.fetch(ref, warehouse), warehouse)
    report = loading.validate(ref, staged, warehouse, date(2026, 11, 23), earlier=[(date(2024, 7, 1), 1000)])
    assert [f["reason"] for f in report.failures] == ["237 rows, expected at least 500"]
    assert loading.validate(ref, staged, warehouse, date(2026, 11, 23), earlier=[(date(2024, 7, 20), 1000)]).success


def test_snapshots_published_together_count_as_published_one_after_another(tmp_path, warehouse):
    # Two tables and two rules at once: a corrected Arena copy under another name (same date) and a
    # corrected AI Index file (same figures), each after its original, in one publish transaction.
    arena, funding = tmp_path / "arena", tmp_path / "ai_index"
    (arena / "scraped").mkdir(parents=True)
    (arena / "corrected").mkdir()
    shutil.copy(TABLE, arena / "scraped" / "2024-11-05.csv")
    (arena / "corrected" / "2024-11-05.csv").write_text(revised(TABLE.read_text()))
    (funding / "2025-04").mkdir(parents=True)
    shutil.copy(AI_INDEX, funding / "2025-04" / AI_INDEX.name)
    fixed = AI_INDEX.read_text().replace("China,CHN,2023,8419883187", "China,CHN,2023,8519883187")
    (funding / "2025-04" / "corrected.csv").write_text(fixed)
    snapshots = [
        ("arena-archive", arena, "scraped/2024-11-05.csv"),
        ("funding-ai-index", funding, f"2025-04/{AI_INDEX.name}"),
        ("arena-archive", arena, "corrected/2024-11-05.csv"),
        ("funding-ai-index", funding, "2025-04/corrected.csv"),
    ]

    one_by_one = [load(source, folder, key, warehouse) for source, folder, key in snapshots]

    together = tmp_path / "together.duckdb"
    with connect(together) as con:
        migrate(con)
    ready = []
    for source, folder, key in snapshots:
        ref = next(r for r in registry()[source].discover(str(folder)) if r.key == key)
        landed = loading.fetch(ref, together)
        staged = loading.stage(ref, landed, together)
        ready.append(loading.Ready(ref, landed, staged, utcnow(), registry()[source].series(key)))
    outcomes = loading.publish_batch(ready, together)

    assert outcomes == one_by_one
    assert [o.superseded for o in outcomes] == [[], [], [one_by_one[0].load_id], [one_by_one[1].load_id]]
    assert ledger(together) == ledger(warehouse)
    for table in ("core.arena_entries", "core.funding_observations"):
        rows = f"SELECT load_id, count(*) FROM {table} GROUP BY 1 ORDER BY 1"
        assert query(together, rows) == query(warehouse, rows)
    # one transaction: every ledger row of the batch was written at one commit, the retirements with it
    assert query(together, "SELECT count(DISTINCT superseded_at) FROM meta.loads") == [(1,)]
