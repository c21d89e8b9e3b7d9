"""Make the bad Arena snapshots used by the gate tests, each derived from a real bundled file.

Run from the project root: `uv run python tests/data/make_bad_arena.py`. The outputs are
committed so a reviewer can open them; re-running rewrites them identically.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARENA = ROOT / "data" / "leaderboards" / "arena_archive"
SCRAPED = ARENA / "scraped" / "2024-11-05.csv"
DAILY = ROOT / "data" / "leaderboards" / "arena_daily" / "2026-03-25" / "text.json"
OUT = Path(__file__).resolve().parent / "bad_arena"


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(), newline="")))


def write_rows(name: str, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (OUT / name).write_text(buffer.getvalue())


def main() -> None:
    OUT.mkdir(exist_ok=True)
    rows = rows_of(SCRAPED)
    header = rows[0]
    score, ci, votes, rank = (header.index(c) for c in ("arena_score", "95_pct_ci", "votes", "rank"))

    # 1. Scores multiplied by 10 (a unit slip in a scraper).
    write_rows(
        "scores_times_10.csv", [header] + [[*r[:score], str(int(r[score]) * 10), *r[score + 1 :]] for r in rows[1:]]
    )

    # 2. The rank column shifted by one row against the scores (a misaligned scrape).
    ranks = [r[rank] for r in rows[1:]]
    shifted = ranks[1:] + ranks[:1]
    write_rows(
        "ranks_misaligned.csv",
        [header] + [[*r[:rank], k, *r[rank + 1 :]] for r, k in zip(rows[1:], shifted, strict=True)],
    )

    # 3. The CI column garbled: `+5/-4` became `5 4` (a separator lost by a scraper).
    write_rows(
        "ci_garbled.csv",
        [header] + [[*r[:ci], r[ci].replace("+", "").replace("/-", " "), *r[ci + 1 :]] for r in rows[1:]],
    )

    # 4. Votes zeroed (a page rendered before the counts loaded).
    write_rows("votes_zero.csv", [header] + [[*r[:votes], "0", *r[votes + 1 :]] for r in rows[1:]])

    # 5. The score column renamed (what an upstream rename looks like).
    write_rows("renamed_score.csv", [[("elo_rating" if c == "arena_score" else c) for c in header]] + rows[1:])

    # 6. One model's score left empty (a cell lost by a scraper): not to be mistaken for "no Arena score".
    blanked = [list(r) for r in rows]
    blanked[5][score] = ""
    write_rows("score_missing.csv", blanked)

    # 7. The daily feed cut short mid-way (a truncated download: no longer valid JSON).
    text = DAILY.read_text()
    (OUT / "daily_truncated.json").write_text(text[: len(text) // 2])

    # 8. The daily feed with models missing: `models` shorter than its own `meta.model_count`.
    feed = json.loads(text)
    feed["models"] = feed["models"][:12]
    (OUT / "daily_fewer_models_than_declared.json").write_text(json.dumps(feed, indent=2))


if __name__ == "__main__":
    main()
