"""The date a file's name gives (`2024-07-13.csv`, `leaderboard_20240713.csv`)."""

from __future__ import annotations

import re
from datetime import date

from common.errors import SnapshotRejected

_DATE_IN_NAME = re.compile(r"(20\d\d)-?(\d\d)-?(\d\d)")


def snapshot_date_from_name(name: str) -> date:
    """`2024-07-13.csv`, `leaderboard_20240713.csv` ... -> date; a name without a date is rejected."""
    match = _DATE_IN_NAME.search(name)
    if not match:
        raise SnapshotRejected(
            [{"check": "snapshot_date", "reason": f"no date in file name {name!r}: name it YYYY-MM-DD.csv"}]
        )
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise SnapshotRejected([{"check": "snapshot_date", "reason": f"bad date in {name!r}: {exc}"}]) from exc
