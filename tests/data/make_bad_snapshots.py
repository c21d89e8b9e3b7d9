"""Make the bad snapshots used by the gate tests, each derived from a real bundled file.

Run from the project root: `uv run python tests/data/make_bad_snapshots.py`. The outputs are
committed so a reviewer can open them; re-running rewrites them identically.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "data" / "leaderboards" / "open_llm_v2_archive" / "scraped" / "2024-08-01.csv"
OUT = Path(__file__).resolve().parent / "bad_snapshots"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    raw = REAL.read_bytes()
    text = raw.decode()

    # 1. Download cut mid-row: the bytes stop in the middle of line 301.
    lines = text.splitlines(keepends=True)
    cut = "".join(lines[:300]) + lines[300][: len(lines[300]) // 2]
    (OUT / "truncated_mid_row.csv").write_text(cut)

    # 2. A renamed column: `ifeval` became `ifeval_score` (what an upstream rename looks like).
    header, rest = text.split("\n", 1)
    renamed = header.replace(",ifeval,", ",ifeval_score,", 1)
    (OUT / "renamed_column.csv").write_text(renamed + "\n" + rest)

    # 3. Scores multiplied by 100 (a unit slip: percentages of percentages).
    rows = list(csv.reader(io.StringIO(text)))
    score_cols = [
        i
        for i, name in enumerate(rows[0])
        if name in {"average", "ifeval", "bbh", "math_lvl_5", "gpqa", "musr", "mmlupro"}
    ]
    for row in rows[1:]:
        for i in score_cols:
            row[i] = f"{float(row[i]) * 100:.2f}"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (OUT / "scores_times_100.csv").write_text(buffer.getvalue())

    # 4. An empty file (a fetch that wrote nothing).
    (OUT / "empty.csv").write_bytes(b"")

    # 5. An HTML error page saved under the snapshot's name.
    (OUT / "html_error_page.csv").write_text(
        "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
        "<body><h1>502 Bad Gateway</h1><p>The upstream server returned an invalid response.</p></body></html>\n"
    )

    # 6. Every row duplicated (a scraper that appended its table twice).
    (OUT / "every_row_duplicated.csv").write_text(header + "\n" + rest + rest)


if __name__ == "__main__":
    main()
