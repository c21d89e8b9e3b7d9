"""Run a Great Expectations suite on a polars frame and turn the result into reasons a person reads.

Great Expectations is imported lazily, once per process (it costs seconds and hundreds of MB at
import; `warm_up` starts it in the background), and its pandas datasource is used on an
Arrow-backed copy of the frame: the SQL datasource over duckdb-engine fails on this stack, and
Arrow-backed columns keep nullable ints, booleans and dates typed so that type expectations mean
something.

Many snapshots, one run (`screen`): a GX run costs about a second whatever its rows, so the
snapshots of a source are validated together, each frame tagged with its place in the batch.
Failed rows map back to their snapshot through GX's unexpected-index results; checks that compare
rows (uniqueness) compare them within each snapshot; table-level checks (the row count against the
previous snapshot) are each snapshot's own, decided by `verdict` without a GX run. A snapshot the
batch finds anything against is validated again on its own (`check`), so its reasons are exactly
those of a lone validation; a batch clears the others.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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


_CONTEXT: tuple | None = None
_CONTEXT_LOCK = threading.Lock()


def _batch_definition():
    """The gx module and a batch definition on a pandas frame, built once per process."""
    global _CONTEXT
    with _CONTEXT_LOCK:  # warm_up may be building it in another thread
        if _CONTEXT is None:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig
            from great_expectations.execution_engine import pandas_execution_engine

            # GX fingerprints every frame it is given (md5 of a pandas hash: ~1 s per 200,000 rows)
            # for batch metadata nothing here reads; a threshold of 0 bytes skips it.
            pandas_execution_engine.HASH_THRESHOLD = 0

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            asset = context.data_sources.add_pandas("aigap").add_dataframe_asset("staged_frame")
            _CONTEXT = (gx, asset.add_batch_definition_whole_dataframe("whole_frame"))
        return _CONTEXT


def warm_up() -> threading.Thread:
    """Import Great Expectations and build its context in a background thread (seconds), so that a
    run that will validate something does not wait for it after fetching and parsing."""
    thread = threading.Thread(target=_batch_definition, name="gx-warm-up", daemon=True)
    thread.start()
    return thread


# polars dtype -> the type name GX checks on the pandas copy of a frame
GX_TYPES = {"Utf8": "str", "String": "str", "Float64": "float", "Int64": "int", "Boolean": "bool", "Date": "date"}


def schema_checks(E, schema: Mapping[str, pl.DataType]) -> list:
    """Every column of a parser's schema present, with its type."""
    return [
        check
        for column, dtype in schema.items()
        for check in (
            E.ExpectColumnToExist(column=column),
            E.ExpectColumnValuesToBeOfType(column=column, type_=GX_TYPES[str(dtype)]),
        )
    ]


def printable(E, columns: Sequence[str]) -> list:
    """One check that these text columns hold no control characters (validate derives the column)."""
    return [E.ExpectColumnValuesToBeNull(column=CONTROL_CHARACTERS, meta={"columns": list(columns)})]


def _with_control_characters(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    flags = [pl.when(pl.col(c).str.contains(_CONTROL)).then(pl.lit(c)) for c in columns if c in frame.columns]
    return frame.with_columns((pl.coalesce(flags) if flags else pl.lit(None, pl.Utf8)).alias(CONTROL_CHARACTERS))


def _derived(frame: pl.DataFrame, expectations: list) -> pl.DataFrame:
    """The frame with the columns the suite's checks read that validate derives (control characters)."""
    for expectation in expectations:
        if getattr(expectation, "column", None) == CONTROL_CHARACTERS:
            frame = _with_control_characters(frame, expectation.meta["columns"])
    return frame


def _for_gx(frame: pl.DataFrame):
    """The pandas frame GX validates: Arrow-backed columns (exact: a NaN is not a null, strings stay
    compact), except the numeric columns numpy holds exactly, which GX compares vectorised rather
    than value by value in Python (its between check on an Arrow column was ~1.6 s of a 400k-row
    gate): a float column without NaN (numpy writes a null as NaN, and then means only nulls by it)
    and an integer column without nulls."""
    converted = frame.to_pandas(use_pyarrow_extension_array=True)
    for name, dtype in frame.schema.items():
        column = frame.get_column(name)
        if (dtype == pl.Float64 and not column.is_nan().any()) or (dtype == pl.Int64 and not column.null_count()):
            converted[name] = column.to_numpy()
    return converted


def _validated(batch, suite, result_format: dict):
    """GX's result of `suite` on `batch`: asked first for pass or fail only, which skips its bookkeeping
    of the offending rows (about half of a run's cost); when a check fails, validated again in
    `result_format`, for the reasons and rows. So a result that passes holds no row detail."""
    result = batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
    return result if result.success else batch.validate(suite, result_format=result_format)


def validate(frame: pl.DataFrame, suite_name: str, build: SuiteBuilder, id_columns: Sequence[str] = ()) -> GateReport:
    """Validate `frame` against the suite `build` returns; failed checks carry a few offending rows."""
    gx, batch_definition = _batch_definition()
    suite = gx.ExpectationSuite(name=suite_name)
    expectations = build(gx.expectations)
    frame = _derived(frame, expectations)
    for expectation in expectations:
        suite.add_expectation(expectation)
    id_columns = [c for c in id_columns if c in frame.columns]
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}
    if id_columns:
        result_format["unexpected_index_column_names"] = id_columns
    batch = batch_definition.get_batch(batch_parameters={"dataframe": _for_gx(frame)})
    result = _validated(batch, suite, result_format)
    failures = [_reason(r, len(frame)) for r in result.results if not r.success]
    for failure in failures:
        if failure.get("column") == CONTROL_CHARACTERS:
            where = ", ".join(sorted(frame[CONTROL_CHARACTERS].drop_nulls().unique().to_list()))
            failure["reason"] = (
                f"{where}: {failure.get('unexpected_count')} of {len(frame)} rows hold control characters "
                "(NUL, newline, tab ...)"
            )
    return GateReport(suite_name, not failures, len(frame), len(result.results), failures)


