"""`artificial-analysis`: the Artificial Analysis index (API v2 `/data/llms/models`), one edition per file.

Location: a folder of `<YYYY-MM-DD>/llms.json` files as the collector
(Scarlett9826/arena-ai-leaderboards, `data/artificial_analysis/<date>/`) saves them; default: the
bundled copy, 8 weekly editions 2026-06-30 -> 2026-08-15. Only `llms.json` is read; the collector's
`_summary.json` next to it is its own digest of the same file (datasets/artificial_analysis/parse.py).

Dating: an edition is dated by the folder holding the file; the file's own `meta.snapshot_date` (and
`meta.fetched_at`, within a day) must agree, else the file is quarantined: which day is it? One
edition per date in core.capability_entries (the warehouse's "which load counts": a corrected file
for a date replaces the earlier one; editions of other dates stay published next to it).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import PurePosixPath

import polars as pl

from common import http
from common.errors import SnapshotRejected
from common.gate import GatePlan
from common.settings import DATA_DIR
from datasets.artificial_analysis import checks as suite
from datasets.artificial_analysis.contract import CAPABILITY_ENTRIES
from datasets.artificial_analysis.parse import LEADERBOARD, normalise
from datasets.base import Credit, GateContext, ParsedSnapshot, SnapshotRef, Source
from datasets.files import dated, discover_files, read_bytes

FILE_NAME = "llms.json"
DATE_TOLERANCE = timedelta(days=1)  # folder date vs meta.fetched_at (a fetch near midnight, another time zone)


def content_day(value) -> date | None:
    """The day of an ISO date or timestamp the file states, if it states one readably."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None


class ArtificialAnalysis(Source):
    name = "artificial-analysis"
    credit = Credit(
        "Artificial Analysis Intelligence Index and model evaluations (artificialanalysis.ai)",
        "the collector files in Scarlett9826/arena-ai-leaderboards",
        "Artificial Analysis terms: free use with attribution to artificialanalysis.ai; collector MIT",
    )
    leaderboard = LEADERBOARD
    core_table = CAPABILITY_ENTRIES.name
    description = "Artificial Analysis Intelligence, Coding and Math Index per model, one edition per snapshot"
    limits = http.Limits(deadline_seconds=120.0, max_bytes=20 * 2**20)  # a file is ~0.9 MB

    def default_location(self) -> str:
        return str(DATA_DIR / "capability" / "artificial_analysis")

    def discover(self, location: str) -> list[SnapshotRef]:
        return dated(discover_files(self.name, location, FILE_NAME), lambda key: PurePosixPath(key).parent.name)

    def fetch(self, ref: SnapshotRef) -> bytes:
        return read_bytes(ref, self.limits)

    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        frame, details = normalise(raw)
        edition = self.edition(ref, details)
        return ParsedSnapshot(frame.with_columns(pl.lit(edition).alias("snapshot_date")), edition, details)

    @staticmethod
    def edition(ref: SnapshotRef, details: dict) -> date:
        """The folder's date, which meta.snapshot_date and meta.fetched_at must not contradict."""
        in_path = ref.snapshot_date
        claims = {"meta.snapshot_date": content_day(details.get("snapshot_date")),
                  "meta.fetched_at": content_day(details.get("fetched_at"))}  # fmt: skip
        for what, day in claims.items():
            if in_path and day and abs(in_path - day) > (DATE_TOLERANCE if what == "meta.fetched_at" else timedelta()):
                raise SnapshotRejected(
                    [{"check": "snapshot_date", "reason": f"the folder says {in_path} but the file says {day} "
                      f"({what}): which edition is it?"}]
                )  # fmt: skip
        day = in_path or claims["meta.snapshot_date"]
        if day is None:
            raise SnapshotRejected(
                [{"check": "snapshot_date", "reason": f"cannot date {ref.key!r}: no date folder "
                  "(<YYYY-MM-DD>/llms.json) and no meta.snapshot_date"}]
            )  # fmt: skip
        return day

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan:
        return suite.entries_plan(frame, suite.CapabilityContext(context.today, context.previous_rows))
