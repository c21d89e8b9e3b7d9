"""Shared fixtures: one Prefect test harness per session, warehouses on tmp paths."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from aigap.bytecode import ensure_compiled
from warehouse import connection, schema

ensure_compiled()  # the Prefect servers and workers the tests start import from compiled bytecode
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "data" / "leaderboards" / "open_llm_v2_archive"
BAD = Path(__file__).resolve().parent / "data" / "bad_snapshots"


def _ranked() -> list[str]:
    from datasets import leaderboards

    return sorted(name for name, board in leaderboards().items() if not board.unranked)


RANKED = _ranked()  # every leaderboard with a gap, a chart and a line in the report


def query(warehouse, sql: str) -> list[tuple]:
    """Rows of a read-only query on a warehouse file (as an analyst would run it)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- two workers (pytest-xdist: `-n 2 --dist loadgroup` in pyproject.toml) ---------------------------
# Each worker is a session of its own: a session or module fixture is built on every worker that
# runs a test using it. So the tests that share an expensive fixture run on one worker: those of the
# bundled warehouse (built once, minutes), and those of a module with a module-scoped fixture (the
# real Prefect stack of tests/test_prefect_server.py ...). The rest are spread test by test.
ONE_WORKER_FIXTURES = {"bundled_run": "bundled-warehouse"}


def pytest_itemcollected(item):
    # as each test is collected: xdist reads the groups in its own pytest_collection_modifyitems
    group = next((g for name, g in ONE_WORKER_FIXTURES.items() if name in item.fixturenames), None)
    if group is None and _uses_a_module_fixture(item):
        group = item.module.__name__
    if group is not None:
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    # xdist marks a grouped test by suffixing its node id; pytest 9.2 ignores the suffix, and then
    # every worker would build the bundled warehouse and the Prefect stack again (pyproject.toml pins).
    if session.config.getoption("loadgroup", default=False):  # set on xdist workers only
        lost = [i.nodeid for i in session.items if i.get_closest_marker("xdist_group") and "@" not in i.nodeid]
        if lost:
            raise pytest.UsageError(f"pytest-xdist did not apply the test groups (e.g. {lost[0]}): check its pins")


def _uses_a_module_fixture(item) -> bool:
    definitions = getattr(item, "_fixtureinfo", None)
    if definitions is None:
        return False
    return any(d.scope == "module" for defs in definitions.name2fixturedefs.values() for d in defs)


@pytest.fixture(autouse=True)
def prefect_console_follows_capture():
    """Prefect binds its console log handler to the sys.stderr of the moment it configures logging;
    pytest swaps sys.stderr for every test and closes the old one. Point the handler at this
    test's stream, so that a flow run after a capsys test does not log into a closed file."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [
        logging.getLogger(),
        *(v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger)),
    ]
    for handler in {h for logger in loggers for h in logger.handlers if isinstance(h, PrefectConsoleHandler)}:
        # Assign rather than setStream(): setStream flushes the old, already closed stream.
        handler.stream = sys.stderr
        handler.console.file = sys.stderr
    yield


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for every flow test (starting one costs ~10 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def bundled_run(prefect_harness, tmp_path_factory):
    """The pipeline flow on the bundled data, once, into a session warehouse. Read it, never write
    it: a test that runs on it takes `bundled_copy`."""
    from flows.pipeline import pipeline

    warehouse = tmp_path_factory.mktemp("bundled") / "aigap.duckdb"
    state = pipeline(warehouse=str(warehouse), return_state=True)
    return warehouse, state


@pytest.fixture
def bundled_copy(bundled_run, tmp_path) -> Path:
    """A copy of the bundled warehouse with everything next to it (raw files, reports), for a test
    that runs on it: copying it costs well under a second, loading the bundle again minutes."""
    source, _ = bundled_run
    folder = tmp_path / "bundled"
    shutil.copytree(source.parent, folder, ignore=shutil.ignore_patterns("*.lock", "staging"))
    return folder / source.name


@pytest.fixture
def altair_builds(monkeypatch):
    """Counts the specs altair builds (TopLevelMixin.to_dict: what `render` calls on a built chart)."""
    import altair

    calls, depth = {"to_dict": 0}, [0]
    real = altair.TopLevelMixin.to_dict

    def counted(self, *args, **kwargs):
        calls["to_dict"] += depth[0] == 0  # a whole chart, not the layers it converts on the way
        depth[0] += 1
        try:
            return real(self, *args, **kwargs)
        finally:
            depth[0] -= 1

    monkeypatch.setattr(altair.TopLevelMixin, "to_dict", counted)
    return calls


@pytest.fixture
def warehouse(tmp_path) -> Path:
    """An empty, migrated plain-file warehouse for a test that loads into it."""
    path = tmp_path / "w.duckdb"
    with connection.connect(path) as con:
        schema.migrate(con)
    return path


@pytest.fixture
def archive_copy(tmp_path):
    """A writable copy of a few real snapshots of the archive source, to drop bad files into."""
    folder = tmp_path / "archive"
    for relative in ("scraped/2024-07-13.csv", "scraped/2024-08-30.csv", "display/2024-10-22.csv"):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARCHIVE / relative, target)
    return folder
