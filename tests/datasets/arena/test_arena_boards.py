"""Every board of the Arena's daily feed, on the real bundled files: the 2026-07-16 layout, boards born
and retired, truncated lists and their censored frontiers, unrated rows, preliminary ratings, copies
carried over, and one board's snapshot never superseding another's."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import query

from common.gate import check
from datasets import leaderboards
from datasets.arena.board import ARENA_BOARDS, LEADERBOARDS, UNRANKED
from datasets.arena.daily import ArenaDaily
from datasets.base import GateContext, SnapshotRef
from flows import pipeline as pipeline_module
from warehouse.publishing import identity_columns

ROOT = Path(__file__).resolve().parents[3]
DAILY = ROOT / "data" / "leaderboards" / "arena_daily"
TODAY = date(2026, 11, 23)


def parse(day: str, board: str):
    path = DAILY / day / f"{board}.json"
    key = f"{day}/{board}.json"
    [ref] = [r for r in ArenaDaily().discover(str(DAILY / day)) if r.key.endswith(f"{board}.json")]
    ref = SnapshotRef("arena-daily", key, str(path), ref.snapshot_date or date.fromisoformat(day))
    return ArenaDaily().parse(path.read_bytes(), ref)


def gate(parsed):
    return ArenaDaily().gate(parsed.frame, GateContext(today=TODAY))


def test_the_bundle_holds_every_board_of_139_days_and_the_index_is_not_a_board():
    refs = ArenaDaily().discover(str(DAILY))
    assert len({r.snapshot_date for r in refs}) == 139 and len(refs) == 1476
    assert refs.skipped == {"the day's _index.json (not a board)": 139}
    boards = {Path(r.key).stem for r in refs}
    assert boards == set(ARENA_BOARDS)  # every board the feed has is declared, once
    first = {b: min(r.snapshot_date for r in refs if Path(r.key).stem == b) for b in boards}
    last = {b: max(r.snapshot_date for r in refs if Path(r.key).stem == b) for b in boards}
    # born: agent on 2026-06-05, the WebDev boards on 2026-07-16; retired: code, last on 2026-07-16
    assert first["agent"] == date(2026, 6, 5) and first["code-webdev"] == date(2026, 7, 16)
    assert last["code"] == date(2026, 7, 16) and last["code-webdev"] == date(2026, 8, 8)
    assert {name for name in leaderboards() if name.startswith("arena-")} == set(LEADERBOARDS)
    assert LEADERBOARDS["arena-text"].unit == "Elo" and UNRANKED == ["arena-agent"]


def test_until_2026_07_15_a_board_lists_its_top_n_and_from_07_16_the_whole_board_with_new_fields():
    before, after = parse("2026-07-15", "text"), parse("2026-07-16", "text")
    assert before.details["layout"] == "daily-json" and before.details["list_truncated"] is True
    assert len(before.frame) == 10 and set(before.frame["listed"]) == {10}
    assert after.details["layout"] == "daily-json-2026-07-16" and after.details["list_truncated"] is False
    assert len(after.frame) == 374 and not after.frame["list_truncated"].any()
    # 2026-07-16/text.json row 1: claude-fable-5, rank_spread [1, 4], score 1508, ci_low 7, ci_high 7,
    # preliminary false, price_prompt 10.0, price_completion 50.0, context_length 1000000
    fable = after.frame.filter(pl.col("model") == "claude-fable-5").row(0, named=True)
    assert (fable["rank_spread_low"], fable["rank_spread_high"], fable["score"]) == (1, 4, 1508.0)
    assert (fable["ci"], fable["ci_plus"], fable["ci_minus"]) == ("+7/-7", 7.0, 7.0)
    assert (fable["price_prompt"], fable["price_completion"], fable["context_length"]) == (10.0, 50.0, 1_000_000)
    assert fable["preliminary"] is False
    assert before.frame["preliminary"].null_count() == 10  # not published before 2026-07-16
    assert gate(before).success and gate(after).success


def test_the_agent_board_keeps_its_signals_and_rows_without_a_score():
    early, late = parse("2026-06-05", "agent"), parse("2026-07-16", "agent")
    assert early.frame["score"].null_count() == 0  # its first days had a score (10, 9 ...)
    assert late.frame["score"].null_count() == len(late.frame) == 35
    first = late.frame.filter(pl.col("model") == "Claude Fable 5 (High)").row(0, named=True)
    assert '"tool_hallucination": {"ci": 0.15, "value": 1.33}' in first["signals"]
    assert gate(early).success and gate(late).success
    assert "no single number ranks its models" in LEADERBOARDS["arena-agent"].unranked


def test_a_listed_model_without_rank_or_score_is_kept_and_a_null_vendor_stays_unattributed():
    parsed = parse("2026-08-01", "text")
    # 2026-08-01/text.json: {"rank": null, "model": "inkling-small Thinky", "vendor": null, "score": null ...}
    inkling = parsed.frame.filter(pl.col("model") == "inkling-small Thinky").row(0, named=True)
    assert inkling["score"] is None and inkling["rank"] is None and inkling["organization"] is None
    assert parsed.frame["organization"].null_count() > 1  # other rows with no vendor, kept
    assert gate(parsed).success
    # a ranked row that lost its score is refused
    broken = parsed.frame.with_columns(
        pl.when(pl.col("model") == "claude-fable-5").then(None).otherwise(pl.col("score")).alias("score")
    )
    report = ArenaDaily().gate(broken, GateContext(today=TODAY))
    assert not report.success and "ranked_without_score" in report.summary()


def test_a_name_listed_twice_with_two_ratings_passes_and_an_exact_repeat_does_not():
    parsed = parse("2026-05-08", "code")  # gpt-5.3-codex (codex-harness) at ranks 29 (1406) and 45 (1372)
    twice = parsed.frame.filter(pl.col("model") == "gpt-5.3-codex (codex-harness)")
    assert sorted(twice["score"]) == [1372.0, 1406.0] and gate(parsed).success
    repeated = pl.concat([parsed.frame, parsed.frame.head(1)])
    plan = ArenaDaily().gate_plan(repeated, GateContext(today=TODAY))
    assert "repeated_listing" in check(plan).summary()


def test_a_board_carried_over_by_the_collector_is_dated_by_its_content():
    # the day's _index.json: the text fetch came back short, the collector kept the 07-29 board
    parsed = parse("2026-07-30", "text")
    assert parsed.snapshot_date == date(2026, 7, 29)
    assert "carried_over" in parsed.details
    assert (DAILY / "2026-07-30" / "text.json").read_bytes() == (DAILY / "2026-07-29" / "text.json").read_bytes()
    assert parse("2026-07-30", "vision").snapshot_date == date(2026, 7, 30)


def test_the_identity_of_an_arena_row_is_its_board_and_date():
    assert identity_columns("core.arena_entries") == ("leaderboard", "snapshot_date")


@pytest.fixture(scope="module")
def few_days(tmp_path_factory):
    """A few real days and boards, through a whole run: text 2026-07-14 -> 07-16 (a top-20, a top-10,
    then the full board), code-webdev 07-17 (kimi-k3 first, preliminary), vision 07-15 and the
    carried-over text of 07-29 -> 07-30."""
    folder = tmp_path_factory.mktemp("arena_daily")
    files = [("2026-07-14", "text"), ("2026-07-15", "text"), ("2026-07-15", "vision"), ("2026-07-16", "text"),
             ("2026-07-17", "code-webdev"), ("2026-07-29", "text"), ("2026-07-30", "text")]  # fmt: skip
    for day, board in files:
        (folder / day).mkdir(exist_ok=True)
        shutil.copy(DAILY / day / f"{board}.json", folder / day / f"{board}.json")
    return folder


@pytest.fixture(scope="module")
def run(few_days, tmp_path_factory, prefect_harness):
    warehouse = tmp_path_factory.mktemp("w") / "w.duckdb"
    state = pipeline_module.pipeline(
        warehouse=str(warehouse), only=["arena-daily"], locations={"arena-daily": str(few_days)}, return_state=True
    )
    assert state.is_completed(), state.message
    return warehouse


def test_two_boards_of_one_day_are_two_snapshots_and_neither_supersedes_the_other(run):
    loads = query(run, "SELECT snapshot_key, status, superseded_by FROM meta.loads ORDER BY snapshot_key")
    published = {key for key, status, _ in loads if status == "published"}
    assert {"2026-07-15/text.json", "2026-07-15/vision.json"} <= published
    assert all(by is None for _, status, by in loads if status != "skipped")
    # the carried-over copy is the 07-29 snapshot again: skipped as the same content, no 07-30 text
    assert ("2026-07-30/text.json", "skipped", None) in loads
    assert query(run, "SELECT DISTINCT leaderboard FROM core.arena_entries WHERE snapshot_date = '2026-07-15' "
                      "ORDER BY 1") == [("arena-text",), ("arena-vision",)]  # fmt: skip


def test_a_truncated_list_is_recorded_and_an_unlisted_country_is_censored_below_the_last_score(run):
    lists = query(run, "SELECT snapshot_date::VARCHAR, listed, last_listed_score, list_truncated "
                       "FROM marts.snapshot_lists WHERE leaderboard = 'arena-text' ORDER BY 1")  # fmt: skip
    assert lists[:3] == [("2026-07-14", 20, 1474.0, True), ("2026-07-15", 10, 1484.0, True),
                         ("2026-07-16", 374, 952.0, False)]  # fmt: skip
    # 2026-07-15/text.json lists ten models, none Chinese: China's frontier is below 1484, not absent
    [(leader, score, follower_score, gap, below, at_least, lag)] = query(
        run,
        "SELECT leader, leader_score, follower_score, gap, follower_below, gap_at_least, lag_days FROM marts.gap "
        "WHERE leaderboard = 'arena-text' AND snapshot_date = '2026-07-15' AND pair = 'US-CN' AND scope = 'all' "
        "AND attribution = 'publisher' AND follower_censored",
    )
    assert (leader, score, follower_score, gap, below, at_least, lag) == ("US", 1508.0, None, None, 1484.0, 24.0, None)
    # a gap is measured on the days China is listed
    assert query(run, "SELECT count(*) FROM marts.gap WHERE leaderboard = 'arena-text' AND pair = 'US-CN' "
                      "AND snapshot_date = '2026-07-16' AND gap IS NOT NULL") != [(0,)]  # fmt: skip
    # no trend reads a censored gap
    assert query(run, "SELECT count(*) FROM marts.gap_trend WHERE leaderboard = 'arena-text' "
                      "AND snapshot_date = '2026-07-15'") == [(0,)]  # fmt: skip


def test_top_n_shares_and_coverage_over_a_shorter_list_are_null_with_the_reason(run):
    rows = query(run, "SELECT top_n, share, share_null_reason FROM marts.topn_share WHERE leaderboard = 'arena-text' "
                      "AND snapshot_date = '2026-07-15' AND attribution = 'publisher' AND scope = 'all' "
                      "AND country = 'US' ORDER BY top_n")  # fmt: skip
    assert rows == [
        (10, 1.0, None),
        (50, None, "the list shows only the top 10 models: its top 50 is not known"),
        (100, None, "the list shows only the top 10 models: its top 100 is not known"),
    ]
    [(share, reason)] = query(run, "SELECT top100_share, top100_null_reason FROM marts.attribution_coverage "
                                   "WHERE leaderboard = 'arena-text' AND snapshot_date = '2026-07-15' "
                                   "AND mode = 'publisher'")  # fmt: skip
    assert share is None and reason == "the list shows only the top 10 models: its top 100 is not known"


def test_a_preliminary_rating_is_listed_but_never_sets_a_frontier(run):
    # 2026-07-17/code-webdev.json: kimi-k3 (Moonshot) first at 1679, preliminary; glm-5.2 (max) 1587 not
    assert query(run, "SELECT score, preliminary FROM marts.model_scores WHERE leaderboard = 'arena-code-webdev' "
                      "AND model_id = 'kimi-k3'") == [(1679.0, True)]  # fmt: skip
    assert query(run, "SELECT best_model, best_score FROM marts.country_frontier WHERE leaderboard = "
                      "'arena-code-webdev' AND attribution = 'publisher' AND scope = 'all' AND country = 'CN'") == [
        ("glm-5.2 (max)", 1587.0)
    ]  # fmt: skip
