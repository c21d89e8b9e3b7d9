"""Run a Great Expectations suite on a polars frame and turn the result into reasons a person reads.

Great Expectations is imported lazily (it costs seconds and hundreds of MB at import), and its
pandas datasource is used on an Arrow-backed copy of the frame: the SQL datasource over
duckdb-engine fails on this stack, and Arrow-backed columns keep nullable ints, booleans and dates
typed so that type expectations mean something.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import polars as pl

SAMPLE_ROWS = 5
# Names and ids from the data are printable: a NUL, newline or other control character in a model id
# would split a log line, forge a report row or break a join key. Every suite checks its id columns
# with one check (`printable`) on a column validate() derives: the first such column of each row.
CONTROL_CHARACTERS = "control_characters_in"
_CONTROL = r"[\x00-\x1f\x7f]"

# A suite is a function returning Great Expectations expectation objects; it receives the gx
# `expectations` module so that suites stay importable without loading gx.
SuiteBuilder = Callable[[Any], list]


@dataclass(frozen=True)
class GateReport:
    suite: str
    success: bool
    rows: int
    checks: int
    failures: list[dict] = field(default_factory=list)

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: {self.checks} checks passed on {self.rows} rows"
        return f"{self.suite}: {len(self.failures)} of {self.checks} checks failed: " + "; ".join(
            f["reason"] for f in self.failures
        )


@cache
def _batch_definition():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("aigap").add_dataframe_asset("staged_frame")
    return gx, asset.add_batch_definition_whole_dataframe("whole_frame")


def printable(E, columns: Sequence[str]) -> list:
    """One check that these text columns hold no control characters (validate derives the column)."""
    return [E.ExpectColumnValuesToBeNull(column=CONTROL_CHARACTERS, meta={"columns": list(columns)})]


def _with_control_characters(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    flags = [pl.when(pl.col(c).str.contains(_CONTROL)).then(pl.lit(c)) for c in columns if c in frame.columns]
    return frame.with_columns((pl.coalesce(flags) if flags else pl.lit(None, pl.Utf8)).alias(CONTROL_CHARACTERS))


def validate(frame: pl.DataFrame, suite_name: str, build: SuiteBuilder, id_columns: Sequence[str] = ()) -> GateReport:
    """Validate `frame` against the suite `build` returns; failed checks carry a few offending rows."""
    gx, batch_definition = _batch_definition()
    suite = gx.ExpectationSuite(name=suite_name)
    for expectation in build(gx.expectations):
        if getattr(expectation, "column", None) == CONTROL_CHARACTERS:
            frame = _with_control_characters(frame, expectation.meta["columns"])
        suite.add_expectation(expectation)
    id_columns = [c for c in id_columns if c in frame.columns]
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}
    if id_columns:
        result_format["unexpected_index_column_names"] = id_columns
    batch = batch_definition.get_batch(
        batch_parameters={"dataframe": frame.to_pandas(use_pyarrow_extension_array=True)}
    )
    result = batch.validate(suite, result_format=result_format)
    failures = [_reason(r, len(frame)) for r in result.results if not r.success]
    for failure in failures:
        if failure.get("column") == CONTROL_CHARACTERS:
            where = ", ".join(sorted(frame[CONTROL_CHARACTERS].drop_nulls().unique().to_list()))
            failure["reason"] = (
                f"{where}: {failure.get('unexpected_count')} of {len(frame)} rows hold control characters "
                "(NUL, newline, tab ...)"
            )
    return GateReport(suite_name, not failures, len(frame), len(result.results), failures)


def _plain(value: Any) -> Any:
    """JSON-safe, readable values for the ledger (numpy scalars, NA, dates ...)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _reason(result, rows: int) -> dict:
    config = result.expectation_config
    kwargs = {k: _plain(v) for k, v in config.kwargs.items() if k != "batch_id"}
    outcome = result.result or {}
    reason: dict[str, Any] = {"check": config.type, **kwargs}
    if result.exception_info and result.exception_info.get("raised_exception"):
        reason["error"] = result.exception_info.get("exception_message")
    if "unexpected_count" in outcome:
        reason["unexpected_count"] = _plain(outcome["unexpected_count"])
        reason["unexpected_percent"] = round(_plain(outcome.get("unexpected_percent") or 0.0), 2)
        sample = outcome.get("partial_unexpected_index_list") or outcome.get("partial_unexpected_list")
        reason["sample"] = _plain(list(sample or [])[:SAMPLE_ROWS])
    if "observed_value" in outcome:
        reason["observed_value"] = _plain(outcome["observed_value"])
    reason["reason"] = describe(reason, rows)
    return reason


def describe(reason: dict, rows: int) -> str:
    """One line a person understands, e.g. 'ifeval: 4576 of 4576 values outside [0, 100]'."""
    check, column = reason["check"], reason.get("column")
    where = f"{column}: " if column else ""
    if "error" in reason:
        return f"{where}{check} could not run: {reason['error']}"
    count = reason.get("unexpected_count")
    if check == "expect_column_to_exist":
        return f"required column {column!r} is missing"
    if check in ("expect_column_values_to_be_of_type", "expect_column_values_to_be_in_type_list"):
        wanted = reason.get("type_") or reason.get("type_list")
        return f"{where}type is {reason.get('observed_value')}, expected {wanted}"
    if check == "expect_table_row_count_to_be_between":
        return f"{reason.get('observed_value')} rows, expected at least {reason.get('min_value')}" + (
            f" and at most {reason.get('max_value')}" if reason.get("max_value") is not None else ""
        )
    if check == "expect_column_values_to_be_between":
        low, high = reason.get("min_value"), reason.get("max_value")
        return f"{where}{count} of {rows} values outside [{low}, {high}]"
    if check == "expect_column_values_to_not_be_null":
        return f"{where}{count} of {rows} values are missing"
    if check == "expect_compound_columns_to_be_unique":
        return f"{count} of {rows} rows repeat the same {reason.get('column_list')}"
    if check == "expect_column_values_to_be_unique":
        return f"{where}{count} of {rows} values are repeated"
    if check == "expect_column_values_to_match_regex":
        return f"{where}{count} of {rows} values do not match {reason.get('regex')!r}"
    if check == "expect_column_values_to_be_in_set":
        allowed = reason.get("mostly")
        limit = f" (at most {round((1 - allowed) * 100)}% allowed)" if allowed is not None else ""
        return f"{where}{count} of {rows} values not in {reason.get('value_set')}{limit}"
    if check == "expect_column_pair_values_a_to_be_greater_than_b":
        return f"{count} of {rows} rows where {reason.get('column_A')} is not above {reason.get('column_B')}"
    detail = f"{count} of {rows} rows unexpected" if count is not None else f"observed {reason.get('observed_value')}"
    return f"{where}{check} failed: {detail}"
