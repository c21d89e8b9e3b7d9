"""The ready queries in warehouse/queries run in the pinned duckdb CLI, read-only, and return rows."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

QUERIES = sorted((Path(__file__).resolve().parents[1] / "warehouse" / "queries").glob("*.sql"))
DUCKDB_CLI = Path(sys.executable).parent / "duckdb"


def test_at_least_six_questions_are_ready():
    assert len(QUERIES) >= 6


@pytest.mark.parametrize("query", QUERIES, ids=lambda p: p.stem)
def test_query_runs_read_only_in_the_cli_and_returns_rows(bundled_run, query):
    warehouse, _ = bundled_run
    result = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", "-csv", str(warehouse), "-c", f".read {query}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and "Error" not in result.stderr, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) > 1, result.stdout  # a header and at least one row
