"""`arena-archive`: the Chatbot Arena text leaderboard from bundled archives, one file per date.

Bundled (data/leaderboards/arena_archive/, see data/README.md):
- `scraped/<date>.csv`: the LMSYS leaderboard table, 88 versions 2024-06-19 -> 2025-07-18;
- `text_scraped/<date>.csv`: the later lmarena text table, 4 versions 2025-07-27 -> 2025-08-04;
- `hf_space/leaderboard_table_YYYYMMDD.csv`: the Hugging Face Space's own tables, 2023-06-19 ->
  2025-05-11. Those of 2023 carry an Elo score and are entries; the later ones carry no score and
  publish only into core.arena_models (organisation / licence metadata, never a score).

The snapshot date is the date in the file name. Parsing is shared with the `arena-space` Hub
source (sources/arena_space.py): the same files, fetched from the Space itself.
"""

from __future__ import annotations

import math
from datetime import date

import polars as pl

from common.csvio import read_csv_text
from common.dates import snapshot_date_from_name
from common.gate import GatePlan
from common.settings import DATA_DIR
from datasets.arena import checks as suite
from datasets.arena.parse import CATALOG, normalise_table
from datasets.base import Credit, GateContext, ParsedSnapshot, SnapshotRef, Source
from datasets.files import dated, discover_files, read_bytes

ENTRIES_TABLE = "core.arena_entries"
CATALOG_TABLE = "core.arena_models"


def parse_arena_csv(raw: bytes, snapshot_date: date) -> ParsedSnapshot:
    """Any Arena CSV layout -> entries (core.arena_entries) or Space metadata (core.arena_models)."""
    kind, frame, details = normalise_table(read_csv_text(raw))
    frame = frame.with_columns(pl.lit(snapshot_date).alias("snapshot_date"))
    return ParsedSnapshot(frame, snapshot_date, details, CATALOG_TABLE if kind == CATALOG else ENTRIES_TABLE)


def half_of_previous(context: GateContext) -> int:
    return 1 if not context.previous_rows else max(1, math.ceil(context.previous_rows / 2))


class ArenaArchive(Source):
    name = "arena-archive"
    credit = Credit(
        "LMSYS / LMArena Chatbot Arena text leaderboard",
        "scrapes in fboulnois/llm-leaderboard-csv and the Hugging Face Space lmarena-ai/chatbot-arena-leaderboard",
        "repo MPL-2.0; the Space says apache-2.0",
    )
    leaderboard = "arena-text"
    core_table = ENTRIES_TABLE
    description = "Chatbot Arena text leaderboard, archived tables (2023-06 to 2025-08)"

    def default_location(self) -> str:
        return str(DATA_DIR / "leaderboards" / "arena_archive")

    def discover(self, location: str) -> list[SnapshotRef]:
        return dated(discover_files(self.name, location))

    def fetch(self, ref: SnapshotRef) -> bytes:
        return read_bytes(ref, self.limits)

    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        return parse_arena_csv(raw, ref.snapshot_date or snapshot_date_from_name(ref.key.rsplit("/", 1)[-1]))

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan:
        return suite.plan(frame, suite.ArenaContext(today=context.today, min_rows=half_of_previous(context)))

    def series(self, key: str) -> str:
        """Each folder is its own series: the lmarena text table is not compared with the LMSYS one."""
        return key.rsplit("/", 1)[0] + "/" if "/" in key else ""
