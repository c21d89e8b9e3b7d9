"""`open-llm-v1-archive`: archived Open LLM Leaderboard v1 tables (CSV), one file per snapshot date.

Bundled: the two last daily scrapes of v1 (2024-06-19 and 2024-07-07, ~7.1k rows each), after the
leaderboard was retired in favour of v2. The snapshot date is the date in the file name.
"""

from __future__ import annotations

import polars as pl

from aigap.config import DATA_DIR
from expectations import open_llm_v1 as suite
from expectations.gate import GatePlan
from expectations.open_llm_v2 import SnapshotContext
from sources.base import GateContext, ParsedSnapshot, SnapshotRef, Source
from sources.files import dated, discover_files, read_bytes
from transforms.csvio import read_csv_text
from transforms.open_llm_v1 import normalise
from transforms.open_llm_v2 import snapshot_date_from_name


class OpenLLMv1Archive(Source):
    name = "open-llm-v1-archive"
    leaderboard = "open-llm-v1"
    core_table = "core.open_llm_v1_entries"
    description = "Open LLM Leaderboard v1, archived CSV snapshots (2024-06, 2024-07)"

    def default_location(self) -> str:
        return str(DATA_DIR / "leaderboards" / "open_llm_v1_archive")

    def discover(self, location: str) -> list[SnapshotRef]:
        return dated(discover_files(self.name, location))

    def fetch(self, ref: SnapshotRef) -> bytes:
        return read_bytes(ref, self.limits)

    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        snapshot_date = ref.snapshot_date or snapshot_date_from_name(ref.key.rsplit("/", 1)[-1])
        frame, details = normalise(read_csv_text(raw))
        return ParsedSnapshot(frame.with_columns(pl.lit(snapshot_date).alias("snapshot_date")), snapshot_date, details)

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan:
        snapshot = SnapshotContext(today=context.today, previous_rows=context.previous_rows)
        return GatePlan(suite.SUITE_NAME, suite.build_suite(snapshot), frame, suite.ID_COLUMNS)
