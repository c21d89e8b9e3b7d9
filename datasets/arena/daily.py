"""`arena-daily`: every Arena board's daily JSON feed (2026 on), `<date>/<board>.json`.

One file is one snapshot: one board (`text`, `vision`, `code-webdev`, `text-to-video` ...: the boards
datasets/arena/board.py declares, each its own leaderboard `arena-<board>`) on one date. The day's
`_index.json` (each board's model count and the collector's errors) is not read: every board file
carries the same count in its own `meta.model_count`, which the parser checks against its rows, and
a board missing on a day is simply a day without that snapshot (marts.snapshot_holes).

Location, either:
- a folder of `<YYYY-MM-DD>/<board>.json` files (default: the bundled copy, every board,
  2026-03-19 -> 08-08);
- a base URL under which the feed publishes `<base>/<YYYY-MM-DD>/<board>.json` (upstream:
  https://raw.githubusercontent.com/oolong-tea-2026/arena-ai-leaderboards/main/data). The feed's
  index is not used, so every declared board of the last 7 days up to today is asked for ($AIGAP_ARENA_DAILY_LOOKBACK_DAYS
  overrides; a day with no edition answers 404 and is simply not there yet). Requests are
  conditional (If-None-Match / If-Modified-Since with the validators of the key's last load): an
  unchanged day costs one empty 304 and is skipped. Upstream rewrites a day's file when it
  re-fetches that day, so re-asking recent days matters.

Dating (`ArenaDaily.snapshot_date`): the snapshot date is the date in the path, `<YYYY-MM-DD>/<board>.json`
(the day the feed fetched the leaderboard), for a folder and for a URL alike; a URL without a date
in its path is dated by the feed's own `meta.fetched_at`. Where both exist they must agree (within a
day: time zones); a file that cannot be dated, or whose path and content disagree, is quarantined.
The server's Last-Modified is never a date of the data. The leaderboard's own `last_updated`
(sometimes null) is kept in the load details. Until 2026-07-15 the feed lists each board's top N
models, N varying between days (10 to 71 on text), so its size floor is MIN_ROWS, not half the
previous snapshot (the gate never compares one board's size with another's).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import PurePosixPath
from urllib.parse import urlparse

import polars as pl

from common import http, settings
from common.errors import SnapshotRejected
from common.gate import GatePlan
from common.settings import DATA_DIR
from datasets.arena import checks as suite
from datasets.arena.board import ARENA_BOARDS
from datasets.arena.parse import normalise_daily_json
from datasets.base import Credit, GateContext, ParsedSnapshot, SnapshotRef, SnapshotUnavailable, Source, local_path
from datasets.files import Discovery, dated, discover_files, read_bytes

FILE_NAME = "text.json"  # the text board's file
INDEX_FILE = "_index.json"  # the collector's day index: not a board (see above)
MIN_ROWS = 3  # a board's list has had 3 (video-edit) to 394 rows
DATE_TOLERANCE = timedelta(days=1)  # a path dated before meta.fetched_at (a fetch near midnight, another time zone)


def board_of(key: str) -> str | None:
    """`2026-03-19/text-to-video.json` -> `text-to-video`: the board is the file's name; a file not named
    for a board (`latest.json`) says which board it is in its own meta.leaderboard (None here)."""
    stem = PurePosixPath(key).stem
    return stem if stem in ARENA_BOARDS else None


def folder_of(key: str) -> str:
    """`2026-03-19/text.json` -> `2026-03-19`: the edition's date is the folder holding it."""
    return PurePosixPath(key).parent.name


def content_date(details: dict) -> date | None:
    """The day the feed says it fetched the leaderboard (`meta.fetched_at`), if it says so readably."""
    fetched_at = details.get("fetched_at")
    if not isinstance(fetched_at, str):
        return None
    try:
        return datetime.fromisoformat(fetched_at).date()
    except ValueError:
        return None


def _today() -> date:
    return date.today()


