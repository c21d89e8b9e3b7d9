"""The extra check for leaderboard tables read from the Hub datasets' parquet.

Their boolean columns are read as published (datasets/open_llm/v2.py says why). The display
table of the same leaderboard inverts `Flagged` (every row flagged, where the maintainers flag a
handful): a parquet where more than half the rows say flagged is quarantined with that reason,
rather than published with its flags upside down or silently "corrected".
"""

from __future__ import annotations

MAX_FLAGGED_SHARE = 0.5


def flagged_guard(E) -> list:
    return [E.ExpectColumnValuesToBeInSet(column="flagged", value_set=[False], mostly=1 - MAX_FLAGGED_SHARE)]
