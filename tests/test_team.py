"""A team's set-up, for real: PostgreSQL (catalog and Prefect database), `prefect server start` on
it, `aigap setup --team`, `prefect deploy --all`, and two process workers, each in its own folder
with its own AIGAP_WAREHOUSE (as if on two machines): they share only the catalog, the data path and
the Prefect server. Runs of several sources (one of them twice, so two runs race for the same
content) go at once while a reader process queries the lake continuously.

Checked: every load is in the ledger exactly once and published once; the reader never failed nor
saw a snapshot with a load half there; the marts equal those of one sequential run of the same
sources; `aigap sql --as-of` reproduces the marts.gap an earlier run left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ARCHIVE, ROOT
from postgres_server import REQUIRE_ENV, PostgresServer, binaries
from prefect_stack import PrefectStack, free_port

pytestmark = pytest.mark.team  # `uv run pytest -m team` (.ci/run runs it after the suite)

V2 = "open-llm-v2-archive"
FUNDING = "funding-ai-index"
FIRST, SECOND = "scraped/2024-07-13.csv", "scraped/2024-08-30.csv"  # the two smallest real snapshots
AIGAP = Path(sys.executable).with_name("aigap")
GAP_DIGEST = "SELECT md5(coalesce(string_agg(g::VARCHAR, '|' ORDER BY g::VARCHAR), '')) FROM marts.gap g"


def _folder(path: Path, keys: tuple[str, ...]) -> str:
    for key in keys:
        (path / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARCHIVE / key, path / key)
    return str(path)


def run_on(stack: PrefectStack, queue: str, deployment: str, parameters: dict) -> str:
    """A run of a deployment on one worker's work queue (each worker polls its own)."""
    found = stack.get(f"/deployments/name/aigap-pipeline/{deployment}")
    body = {"parameters": parameters, "work_queue_name": queue}
    return stack._request("POST", f"/deployments/{found['id']}/create_flow_run", body, retry_timeouts=False)["id"]


class Team:
    """What the tests read after the runs."""

    def __init__(self, home: Path, stack: PrefectStack, lake_env: dict):
        self.home, self.stack, self.lake_env = home, stack, lake_env
        self.warehouse = home / "test-reader" / "aigap.ducklake"  # the reader's own folder: catalog and data shared

    def sql(self, query: str, *args: str) -> str:
        done = subprocess.run(
            [str(AIGAP), "sql", "--warehouse", str(self.warehouse), *args, "-csv", "-noheader", "-c", query],
            capture_output=True, text=True, timeout=120, check=False, env={**os.environ, **self.lake_env},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def rows(self, query: str) -> list[tuple]:
        return [tuple(line.split(",")) for line in self.sql(query).splitlines()]


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    if binaries() is None:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail("PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does)")
        pytest.skip("PostgreSQL is not installed (apt-get install -y postgresql; .ci/run installs it)")
    home = tmp_path_factory.mktemp("team")
    postgres = PostgresServer(free_port()).start()
    try:
        postgres.create_database("aigap_catalog")
        postgres.create_database("prefect")
        lake_env = {
            "AIGAP_CATALOG": "postgres:" + postgres.libpq("aigap_catalog"),
            "AIGAP_DATA_PATH": str(home / "shared" / "lake"),
        }
        stack = PrefectStack(home / "stack")
        stack.env["PREFECT_API_DATABASE_CONNECTION_URL"] = postgres.sqlalchemy("prefect")
        with stack:
            stack.start_server()
            stack.setup_output = stack.run(
                "setup", *stack.aigap("setup", "--team", "--concurrent-runs", "4"),
                env={**lake_env, "AIGAP_WAREHOUSE": str(home / "admin" / "aigap.ducklake")},
            )  # fmt: skip
            stack.run("deploy", *stack.prefect("--no-prompt", "deploy", "--all"), timeout=300)
            for name in ("worker-a", "worker-b"):
                folder = home / name
                folder.mkdir()
                env = {**lake_env, "AIGAP_WAREHOUSE": str(folder / "warehouse" / "aigap.ducklake")}
                stack.start(
                    name, *stack.prefect("worker", "start", "--pool", "aigap", "--name", name, "--work-queue", name),
                    cwd=folder, env=env,
                )  # fmt: skip
            team = Team(home, stack, lake_env)
            data = home / "data"
            first_only = _folder(data / "first", (FIRST,))
            both = _folder(data / "both", (FIRST, SECOND))

            # an earlier run, alone: what its marts.gap was, read the ordinary way right after it
            team.first_run = run_on(stack, "worker-a", "backfill", {"only": [V2], "locations": {V2: first_only}})
            team.first = stack.wait_finished([team.first_run], timeout=300)[team.first_run]
            team.gap_after_first = team.sql(GAP_DIGEST)

            # runs at once, two of them racing for the same content, while a reader reads
            stop, seen = home / "reader.stop", home / "reader.json"
            reader = stack.start(
                "reader", sys.executable, str(ROOT / "tests" / "lake_reader.py"), str(team.warehouse), str(stop),
                str(seen), env=lake_env,
            )  # fmt: skip
            team.concurrent = [
                run_on(stack, "worker-a", "backfill", {"only": [V2], "locations": {V2: both}}),
                run_on(stack, "worker-b", "backfill", {"only": [V2], "locations": {V2: both}}),
                run_on(stack, "worker-b", "monthly-funding", {"only": [FUNDING]}),
            ]
            team.finished = stack.wait_finished(team.concurrent, timeout=600)
            stop.touch()
            reader.wait(timeout=120)
            team.reader = json.loads(seen.read_text())

            # the same sources in one sequential run, into a warehouse of its own (a plain DuckDB file)
            team.sequential_warehouse = home / "sequential" / "aigap.duckdb"
            sequential = run_on(
                stack, "worker-a", "backfill",
                {"only": [V2, FUNDING], "locations": {V2: both}, "warehouse": str(team.sequential_warehouse)},
            )  # fmt: skip
            team.sequential = stack.wait_finished([sequential], timeout=300)[sequential]
            yield team
    finally:
        postgres.stop()


def test_setup_team_prepares_the_shared_lake_and_the_limits(team):
    assert "concurrency limit 'aigap-warehouse-writer' (4 slots" in team.stack.setup_output
    assert "concurrency limit 'aigap-marts-refresh' (1 slot" in team.stack.setup_output
    assert "DuckLake, catalog postgres:dbname=aigap_catalog" in team.stack.setup_output
    assert team.stack.get("/v2/concurrency_limits/aigap-marts-refresh")["limit"] == 1


def test_concurrent_runs_of_two_workers_publish_every_load_exactly_once(team):
    runs = [team.first, *team.finished.values()]
    assert [r["state_type"] for r in runs] == ["COMPLETED"] * 4, [r["state"]["message"] for r in runs]
    spans = sorted((r["start_time"], r["end_time"]) for r in team.finished.values())
    assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False)), "runs did not overlap"
    # one ledger row per content, every load published
    assert team.rows("SELECT count(*), count(DISTINCT (source, snapshot_key, content_sha256)) FROM meta.loads") == [
        (n := team.rows("SELECT count(*) FROM meta.loads")[0][0], n)
    ]
    assert team.rows("SELECT DISTINCT status FROM meta.loads") == [("published",)]
    assert team.rows(f"SELECT snapshot_key FROM meta.loads WHERE source = '{V2}' ORDER BY 1") == [(FIRST,), (SECOND,)]
    assert int(team.rows(f"SELECT count(*) FROM meta.loads WHERE source = '{FUNDING}'")[0][0]) >= 1
    # the two racing runs: the second snapshot was published by exactly one of them
    published = team.rows(
        f"SELECT json_extract_string(summary, '$.counts.\"{V2}\".published') FROM meta.runs "
        f"WHERE json_extract_string(summary, '$.counts.\"{V2}\".published') IS NOT NULL ORDER BY 1"
    )
    assert sorted(int(p) for (p,) in published) == [0, 1, 1]  # first run: FIRST; racing runs: SECOND once
    # the rows: each published load's rows once
    assert team.rows(
        "SELECT count(*) FROM meta.loads l JOIN (SELECT load_id, count(*) AS n FROM core.open_llm_v2_entries "
        "GROUP BY 1) c USING (load_id) WHERE c.n <> l.rows_published"
    ) == [("0",)]
    # both workers took runs (each polls its own queue), each working in its own folder
    assert {r["work_queue_name"] for r in team.finished.values()} == {"worker-a", "worker-b"}
    for name in ("worker-a", "worker-b"):
        assert (team.home / name / "warehouse" / "reports" / "gap-report.md").is_file(), name


