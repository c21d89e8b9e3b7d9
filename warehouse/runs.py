"""Run records (meta.runs)."""

from __future__ import annotations

import json

from warehouse import lake
from warehouse.connection import in_transaction, is_lake


def save_run(con, run_id: str, started_at, finished_at, state: str, summary_json: str) -> None:
    """Record a run in meta.runs (its row replaced if the run is recorded again). In a DuckLake the
    commit is labelled with the run id, so `aigap sql --as-of RUN` finds the snapshot it left."""

    def write() -> None:
        con.execute("DELETE FROM meta.runs WHERE run_id = ?", [run_id])
        con.execute(
            "INSERT INTO meta.runs (run_id, started_at, finished_at, state, summary) VALUES (?, ?, ?, ?, ?)",
            [run_id, started_at, finished_at, state, summary_json],
        )
        if is_lake(con):
            con.execute(
                f"CALL {lake.ALIAS}.set_commit_message('aigap', ?, extra_info => ?)",
                [f"run {run_id}", json.dumps({"run_id": run_id})],
            )

    in_transaction(con, write)
