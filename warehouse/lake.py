"""Where the warehouse lives: a DuckLake (the default) or a plain DuckDB file (kept for compatibility).

Why a DuckLake: a DuckDB file admits one writing process *or* readers, so an analyst's open
`duckdb -readonly` session made the scheduled run fail. A DuckLake keeps its tables as Parquet files
under a data path and their catalog (which files make which table at which snapshot) in a database
that many processes use at once; every commit is a snapshot, so readers see the last committed
state, never a half-published one, and can read any kept snapshot (time travel, `aigap sql --as-of`).

- Default (zero set-up): the catalog is one SQLite file, the warehouse path itself
  (`warehouse/aigap.ducklake`), put in WAL mode so that readers never block the writer; the data
  is Parquet under `warehouse/aigap.ducklake.files/`.
- A team: the catalog on PostgreSQL ($AIGAP_CATALOG, e.g. `postgres:dbname=aigap host=db`) and the
  data path on storage every worker mounts ($AIGAP_DATA_PATH). The warehouse path then only anchors
  the worker's local folders (staging, reports, raw landing unless $AIGAP_RAW_DIR says otherwise).
- A warehouse path ending in `.duckdb` is a plain DuckDB file, as before this module existed
  (`duckdb -readonly FILE` works on it, and blocks its runs as it always did).

The extensions load offline from the pinned PyPI packages (`duckdb-extension-*==duckdb's release`).
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import duckdb

from common import settings

ALIAS = "lake"  # the name the lake is attached under; `USE lake` keeps marts / core / meta as they were
PLAIN_SUFFIX = ".duckdb"

# extension -> the PyPI package that carries it (installed by pyproject.toml at duckdb's release)
EXTENSIONS = {
    "ducklake": "duckdb_extension_ducklake",
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}


class NoWarehouse(FileNotFoundError):
    """There is nothing to read yet (no catalog): `aigap run` first."""


def extension_file(name: str) -> Path:
    """The .duckdb_extension file of `name`, inside its pinned PyPI package."""
    spec = importlib.util.find_spec(EXTENSIONS[name])
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the package {EXTENSIONS[name]} is not installed (see pyproject.toml)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "extensions" / f"v{duckdb.__version__}"
    found = sorted(folder.glob(f"{name}.duckdb_extension"))
    if not found:
        raise RuntimeError(f"no {name} extension for duckdb {duckdb.__version__} in {folder}")
    return found[0]


# the scanner extension a catalog needs, by the prefix of its DuckLake metadata string
CATALOG_SCANNERS = {"sqlite:": "sqlite_scanner", "postgres:": "postgres_scanner"}


def load_statements(lake: Lake | None = None) -> list[str]:
    """LOAD ducklake and the scanner of the lake's catalog (every extension without a lake). Only
    what the catalog needs: DuckDB checks a 35-40 MB extension's signature at each LOAD into a new
    instance (~0.1-0.3 s each on 2 cores)."""
    needed = set(EXTENSIONS)
    if lake is not None:
        scanner = next((s for prefix, s in CATALOG_SCANNERS.items() if lake.catalog.startswith(prefix)), None)
        if scanner is not None:
            needed = {"ducklake", scanner}
    return [f"LOAD '{extension_file(name)}'" for name in EXTENSIONS if name in needed]


def is_plain(warehouse: Path) -> bool:
    """A plain DuckDB file (the layout before DuckLake), chosen by its name."""
    return warehouse.suffix == PLAIN_SUFFIX


@dataclass(frozen=True)
class Lake:
    catalog: str  # `sqlite:/abs/path` or `postgres:...` (DuckLake's own metadata syntax)
    data_path: str  # ends with '/'
    # Whether data_path overrides the one stored in the catalog: when set ($AIGAP_DATA_PATH: each machine
    # may mount the shared path elsewhere) and in the default layout (folder moved or copied whole:
    # catalog and data still go together). A team reader that sets no data path uses the stored one.
    data_path_given: bool

    @property
    def sqlite_file(self) -> Path | None:
        return Path(self.catalog.removeprefix("sqlite:")) if self.catalog.startswith("sqlite:") else None

    def describe(self) -> str:
        return f"DuckLake, catalog {self.catalog.split(' password=')[0]}, data {self.data_path}"

    def attach_sql(self, read_only: bool = False, snapshot: int | None = None, alias: str = ALIAS) -> str:
        options = []
        if self.data_path_given:
            options += [f"DATA_PATH {quote(self.data_path)}", "OVERRIDE_DATA_PATH true"]
        if read_only:
            options.append("READ_ONLY")
        if snapshot is not None:
            options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
        return f"ATTACH {quote('ducklake:' + self.catalog)} AS {alias} ({', '.join(options)})"


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lake_for(warehouse: Path) -> Lake:
    """The lake of `warehouse`: its catalog ($AIGAP_CATALOG, else the SQLite file at the warehouse
    path) and its data path ($AIGAP_DATA_PATH, else `<warehouse>.files/` next to it)."""
    catalog, given = settings.catalog(), settings.data_path()
    data = given or str(warehouse.with_name(warehouse.name + ".files"))
    return Lake(catalog or f"sqlite:{warehouse}", data.rstrip("/") + "/", bool(given) or not catalog)


def prepare_sqlite(path: Path) -> None:
    """Create the SQLite catalog file in WAL mode (kept in the file): readers then never block the
    writer's commit, nor it theirs (in SQLite's default rollback mode a reader makes a commit fail).

    Only when the file does not exist yet: Python's sqlite3 and the DuckDB extension are two SQLite
    libraries, and two libraries with one file open in one process break each other's locks."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30)
    try:
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()