class ArenaDaily(Source):
    name = "arena-daily"
    credit = Credit(
        "Arena AI leaderboards (arena.ai)",
        "daily JSON in oolong-tea-2026/arena-ai-leaderboards and its fork aabao325/arena-ai-leaderboards",
        "MIT",
    )
    leaderboard = "arena-text"  # and every other board of the feed (datasets/arena/board.py)
    core_table = "core.arena_entries"
    description = "Arena leaderboards, every board, daily JSON feed (2026 on; bundled 2026-03-19 to 08-08)"
    conditional_fetch = True
    limits = http.Limits(deadline_seconds=120.0, max_bytes=5 * 2**20)  # a day's file is 5-20 kB

    def default_location(self) -> str:
        return str(DATA_DIR / "leaderboards" / "arena_daily")

    def discover(self, location: str) -> list[SnapshotRef]:
        if local_path(location) is not None:
            found = discover_files(self.name, location, "*.json")
            boards = [ref for ref in found if PurePosixPath(ref.key).name != INDEX_FILE]
            skipped = Discovery(boards, found.skipped)
            for _ in range(len(found) - len(boards)):
                skipped.skip(f"the day's {INDEX_FILE} (not a board)")
            return dated(skipped, folder_of)
        http.check_url(location)
        if urlparse(location).path.endswith(".json"):  # one edition's URL
            key = "/".join(urlparse(location).path.strip("/").split("/")[-2:])
            return dated(Discovery([SnapshotRef(self.name, key, location)]), folder_of)
        base, today = location.rstrip("/"), _today()
        days = [today - timedelta(days=n) for n in range(settings.arena_daily_lookback_days(), -1, -1)]
        return [
            SnapshotRef(self.name, f"{d.isoformat()}/{board}.json", f"{base}/{d.isoformat()}/{board}.json", d)
            for d in days
            for board in ARENA_BOARDS
        ]

    def fetch(self, ref: SnapshotRef) -> bytes:
        fetched = self.fetch_conditional(ref, None)
        assert fetched.content is not None
        return fetched.content

    def fetch_conditional(self, ref: SnapshotRef, validators: dict | None) -> http.Fetched:
        if local_path(ref.location) is not None:
            return http.Fetched(read_bytes(ref, self.limits), None, None, 200)
        validators = validators or {}
        try:
            return http.fetch(
                ref.location,
                etag=validators.get("etag"),
                last_modified=validators.get("last_modified"),
                limits=self.limits,
            )
        except http.FetchError as exc:
            if exc.status == 404:
                raise SnapshotUnavailable(f"no edition at {ref.location} (HTTP 404)") from exc
            raise

    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        frame, details = normalise_daily_json(raw, board_of(ref.key))
        snapshot_date = self.snapshot_date(ref, details)
        return ParsedSnapshot(frame.with_columns(pl.lit(snapshot_date).alias("snapshot_date")), snapshot_date, details)

    @staticmethod
    def snapshot_date(ref: SnapshotRef, details: dict) -> date:
        """The date in the path, else the feed's meta.fetched_at; both, when present, must agree, with
        one exception: a file the feed fetched BEFORE the day it is filed under is that earlier day's
        snapshot carried over (the collector keeps the last good text board when a fetch comes back
        short: its `_index.json` says so, e.g. 2026-07-30 and 07-31 hold the text board fetched on
        07-29), so it is dated by its content and its rows count once (an identical copy is skipped)."""
        in_path, in_content = ref.snapshot_date, content_date(details)
        if in_path and in_content and in_path > in_content:
            details["carried_over"] = f"filed under {in_path}, fetched on {in_content}: dated by its content"
            return in_content
        if in_path and in_content and abs(in_path - in_content) > DATE_TOLERANCE:
            raise SnapshotRejected(
                [{"check": "snapshot_date", "reason": f"the path says {in_path} but the feed says it fetched the "
                  f"leaderboard on {in_content} (meta.fetched_at): which day is it?"}]
            )  # fmt: skip
        if in_path or in_content:
            return in_path or in_content
        raise SnapshotRejected(
            [{"check": "snapshot_date", "reason": f"cannot date {ref.key!r}: no date in its path "
              "(<YYYY-MM-DD>/<board>.json) and no meta.fetched_at in the feed"}]
        )  # fmt: skip

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan:
        return suite.entries_plan(frame, suite.ArenaContext(today=context.today, min_rows=MIN_ROWS))
