"""The steps of one snapshot load: fetch -> stage (parse) -> validate -> publish or quarantine.

Plain functions, so tests call them without Prefect; flows/pipeline.py wraps each in a thin task.
They pass paths and small records between them, never open connections or big frames.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import polars as pl

from aigap.config import raw_dir, staging_dir
from expectations.gate import GateReport
from sources import http, registry
from sources.base import GateContext, SnapshotRef, local_path
from transforms.errors import SnapshotRejected
from warehouse import store
from warehouse.landing import LandedFile, land, sha256_of


@dataclass(frozen=True)
class Staged:
    """A parsed snapshot waiting for its gate, or the reasons it could not be parsed."""

    load_id: str
    snapshot_date: date | None
    rows: int = 0
    path: str | None = None  # staged parquet
    details: dict = field(default_factory=dict)
    rejected: list[dict] | None = None
    table: str | None = None  # the core table to publish into (None: the source's core_table)


@dataclass(frozen=True)
class LoadOutcome:
    source: str
    snapshot_key: str
    snapshot_date: date | None
    status: str  # published | quarantined | skipped
    load_id: str | None
    rows: int | None = None
    reasons: list[str] = field(default_factory=list)
    note: str = ""


def fetch(ref: SnapshotRef, warehouse: Path) -> LandedFile:
    """Get the snapshot's bytes and land them, immutable and content-addressed."""
    adapter = registry()[ref.source]
    if adapter.conditional_fetch and local_path(ref.location) is None:
        return fetch_feed(ref, warehouse)
    return land(raw_dir(warehouse), ref.source, ref.key, adapter.fetch(ref))


def fetch_feed(ref: SnapshotRef, warehouse: Path) -> LandedFile:
    """GET a feed URL, sending the ETag / Last-Modified of the last fetch (conditional GET).

    304 Not Modified reuses the bytes landed then, so an unchanged feed costs one empty response
    and is then skipped as known content. The landed file carries the content's served date
    (Last-Modified, else the day it was first fetched): the feed's edition.
    """
    with store.connect(warehouse) as con:
        previous = store.feed_validators(con, ref.source, ref.location)
    if previous and not (warehouse.parent / previous["raw_path"]).exists():
        previous = None  # the raw file is gone: fetch in full
    fetched = registry()[ref.source].fetch_conditional(ref, previous)
    if fetched.not_modified and previous:
        data, served = (warehouse.parent / previous["raw_path"]).read_bytes(), previous["served_date"]
    else:
        data, served = fetched.content or b"", http.served_date(fetched.last_modified) or date.today()
        if previous and sha256_of(data) == previous["content_sha256"]:
            served = previous["served_date"]  # same bytes served again without validators
    landed = land(raw_dir(warehouse), ref.source, ref.key, data)
    with store.connect(warehouse) as con:
        store.save_feed_validators(
            con, ref.source, ref.location, fetched.etag, fetched.last_modified, served, landed.sha256,
            landed.path.relative_to(warehouse.parent).as_posix(),
        )  # fmt: skip
    return replace(landed, served_date=served)


def known_outcome(ref: SnapshotRef, landed: LandedFile | None, warehouse: Path) -> LoadOutcome | None:
    """If the ledger already holds exactly this content under this key, nothing is to be done.

    Without `landed` (before fetching), only a source with immutable keys can tell.
    """
    with store.connect(warehouse) as con:
        if landed is not None:
            known = store.find_load(con, ref.source, ref.key, landed.sha256)
        elif registry()[ref.source].immutable_keys:
            known = store.find_key(con, ref.source, ref.key)
        else:
            known = None
    if known is None:
        return None
    return LoadOutcome(
        ref.source,
        ref.key,
        ref.snapshot_date,
        "skipped",
        known["load_id"],
        note=f"already {known['status']} ({known['finished_at']:%Y-%m-%d %H:%M} UTC)",
    )


