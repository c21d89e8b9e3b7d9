"""Arena layouts, quirks, gate and board, on the real bundled files (values read off the files)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from attribution.registry import load_registry
from common.errors import SnapshotRejected
from datasets.arena import parse as arena
from datasets.arena.archive import ArenaArchive
from datasets.arena.daily import ArenaDaily
from datasets.base import GateContext, SnapshotRef
from marts import gaps

ROOT = Path(__file__).resolve().parents[3]
ARCHIVE = ROOT / "data" / "leaderboards" / "arena_archive"
DAILY = ROOT / "data" / "leaderboards" / "arena_daily"
BAD = Path(__file__).resolve().parents[2] / "data" / "bad_arena"
TODAY = date(2026, 11, 23)


def parse(relative: str):
    path = ARCHIVE / relative
    source = ArenaArchive()
    [ref] = [r for r in source.discover(str(ARCHIVE)) if r.key == relative]
    return source.parse(path.read_bytes(), ref)


def parse_daily(day: str):
    path = DAILY / day / "text.json"
    return ArenaDaily().parse(path.read_bytes(), SnapshotRef("arena-daily", f"{day}/text.json", str(path)))


def row(frame: pl.DataFrame, model: str) -> dict:
    return frame.filter(pl.col("model") == model).row(0, named=True)


@pytest.mark.parametrize("relative", sorted(p.relative_to(ARCHIVE).as_posix() for p in ARCHIVE.rglob("*.csv")))
def test_every_bundled_arena_table_parses(relative):
    parsed = parse(relative)
    frame = parsed.frame
    if parsed.table == "core.arena_models":
        assert parsed.details["kind"] == "catalog" and relative >= "hf_space/leaderboard_table_2024"
        assert dict(frame.drop("snapshot_date").schema) == arena.CATALOG_SCHEMA
        assert frame["arena_key"].is_duplicated().sum() == 0
    else:
        assert dict(frame.drop("snapshot_date").schema) == arena.ENTRY_SCHEMA
        assert frame["score"].null_count() == 0 and frame["model_key"].is_duplicated().sum() == 0
        assert frame["ci_plus"].null_count() == frame["ci"].null_count()


def test_the_first_lmsys_table_uses_arena_elo_and_ties_ranks():
    # scraped/2024-06-19.csv line 2: 1,GPT-4o-2024-05-13,1287,+3/-3,42046,OpenAI,Proprietary,...
    parsed = parse("scraped/2024-06-19.csv")
    assert parsed.details["layout"] == "lmsys-2024-06" and len(parsed.frame) == 109
    gpt = row(parsed.frame, "GPT-4o-2024-05-13")
    assert (gpt["model_key"], gpt["score"], gpt["ci_plus"], gpt["ci_minus"], gpt["votes"]) == (
        "gpt-4o-2024-05-13", 1287.0, 3.0, 3.0, 42046
    )  # fmt: skip
    assert gpt["rank_style"] == "ties" and gpt["open_weights"] is False


def test_model_names_drifting_in_case_share_one_key():
    # scraped/2024-06-19.csv line 15 `Llama-3-70b-Instruct`; scraped/2024-11-05.csv line 52 `Llama-3-70B-Instruct`
    early = row(parse("scraped/2024-06-19.csv").frame, "Llama-3-70b-Instruct")
    later = row(parse("scraped/2024-11-05.csv").frame, "Llama-3-70B-Instruct")
    assert early["model_key"] == later["model_key"] == "llama-3-70b-instruct"


def test_the_lmarena_text_table_ranks_by_position_and_repeats_a_row():
    # text_scraped/2025-07-27.csv: 260 data lines, Yi-34B-Chat at positions 194 and 195, identical otherwise
    parsed = parse("text_scraped/2025-07-27.csv")
    assert parsed.details["repeated_rows_dropped"] == 1 and len(parsed.frame) == 259
    assert parsed.frame["rank_style"].unique().to_list() == ["position"]
    assert row(parsed.frame, "Yi-34B-Chat")["rank"] == 194


def test_2023_space_tables_keep_only_models_with_an_arena_score():
    # hf_space/leaderboard_table_20230619.csv: 31 models, 11 with `Arena Elo rating` = `-` (MT-bench only)
    parsed = parse("hf_space/leaderboard_table_20230619.csv")
    assert parsed.table == "core.arena_entries" and parsed.details["rows_without_arena_score"] == 11
    assert len(parsed.frame) == 20
    gpt4 = row(parsed.frame, "GPT-4")  # line 2: GPT-4,69.38%,8.99,1227,0.864,Proprietary,...
    assert gpt4["score"] == 1227.0 and gpt4["organization"] is None and gpt4["rank"] is None


def test_later_space_tables_are_metadata_without_scores():
    parsed = parse("hf_space/leaderboard_table_20250511.csv")
    assert parsed.table == "core.arena_models" and "score" not in parsed.frame.columns
    vicuna = parsed.frame.filter(pl.col("arena_key") == "vicuna-13b").row(0, named=True)  # line 44
    assert (vicuna["model"], vicuna["organization"], vicuna["mt_bench"], vicuna["mmlu"]) == (
        "Vicuna-13B",
        "LMSYS",
        6.57,
        0.558,
    )


@pytest.mark.parametrize(
    ("licence", "open_weights"),
    [("Proprietary", False), ("Propretary", False), ("MIT", True), ("Non-commercial", True), ("Qianwen LICENSE", True),
     ("open", True), ("proprietary", False), ("", None), ("-", None), ("N/A", None), (None, None)],
)  # fmt: skip
def test_open_weights_rule(licence, open_weights):
    frame = pl.DataFrame({"license": [licence]}, schema={"license": pl.Utf8})
    assert frame.select(arena.open_weights_expr()).item() is open_weights


def test_the_typo_propretary_reads_as_proprietary():
    # scraped/2025-01-07.csv line 49: Claude 3.5 Haiku (20241022) ... Anthropic,Propretary
    assert row(parse("scraped/2025-01-07.csv").frame, "Claude 3.5 Haiku (20241022)")["open_weights"] is False


def test_daily_feed_parses_with_symmetric_ci_and_positions():
    # arena_daily/2026-03-19/text.json: 30 models, rank 1 claude-opus-4-6-thinking, score 1502, ci 6, votes 11671
    parsed = parse_daily("2026-03-19")
    assert len(parsed.frame) == 30 and parsed.details["last_updated"] == "Mar 18, 2026"
    top = row(parsed.frame, "claude-opus-4-6-thinking")
    assert (top["rank"], top["score"], top["ci_plus"], top["ci_minus"], top["votes"], top["rank_style"]) == (
        1, 1502.0, 6.0, 6.0, 11671, "position"
    )  # fmt: skip
    assert parse_daily("2026-03-22").details["last_updated"] is None  # the feed sometimes omits it


@pytest.mark.parametrize(
    ("name", "check", "words"),
    [
        ("scores_times_10.csv", "expect_column_values_to_be_between", "score: 157 of 157 values outside [700"),
        ("ranks_misaligned.csv", "expect_column_values_to_be_in_set", "rank_inconsistent_with_score"),
        ("ci_garbled.csv", "expect_column_values_to_be_in_set", "ci_unparsed: 157 of 157"),
        ("votes_zero.csv", "expect_column_values_to_be_between", "votes: 157 of 157 values outside [1"),
        ("renamed_score.csv", "header", "missing ['arena_score'], unknown columns ['elo_rating']"),
        # a ranked row without a score (only an unrated listing, or an unranked board, may lack one)
        (
            "score_missing.csv",
            "expect_column_values_to_be_in_set",
            "ranked_without_score: 1 of 157 values not in [False]",
        ),
    ],
)
def test_bad_arena_tables_fail_with_a_clear_reason(name, check, words):
    source = ArenaArchive()
    ref = SnapshotRef(source.name, f"scraped/{name}", str(BAD / name), date(2024, 11, 5))
    try:
        frame = source.parse((BAD / name).read_bytes(), ref).frame
    except SnapshotRejected as exc:
        failures = exc.reasons
    else:
        failures = source.gate(frame, GateContext(today=TODAY)).failures
    assert check in {f["check"] for f in failures}
    assert any(words in f["reason"] for f in failures), failures


def test_the_real_table_passes_its_gate():
    source = ArenaArchive()
    frame = parse("scraped/2024-11-05.csv").frame
    report = source.gate(frame, GateContext(today=TODAY, previous_rows=155))
    assert report.success, report.failures


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("daily_truncated.json", "not valid JSON"),
        ("daily_fewer_models_than_declared.json", "declares 50 models but lists 12"),
    ],
)
def test_bad_daily_feeds_are_rejected(name, words):
    ref = SnapshotRef("arena-daily", "2026-03-25/text.json", str(BAD / name), date(2026, 3, 25))
    with pytest.raises(SnapshotRejected, match=words):
        ArenaDaily().parse((BAD / name).read_bytes(), ref)


def test_the_board_fills_organisations_and_corrects_licences():
    tables = [
        "hf_space/leaderboard_table_20230717.csv",
        "hf_space/leaderboard_table_20231220.csv",
        "scraped/2024-11-05.csv",
    ]
    entries = pl.concat([parse(t).frame for t in tables], how="diagonal_relaxed").with_columns(
        pl.format("load-{}", "snapshot_date").alias("load_id")
    )
    catalog = parse("hf_space/leaderboard_table_20250511.csv").frame
    board = arena.arena_board(entries, catalog, arena.load_model_overrides())
    on = {
        d: board.filter(pl.col("snapshot_date") == d)
        for d in (date(2023, 7, 17), date(2023, 12, 20), date(2024, 11, 5))
    }
    # 20231220 line 42 `Vicuna-13B` has no organisation; the 2025-05-11 catalog (line 44) says LMSYS
    assert row(on[date(2023, 12, 20)], "Vicuna-13B")["publisher"] == "LMSYS"
    # 20230717 line 2 `GPT-4` is in no catalog: curated in data/arena/model_overrides.csv from the table's own link
    assert row(on[date(2023, 7, 17)], "GPT-4")["publisher"] == "OpenAI"
    assert row(on[date(2023, 12, 20)], "QWen-Chat-14B")["publisher"] == "Alibaba"  # line 43, likewise
    qwen_max = row(on[date(2024, 11, 5)], "Qwen-Max-0919")  # line 23: ...,Alibaba,Qwen,... but API-only
    assert qwen_max["license"] == "Qwen" and qwen_max["open_weights"] is False
    assert board.group_by("snapshot_date", "model_id").len()["len"].max() == 1


def test_the_same_model_under_two_spellings_on_one_date_counts_once():
    frame = parse("scraped/2024-11-05.csv").frame.head(3).with_columns(pl.lit("load").alias("load_id"))
    respelled = frame.head(1).with_columns(pl.col("model").str.to_uppercase(), pl.col("score") - 10)
    board = arena.arena_board(
        pl.concat([frame, respelled]),
        parse("hf_space/leaderboard_table_20250511.csv").frame.head(0),
        arena.load_model_overrides(),
    )
    assert len(board) == 3
    assert row(board, "ChatGPT-4o-latest (2024-09-03)")["score"] == 1340.0  # the better of the two


def test_open_weights_gap_compares_each_class_separately():
    board = pl.DataFrame(
        {
            "leaderboard": "arena-text",
            "snapshot_date": date(2025, 1, 7),
            "model_id": ["us-open", "us-closed", "cn-open", "cn-closed", "unknown-licence"],
            "score": [1250.0, 1370.0, 1319.0, 1300.0, 1400.0],
            "open_weights": [True, False, True, False, None],
        }
    )
    attribution = pl.DataFrame(
        [(m, mode, c.lower(), c) for m, c in zip(board["model_id"], ["US", "US", "CN", "CN", "US"], strict=True)
         for mode in ("publisher", "lineage", "family")],
        schema=["model_id", "mode", "org_id", "country"], orient="row",
    ).with_columns(pl.lit("arena-text").alias("leaderboard"))  # fmt: skip
    wide = gaps.wide_attribution(attribution)
    scopes = gaps.scoped(board)
    assert scopes == ["all", "open_weights", "proprietary"]
    fine = gaps.fine_groups(gaps.attributed_board(board, wide), wide, ["score"])
    gap = gaps.gaps_with_lag(gaps.country_frontier(fine, wide, scopes), [("US", "CN")]).filter(
        pl.col("attribution") == "publisher"
    )
    assert gap.select("scope", "leader", "leader_model", "follower_model", "gap").rows() == [
        ("all", "US", "unknown-licence", "cn-open", 81.0),
        ("open_weights", "CN", "cn-open", "us-open", 69.0),
        ("proprietary", "US", "us-closed", "cn-closed", 70.0),
    ]


def test_every_arena_organisation_in_the_bundled_data_is_in_the_registry():
    aliases = set(
        load_registry().aliases.filter(pl.col("alias_type") == "arena_organization")["alias"].str.to_lowercase()
    )
    names = set()
    for path in ARCHIVE.rglob("*.csv"):
        names |= set(parse(path.relative_to(ARCHIVE).as_posix()).frame["organization"].drop_nulls().str.to_lowercase())
    for day in (p.name for p in DAILY.iterdir()):
        names |= set(parse_daily(day).frame["organization"].drop_nulls().str.to_lowercase())
    assert names - aliases == set()
