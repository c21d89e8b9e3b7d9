"""`arena-daily`: the Arena text leaderboard's daily JSON feed (2026 on), `<date>/text.json`.

Location, either:
- a folder of `<YYYY-MM-DD>/text.json` files (default: the bundled copy, 2026-03-19 -> 04-08);
- a base URL under which the feed publishes `<base>/<YYYY-MM-DD>/text.json` (upstream:
  https://raw.githubusercontent.com/oolong-tea-2026/arena-ai-leaderboards/main/data). The feed
  has no index, so the last LOOKBACK_DAYS days up to today are asked for ($AIGAP_ARENA_DAILY_LOOKBACK_DAYS
  overrides; a day with no edition answers 404 and is simply not there yet). Requests are
  conditional (If-None-Match / If-Modified-Since with the validators of the key's last load): an
  unchanged day costs one empty 304 and is skipped. Upstream rewrites a day's file when it
  re-fetches that day, so re-asking recent days matters.

The snapshot date is the date in the path (the day the feed fetched the leaderboard); the
leaderboard's own `last_updated` (sometimes null) is kept in the load details. The feed lists the
top N models, N varying from 20 to 71 between days, so its size floor is MIN_ROWS, not half the
previous snapshot.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from urllib.parse import urlparse

import polars as pl

from aigap.config import DATA_DIR
from expectations import arena as suite
from expectations.gate import GateReport
from sources import http
from sources.arena_archive import dated
from sources.base import GateContext, ParsedSnapshot, SnapshotRef, SnapshotUnavailable, Source, local_path
from sources.files import discover_files, read_bytes
from transforms.arena import normalise_daily_json
from transforms.open_llm_v2 import snapshot_date_from_name

FILE_NAME = "text.json"
LOOKBACK_DAYS = 7
LOOKBACK_ENV = "AIGAP_ARENA_DAILY_LOOKBACK_DAYS"
MIN_ROWS = 10  # the feed's top-N list has had 20 to 71 rows


def _today() -> date:
    return date.today()


def lookback_days() -> int:
    return int(os.environ.get(LOOKBACK_ENV) or LOOKBACK_DAYS)


class ArenaDaily(Source):
    name = "arena-daily"
    leaderboard = "arena-text"
    core_table = "core.arena_entries"
    description = "Arena text leaderboard, daily JSON feed (2026 on; bundled 2026-03-19 to 04-08)"
    conditional_fetch = True

    def default_location(self) -> str:
        return str(DATA_DIR / "leaderboards" / "arena_daily")

    def discover(self, location: str) -> list[SnapshotRef]:
        if local_path(location) is not None:
            return dated(discover_files(self.name, location, FILE_NAME))
        if urlparse(location).path.endswith(".json"):  # one edition's URL
            key = "/".join(urlparse(location).path.rsplit("/", 2)[-2:])
            return dated([SnapshotRef(self.name, key, location)])
        base, today = location.rstrip("/"), _today()
        days = [today - timedelta(days=n) for n in range(lookback_days(), -1, -1)]
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
            return http.Fetched(read_bytes(ref), None, None, 200)
        validators = validators or {}
        try:
            return http.fetch(ref.location, etag=validators.get("etag"), last_modified=validators.get("last_modified"))
        except http.FetchError as exc:
            if exc.status == 404:
                raise SnapshotUnavailable(f"no edition at {ref.location} (HTTP 404)") from exc
            raise

    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        snapshot_date = ref.snapshot_date or snapshot_date_from_name(ref.key)
        frame, details = normalise_daily_json(raw)
        return ParsedSnapshot(frame.with_columns(pl.lit(snapshot_date).alias("snapshot_date")), snapshot_date, details)

    def gate(self, frame: pl.DataFrame, context: GateContext) -> GateReport:
        return suite.gate_entries(frame, suite.ArenaContext(today=context.today, min_rows=MIN_ROWS))
