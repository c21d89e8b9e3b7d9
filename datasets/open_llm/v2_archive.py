"""`open-llm-v2-archive`: archived Open LLM Leaderboard v2 tables (CSV), one file per snapshot date.

Bundled: 15 daily scrapes (`scraped/`, six header variants) and two copies of the leaderboard's
own API table with the official column names (`display/`). The snapshot date is the date in the
file name; a file without one is rejected rather than dated by the clock.
"""

from __future__ import annotations

import polars as pl

from common.csvio import read_csv_text
from common.dates import snapshot_date_from_name
from common.gate import GatePlan
from common.settings import DATA_DIR
from datasets.base import Credit, GateContext, ParsedSnapshot, SnapshotRef, Source
from datasets.files import dated, discover_files, read_bytes
from datasets.open_llm import v2_checks as suite
from datasets.open_llm.v2 import normalise


class OpenLLMv2Archive(Source):
    name = "open-llm-v2-archive"
    credit = Credit(
        "Hugging Face Open LLM Leaderboard v2",
        "daily scrapes in fboulnois/llm-leaderboard-csv and the leaderboard's API table in pimpale/foo",
        "repo MPL-2.0; the API table copy has no licence file",
    )
    leaderboard = "open-llm-v2"
    core_table = "core.open_llm_v2_entries"
    description = "Open LLM Leaderboard v2, archived CSV snapshots (2024-07 to 2025-03)"

    def default_location(self) -> str:
        return str(DATA_DIR / "leaderboards" / "open_llm_v2_archive")

    def discover(self, location: str) -> list[SnapshotRef]:
        return dated(discover_files(self.name, location))  # undated: parse() rejects it with the reason

    def fetch(self, ref: SnapshotRef) -> bytes:
        return read_bytes(ref, self.limits)

    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        snapshot_date = ref.snapshot_date or snapshot_date_from_name(ref.key.rsplit("/", 1)[-1])
        frame, details = normalise(read_csv_text(raw))
        frame = frame.with_columns(pl.lit(snapshot_date).alias("snapshot_date"))
        return ParsedSnapshot(frame, snapshot_date, details)

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan:
        snapshot = suite.SnapshotContext(today=context.today, previous_rows=context.previous_rows)
        return GatePlan(suite.SUITE_NAME, suite.build_suite(snapshot), frame, suite.ID_COLUMNS)
