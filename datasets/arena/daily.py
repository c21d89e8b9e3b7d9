"""`arena-daily`: the Arena text leaderboard's daily JSON feed (2026 on), `<date>/text.json`.

Location, either:
- a folder of `<YYYY-MM-DD>/text.json` files (default: the bundled copy, 2026-03-19 -> 04-08);
- a base URL under which the feed publishes `<base>/<YYYY-MM-DD>/text.json` (upstream:
  https://raw.githubusercontent.com/oolong-tea-2026/arena-ai-leaderboards/main/data). The feed
  has no index, so the last 7 days up to today are asked for ($AIGAP_ARENA_DAILY_LOOKBACK_DAYS
  overrides; a day with no edition answers 404 and is simply not there yet). Requests are
  conditional (If-None-Match / If-Modified-Since with the validators of the key's last load): an
  unchanged day costs one empty 304 and is skipped. Upstream rewrites a day's file when it
  re-fetches that day, so re-asking recent days matters.

Dating (`ArenaDaily.snapshot_date`): the snapshot date is the date in the path, `<YYYY-MM-DD>/text.json`
(the day the feed fetched the leaderboard), for a folder and for a URL alike; a URL without a date
in its path is dated by the feed's own `meta.fetched_at`. Where both exist they must agree (within a
day: time zones); a file that cannot be dated, or whose path and content disagree, is quarantined.
The server's Last-Modified is never a date of the data. The leaderboard's own `last_updated`
(sometimes null) is kept in the load details. The feed lists the top N models, N varying from 20
to 71 between days, so its size floor is MIN_ROWS, not half the previous snapshot.
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
from datasets.arena.parse import normalise_daily_json
from datasets.base import Credit, GateContext, ParsedSnapshot, SnapshotRef, SnapshotUnavailable, Source, local_path
from datasets.files import Discovery, dated, discover_files, read_bytes

FILE_NAME = "text.json"
MIN_ROWS = 10  # the feed's top-N list has had 20 to 71 rows
DATE_TOLERANCE = timedelta(days=1)  # path date vs meta.fetched_at (a fetch near midnight, another time zone)


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
        "Arena AI text leaderboard (arena.ai)", "daily JSON in oolong-tea-2026/arena-ai-leaderboards", "MIT"
    )
    leaderboard = "arena-text"
    core_table = "core.arena_entries"
    description = "Arena text leaderboard, daily JSON feed (2026 on; bundled 2026-03-19 to 04-08)"
    conditional_fetch = True
    limits = http.Limits(deadline_seconds=120.0, max_bytes=5 * 2**20)  # a day's file is 5-20 kB

    def default_location(self) -> str:
        return str(DATA_DIR / "leaderboards" / "arena_daily")

    def discover(self, location: str) -> list[SnapshotRef]:
        if local_path(location) is not None:
            return dated(discover_files(self.name, location, FILE_NAME), folder_of)
        http.check_url(location)
        if urlparse(location).path.endswith(".json"):  # one edition's URL
            key = "/".join(urlparse(location).path.strip("/").split("/")[-2:])
            return dated(Discovery([SnapshotRef(self.name, key, location)]), folder_of)
        base, today = location.rstrip("/"), _today()
        days = [today - timedelta(days=n) for n in range(settings.arena_daily_lookback_days(), -1, -1)]
        return [
            SnapshotRef(self.name, f"{d.isoformat()}/{FILE_NAME}", f"{base}/{d.isoformat()}/{FILE_NAME}", d)
            for d in days
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
        frame, details = normalise_daily_json(raw)
        snapshot_date = self.snapshot_date(ref, details)
        return ParsedSnapshot(frame.with_columns(pl.lit(snapshot_date).alias("snapshot_date")), snapshot_date, details)

    @staticmethod
    def snapshot_date(ref: SnapshotRef, details: dict) -> date:
        """The date in the path, else the feed's meta.fetched_at; both, when present, must agree."""
        in_path, in_content = ref.snapshot_date, content_date(details)
        if in_path and in_content and abs(in_path - in_content) > DATE_TOLERANCE:
            raise SnapshotRejected(
                [{"check": "snapshot_date", "reason": f"the path says {in_path} but the feed says it fetched the "
                  f"leaderboard on {in_content} (meta.fetched_at): which day is it?"}]
            )  # fmt: skip
        if in_path or in_content:
            return in_path or in_content
        raise SnapshotRejected(
            [{"check": "snapshot_date", "reason": f"cannot date {ref.key!r}: no date in its path "
              "(<YYYY-MM-DD>/text.json) and no meta.fetched_at in the feed"}]
        )  # fmt: skip

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan:
        return suite.entries_plan(frame, suite.ArenaContext(today=context.today, min_rows=MIN_ROWS))
