"""The warehouse: the run lock, connections, migrations, the load ledger, and which load counts
(transactional publishing with supersession).

Storage (warehouse/lake.py): a DuckLake by default (catalog in SQLite, or PostgreSQL for a team;
data as Parquet), where readers and writers never wait for each other; or, for a path ending in
`.duckdb`, a plain DuckDB file as before, where an open session (even `duckdb -readonly`) blocks a
writer: after a bounded wait that gives `WarehouseBusy` naming the process.

One run per warehouse folder: a run holds `run_lock` (a lock file next to the warehouse path) from
start to end, so two runs on one machine never interleave their staging; a second run waits up to
WAIT_SECONDS, then gives up with `WarehouseBusy` naming the holder (the CLI exits 3). Runs of
several workers (each its own folder) on one shared lake run at once: what keeps the ledger one row
per content is the catalog, not a lock (see `in_transaction` and LEDGER_GUARD). Inside a run,
connections are short (one publish). Everything that only reads opens the warehouse read-only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from datasets.funding.parse import FIGURE_KEY
from warehouse import lake

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
WAIT_ENV = "AIGAP_WRITER_WAIT_SECONDS"
WAIT_SECONDS = 600.0  # how long a second run waits for the first one to finish (10 minutes)


class WarehouseBusy(RuntimeError):
    """Another run, or another process, holds the warehouse (the CLI exits with code 3)."""


def wait_seconds() -> float:
    """How long a run waits for the warehouse: $AIGAP_WRITER_WAIT_SECONDS, else WAIT_SECONDS."""
    return float(os.environ.get(WAIT_ENV) or WAIT_SECONDS)


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def _process(pid: int) -> str:
    """What process `pid` is, as `ps` would say it (Linux /proc), or '' if it cannot be told."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    return " ".join(a.decode(errors="replace") for a in argv if a)[:200]


