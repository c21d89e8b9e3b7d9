"""Normalisation of every Open LLM v2 header variant, on the real bundled files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from common.csvio import read_csv_text
from common.dates import snapshot_date_from_name
from common.errors import SnapshotRejected
from datasets.open_llm.v2 import SCHEMA, detect_variant, normalise

ARCHIVE = Path(__file__).resolve().parents[3] / "data" / "leaderboards" / "open_llm_v2_archive"

# file -> (variant, rows), read off the files themselves (`wc -l` minus the header).
EXPECTED = {
    "scraped/2024-07-13.csv": ("scraped-2024-07", 237),
    "scraped/2024-08-01.csv": ("scraped-2024-07", 520),
    "scraped/2024-08-30.csv": ("scraped-2024-08", 760),
    "scraped/2024-09-01.csv": ("scraped-2024-08", 758),
    "scraped/2024-10-01.csv": ("scraped-2024-08", 1283),
    "scraped/2024-11-01.csv": ("scraped-2024-08", 1731),
    "scraped/2024-11-15.csv": ("scraped-2024-11", 1874),
    "scraped/2024-12-01.csv": ("scraped-2024-11", 2093),
    "scraped/2024-12-05.csv": ("scraped-2024-12-05", 2156),
    "scraped/2024-12-11.csv": ("flat-2024-12-11", 2209),
    "scraped/2025-01-01.csv": ("flat-2024-12-11", 2695),
    "scraped/2025-01-09.csv": ("flat-2025-01-09", 2915),
    "scraped/2025-02-01.csv": ("flat-2025-01-09", 3491),
    "scraped/2025-03-01.csv": ("flat-2025-01-09", 4250),
    "scraped/2025-03-21.csv": ("flat-2025-01-09", 4576),
    "display/2024-10-22.csv": ("official", 1604),
    "display/2024-11-10.csv": ("official", 1793),
}


def load(relative: str) -> pl.DataFrame:
    frame, _ = normalise(read_csv_text((ARCHIVE / relative).read_bytes()))
    return frame


def test_every_bundled_file_is_listed():
    bundled = {p.relative_to(ARCHIVE).as_posix() for p in ARCHIVE.rglob("*.csv")}
    assert bundled == set(EXPECTED)


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_every_variant_parses_into_the_schema(relative):
    variant, rows = EXPECTED[relative]
    frame, details = normalise(read_csv_text((ARCHIVE / relative).read_bytes()))
    assert details["header_variant"] == variant
    assert len(frame) == rows
    assert dict(frame.schema) == SCHEMA
    assert frame["model_id"].null_count() == 0
    assert frame["average"].null_count() == 0
    assert frame["average"].max() <= 100 and frame["ifeval_raw"].max() <= 1
    # flagged is un-inverted: at most a handful of models are flagged, never all of them
    assert frame["flagged"].sum() <= 1


def test_six_scraped_header_variants_plus_the_official_names():
    variants = {v for v, _ in EXPECTED.values()}
    assert len(variants - {"official"}) == 6 and "official" in variants


@pytest.mark.parametrize("relative", ["scraped/2024-10-01.csv", "scraped/2025-03-21.csv", "display/2024-11-10.csv"])
def test_inverted_booleans_are_corrected_on_known_models(relative):
    frame = load(relative)
    mixtral = frame.filter(pl.col("model_id") == "mistralai/Mixtral-8x7B-Instruct-v0.1")
    qwen = frame.filter(pl.col("model_id") == "Qwen/Qwen2.5-72B-Instruct")
    assert mixtral["moe"].to_list() == [True]
    assert qwen["moe"].to_list() == [False]
    assert mixtral["flagged"].to_list() == [False] and qwen["flagged"].to_list() == [False]
    assert qwen["merged"].to_list() == [False]


def test_merged_agrees_across_the_layout_change():
    # 2024-12-05 (scraped `not_merged`) and 2024-12-11 (flat `features_is_merged`) are six days apart
    before, after = load("scraped/2024-12-05.csv"), load("scraped/2024-12-11.csv")
    assert before["merged"].sum() == 349 and after["merged"].sum() == 361


def test_available_on_hub_reads_the_misnamed_flat_column():
    # `features_is_not_available_on_hub` holds "available": most models are available
    frame = load("scraped/2025-03-21.csv")
    assert frame["available_on_hub"].sum() == 2893
    assert frame.filter(pl.col("model_id") == "Qwen/Qwen2.5-72B-Instruct")["available_on_hub"].to_list() == [True]


def test_known_values_read_off_the_files():
    first = load("scraped/2024-07-13.csv").row(0, named=True)
    assert first["model_id"] == "Qwen/Qwen2-72B-Instruct"
    assert first["namespace"] == "Qwen"
    assert first["average"] == 42.49 and first["ifeval"] == 79.89 and first["ifeval_raw"] == 0.8
    assert first["params_b"] == 72 and first["hub_likes"] == 523
    assert first["submission_date"] == date(2024, 6, 26) and first["upload_date"] == date(2024, 5, 28)
    assert first["model_type"] == "chat" and first["official_provider"] is True
    flat = load("scraped/2025-03-21.csv").filter(pl.col("model_id") == "01-ai/Yi-1.5-34B").row(0, named=True)
    assert flat["params_b"] == 34.389 and flat["math_lvl5"] == pytest.approx(
        15.3323262839879
    )  # MATH re-scored in Feb 2025
    assert flat["revision_sha"] == "4b486f81c935a2dadde84c6baa1e1370d40a098f"


def test_unknown_size_becomes_null():
    frame = load("scraped/2025-03-21.csv")
    assert frame["params_b"].min() >= 0
    assert frame["params_b"].null_count() == 3


def test_renamed_column_is_rejected_naming_it():
    with pytest.raises(SnapshotRejected) as caught:
        detect_variant(["fullname", "average", "ifeval_score"])
    assert "missing" in str(caught.value)


def test_snapshot_date_comes_from_the_name():
    assert snapshot_date_from_name("2024-07-13.csv") == date(2024, 7, 13)
    assert snapshot_date_from_name("leaderboard_table_20240713.csv") == date(2024, 7, 13)
    with pytest.raises(SnapshotRejected, match="no date"):
        snapshot_date_from_name("latest.csv")
