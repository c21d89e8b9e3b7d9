"""Open LLM v1: the scraped layout on the real bundled files, its inverted booleans, the board."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from common.csvio import read_csv_text
from common.gate import validate
from datasets.open_llm import v1_checks as suite
from datasets.open_llm.board import open_llm_v1_board
from datasets.open_llm.v1 import SCHEMA, normalise
from datasets.open_llm.v2_checks import SnapshotContext

V1 = Path(__file__).resolve().parents[3] / "data" / "leaderboards" / "open_llm_v1_archive"


def load(day: str) -> pl.DataFrame:
    frame, details = normalise(read_csv_text((V1 / f"{day}.csv").read_bytes()))
    assert details["header_variant"] == "scraped-2024"
    return frame


def test_both_snapshots_parse_into_the_schema():
    for day, rows in (("2024-06-19", 7065), ("2024-07-07", 7169)):
        frame = load(day)
        assert len(frame) == rows and dict(frame.schema) == SCHEMA
        assert frame["average"].null_count() == 0 and frame["average"].max() <= 100


def test_the_scrapers_inverted_booleans_are_turned_back():
    raw = read_csv_text((V1 / "2024-06-19.csv").read_bytes())
    # as published: 6,960 of 7,065 rows "flagged", 2,505 of 2,571 Llama rows "moe", 724 of 997 merges "not merged"
    assert (raw["flagged"] == "TRUE").sum() == 6960
    llama = raw.filter(pl.col("architecture") == "LlamaForCausalLM")
    assert ((llama["moe"] == "TRUE").sum(), len(llama)) == (2505, 2571)
    merges = raw.filter(pl.col("type").str.contains("merges"))
    assert ((merges["merged"] == "FALSE").sum(), len(merges)) == (724, 997)
    frame = load("2024-06-19")
    assert frame["flagged"].sum() == 105
    assert frame.filter(pl.col("architecture") == "LlamaForCausalLM")["moe"].sum() == 66
    assert frame.filter(pl.col("model_type") == "merge")["merged"].sum() == 724


def test_the_real_snapshot_passes_its_gate():
    frame = load("2024-07-07").with_columns(pl.lit(date(2024, 7, 7)).alias("snapshot_date"))
    report = validate(
        frame, suite.SUITE_NAME, suite.build_suite(SnapshotContext(date(2026, 11, 23), 7065)), suite.ID_COLUMNS
    )
    assert report.success, report.failures


def test_the_board_keeps_the_flags_and_counts_each_model_once():
    frame = load("2024-06-19").with_columns(
        pl.lit(date(2024, 6, 19)).alias("snapshot_date"), pl.lit("l").alias("load_id")
    )
    board = open_llm_v1_board(frame)
    assert board["model_id"].is_duplicated().sum() == 0
    # flagged models stay on the board; the `unflagged` scope of every mart leaves them out
    flagged = set(frame.filter(pl.col("flagged"))["model_id"]) - set(frame.filter(~pl.col("flagged"))["model_id"])
    assert flagged and flagged == set(board.filter(pl.col("flagged"))["model_id"])
    # the top of the board, read off the file: line 2 paloalma/Le_Triomphant-ECE-TW3, average 81.31, flagged column TRUE (= not flagged)
    top = board.sort("score", descending=True).row(0, named=True)
    assert (top["model_id"], top["publisher"], top["score"], top["flagged"]) == (
        "paloalma/Le_Triomphant-ECE-TW3", "paloalma", 81.31, False,
    )  # fmt: skip
