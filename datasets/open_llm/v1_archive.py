"""`open-llm-v1-archive`: archived Open LLM Leaderboard v1 tables (CSV), one file per snapshot date.

Bundled: the two last daily scrapes of v1 (2024-06-19 and 2024-07-07, ~7.1k rows each), after the
leaderboard was retired in favour of v2. The snapshot date is the date in the file name.
"""

from __future__ import annotations

import polars as pl

from common.csvio import read_csv_text
from common.dates import snapshot_date_from_name
from common.gate import GatePlan
from common.settings import DATA_DIR
from datasets.base import Credit, GateContext, ParsedSnapshot, SnapshotRef, Source
from datasets.files import dated, discover_files, read_bytes
from datasets.open_llm import v1_checks as suite
from datasets.open_llm.v1 import normalise
from datasets.open_llm.v2_checks import SnapshotContext


class OpenLLMv1Archive(Source):
    name = "open-llm-v1-archive"
    credit = Credit("Hugging Face Open LLM Leaderboard v1", "scrapes in fboulnois/llm-leaderboard-csv", "repo MPL-2.0")
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
