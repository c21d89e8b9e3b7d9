"""The pipeline flow end to end on tmp_path warehouses, under the session Prefect harness."""

from __future__ import annotations

import json
import shutil
from datetime import date

import duckdb
import pytest
from conftest import ARCHIVE, BAD, RANKED, ROOT, query

from aigap.cli import main
from datasets.base import SnapshotRef
from flows import pipeline as pipeline_module
from flows.pipeline import pipeline
from warehouse import connection, schema

SOURCE = "open-llm-v2-archive"
# What a plain run publishes from the bundled data, per source. The whole Arena archive: 88 scrapes,
# 4 lmarena text tables and 111 Space tables, 6 of which repeat an earlier day's bytes (skipped). The
# daily feed: 1,476 board files of 139 days, 7 of which are the text board carried over from the day
# before (the collector's _index.json says why; dated by their content, skipped as the same content).
# LMArena's dataset: 70 files of 5 fetch days, 48 publishes (a later fetch of the same publish: skipped).
# Artificial Analysis: 8 weekly editions.
BUNDLED = {
    "open-llm-v2-archive": 17, "open-llm-v1-archive": 2, "arena-archive": 197, "arena-daily": 1469,
    "lmarena-dataset": 48, "artificial-analysis": 8, "funding-ai-index": 2, "funding-cset": 1, "funding-eto": 2, "funding-oecd-vc": 3,
    "funding-published": 1,
}  # fmt: skip
SKIPPED = {"arena-archive": 6, "arena-daily": 7, "lmarena-dataset": 22}  # same content as an earlier snapshot
ARENA_FILES = 88 + 4 + 111


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
    assert summary.counts() == {
        s: {"published": n, "skipped": SKIPPED.get(s, 0), "quarantined": 0} for s, n in BUNDLED.items()
    }
    assert query(warehouse, "SELECT count(*) FROM meta.loads WHERE status = 'published'") == [(sum(BUNDLED.values()),)]
    assert query(warehouse, "SELECT count(*) FROM meta.loads WHERE source = 'arena-archive'") == [(ARENA_FILES,)]
    # every leaderboard has a US-China gap on every date it was published (Arena: 102 dates with a
    # score in the archive, 10 Space tables of 2023 + 88 scrapes + 4 text tables, and 21 daily feeds)
    headline = "pair = 'US-CN' AND attribution = 'publisher' AND scope = 'all'"
    # a gap is measured where both countries are listed; where the follower is not (it is below the
    # board's truncated list), the row says so and the gap stays unknown
    assert query(warehouse, f"SELECT leaderboard, count(*), count(DISTINCT snapshot_date), count(gap) FROM marts.gap WHERE {headline} GROUP BY 1 ORDER BY 1") == [
        ("arena-code", 116, 116, 116), ("arena-code-image-to-webdev", 24, 24, 24), ("arena-code-webdev", 24, 24, 24),
        ("arena-document", 139, 139, 112), ("arena-image-edit", 139, 139, 139), ("arena-image-to-video", 139, 139, 139),
        ("arena-search", 116, 116, 65), ("arena-text", 234, 234, 228), ("arena-text-to-image", 139, 139, 139),
        ("arena-text-to-video", 139, 139, 139), ("arena-video-edit", 139, 139, 139), ("arena-vision", 139, 139, 139),
        ("open-llm-v1", 2, 2, 2), ("open-llm-v2", 17, 17, 17),
    ]  # fmt: skip
    assert query(warehouse, "SELECT count(*) FROM marts.gap WHERE gap IS NULL AND NOT follower_censored") == [(0,)]
    core = ("open_llm_v2_entries", "open_llm_v1_entries", "arena_entries", "arena_models", "funding_observations",
            "lmarena_entries", "capability_entries")  # fmt: skip
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


def test_first_snapshot_lags_are_censored_not_zero(bundled_run):
    # v2 2024-07-13: CN 42.49 (Qwen2-72B-Instruct) vs US 36.18, 6.31 points; China was ahead when the
    # record starts, so how long the US has been behind is not in the data: at least 0 days, not 0
    warehouse, _ = bundled_run
    first = query(
        warehouse,
        "SELECT leaderboard, count(gap), count(*) FILTER (lag_censored AND lag_days IS NULL AND lag_days_at_least = 0) "
        "FROM marts.gap WHERE snapshot_date = (SELECT min(snapshot_date) FROM marts.gap g WHERE g.leaderboard = "
        "marts.gap.leaderboard) GROUP BY 1 ORDER BY 1",
    )
    assert [board for board, _, _ in first] == RANKED
    # every measured gap on a board's first snapshot is censored; the rest have no follower listed
    assert all(measured == censored for _, measured, censored in first)
    assert sum(censored for _, _, censored in first) > 0
    # a lag of 0 that is not censored means the leader got there on that very snapshot
    assert query(warehouse, "SELECT count(*) FROM marts.gap WHERE lag_days = 0 AND lag_days <> lag_days_at_least") == [
        (0,)
    ]
    # the Arena's 322-point gap of 2023-06-19 prints as "at least 0 days", the v1 one of 2024-07-07 as at least 18
    assert query(
        warehouse,
        "SELECT leaderboard, snapshot_date, gap, lag_days, lag_censored, lag_days_at_least FROM marts.gap "
        "WHERE pair = 'US-CN' AND scope = 'all' AND attribution = 'publisher' AND ((leaderboard = 'arena-text' AND "
        "snapshot_date = '2023-06-19') OR (leaderboard = 'open-llm-v1' AND snapshot_date = '2024-07-07')) ORDER BY 1",
    ) == [
        ("arena-text", date(2023, 6, 19), 322.0, None, True, 0),
        ("open-llm-v1", date(2024, 7, 7), 3.09, None, True, 18),
    ]