def stage(ref: SnapshotRef, landed: LandedFile, warehouse: Path) -> Staged:
    """Parse the landed bytes into a staged parquet file (or collect why they cannot be parsed)."""
    load_id = store.make_load_id(ref.source, ref.key, landed.sha256)
    if ref.snapshot_date is None and landed.served_date is not None:
        ref = replace(ref, snapshot_date=landed.served_date)  # a feed URL is dated by its server
    try:
        parsed = registry()[ref.source].parse(landed.path.read_bytes(), ref)
    except SnapshotRejected as exc:
        return Staged(load_id, ref.snapshot_date, rejected=exc.reasons)
    folder = staging_dir(warehouse)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{landed.sha256}.parquet"
    parsed.frame.with_columns(
        pl.lit(load_id).alias("load_id"), pl.lit(ref.source).alias("source"), pl.lit(ref.key).alias("snapshot_key")
    ).write_parquet(path)
    return Staged(
        load_id,
        parsed.snapshot_date,
        len(parsed.frame),
        str(path),
        parsed.details,
        None,
        parsed.table,
    )


def validate(ref: SnapshotRef, staged: Staged, warehouse: Path, today: date) -> GateReport:
    """Run the source's Great Expectations suite on the staged frame."""
    series = registry()[ref.source].series(ref.key)
    with store.connect(warehouse) as con:
        previous = store.previous_published_rows(con, ref.source, staged.snapshot_date or today, series)
    frame = pl.read_parquet(staged.path)
    return registry()[ref.source].gate(frame, GateContext(today=today, previous_rows=previous))


def _ledger_row(ref, landed, staged, warehouse, status, started_at, flow_run_id, reasons=None, published=None):
    return store.LedgerRow(
        load_id=staged.load_id,
        source=ref.source,
        snapshot_key=ref.key,
        snapshot_date=staged.snapshot_date,
        content_sha256=landed.sha256,
        status=status,
        rows_in=staged.rows if staged.rejected is None else None,
        rows_published=published,
        reasons=reasons,
        details=staged.details or None,
        raw_path=landed.path.relative_to(warehouse.parent).as_posix(),
        flow_run_id=flow_run_id,
        started_at=started_at,
        finished_at=store.utcnow(),
    )


def publish(ref, landed, staged: Staged, warehouse: Path, started_at, flow_run_id=None) -> LoadOutcome:
    """Write the validated rows and their ledger row in one transaction."""
    frame = pl.read_parquet(staged.path)
    row = _ledger_row(ref, landed, staged, warehouse, "published", started_at, flow_run_id, published=len(frame))
    adapter = registry()[ref.source]
    table = staged.table or adapter.core_table
    with store.connect(warehouse) as con:
        written = store.publish(con, table, frame, row, same_date_only=adapter.keeps_editions)
    Path(staged.path).unlink(missing_ok=True)
    return LoadOutcome(ref.source, ref.key, staged.snapshot_date, "published", staged.load_id, written)


def quarantine(ref, landed, staged: Staged, reasons: list[dict], warehouse: Path, started_at, flow_run_id=None):
    """Record the failure with its reasons; the raw bytes stay landed, nothing is published."""
    row = _ledger_row(ref, landed, staged, warehouse, "quarantined", started_at, flow_run_id, reasons=reasons)
    with store.connect(warehouse) as con:
        store.record(con, row)
    if staged.path:
        Path(staged.path).unlink(missing_ok=True)
    return LoadOutcome(
        ref.source,
        ref.key,
        staged.snapshot_date,
        "quarantined",
        staged.load_id,
        staged.rows,
        reasons=[r["reason"] for r in reasons],
    )


def skip_duplicate_content(ref, landed, warehouse: Path, started_at, flow_run_id=None) -> LoadOutcome | None:
    """A new key whose bytes equal an already published snapshot (e.g. an unchanged Hub revision)."""
    with store.connect(warehouse) as con:
        same_as = store.find_published_content(con, ref.source, landed.sha256)
        if same_as is None:
            return None
        load_id = store.make_load_id(ref.source, ref.key, landed.sha256)
        staged = Staged(load_id, ref.snapshot_date, details={"same_content_as": same_as})
        row = _ledger_row(ref, landed, staged, warehouse, "skipped", started_at, flow_run_id)
        store.record(con, row)
    return LoadOutcome(ref.source, ref.key, ref.snapshot_date, "skipped", load_id, note=f"same content as {same_as}")


def reasons_json(outcome: LoadOutcome) -> str:
    return json.dumps(outcome.reasons)
