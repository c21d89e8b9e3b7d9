"""The pipeline flow end to end on tmp_path warehouses, under the session Prefect harness."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from conftest import ARCHIVE, BAD, query

from aigap.cli import main
from flows import pipeline as pipeline_module
from flows.pipeline import pipeline
from sources.base import SnapshotRef
from warehouse import store

SOURCE = "open-llm-v2-archive"
# What a plain run loads from the bundled data, per source (published snapshots).
# loads of a plain run on the bundled data, per source
BUNDLED = {
    "open-llm-v2-archive": 17, "open-llm-v1-archive": 2, "arena-archive": 39, "arena-daily": 21,
    "funding-ai-index": 2, "funding-cset": 1, "funding-eto": 2, "funding-oecd-vc": 3, "funding-published": 1,
}  # fmt: skip


def fingerprint(warehouse) -> dict[str, str]:
    """A content hash of every table except the run history, which a run always appends to."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('core', 'marts', 'meta') AND table_name <> 'runs' ORDER BY 1"
        ).fetchall()
        return {
            name: con.execute(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(CAST(t AS VARCHAR), '|' "
                f"ORDER BY CAST(t AS VARCHAR))), '') FROM {name} t"
            ).fetchone()[0]
            for (name,) in tables
        }
    finally:
        con.close()


def test_bundled_run_publishes_every_bundled_snapshot(bundled_run):
    warehouse, state = bundled_run
    assert state.is_completed(), state.message
    summary = state.result()
    assert summary.counts() == {s: {"published": n, "skipped": 0, "quarantined": 0} for s, n in BUNDLED.items()}
    assert query(warehouse, "SELECT count(*) FROM meta.loads WHERE status = 'published'") == [(sum(BUNDLED.values()),)]
    # every leaderboard has a US-China gap on every date it was published (Arena: 31 archived dates + 21 daily)
    headline = "pair = 'US-CN' AND attribution = 'publisher' AND scope = 'all'"
    assert query(warehouse, f"SELECT leaderboard, count(*), count(DISTINCT snapshot_date) FROM marts.gap WHERE {headline} GROUP BY 1 ORDER BY 1") == [
        ("arena-text", 52, 52), ("open-llm-v1", 2, 2), ("open-llm-v2", 17, 17)
    ]  # fmt: skip
    core = ("open_llm_v2_entries", "open_llm_v1_entries", "arena_entries", "arena_models", "funding_observations")
    assert query(warehouse, "SELECT sum(rows_published) FROM meta.loads") == query(
        warehouse, "SELECT " + " + ".join(f"(SELECT count(*) FROM core.{t})" for t in core)
    )


def test_known_gap_read_off_the_files(bundled_run):
    # 2024-07-13: Qwen/Qwen2-72B-Instruct 42.49 (CN) vs meta-llama/Meta-Llama-3-70B-Instruct 36.18 (US)
    warehouse, _ = bundled_run
    row = query(
        warehouse,
        "SELECT leader, follower, leader_score, follower_score, gap FROM marts.gap WHERE snapshot_date = '2024-07-13' "
        "AND pair = 'US-CN' AND attribution = 'publisher' AND scope = 'all' AND leaderboard = 'open-llm-v2'",
    )
    assert row == [("CN", "US", 42.49, 36.18, 6.31)]
    best = query(
        warehouse,
        "SELECT best_model FROM marts.country_frontier WHERE snapshot_date = '2024-07-13' AND country = 'US' "
        "AND attribution = 'publisher' AND scope = 'all' AND leaderboard = 'open-llm-v2'",
    )
    assert best == [("meta-llama/Meta-Llama-3-70B-Instruct",)]


MARTS = ["country_frontier", "gap", "topn_share", "benchmark_gap", "size_gap", "gap_trend", "attribution_coverage"]


@pytest.mark.parametrize("mart", MARTS)
def test_every_mart_is_filled_in_all_three_modes(bundled_run, mart):
    warehouse, _ = bundled_run
    mode = "mode" if mart == "attribution_coverage" else "attribution"
    modes = query(warehouse, f"SELECT DISTINCT {mode} FROM marts.{mart} WHERE leaderboard = 'open-llm-v2' ORDER BY 1")
    assert modes == [("family",), ("lineage",), ("publisher",)]


def test_every_table_and_view_is_commented(bundled_run):
    warehouse, _ = bundled_run
    missing = query(
        warehouse,
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name IN ('core', 'marts', 'meta') "
        "AND table_name <> 'migrations' AND comment IS NULL "
        "UNION ALL SELECT schema_name || '.' || view_name FROM duckdb_views() "
        "WHERE schema_name IN ('core', 'marts', 'meta') AND comment IS NULL",
    )
    assert missing == []


def test_every_top_100_model_has_a_publisher_in_the_registry(bundled_run):
    warehouse, _ = bundled_run
    shares = query(
        warehouse,
        "SELECT leaderboard, min(org_top100_share), min(top100_share), max(top100_share) "
        "FROM marts.attribution_coverage WHERE mode = 'publisher' GROUP BY 1 ORDER BY 1",
    )
    assert [s[0] for s in shares] == ["arena-text", "open-llm-v1", "open-llm-v2"]
    for _board, org_share, low, high in shares:
        assert org_share == 1.0  # every publisher of every top 100 is in the registry
        assert 0 < low <= high <= 1  # the country is known only for some (individuals often say nothing)
    lineage = query(warehouse, "SELECT min(top100_share) FROM marts.attribution_coverage WHERE mode = 'lineage'")
    assert lineage[0][0] >= 0.94


def test_second_run_publishes_nothing_and_changes_no_table(bundled_run):
    warehouse, _ = bundled_run
    before = fingerprint(warehouse)
    state = pipeline(warehouse=str(warehouse), return_state=True)
    assert state.is_completed()
    assert state.result().counts() == {s: {"published": 0, "skipped": n, "quarantined": 0} for s, n in BUNDLED.items()}
    assert fingerprint(warehouse) == before


def test_status_json_reports_the_ledger(bundled_run, capsys):
    warehouse, _ = bundled_run
    assert main(["status", "--json", "--warehouse", str(warehouse)]) == 0
    status = json.loads(capsys.readouterr().out)
    entry = status["sources"][SOURCE]
    assert entry["published"] == 17 and entry["quarantined"] == 0
    assert entry["last_snapshot"] == "2025-03-21"


def test_bad_snapshots_are_quarantined_while_the_rest_publish(prefect_harness, archive_copy, tmp_path, capsys):
    truncated = archive_copy / "scraped" / "2024-08-15.csv"
    renamed = archive_copy / "scraped" / "2024-09-15.csv"
    shutil.copy(BAD / "truncated_mid_row.csv", truncated)
    shutil.copy(BAD / "renamed_column.csv", renamed)
    warehouse = tmp_path / "w.duckdb"

    code = main(["run", "--warehouse", str(warehouse), "--source", f"{SOURCE}={archive_copy}", "--only", SOURCE])

    assert code == 1
    printed = capsys.readouterr().out
    assert "scraped/2024-08-15.csv" in printed and "truncated" in printed
    assert "scraped/2024-09-15.csv" in printed and "ifeval_score" in printed
    statuses = dict(query(warehouse, "SELECT snapshot_key, status FROM meta.loads"))
    assert statuses == {
        "scraped/2024-07-13.csv": "published",
        "scraped/2024-08-30.csv": "published",
        "display/2024-10-22.csv": "published",
        "scraped/2024-08-15.csv": "quarantined",
        "scraped/2024-09-15.csv": "quarantined",
    }
    # nothing of a quarantined snapshot is published, and its raw bytes are kept unchanged
    assert query(warehouse, "SELECT count(*) FROM core.open_llm_v2_entries WHERE snapshot_date = '2024-08-15'") == [
        (0,)
    ]
    for key, bad in (("scraped/2024-08-15.csv", truncated), ("scraped/2024-09-15.csv", renamed)):
        [(raw_path, reasons)] = query(
            warehouse, f"SELECT raw_path, reasons FROM meta.loads WHERE snapshot_key = '{key}'"
        )
        assert (warehouse.parent / raw_path).read_bytes() == bad.read_bytes()
        assert json.loads(reasons)[0]["reason"]
    assert query(
        warehouse, "SELECT count(*) FROM marts.gap WHERE pair = 'US-CN' AND attribution = 'publisher' AND scope = 'all'"
    ) == [(3,)]


def test_a_bad_replacement_keeps_the_last_good_state(prefect_harness, archive_copy, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    run = {
        "warehouse": str(warehouse),
        "locations": {SOURCE: str(archive_copy)},
        "only": [SOURCE],
        "return_state": True,
    }
    assert pipeline(**run).is_completed()
    before = fingerprint(warehouse)
    # the same snapshot key now holds broken content: scores multiplied by 100
    shutil.copy(BAD / "scores_times_100.csv", archive_copy / "scraped" / "2024-08-30.csv")

    state = pipeline(**run)

    assert state.is_failed() and "QUARANTINED" in state.message and "outside [0" in state.message
    after = fingerprint(warehouse)
    assert {k: v for k, v in after.items() if k != "meta.loads"} == {
        k: v for k, v in before.items() if k != "meta.loads"
    }
    assert query(warehouse, "SELECT status, count(*) FROM meta.loads GROUP BY 1 ORDER BY 1") == [
        ("published", 3),
        ("quarantined", 1),
    ]


def test_stage_task_function_parses_into_a_staged_file(tmp_path):
    path = ARCHIVE / "scraped" / "2024-07-13.csv"
    ref = SnapshotRef(SOURCE, "scraped/2024-07-13.csv", str(path))
    warehouse = tmp_path / "w.duckdb"
    with store.connect(warehouse) as con:
        store.migrate(con)  # a staged load gets its id from the ledger (a revert gets `#2`)
    landed = pipeline_module.fetch.fn(ref, warehouse)
    staged = pipeline_module.stage.fn(ref, landed, warehouse)
    assert staged.rejected is None and staged.rows == 237
    assert staged.details["header_variant"] == "scraped-2024-07"


def test_unknown_source_is_refused(prefect_harness, tmp_path):
    with pytest.raises(ValueError, match="unknown source"):
        pipeline(warehouse=str(tmp_path / "w.duckdb"), only=["nope"])


def test_since_until_and_max_snapshots_limit_a_backfill(prefect_harness, tmp_path):
    from datetime import date

    warehouse = tmp_path / "w.duckdb"
    run = {"since": date(2024, 8, 1), "until": date(2024, 12, 31), "max_snapshots": 2, "only": [SOURCE]}
    state = pipeline(warehouse=str(warehouse), **run, return_state=True)
    assert [o.snapshot_key for o in state.result().loads] == ["scraped/2024-08-01.csv", "scraped/2024-08-30.csv"]
    state = pipeline(warehouse=str(warehouse), **run, return_state=True)
    loads = state.result().loads
    assert [o.status for o in loads] == ["skipped", "skipped", "published", "published"]
    assert loads[-1].snapshot_key == "scraped/2024-10-01.csv"