def _holder(lock: Path) -> str:
    """Who holds the run lock, from what the holder wrote into it (checked against the process table)."""
    try:
        info = json.loads(lock.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info.get("pid"):
        return "another aigap run (it has not written its name into the lock file yet)"
    where = f"PID {info['pid']}" + (f" on {info['host']}" if info.get("host") else "")
    alive = info.get("host") != socket.gethostname() or _process(int(info["pid"])) != ""
    return f"the aigap run {info.get('run')!r} ({where}, since {info.get('since', '?')})" + (
        "" if alive else "; that process is gone, so the lock is being released"
    )


@contextmanager
def run_lock(warehouse: Path, run: str, wait: float | None = None) -> Iterator[None]:
    """Hold the warehouse for a whole run: an exclusive lock on `<warehouse>.lock` (flock, released by
    the kernel if the process dies, so a killed run never leaves a stale lock). A second run waits up
    to `wait` seconds (default: wait_seconds()), then raises WarehouseBusy naming the holder."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(warehouse)
    wait = wait_seconds() if wait is None else wait
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"the warehouse {warehouse} is being written by {_holder(path)}; gave up after waiting "
                        f"{wait:g} s (${WAIT_ENV} sets the wait). Try again when it has finished."
                    ) from None
                time.sleep(min(0.5, max(deadline - time.monotonic(), 0.01)))
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run": run,
            "since": f"{utcnow():%Y-%m-%d %H:%M:%S} UTC",
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class LedgerRow:
    load_id: str
    source: str
    snapshot_key: str
    snapshot_date: date | None
    content_sha256: str
    status: str
    rows_in: int | None
    rows_published: int | None
    reasons: list[dict] | None
    details: dict | None
    raw_path: str | None
    flow_run_id: str | None
    started_at: datetime
    finished_at: datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_load_id(source: str, snapshot_key: str, sha256: str) -> str:
    """Readable and traceable: which source, which snapshot, which content."""
    return f"{source}:{snapshot_key}@{sha256[:12]}"


_CONNECT_LOCK = threading.Lock()


@contextmanager
def connect(
    path: Path, read_only: bool = False, wait_seconds: float = 60.0, snapshot: int | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse: its DuckLake attached and in use (so `marts.gap` means the lake's), or
    the plain DuckDB file, waiting (bounded) while another process holds that file. `snapshot`: a
    DuckLake snapshot id to read the warehouse as it was then (read-only)."""
    if not lake.is_plain(path):
        con = lake.open_lake(lake.lake_for(path), read_only=read_only or snapshot is not None, snapshot=snapshot)
        try:
            yield con
        finally:
            con.close()
        return
    if snapshot is not None:
        raise ValueError(f"{path} is a plain DuckDB file: it keeps no snapshots to travel to (use a DuckLake)")
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `aigap run` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        try:
            with _CONNECT_LOCK:  # DuckDB fails when one thread opens a file while another closes it
                con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                found = re.search(r"PID (\d+)", str(exc))
                pid = int(found.group(1)) if found else None
                command = _process(pid) if pid else ""
                holder = f"PID {pid}" + (f" ({command!r})" if command else "") if pid else "another process"
                raise WarehouseBusy(
                    f"the warehouse file {path} is locked by {holder}: a DuckDB file admits one writer or "
                    "readers, never both, so an open session (even `duckdb -readonly`) blocks a run. "
                    "Close it and run again."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    try:
        yield con
    finally:
        with _CONNECT_LOCK:
            con.close()


# Data fixes that follow a migration (Python, because they apply a rule declared here).
AFTER_MIGRATION = {"006_which_load_counts.sql": lambda con: settle_published_overlaps(con)}


def is_lake(con) -> bool:
    """Whether `con` works in a DuckLake (by the database's type: a plain file may be named anything)."""
    found = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return found is not None and found[0] == "ducklake"


# DuckLake holds no PRIMARY KEY, UNIQUE or CHECK constraint. What they guarded is kept otherwise:
# meta.loads' one row per load_id by LEDGER_GUARD (below); meta.runs and meta.feed_validators by
# replacing a key's row in one transaction (save_run, save_feed_validators); statuses by the code.
_CONSTRAINT = re.compile(r",\s*PRIMARY KEY\s*\([^)]*\)|\s+PRIMARY KEY\b|\s+UNIQUE\b", re.IGNORECASE)


def without_constraints(sql: str) -> str:
    """A migration's DDL as a DuckLake takes it: PRIMARY KEY, UNIQUE and CHECK (...) removed, outside
    string literals (a COMMENT that says "unique per table" keeps its words); -- comments dropped."""
    literals: list[str] = []

    def hide(match: re.Match) -> str:
        literals.append(match.group(0))
        return f"\x00{len(literals) - 1}\x00"

    # one pass, left to right: a quote opens a literal unless inside a comment, and the reverse
    sql = re.sub(r"'(?:[^']|'')*'|--[^\n]*", lambda m: hide(m) if m.group(0).startswith("'") else "", sql)
    sql = _CONSTRAINT.sub("", sql)
    while (start := re.search(r"\s+CHECK\s*\(", sql, re.IGNORECASE)) is not None:
        depth, end = 0, start.end() - 1
        for end in range(start.end() - 1, len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            if depth == 0:
                break
        sql = sql[: start.start()] + sql[end + 1 :]
    return re.sub(r"\x00(\d+)\x00", lambda m: literals[int(m.group(1))], sql)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the numbered SQL files in warehouse/migrations that this warehouse has not seen yet
    (each in its own transaction; two workers migrating at once: one applies, the other retries and
    finds it done). A warehouse at the current schema costs one read of meta.migrations."""
    try:
        seen = {name for (name,) in con.execute("SELECT name FROM meta.migrations").fetchall()}
    except duckdb.CatalogException:  # a new warehouse: no meta.migrations yet
        seen = set()
    missing = [f for f in sorted(MIGRATIONS_DIR.glob("*.sql")) if f.name not in seen]
    if not missing:
        return []
    in_lake = is_lake(con)
    key = "" if in_lake else " PRIMARY KEY"

    def ensure_table() -> None:
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS meta.migrations (name VARCHAR NOT NULL{key}, applied_at TIMESTAMPTZ NOT NULL)"
        )

    in_transaction(con, ensure_table)
    applied = []
    for sql_file in missing:

        def apply(sql_file=sql_file) -> bool:
            # read again inside the transaction: another worker may have applied it since
            if con.execute("SELECT count(*) FROM meta.migrations WHERE name = ?", [sql_file.name]).fetchone()[0]:
                return False
            sql = sql_file.read_text()
            con.execute(without_constraints(sql) if in_lake else sql)
            con.execute("INSERT INTO meta.migrations VALUES (?, ?)", [sql_file.name, utcnow()])
            return True

        if in_transaction(con, apply):
            applied.append(sql_file.name)
            if sql_file.name in AFTER_MIGRATION:
                AFTER_MIGRATION[sql_file.name](con)
    return applied


# --- transactions that meet another writer ------------------------------------------------------
#
# In a DuckLake several processes write at once, each in its own snapshot. A commit that meets
# another's conflicting commit (both changed one table's rows: DuckLake tells at commit; or SQLite
# refused a stale writer: "database is locked") fails as a whole, changing nothing: the transaction
# is then run again from the start, on the newer state, until COMMIT_RETRY_SECONDS have passed.
COMMIT_RETRY_SECONDS = 300.0
_CONFLICT_WORDS = ("conflict", "database is locked", "could not serialize", "busy", "deadlock")


def is_conflict(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and any(word in text for word in _CONFLICT_WORDS)


def in_transaction(con, body, retry_seconds: float | None = None):
    """Run `body()` in one transaction and commit it; on a commit conflict with another writer, run it
    again (with a randomised, growing pause) until it commits or `retry_seconds` have passed."""
    deadline = time.monotonic() + (COMMIT_RETRY_SECONDS if retry_seconds is None else retry_seconds)
    pause = 0.05
    while True:
        con.execute("BEGIN TRANSACTION")
        try:
            result = body()
            con.execute("COMMIT")
            return result
        except Exception as exc:
            with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already ended the transaction
                con.execute("ROLLBACK")
            if not is_conflict(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 2.0)


# Every ledger write rewrites this one row (migration 008) in the same transaction as its checks and
# inserts. Two writers' transactions that both touched it cannot both commit (DuckLake refuses the
# second: a conflict), so "is this content already in the ledger?" and the insert that follows are
# atomic across processes and machines: the catalog keeps the ledger one row per load, not a lock.
LEDGER_GUARD = "meta.ledger_guard"


def _guard_ledger(con) -> None:
    con.execute(f"UPDATE {LEDGER_GUARD} SET guard = guard")  # a rewrite is a change to DuckLake: it conflicts


class LoadedConcurrently(RuntimeError):
    """Another run recorded this very load (same source, key and content) first: nothing was written."""

    def __init__(self, load_id: str, status: str):
        super().__init__(f"{load_id} was {status} by another run meanwhile; nothing written again")
        self.load_id, self.status = load_id, status


def _already(con, load_id: str) -> str | None:
    row = con.execute("SELECT status FROM meta.loads WHERE load_id = ?", [load_id]).fetchone()
    return None if row is None else row[0]


# --- the ledger ---------------------------------------------------------------------------------


CONFLICT_CHECK = "one_content_per_snapshot"  # the reason's check when two contents claimed one snapshot


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row, as the rules below read it."""

    load_id: str
    snapshot_key: str
    snapshot_date: date | None
    content_sha256: str
    status: str
    rows_published: int | None
    reasons: str | None  # JSON
    finished_at: datetime
    superseded_by: str | None

    def as_known(self) -> dict:
        return {"load_id": self.load_id, "status": self.status, "finished_at": self.finished_at,
                "superseded_by": self.superseded_by}  # fmt: skip


class SourceLedger:
    """One source's ledger (or one key's), read in one query, and every rule that asks it about that
    source's snapshots: is this content known, what load id does it get, which load holds the same
    bytes, how big was the previous snapshot. A batch of hundreds of snapshots so costs one round trip
    to the catalog, not several each (each is ~10 ms on a DuckLake). What the batch records meanwhile
    is `add`ed, so its later snapshots see it. Another worker's writes in between are caught where
    they matter, at commit (LEDGER_GUARD), as with a query per snapshot."""

    def __init__(self, source: str, entries: list[LedgerEntry]):
        self.source = source
        self._by_key: dict[str, list[LedgerEntry]] = {}
        self._entries: list[LedgerEntry] = []
        for entry in entries:  # newest first
            self._append(entry)

    @classmethod
    def read(cls, con, source: str, snapshot_key: str | None = None) -> SourceLedger:
        where, params = "source = ?", [source]
        if snapshot_key is not None:
            where, params = where + " AND snapshot_key = ?", [*params, snapshot_key]
        rows = con.execute(
            f"SELECT {', '.join(LedgerEntry.__dataclass_fields__)} FROM meta.loads WHERE {where} "
            "ORDER BY finished_at DESC",
            params,
        ).fetchall()
        return cls(source, [LedgerEntry(*row) for row in rows])

    def _append(self, entry: LedgerEntry, newest: bool = False) -> None:
        same_key = self._by_key.setdefault(entry.snapshot_key, [])
        if newest:
            same_key.insert(0, entry)
            self._entries.insert(0, entry)
        else:
            same_key.append(entry)
            self._entries.append(entry)

    def add(self, row: LedgerRow) -> None:
        """A row this batch has just recorded."""
        reasons = None if row.reasons is None else json.dumps(row.reasons, default=str)
        self._append(
            LedgerEntry(row.load_id, row.snapshot_key, row.snapshot_date, row.content_sha256, row.status,
                        row.rows_published, reasons, row.finished_at, None),
            newest=True,
        )  # fmt: skip

    def known(self, snapshot_key: str, sha256: str) -> dict | None:
        """The ledger row that makes this content under this key known, so that it is not loaded again.

        Known: the latest content seen under the key is this one (published, superseded by another key,
        quarantined or skipped: nothing changed since), or this content is what the key publishes now.
        Not known, so loaded again: content that differs from the key's latest (a revision, or a revert
        to earlier bytes: seen before is not published now), and content held back only because two
        contents claimed one snapshot in one run (the next run looks again).
        """
        entries = self._by_key.get(snapshot_key, [])
        if entries and entries[0].content_sha256 == sha256 and not _conflict_only(entries[0]):
            return entries[0].as_known()
        published = next((e for e in entries if e.content_sha256 == sha256 and e.status == "published"), None)
        return published.as_known() if published else None

    def latest_of_key(self, snapshot_key: str) -> dict | None:
        """The latest row for this key whatever its content (for sources with immutable keys), unless it
        was held back only because two contents claimed one snapshot in one run (looked at again)."""
        entries = self._by_key.get(snapshot_key, [])
        if not entries or _conflict_only(entries[0]):
            return None
        return entries[0].as_known()

    def published_with(self, sha256: str) -> str | None:
        """A published load of this source with identical bytes (another key, same content)."""
        return next((e.load_id for e in self._entries if e.content_sha256 == sha256 and e.status == "published"), None)

    def new_load_id(self, snapshot_key: str, sha256: str) -> str:
        """make_load_id, or with `#2`, `#3` ... when that content was loaded under that key before (a revert)."""
        base = make_load_id(self.source, snapshot_key, sha256)
        seen = sum(
            1 for e in self._by_key.get(snapshot_key, []) if e.load_id == base or e.load_id.startswith(base + "#")
        )
        return base if not seen else f"{base}#{seen + 1}"

    def previous_published(self, before: date, key_prefix: str = "") -> tuple[date, int] | None:
        """(date, rows) of the latest published snapshot dated before `before` (for the size check),
        among keys starting with `key_prefix` (one series of a source that publishes several)."""
        candidates = [
            e for e in self._entries
            if e.status == "published" and e.snapshot_date is not None and e.snapshot_date < before
            and e.snapshot_key.startswith(key_prefix)
        ]  # fmt: skip
        if not candidates:
            return None
        latest = max(candidates, key=lambda e: e.snapshot_date)  # newest first: a tie keeps the latest finished
        return latest.snapshot_date, int(latest.rows_published)


def _conflict_only(entry: LedgerEntry) -> bool:
    return entry.status == "quarantined" and {r.get("check") for r in json.loads(entry.reasons or "[]")} == {
        CONFLICT_CHECK
    }


def _insert_ledger(con, rows: list[LedgerRow]) -> None:
    """Insert ledger rows, in one statement however many."""
    if not rows:
        return
    records = []
    for row in rows:
        values = asdict(row)
        values["reasons"] = None if row.reasons is None else json.dumps(row.reasons, default=str)
        values["details"] = None if row.details is None else json.dumps(row.details, default=str)
        records.append(values)
    columns = ", ".join(records[0])
    one = "(" + ", ".join("?" for _ in records[0]) + ")"
    con.execute(
        f"INSERT INTO meta.loads ({columns}) VALUES {', '.join(one for _ in records)}",
        [value for values in records for value in values.values()],
    )


def record(con, row: LedgerRow) -> bool:
    """Write a ledger row that publishes nothing (quarantined or skipped); False if another run
    recorded the same load first (then nothing is written)."""

    def write() -> bool:
        _guard_ledger(con)
        if _already(con, row.load_id) is not None:
            return False
        _insert_ledger(con, [row])
        return True

    return in_transaction(con, write)


class PublishMismatch(RuntimeError):
    """Rows written differ from rows validated; the transaction was rolled back."""


# --- which load counts ----------------------------------------------------------------------------
#
# The rule, for every source (README, "When data changes"):
# - Every core row reports an identity: a leaderboard table holds one board per snapshot date, so
#   its identity is the snapshot date; core.funding_observations holds figures, identified by
#   (source, FIGURE_KEY): series, edition, period, region, metric, segment.
# - The published content for an identity is the latest accepted content for it. Publishing a load
#   supersedes every published load that reports any identity it reports (whichever source wrote
#   it), and the earlier content under its own key (source, snapshot_key) unless the source keeps
#   editions. Loads are published in fetch order, so the one fetched last counts (several published
#   in one transaction count exactly as if one after another: `publish_many`); a revert (earlier
#   bytes back under a key) is new content for the key and is published again (SourceLedger.known).
# - Superseding removes the old load's rows from EVERY core table (a Space file that turned from a
#   catalog into scores leaves nothing behind in core.arena_models) and marks it `superseded`,
#   pointing to its successor, in the same transaction that inserts the new rows. So no identity
#   is ever published twice, and the marts never choose between copies.
# Two contents claiming one identity in one run are not ordered by anything: the run holds both
# back (engine/load.py, `settle`), it never picks one.

IDENTITY: dict[str, tuple[str, ...]] = {"core.funding_observations": ("source", *FIGURE_KEY)}
BOARD_IDENTITY = ("snapshot_date",)  # every other core table is a leaderboard: one board per date


def identity_columns(table: str) -> tuple[str, ...]:
    return IDENTITY.get(table, BOARD_IDENTITY)


def identities(table: str, frame: pl.DataFrame) -> set[tuple]:
    """What the rows of `frame` report, in `table`'s identity."""
    return {(table, *key) for key in frame.select(identity_columns(table)).unique().rows()}


def core_tables(con) -> list[str]:
    """Every core table that holds loaded rows (those with a load_id column)."""
    rows = con.execute(
        "SELECT DISTINCT table_schema || '.' || table_name FROM information_schema.columns "
        "WHERE table_schema = 'core' AND column_name = 'load_id' ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class Publication:
    """One snapshot to publish: its validated rows for `table` and its ledger row. `replaces_key`:
    False for sources that keep editions (a new edition under the same key is published next to the
    earlier ones; only the same identities replace)."""

    table: str
    frame: pl.DataFrame
    row: LedgerRow
    replaces_key: bool = True


@dataclass(frozen=True)
class Met:
    """What publishing a group meets in the warehouse (`met_by_publishing`)."""

    recorded: dict[str, str]  # load id of a member -> its status, where another run recorded it meanwhile
    reported_by: dict[str, list[int]]  # published load -> the members reporting an identity or key it has


def met_by_publishing(con, group: list[Publication]) -> Met:
    """In one query, for a whole group: which members' loads another run recorded meanwhile, and for
    every published load that shares an identity (or, for a member that replaces its key, the key)
    with a member, which members (by position) share it."""
    parts, params, registered = [], [], []
    for table in dict.fromkeys(p.table for p in group):
        columns = identity_columns(table)
        members = [(i, p.frame) for i, p in enumerate(group) if p.table == table and len(p.frame)]
        if not members:
            continue
        reported = pl.concat(
            [frame.select(columns).unique().with_columns(pl.lit(i, pl.Int64).alias("member")) for i, frame in members]
        )
        name = f"reported_{len(registered)}"
        con.register(name, reported.to_arrow())
        registered.append(name)
        if columns == BOARD_IDENTITY:
            # the group's few dates as constants: the lake skips every file whose dates lie elsewhere,
            # so the cost stays flat as history grows (a join alone would read every file's dates)
            dates = reported.get_column("snapshot_date").unique().drop_nulls().sort().to_list()
            if not dates:
                continue
            parts.append(
                f"SELECT t.load_id, s.member FROM (SELECT DISTINCT snapshot_date, load_id FROM {table} "
                f"WHERE snapshot_date IN ({', '.join('?' for _ in dates)})) t JOIN {name} s USING (snapshot_date)"
            )
            params += dates
        else:
            on = " AND ".join(f"t.{c} IS NOT DISTINCT FROM s.{c}" for c in columns)
            parts.append(f"SELECT DISTINCT t.load_id, s.member FROM {table} t JOIN {name} s ON {on}")
    keys = [(p.row.source, p.row.snapshot_key, i) for i, p in enumerate(group) if p.replaces_key]
    if keys:
        frame = pl.DataFrame(keys, schema={"source": pl.Utf8, "snapshot_key": pl.Utf8, "member": pl.Int64},
                             orient="row")  # fmt: skip
        con.register("reported_keys", frame.to_arrow())
        registered.append("reported_keys")
        parts.append("SELECT l.load_id, k.member FROM meta.loads l JOIN reported_keys k USING (source, snapshot_key)")
    matched = (
        " UNION ALL ".join(parts) if parts else "SELECT NULL::VARCHAR AS load_id, NULL::BIGINT AS member WHERE false"
    )
    sql = (
        f"WITH matched(load_id, member) AS ({matched}) "
        "SELECT m.load_id, l.status, m.member FROM matched m JOIN meta.loads l USING (load_id) "
        "WHERE l.status = 'published' "
        "UNION ALL SELECT load_id, status, NULL FROM meta.loads WHERE list_contains(?, load_id)"
    )
    try:
        met = con.execute(sql, [*params, [p.row.load_id for p in group]]).fetchall()
    finally:
        for name in registered:
            con.unregister(name)
    recorded: dict[str, str] = {}
    reported_by: dict[str, list[int]] = {}
    for load_id, status, member in met:
        if member is None:
            recorded[load_id] = status
        else:
            reported_by.setdefault(load_id, []).append(member)
    return Met(recorded, {load_id: sorted(set(members)) for load_id, members in reported_by.items()})


def successors(group: list[Publication], met: Met) -> dict[str, int]:
    """{load to supersede: the member (by position) that supersedes it}, publishing the group's
    members in order, as if one after the other (the rule above): a published load is superseded by
    the first member reporting one of its identities (or its key), and a member by the first later
    member that reports one of its own; members another run recorded (`met.recorded`) publish nothing."""
    publishing = [i for i, p in enumerate(group) if p.row.load_id not in met.recorded]
    superseded_by: dict[str, int] = {}
    for load_id, members in met.reported_by.items():  # (a member's own load is published only if recorded)
        first = next((i for i in members if i in publishing), None)
        if first is not None:
            superseded_by[load_id] = first
    # within the group: what a member reports, and what a later member claims of it
    holders: dict[tuple, list[int]] = {}
    for j in publishing:
        p = group[j]
        key = ("key", p.row.source, p.row.snapshot_key)
        reports = identities(p.table, p.frame)
        for claim in reports | ({key} if p.replaces_key else set()):
            for i in holders.get(claim, []):
                superseded_by.setdefault(group[i].row.load_id, j)
        for claim in reports | {key}:
            holders.setdefault(claim, []).append(j)
    return superseded_by


def _retire(con, successor_of: dict[str, str]) -> None:
    """Remove superseded loads' rows from every core table and point their ledger rows to their
    successors ({superseded load: successor}): one statement per table, however many loads."""
    if not successor_of:
        return
    old, new = list(successor_of), list(successor_of.values())
    for table in core_tables(con):
        con.execute(f"DELETE FROM {table} WHERE list_contains(?, load_id)", [old])
    con.execute(
        "UPDATE meta.loads SET status = 'superseded', superseded_by = list_extract(?::VARCHAR[], "
        "list_position(?::VARCHAR[], load_id)), superseded_at = ? WHERE list_contains(?, load_id)",
        [new, old, utcnow(), old],
    )


@dataclass(frozen=True)
class Published:
    rows: int
    superseded: list[str]


def publish_many(con, group: list[Publication]) -> list[Published | LoadedConcurrently]:
    """Publish a group of snapshots in one transaction, as if one after the other in the group's order:
    each member's rows and ledger row are inserted and what it supersedes (the rule above) is retired,
    all or nothing. The statements are a fixed few per table, not per snapshot: one query for what the
    group meets, one INSERT per core table, the deletes of superseded rows, one ledger INSERT and one
    ledger UPDATE. For each member, in order: Published, or LoadedConcurrently when another run
    recorded that very load first (nothing of it written; the others publish).

    Raises PublishMismatch (and changes nothing) if the rows written are not the rows validated.
    The check-and-write touches the ledger guard: when another run commits a ledger write first, the
    whole transaction is run again on the new state."""

    def write() -> list[Published | LoadedConcurrently]:
        _guard_ledger(con)
        met = met_by_publishing(con, group)
        publishing = [p for p in group if p.row.load_id not in met.recorded]
        for table in dict.fromkeys(p.table for p in publishing):
            into = [p for p in publishing if p.table == table]
            _insert_checked(con, table, into)
        superseded_by = successors(group, met)
        _insert_ledger(con, [p.row for p in publishing])
        _retire(con, {old: group[j].row.load_id for old, j in superseded_by.items()})
        results: list[Published | LoadedConcurrently] = []
        for i, p in enumerate(group):
            if p.row.load_id in met.recorded:
                results.append(LoadedConcurrently(p.row.load_id, met.recorded[p.row.load_id]))
            else:
                replaced = sorted(old for old, j in superseded_by.items() if j == i)
                results.append(Published(len(p.frame), replaced))
        return results

    return in_transaction(con, write)


def _insert_checked(con, table: str, group: list[Publication]) -> None:
    """Insert the group's frames into `table` in one statement; PublishMismatch unless the rows written
    are the rows validated, and each member's ledger row says so."""
    frame = group[0].frame if len(group) == 1 else pl.concat([p.frame for p in group], how="diagonal_relaxed")
    con.register("staged_frame", frame.to_arrow())
    try:
        written = con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM staged_frame").fetchone()[0]
    finally:
        con.unregister("staged_frame")
    validated = sum(len(p.frame) for p in group)
    if written != validated or any(p.row.rows_published != len(p.frame) for p in group):
        what = group[0].row.load_id if len(group) == 1 else f"{len(group)} loads into {table}"
        wrong = [p.row.load_id for p in group if p.row.rows_published != len(p.frame)]
        ledger = f" ({', '.join(wrong)}: the ledger row says otherwise)" if wrong else ""
        raise PublishMismatch(f"{what}: wrote {written} rows, validated {validated}{ledger}; nothing was published")


def publish(con, table: str, frame: pl.DataFrame, row: LedgerRow, replaces_key: bool = True) -> Published:
    """Publish one snapshot in its own transaction (`publish_many` with a group of one); raises
    LoadedConcurrently when another run recorded this very load first (nothing written twice)."""
    [done] = publish_many(con, [Publication(table, frame, row, replaces_key)])
    if isinstance(done, LoadedConcurrently):
        raise done
    return done


def settle_published_overlaps(con) -> dict[str, str]:
    """Apply the rule to loads published before it existed: where two published loads report one
    identity, the later one (by finished_at) counts and the earlier is superseded. Returns
    {superseded load: successor}. Run once by the migration that introduced the rule."""
    retired: dict[str, str] = {}
    for table in core_tables(con):
        columns = ", ".join(identity_columns(table))
        partition = ", ".join(f"r.{c}" for c in identity_columns(table))
        pairs = con.execute(
            f"""
            WITH reported AS (SELECT DISTINCT {columns}, load_id FROM {table}),
            ranked AS (
                SELECT r.load_id,
                       first_value(r.load_id) OVER (PARTITION BY {partition} ORDER BY l.finished_at DESC, r.load_id DESC)
                           AS latest
                FROM reported r JOIN meta.loads l ON l.load_id = r.load_id WHERE l.status = 'published'
            )
            SELECT DISTINCT load_id, latest FROM ranked WHERE load_id <> latest ORDER BY 1
            """
        ).fetchall()
        for old, new in pairs:
            retired.setdefault(old, new)

    in_transaction(con, lambda: _retire(con, retired))
    return retired


def replace_tables(con, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Replace the full contents of several tables in one transaction (used for marts)."""

    def write() -> dict[str, int]:
        counts = {}
        for table, frame in frames.items():
            con.execute(f"DELETE FROM {table}")
            if len(frame):
                con.register("staged_frame", frame.to_arrow())
                try:
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM staged_frame")
                finally:
                    con.unregister("staged_frame")
            counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if counts[table] != len(frame):
                raise PublishMismatch(f"{table}: wrote {counts[table]} rows, validated {len(frame)}")
        return counts

    return in_transaction(con, write)


@dataclass(frozen=True)
class Replacement:
    """New rows for `table`, replacing the rows whose `keys` columns match a row of `keys` (all rows
    when `keys` is None)."""

    table: str
    frame: pl.DataFrame
    keys: pl.DataFrame | None


def replace_parts(con, replacements: list[Replacement], also=None) -> dict[str, int]:
    """Apply every replacement, then `also(con, written)`, in one transaction; checks that each
    table holds the rows validated for the replaced part (used for the incremental marts)."""
    written = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for r in replacements:
            where = ""
            if r.keys is not None:
                con.register("replaced_keys", r.keys.to_arrow())
                on = " AND ".join(f"k.{c} = t.{c}" for c in r.keys.columns)
                where = f" WHERE EXISTS (SELECT 1 FROM replaced_keys k WHERE {on})"
            con.execute(f"DELETE FROM {r.table} t{where}")
            if len(r.frame):
                con.register("staged_frame", r.frame.to_arrow())
                con.execute(f"INSERT INTO {r.table} BY NAME SELECT * FROM staged_frame")
                con.unregister("staged_frame")
            count = con.execute(f"SELECT count(*) FROM {r.table} t{where}").fetchone()[0]
            if r.keys is not None:
                con.unregister("replaced_keys")
            if count != len(r.frame):
                raise PublishMismatch(f"{r.table}: wrote {count} rows, validated {len(r.frame)}")
            written[r.table] = count
        if also is not None:
            also(con, written)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return written


def feed_validators(con, source: str, url: str) -> dict | None:
    """What was fetched from `url` last time (ETag, Last-Modified, first retrieved, raw file), if anything."""
    row = con.execute(
        "SELECT etag, last_modified, first_fetched, content_sha256, raw_path FROM meta.feed_validators "
        "WHERE source = ? AND url = ?",
        [source, url],
    ).fetchone()
    if row is None:
        return None
    return dict(zip(["etag", "last_modified", "first_fetched", "content_sha256", "raw_path"], row, strict=True))


def save_feed_validators(con, source: str, url: str, etag, last_modified, first_fetched, sha256, raw_path) -> None:
    """One row per (source, url): the previous one replaced in the same transaction."""

    def write() -> None:
        con.execute("DELETE FROM meta.feed_validators WHERE source = ? AND url = ?", [source, url])
        con.execute(
            "INSERT INTO meta.feed_validators "
            "(source, url, etag, last_modified, first_fetched, content_sha256, raw_path, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [source, url, etag, last_modified, first_fetched, sha256, raw_path, utcnow()],
        )

    in_transaction(con, write)


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


def read_table(con, sql: str, params: list | None = None) -> pl.DataFrame:
    return con.execute(sql, params or []).pl()


# --- local files as last read (known without reading them) --------------------------------------


def file_stats(con, source: str) -> dict[tuple[str, str], tuple[int, int, str]]:
    """{(snapshot key, path): (size, mtime_ns, content sha256)} of `source`'s files as last read."""
    rows = con.execute(
        "SELECT snapshot_key, path, size, mtime_ns, content_sha256 FROM meta.file_stats WHERE source = ?", [source]
    ).fetchall()
    return {(key, path): (size, mtime, sha) for key, path, size, mtime, sha in rows}


def save_file_stats(con, source: str, stats: list[tuple[str, str, int, int, str]]) -> None:
    """Record how files looked when read: (snapshot key, path, size, mtime_ns, content sha256) each,
    replacing what was recorded for that key and path; one transaction for a whole batch."""
    if not stats:
        return
    frame = pl.DataFrame(
        stats, schema={"snapshot_key": pl.Utf8, "path": pl.Utf8, "size": pl.Int64, "mtime_ns": pl.Int64,
                       "content_sha256": pl.Utf8}, orient="row",
    ).unique(["snapshot_key", "path"], keep="last", maintain_order=True)  # fmt: skip

    def write() -> None:
        # delete + insert, not INSERT OR REPLACE: a lake has no primary keys
        con.register("read_stats", frame.to_arrow())
        try:
            con.execute(
                "DELETE FROM meta.file_stats f WHERE f.source = ? AND EXISTS "
                "(SELECT 1 FROM read_stats r WHERE r.snapshot_key = f.snapshot_key AND r.path = f.path)",
                [source],
            )
            con.execute(
                "INSERT INTO meta.file_stats SELECT ?, snapshot_key, path, size, mtime_ns, content_sha256, ? "
                "FROM read_stats",
                [source, utcnow()],
            )
        finally:
            con.unregister("read_stats")

    in_transaction(con, write)