@dataclass(frozen=True)
class GatePlan:
    """A frame and the suite it must pass: what a source's gate validates, alone or in a batch.

    `frame` already carries the columns the suite's derived checks read (the source's own ones);
    `explain` rewrites a failure into a sentence that names the data (it reads `frame`)."""

    suite_name: str
    build: SuiteBuilder
    frame: pl.DataFrame
    id_columns: tuple[str, ...] = ()
    explain: Callable[[dict, pl.DataFrame], dict] | None = None


def check(plan: GatePlan) -> GateReport:
    """Validate one plan on its own: the reasons a person reads for that snapshot."""
    report = validate(plan.frame, plan.suite_name, plan.build, plan.id_columns)
    if plan.explain is None or report.success:
        return report
    return replace(report, failures=[plan.explain(failure, plan.frame) for failure in report.failures])


# --- many snapshots, one GX run -------------------------------------------------------------------

BATCH_FRAME = "__gate_frame__"  # the place of each row's snapshot in the batch
BATCH_ROWS = 100_000  # rows per GX run: ~350 MB over GX's own 330 MB (200,000: ~560 MB), a run ~1 s
# Checks of one table as a whole: the batch leaves them out, each snapshot checks its own.
TABLE_LEVEL = {"expect_table_row_count_to_be_between"}
# Checks of a column's schema: one schema per batch, so one answer for every snapshot in it.
SCHEMA_LEVEL = {
    "expect_column_to_exist",
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_be_in_type_list",
}
# Checks of each row on its own (or of a pair of its columns): a failed row is its snapshot's.
ROW_LEVEL = {
    "expect_column_values_to_not_be_null", "expect_column_values_to_be_null", "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex",
    "expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set",
    "expect_column_pair_values_a_to_be_greater_than_b", "expect_column_pair_values_to_be_equal",
}  # fmt: skip
# Checks that compare rows with each other: in a batch, they compare within each snapshot.
UNIQUENESS = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}


def _config(expectation) -> dict:
    return expectation.configuration.to_json_dict()  # ~0.2 ms each: only for the few checks rewritten


def _kind(expectation) -> str:
    return expectation.expectation_type


def _row_checks(expectations: list) -> list | None:
    """The checks a batch can run for every snapshot at once, or None if the suite has one it cannot
    (then each snapshot is validated on its own)."""
    row_checks = []
    for expectation in expectations:
        kind = _kind(expectation)
        if kind in TABLE_LEVEL:
            continue
        if kind not in SCHEMA_LEVEL | ROW_LEVEL | UNIQUENESS:
            return None
        row_checks.append(expectation)
    return row_checks


def _clearance(checks: list | None) -> str | None:
    """What a batch clears a snapshot for: its row-level checks, as configured (None: not batchable)."""
    return None if checks is None else "\n".join(repr(e) for e in checks)  # every field of every check


def _within_each_frame(E, expectation, n: int) -> tuple[Any, pl.Expr | None]:
    """A uniqueness check rewritten for a batch: unique within each snapshot. The compared columns get
    a key naming the row's snapshot, left empty where the original check ignores the row (so the
    rewritten check ignores it too). Other checks are returned as they are."""
    if _kind(expectation) not in UNIQUENESS:
        return expectation, None
    config = _config(expectation)
    kwargs = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
    frame = pl.col(BATCH_FRAME)
    key = f"__gate_key_{n}__"
    if config["type"] == "expect_column_values_to_be_unique":
        column = kwargs.pop("column")
        check = E.ExpectCompoundColumnsToBeUnique(column_list=[key, column], ignore_row_if="any_value_is_missing",
                                                  **{k: v for k, v in kwargs.items() if k == "mostly"})  # fmt: skip
        return check, frame.alias(key)
    if config["type"] == "expect_compound_columns_to_be_unique":
        columns = kwargs.pop("column_list")
        ignore = kwargs.pop("ignore_row_if", "all_values_are_missing")
        present = pl.any_horizontal(pl.col(c).is_not_null() for c in columns)
        key_value = pl.when(present).then(frame) if ignore == "all_values_are_missing" else frame
        check = E.ExpectCompoundColumnsToBeUnique(column_list=[key, *columns], ignore_row_if=ignore, **kwargs)
        return check, key_value.alias(key)
    return expectation, None