def in_wal_mode(path: Path) -> bool:
    """From the file header (bytes 18-19 are 2 in WAL mode), without opening the database."""
    with path.open("rb") as handle:
        header = handle.read(20)
    return len(header) == 20 and header[18] == 2 and header[19] == 2


# One DuckDB instance per process, lake and mode, kept: loading the extensions costs ~0.6 s, and a
# run connects for every step of every snapshot. Each `open_lake` is a cursor of it (its own
# connection and transactions; every new transaction reads the catalog's latest snapshot).
_SESSIONS: OrderedDict[tuple, duckdb.DuckDBPyConnection] = OrderedDict()
_SESSIONS_KEPT = 8
_SESSIONS_LOCK = threading.Lock()


def _new_session(lake: Lake, read_only: bool, snapshot: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    try:
        for statement in session_statements(lake, read_only, snapshot):
            con.execute(statement)
    except Exception:
        con.close()
        raise
    return con


def open_lake(lake: Lake, read_only: bool = False, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the lake attached as `lake` and used by default; with `snapshot`,
    read-only at that snapshot (a session of its own)."""
    sqlite_file = lake.sqlite_file
    if sqlite_file is not None:
        if (read_only or snapshot is not None) and not sqlite_file.exists():
            raise NoWarehouse(f"no warehouse at {sqlite_file}: run `aigap run` first")
        if not read_only:
            prepare_sqlite(sqlite_file)
    if not read_only and lake.data_path_given and "://" not in lake.data_path:
        Path(lake.data_path).mkdir(parents=True, exist_ok=True)
    if snapshot is not None:
        return _new_session(lake, True, snapshot)
    key = (os.getpid(), lake, read_only)  # a forked child builds its own
    with _SESSIONS_LOCK:
        # a process that writes the lake reads it through its writing session too (each cursor its
        # own transactions, seeing what is committed): a second instance would load the extensions
        # and read the catalog again (~0.2 s a run)
        if key not in _SESSIONS and read_only and (key[0], lake, False) in _SESSIONS:
            key = (key[0], lake, False)
        base = _SESSIONS.get(key)
        if base is None:
            base = _SESSIONS[key] = _new_session(lake, read_only, None)
            while len(_SESSIONS) > _SESSIONS_KEPT:
                _SESSIONS.popitem(last=False)[1].close()
        _SESSIONS.move_to_end(key)
        cursor = base.cursor()
    cursor.execute(f"USE {ALIAS}")
    return cursor


def close_sessions() -> None:
    """Close every kept session of this process (before it ends without Python's teardown)."""
    with _SESSIONS_LOCK:
        while _SESSIONS:
            _SESSIONS.popitem()[1].close()


def session_statements(lake: Lake, read_only: bool = False, snapshot: int | None = None) -> list[str]:
    """What a session runs to see the warehouse (the `aigap sql` CLI runs the same)."""
    return [
        *load_statements(lake),
        "SET enable_progress_bar = false",  # a run's log is not a terminal (the CLI may turn it back on)
        lake.attach_sql(read_only, snapshot),
        f"USE {ALIAS}",
    ]
