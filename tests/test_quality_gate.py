"""The Open LLM v2 gate on real bad files derived from real snapshots (tests/data/bad_snapshots)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from common.errors import SnapshotRejected
from datasets.base import GateContext, SnapshotRef
from datasets.open_llm.v2_archive import OpenLLMv2Archive

BAD = Path(__file__).resolve().parent / "data" / "bad_snapshots"
GOOD = (
    Path(__file__).resolve().parents[1] / "data" / "leaderboards" / "open_llm_v2_archive" / "scraped" / "2024-08-01.csv"
)
TODAY = date(2026, 11, 23)
SOURCE = OpenLLMv2Archive()


def parse_and_gate(path: Path, snapshot_date=date(2024, 8, 1), previous_rows=None):
    """(failed check names, reasons) for a file: parse rejections and gate failures alike."""
    ref = SnapshotRef(SOURCE.name, path.name, str(path), snapshot_date)
    try:
        parsed = SOURCE.parse(path.read_bytes(), ref)
    except SnapshotRejected as exc:
        return {r["check"] for r in exc.reasons}, exc.reasons
    report = SOURCE.gate(parsed.frame, GateContext(today=TODAY, previous_rows=previous_rows))
    return {f["check"] for f in report.failures}, report.failures


def test_the_real_file_passes():
    checks, reasons = parse_and_gate(GOOD, previous_rows=237)
    assert checks == set(), reasons


@pytest.mark.parametrize(
    ("name", "check", "words"),
    [
        ("truncated_mid_row.csv", "parse", "truncated"),
        ("renamed_column.csv", "header", "ifeval_score"),
        ("empty.csv", "parse", "empty file"),
        ("html_error_page.csv", "parse", "HTML page"),
        ("scores_times_100.csv", "expect_column_values_to_be_between", "outside [0"),
        ("every_row_duplicated.csv", "expect_compound_columns_to_be_unique", "repeat the same"),
    ],
)
def test_bad_files_fail_with_a_clear_reason(name, check, words):
    checks, reasons = parse_and_gate(BAD / name)
    assert check in checks
    assert any(words in r["reason"] for r in reasons), reasons


def test_scores_times_100_names_the_columns_and_shows_offending_rows():
    _, reasons = parse_and_gate(BAD / "scores_times_100.csv")
    columns = {r.get("column") for r in reasons if r["check"] == "expect_column_values_to_be_between"}
    assert {"average", "ifeval", "bbh", "mmlu_pro"} <= columns
    sample = next(r for r in reasons if r.get("column") == "ifeval")["sample"]
    assert sample and "model_id" in sample[0] and sample[0]["ifeval"] > 100


def test_shrunken_snapshot_fails_the_row_count_check():
    checks, reasons = parse_and_gate(GOOD, previous_rows=4576)  # 520 rows after 4,576
    assert checks == {"expect_table_row_count_to_be_between"}
    assert "at least 2288" in reasons[0]["reason"]


def test_future_snapshot_date_fails():
    checks, _ = parse_and_gate(GOOD, snapshot_date=date(2030, 1, 1))
    assert "expect_column_values_to_be_between" in checks


def test_precision_and_revision_duplicates_are_allowed():
    # the real 2024-10-22 display file has 80 repeated model ids, all other precisions/revisions
    path = GOOD.parents[1] / "display" / "2024-10-22.csv"
    ref = SnapshotRef(SOURCE.name, "display/2024-10-22.csv", str(path), date(2024, 10, 22))
    frame = SOURCE.parse(path.read_bytes(), ref).frame
    assert frame["model_id"].is_duplicated().sum() == 80
    assert frame.select(pl.struct("model_id", "precision", "revision_sha").is_duplicated().sum()).item() == 0
    assert SOURCE.gate(frame, GateContext(today=TODAY)).success


def test_numeric_columns_go_to_gx_as_numpy_only_where_that_changes_no_verdict():
    """GX compares numpy numbers vectorised and Arrow-backed ones value by value in Python
    (common/gate.py _for_gx): a float column without NaN and an integer column without nulls
    go as numpy; a float column holding NaN stays Arrow-backed, where a NaN is a value, not a null.
    The verdicts and their counts are those of the Arrow-backed frame."""
    from common.gate import _for_gx, validate

    frame = pl.DataFrame(
        {
            "score": [10.0, None, 250.0, 30.0],  # a null and one value out of range
            "nan_score": [1.0, float("nan"), None, 2.0],  # a NaN: out of range, and not a null
            "rank": [1, 2, 3, 4],
            "rank_with_null": [1, None, 3, 4],
        }
    )
    converted = _for_gx(frame)
    assert [str(converted[c].dtype) for c in frame.columns] == ["float64", "double[pyarrow]", "int64", "int64[pyarrow]"]

    def suite(E):
        return [
            E.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=100),
            E.ExpectColumnValuesToNotBeNull(column="score"),
            E.ExpectColumnValuesToBeBetween(column="nan_score", min_value=0, max_value=100),
            E.ExpectColumnValuesToNotBeNull(column="nan_score"),
            E.ExpectColumnValuesToBeBetween(column="rank", min_value=1, max_value=3),
            E.ExpectColumnValuesToBeOfType(column="score", type_="float"),
            E.ExpectColumnValuesToBeOfType(column="rank", type_="int"),
        ]

    report = validate(frame, "numbers", suite)
    failed = {(f["check"], f["column"]): f.get("unexpected_count") for f in report.failures}
    assert failed == {
        ("expect_column_values_to_be_between", "score"): 1,  # 250; the null is a null, not a failure
        ("expect_column_values_to_not_be_null", "score"): 1,
        ("expect_column_values_to_be_between", "nan_score"): 1,  # the NaN
        ("expect_column_values_to_not_be_null", "nan_score"): 1,  # the null only
        ("expect_column_values_to_be_between", "rank"): 1,
    }