def _batches(members: list[tuple[int, pl.DataFrame]], rows: int) -> list[list[tuple[int, pl.DataFrame]]]:
    batches, current, size = [], [], 0
    for member in members:
        if current and size + member[1].height > rows:
            batches.append(current)
            current, size = [], 0
        current.append(member)
        size += member[1].height
    return [*batches, current] if current else batches


def screen(plans: Sequence[GatePlan], batch_rows: int = BATCH_ROWS) -> list[str | None]:
    """One GX run per batch of plans that share a suite and a schema; for each plan, what the batch
    cleared it for (its row-level checks as configured), or None when a row of it failed, a check of the whole batch failed,
    or it could not be batched (then `verdict` validates it on its own).

    Table-level checks are not run here: each snapshot's own context decides them (`verdict`)."""
    gx, batch_definition = _batch_definition()
    cleared: list[str | None] = [None] * len(plans)
    groups: dict[tuple, list[tuple[int, pl.DataFrame]]] = {}
    checks_of: dict[tuple, list] = {}
    for i, plan in enumerate(plans):
        expectations = plan.build(gx.expectations)
        checks = _row_checks(expectations)
        if checks is None:
            continue
        frame = _derived(plan.frame, expectations)
        configs = _clearance(checks)
        key = (plan.suite_name, configs, tuple((c, str(t)) for c, t in frame.schema.items()))
        groups.setdefault(key, []).append((i, frame))
        checks_of[key] = checks
    for key, members in groups.items():
        for batch in _batches(members, batch_rows):
            if len(batch) < 2:
                continue  # one snapshot: validated on its own, as cheap as a batch of one
            passed = _run_batch(gx, batch_definition, key[0], checks_of[key], batch)
            for n, (i, _) in enumerate(batch):
                cleared[i] = key[1] if n in passed else None
    return cleared


def _run_batch(gx, batch_definition, name: str, checks: list, batch: list[tuple[int, pl.DataFrame]]) -> set[int]:
    """The places (in `batch`) of the frames none of whose rows failed a check."""
    suite = gx.ExpectationSuite(name=f"{name} (batch of {len(batch)})")
    keys = []
    for n, expectation in enumerate(checks):
        check, key = _within_each_frame(gx.expectations, expectation, n)
        suite.add_expectation(check)
        if key is not None:
            keys.append(key)
    frame = pl.concat(
        [f.with_columns(pl.lit(n, dtype=pl.Int32).alias(BATCH_FRAME)) for n, (_, f) in enumerate(batch)], how="vertical"
    )
    if keys:
        frame = frame.with_columns(keys)
    gx_batch = batch_definition.get_batch(batch_parameters={"dataframe": _for_gx(frame)})
    result = _validated(gx_batch, suite, {"result_format": "COMPLETE", "unexpected_index_column_names": [BATCH_FRAME]})
    failed: set[int] = set()
    for outcome in result.results:
        raised = outcome.exception_info and outcome.exception_info.get("raised_exception")
        rows = (outcome.result or {}).get("unexpected_index_list")
        if raised or (not outcome.success and not rows):
            return set()  # a check of the whole batch failed: every snapshot is validated on its own
        failed.update(int(row[BATCH_FRAME]) for row in rows or [])
    return set(range(len(batch))) - failed


def _table_checks_pass(expectations: list, rows: int) -> bool:
    """The table-level checks (the row count against its bounds) of one snapshot, without a GX run."""
    for expectation in expectations:
        if _kind(expectation) not in TABLE_LEVEL:
            continue
        low, high = expectation.min_value, expectation.max_value
        if low is not None and (rows <= low if expectation.strict_min else rows < low):
            return False
        if high is not None and (rows >= high if expectation.strict_max else rows > high):
            return False
    return True


def verdict(plan: GatePlan, cleared: str | None) -> GateReport:
    """The gate's report on one plan: passed, when a batch cleared exactly these row-level checks and
    its table-level checks pass; otherwise from validating it on its own (the reasons a person reads)."""
    if cleared is not None:
        gx, _ = _batch_definition()
        expectations = plan.build(gx.expectations)
        rows = plan.frame.height
        if cleared == _clearance(_row_checks(expectations)) and _table_checks_pass(expectations, rows):
            return GateReport(plan.suite_name, True, rows, len(expectations))
    return check(plan)


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