def test_the_reader_never_failed_nor_saw_a_partial_snapshot(team):
    reader = team.reader
    assert reader["errors"] == []
    assert reader["reads"] >= 20 and len(reader["seen"]) == reader["reads"]
    assert [s for s in reader["seen"] if s["bad"]] == []
    snapshots = [s["snapshot"] for s in reader["seen"]]
    assert snapshots == sorted(snapshots) and len(set(snapshots)) >= 3  # it saw the runs' commits as they came
    assert len({s["published"] for s in reader["seen"]}) >= 2


def test_the_marts_equal_those_of_one_sequential_run(team):
    assert team.sequential["state_type"] == "COMPLETED", team.sequential["state"]["message"]
    env = {**os.environ, **team.lake_env}
    script = f"""
import sys, duckdb
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from warehouse import connection
with connection.connect(Path({str(team.warehouse)!r}), read_only=True) as con:
    con.execute("ATTACH '{team.sequential_warehouse}' AS seq (READ_ONLY)")
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'seq' "
                                         "AND table_schema = 'marts' AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
    for t in tables:
        a = con.execute(f"SELECT count(*) FROM (FROM marts.{{t}} EXCEPT ALL FROM seq.marts.{{t}})").fetchone()[0]
        b = con.execute(f"SELECT count(*) FROM (FROM seq.marts.{{t}} EXCEPT ALL FROM marts.{{t}})").fetchone()[0]
        n = con.execute(f"SELECT count(*) FROM marts.{{t}}").fetchone()[0]
        print(t, a, b, n)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    compared = [line.split() for line in done.stdout.splitlines()]
    assert len(compared) >= 8
    assert [(t, a, b) for t, a, b, _ in compared if (a, b) != ("0", "0")] == []
    assert int(dict((t, n) for t, _, _, n in compared)["gap"]) > 0


def test_as_of_the_first_run_reproduces_its_marts_gap(team):
    assert team.sql(GAP_DIGEST) != team.gap_after_first  # the marts moved on since
    assert team.sql(GAP_DIGEST, "--as-of", team.first_run) == team.gap_after_first
    status = subprocess.run(
        [str(AIGAP), "status", "--warehouse", str(team.warehouse), "--json"],
        capture_output=True, text=True, timeout=120, check=False, env={**os.environ, **team.lake_env},
    )  # fmt: skip
    runs = json.loads(status.stdout)["runs"]
    assert team.first_run in {r["run_id"] for r in runs if r["snapshot_id"] is not None}
