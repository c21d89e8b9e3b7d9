"""An analyst's process that reads the warehouse continuously while runs write it (tests/test_team.py).

Every read is one transaction: which snapshot it sees, and whether that snapshot is whole: the
ledger one row per load, every published load's rows all present in its core table, no core row
of a load that is not published. Every tenth session is kept open across reads, as a notebook
would. Until STOP exists; then writes what it saw to OUT (JSON).

    python tests/lake_reader.py WAREHOUSE STOP OUT
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from warehouse import connection, publishing  # noqa: E402

CHECKS = {
    "ledger_rows_per_load": "SELECT count(*) FROM (SELECT load_id FROM meta.loads GROUP BY 1 HAVING count(*) > 1)",
    "rows_of_unpublished_loads": """
        SELECT count(*) FROM ({union}) c WHERE load_id NOT IN (SELECT load_id FROM meta.loads WHERE status = 'published')
    """,
    "published_loads_with_missing_rows": """
        SELECT count(*) FROM meta.loads l LEFT JOIN (SELECT load_id, count(*) AS n FROM ({union}) GROUP BY 1) c
        USING (load_id) WHERE l.status = 'published' AND coalesce(c.n, 0) <> l.rows_published
    """,
}


def read_once(con, tables: list[str]) -> dict:
    union = " UNION ALL ".join(f"SELECT load_id FROM {t}" for t in tables)
    con.execute("BEGIN TRANSACTION")
    try:
        snapshot = con.execute("SELECT id FROM lake.current_snapshot()").fetchone()[0]
        found = {name: con.execute(sql.format(union=union)).fetchone()[0] for name, sql in CHECKS.items()}
        gap = con.execute(
            "SELECT count(*), md5(coalesce(string_agg(g::VARCHAR, '|' ORDER BY g::VARCHAR), '')) FROM marts.gap g"
        )
        rows, digest = gap.fetchone()
        loads = con.execute("SELECT count(*) FROM meta.loads WHERE status = 'published'").fetchone()[0]
    finally:
        con.execute("COMMIT")
    return {"snapshot": snapshot, "bad": {k: v for k, v in found.items() if v}, "gap_rows": rows, "gap_md5": digest,
            "published": loads}  # fmt: skip


def main(warehouse: Path, stop: Path, out: Path) -> None:
    seen, errors, reads, kept = [], [], 0, None
    while not stop.exists():
        try:
            if kept is None or reads % 10 == 0:
                if kept is not None:
                    kept.__exit__(None, None, None)
                kept = connection.connect(warehouse, read_only=True)
                con = kept.__enter__()
                tables = publishing.core_tables(con)
            seen.append(read_once(con, tables))
        except Exception:
            errors.append(traceback.format_exc(limit=3))
            kept = None
        reads += 1
        time.sleep(0.05)
    out.write_text(json.dumps({"reads": reads, "errors": errors, "seen": seen}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
