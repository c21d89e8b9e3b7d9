"""The load ledger (meta.loads): one row per content seen, the guard that keeps it so under concurrent writers, and what a source's feed and files looked like when last read."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime

import polars as pl

from warehouse.connection import in_transaction, utcnow


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


def make_load_id(source: str, snapshot_key: str, sha256: str) -> str:
    """Readable and traceable: which source, which snapshot, which content."""
    return f"{source}:{snapshot_key}@{sha256[:12]}"


LEDGER_GUARD = "meta.ledger_guard"


def guard_ledger(con) -> None:
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


def insert_ledger(con, rows: list[LedgerRow]) -> None:
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
        guard_ledger(con)
        if _already(con, row.load_id) is not None:
            return False
        insert_ledger(con, [row])
        return True

    return in_transaction(con, write)


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