def test_holes_are_marked_and_trends_compare_by_date(bundled_run):
    warehouse, _ = bundled_run
    assert query(warehouse, "SELECT * FROM marts.snapshot_holes ORDER BY 1, 2") == [
        ("arena-text", date(2023, 12, 20), date(2024, 6, 19), 182, 45),
        ("arena-text", date(2025, 8, 4), date(2026, 3, 19), 227, 45),
    ]
    headline = "leaderboard = 'arena-text' AND pair = 'US-CN' AND scope = 'all' AND attribution = 'publisher'"
    assert query(warehouse, f"SELECT snapshot_date FROM marts.gap WHERE {headline} AND after_hole ORDER BY 1") == [
        (date(2024, 6, 19),), (date(2026, 3, 19),)
    ]  # fmt: skip
    # right after a hole there is nothing 30 or 90 days earlier within the tolerance: no trend
    assert query(
        warehouse, f"SELECT window_days, trend FROM marts.gap_trend WHERE {headline} AND snapshot_date = '2024-06-19'"
    ) == [(30, None), (90, None)]
    # v2 on 2025-03-21: 90 days earlier is 2024-12-21, the nearest snapshot within 21 days 2024-12-11
    assert query(
        warehouse,
        "SELECT compared_with, days_apart, trend FROM marts.gap_trend WHERE leaderboard = 'open-llm-v2' "
        "AND pair = 'US-CN' AND scope = 'all' AND attribution = 'lineage' AND snapshot_date = '2025-03-21' "
        "AND window_days = 90",
    ) == [(date(2024, 12, 11), 100, "closing")]
    assert query(
        warehouse,
        "SELECT count(*) FROM marts.gap_trend WHERE compared_with IS NOT NULL "
        "AND abs(days_apart - window_days) > tolerance_days",
    ) == [(0,)]


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
    assert [s[0] for s in shares] == RANKED
    for _board, org_share, low, high in shares:
        if org_share is None:  # the board never lists 100 ranked models: no top 100 to cover
            assert low is None and high is None
            continue
        # every publisher of every top 100 is in the registry, but for rows that name none (checked below:
        # a few arena-text rows of the feed's 2026-07-16 layout)
        assert org_share >= 0.99
        assert 0 < low <= high <= 1  # the country is known only for some (individuals often say nothing)
    # on the Arena, a publisher missing from the registry is one the row does not name (Open LLM
    # namespaces of individuals stay outside the registry unless curated)
    assert query(
        warehouse,
        "SELECT DISTINCT method FROM core.model_attribution WHERE mode = 'publisher' AND org_id IS NULL "
        "AND leaderboard LIKE 'arena-%'",
    ) == [("no arena_organization",)]


def test_second_run_publishes_nothing_and_changes_no_table(bundled_copy):
    warehouse = bundled_copy  # the bundled run's warehouse, raw files and reports, copied
    before = fingerprint(warehouse)
    state = pipeline(warehouse=str(warehouse), return_state=True)
    assert state.is_completed()
    assert state.result().counts() == {
        s: {"published": 0, "skipped": n + SKIPPED.get(s, 0), "quarantined": 0} for s, n in BUNDLED.items()
    }
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
    bookkeeping = {"meta.loads", "meta.file_stats"}  # the ledger and how each file looked when read
    assert {k: v for k, v in after.items() if k not in bookkeeping} == {
        k: v for k, v in before.items() if k not in bookkeeping
    }
    assert query(warehouse, "SELECT status, count(*) FROM meta.loads GROUP BY 1 ORDER BY 1") == [
        ("published", 3),
        ("quarantined", 1),
    ]


def test_stage_task_function_parses_into_a_staged_file(tmp_path):
    path = ARCHIVE / "scraped" / "2024-07-13.csv"
    ref = SnapshotRef(SOURCE, "scraped/2024-07-13.csv", str(path))
    warehouse = tmp_path / "w.duckdb"
    with connection.connect(warehouse) as con:
        schema.migrate(con)  # a staged load gets its id from the ledger (a revert gets `#2`)
    [parsed] = pipeline_module.fetch.fn([ref], warehouse)
    staged = parsed.staged
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


def test_the_readmes_run_summary_is_what_a_bundled_run_prints(bundled_run, capsys):
    # every line of the README's example summary (its "..." stand for lines left out) is printed, word for word,
    # by `aigap run` on the bundled data: Elo on the Arena, "at least N days", the coverage share, the upstream
    from aigap.cli import print_summary

    _, state = bundled_run
    print_summary(state.result())
    printed = capsys.readouterr().out.splitlines()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```\naigap run -> ", 1)[1].split("```", 1)[0].splitlines()[1:]
    stated = [line for line in block if line.strip() not in ("", "...")]
    assert len(stated) >= 15
    assert [line for line in stated if line not in printed] == []
    assert "  arena-text 2026-08-07 (publisher): US 1507.00 vs CN 1471.00, gap 36.00 Elo; CN 427 days behind" in stated
