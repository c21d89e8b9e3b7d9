"""The steps of one snapshot load: fetch -> stage (parse) -> validate -> settle -> publish or quarantine.

Plain functions, so tests call them without Prefect; flows/pipeline.py wraps each in a thin task.
They pass paths and small records between them, never open connections or big frames.

A run gates every snapshot first, then `settle`s what passed before publishing any of it: two
different contents claiming one snapshot in one run (two files dated the same day, two copies of
the same figures) are both held back with a reason naming them, never one picked silently; which
load counts among runs is the store's rule (warehouse/store.py, "which load counts").
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import polars as pl

from aigap.config import raw_dir, staging_dir
from expectations.gate import GateReport
from sources import registry
from sources.base import GateContext, SnapshotRef, local_path
from transforms.errors import SnapshotRejected
from warehouse import store
from warehouse.landing import LandedFile, land, remove_partial_landings, sha256_of

log = logging.getLogger(__name__)


def _today() -> date:
    return date.today()


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
    superseded: list[str] = field(default_factory=list)  # published: the loads it replaced


@dataclass(frozen=True)
class Ready:
    """A snapshot that passed its gate, waiting for the run to settle before it is published."""

    ref: SnapshotRef
    landed: LandedFile
    staged: Staged
    started_at: object
    series: str  # the source's series of this key (the gate's size comparison)

    @property
    def table(self) -> str:
        return self.staged.table or registry()[self.ref.source].core_table


def fetch(ref: SnapshotRef, warehouse: Path) -> LandedFile:
    """Get the snapshot's bytes and land them, immutable and content-addressed."""
    adapter = registry()[ref.source]
    if adapter.conditional_fetch and local_path(ref.location) is None:
        return fetch_feed(ref, warehouse)
    return land(raw_dir(warehouse), ref.source, ref.key, adapter.fetch(ref))


def fetch_feed(ref: SnapshotRef, warehouse: Path) -> LandedFile:
    """GET a feed URL, sending the ETag / Last-Modified of the last fetch (conditional GET).

    304 Not Modified reuses the bytes landed then, so an unchanged feed costs one empty response
    and is then skipped as known content. The landed file carries the day its content was first
    retrieved (a funding URL without an edition in its path is dated by it); Last-Modified is kept
    only to be sent back.
    """
    with store.connect(warehouse) as con:
        previous = store.feed_validators(con, ref.source, ref.location)
    if previous and not (warehouse.parent / previous["raw_path"]).exists():
        previous = None  # the raw file is gone: fetch in full
    fetched = registry()[ref.source].fetch_conditional(ref, previous)
    if fetched.not_modified and previous:
        data, first_fetched = (warehouse.parent / previous["raw_path"]).read_bytes(), previous["first_fetched"]
    else:
        data, first_fetched = fetched.content or b"", _today()
        if previous and sha256_of(data) == previous["content_sha256"]:
            first_fetched = previous["first_fetched"]  # same bytes served again without validators
    landed = land(raw_dir(warehouse), ref.source, ref.key, data)
    with store.connect(warehouse) as con:
        store.save_feed_validators(
            con, ref.source, ref.location, fetched.etag, fetched.last_modified, first_fetched, landed.sha256,
            landed.path.relative_to(warehouse.parent).as_posix(),
        )  # fmt: skip
    return replace(landed, first_fetched=first_fetched)


def known_outcome(ref: SnapshotRef, landed: LandedFile | None, warehouse: Path, con=None) -> LoadOutcome | None:
    """If this content under this key needs no loading (store.find_known), the skip that says why.

    Without `landed` (before fetching), only a source with immutable keys can tell.
    """
    if landed is None and not registry()[ref.source].immutable_keys:
        return None  # a file may have changed under its name: only its bytes can tell
    if con is None:
        with store.connect(warehouse) as con:
            return known_outcome(ref, landed, warehouse, con)
    if landed is not None:
        known = store.find_known(con, ref.source, ref.key, landed.sha256)
    elif registry()[ref.source].immutable_keys:
        known = store.find_key(con, ref.source, ref.key)
    else:
        known = None
    if known is None:
        return None
    since = f"{known['finished_at']:%Y-%m-%d %H:%M} UTC"
    replaced = f", replaced by {known['superseded_by']}" if known.get("superseded_by") else ""
    note = f"unchanged: already {known['status']} ({since}{replaced})"
    return LoadOutcome(ref.source, ref.key, ref.snapshot_date, "skipped", known["load_id"], note=note)


def triage(ref: SnapshotRef, landed: LandedFile, warehouse: Path, started_at, flow_run_id=None) -> LoadOutcome | str:
    """After fetching, in one connection: the skip for known content, or for a new key whose bytes an
    already published load holds (recorded); else the load id the content gets (`#2` after a revert)."""
    with store.connect(warehouse) as con:
        if known := known_outcome(ref, landed, warehouse, con):
            return known
        if duplicate := skip_duplicate_content(ref, landed, warehouse, started_at, flow_run_id, con):
            return duplicate
        return store.new_load_id(con, ref.source, ref.key, landed.sha256)


def stage(ref: SnapshotRef, landed: LandedFile, warehouse: Path, load_id: str | None = None) -> Staged:
    """Parse the landed bytes into a staged parquet file (or collect why they cannot be parsed).

    Every parse failure becomes reasons for a quarantine with a ledger row: a rejection the parser
    explains, and any other error a parser meets on hostile bytes (named, with its message).
    `load_id`: as `triage` gave it (else asked of the ledger)."""
    if load_id is None:
        with store.connect(warehouse) as con:
            load_id = store.new_load_id(con, ref.source, ref.key, landed.sha256)
    ref = replace(ref, first_fetched=landed.first_fetched)
    try:
        parsed = registry()[ref.source].parse(landed.path.read_bytes(), ref)
    except SnapshotRejected as exc:
        return Staged(load_id, ref.snapshot_date, rejected=exc.reasons)
    except Exception as exc:  # a parser bug or unforeseen bytes: held back with the error, never a crash
        log.exception("parser of %r failed on %r", ref.source, ref.key)
        reason = f"could not be parsed: {type(exc).__name__}: {str(exc)[:300]}"
        return Staged(load_id, ref.snapshot_date, rejected=[{"check": "parse", "reason": reason}])
    folder = staging_dir(warehouse)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sha256_of(load_id.encode())[:24]}.parquet"  # one file per load, even for equal bytes
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


def validate(
    ref: SnapshotRef, staged: Staged, warehouse: Path, today: date, earlier: list[tuple[date, int]] = ()
) -> GateReport:
    """Run the source's Great Expectations suite on the staged frame. Its size check compares with the
    latest earlier snapshot of the series: published, or accepted earlier in this run (`earlier`:
    (date, rows) of this series' snapshots accepted so far, see `accepted_before`)."""
    series = registry()[ref.source].series(ref.key)
    day = staged.snapshot_date or today
    with store.connect(warehouse) as con:
        published = store.previous_published(con, ref.source, day, series)
    previous = max(filter(None, [published, *(e for e in earlier if e[0] < day)]), default=None)
    frame = pl.read_parquet(staged.path)
    context = GateContext(today=today, previous_rows=previous[1] if previous else None)
    return registry()[ref.source].gate(frame, context)


def accepted_before(ref: SnapshotRef, accepted: list[Ready]) -> list[tuple[date, int]]:
    """(date, rows) of the snapshots of `ref`'s series that passed their gate earlier in this run."""
    series = registry()[ref.source].series(ref.key)
    return [
        (r.staged.snapshot_date, r.staged.rows)
        for r in accepted
        if r.ref.source == ref.source and r.series == series and r.staged.snapshot_date is not None
    ]


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
    """Write the validated rows and their ledger row in one transaction, superseding what they replace."""
    frame = pl.read_parquet(staged.path)
    row = _ledger_row(ref, landed, staged, warehouse, "published", started_at, flow_run_id, published=len(frame))
    adapter = registry()[ref.source]
    table = staged.table or adapter.core_table
    try:
        with store.connect(warehouse) as con:
            done = store.publish(con, table, frame, row, replaces_key=not adapter.keeps_editions)
    except store.LoadedConcurrently as exc:  # another worker published this very content first
        Path(staged.path).unlink(missing_ok=True)
        note = f"unchanged: already {exc.status} by another run meanwhile"
        return LoadOutcome(ref.source, ref.key, staged.snapshot_date, "skipped", staged.load_id, note=note)
    Path(staged.path).unlink(missing_ok=True)
    note = f"replaces {', '.join(done.superseded)}" if done.superseded else ""
    return LoadOutcome(
        ref.source, ref.key, staged.snapshot_date, "published", staged.load_id, done.rows, note=note,
        superseded=done.superseded,
    )  # fmt: skip


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


def skip_duplicate_content(ref, landed, warehouse: Path, started_at, flow_run_id=None, con=None) -> LoadOutcome | None:
    """A new key whose bytes equal an already published snapshot (e.g. an unchanged Hub revision)."""
    if con is None:
        with store.connect(warehouse) as con:
            return skip_duplicate_content(ref, landed, warehouse, started_at, flow_run_id, con)
    same_as = store.find_published_content(con, ref.source, landed.sha256)
    if same_as is None:
        return None
    load_id = store.new_load_id(con, ref.source, ref.key, landed.sha256)
    staged = Staged(load_id, ref.snapshot_date, details={"same_content_as": same_as})
    store.record(con, _ledger_row(ref, landed, staged, warehouse, "skipped", started_at, flow_run_id))
    return LoadOutcome(ref.source, ref.key, ref.snapshot_date, "skipped", load_id, note=f"same content as {same_as}")


def reasons_json(outcome: LoadOutcome) -> str:
    return json.dumps(outcome.reasons)


@dataclass(frozen=True)
class Settled:
    """What a run may publish, once every snapshot of the run has passed or failed its gate."""

    publish: list[Ready]  # in fetch order
    conflicts: list[tuple[Ready, list[dict]]]  # held back, with the reason naming every claimant
    duplicates: list[tuple[Ready, Ready]]  # (this one, the one with the same bytes that goes ahead)


def _identities(ready: Ready) -> set[tuple]:
    columns = store.identity_columns(ready.table)
    return store.identities(ready.table, pl.read_parquet(ready.staged.path, columns=list(columns)))


def _describe_identity(identity: tuple) -> str:
    table, *values = identity
    return f"{table} " + " ".join(str(v) for v in values)


def settle(ready: list[Ready]) -> Settled:
    """Decide, for the snapshots of one run that passed their gates, which may be published.

    - The same bytes twice (a folder linked twice, two sources serving one file): the first goes
      ahead, the others are skipped as the same content.
    - Different contents reporting one identity (one leaderboard on one date; one funding figure):
      a conflict nothing in the run can settle, so every claimant is held back with a reason naming
      all of them, and the next run looks again. Successive revisions of an ordered source (Hub
      commits of one day) are not a conflict: they publish in order and the last counts.
    """
    first_with: dict[str, Ready] = {}
    duplicates: list[tuple[Ready, Ready]] = []
    distinct: list[Ready] = []
    for item in ready:
        if (same := first_with.get(item.landed.sha256)) is not None:
            duplicates.append((item, same))
            continue
        first_with[item.landed.sha256] = item
        distinct.append(item)
    claimants: dict[tuple, list[Ready]] = {}
    for item in distinct:
        for identity in _identities(item):
            claimants.setdefault(identity, []).append(item)
    held: dict[str, list[tuple]] = {}
    for identity, items in claimants.items():
        sources = {i.ref.source for i in items}
        ordered = len(sources) == 1 and registry()[next(iter(sources))].ordered_keys
        if len(items) > 1 and not ordered:
            for item in items:
                held.setdefault(item.staged.load_id, []).append(identity)
    conflicts = []
    for item in distinct:
        if item.staged.load_id not in held:
            continue
        identities = held[item.staged.load_id]
        others = sorted({o.staged.load_id for i in identities for o in claimants[i]})
        shown = "; ".join(_describe_identity(i) for i in sorted(identities, key=str)[:3])
        more = f" (and {len(identities) - 3} more)" if len(identities) > 3 else ""
        reason = (
            f"two contents for one snapshot in one run ({shown}{more}): {', '.join(others)}. "
            "Nothing decides which is right, so neither is published: remove or rename the wrong one "
            "(or load them in separate runs, the later counts); the next run looks again"
        )
        conflicts.append((item, [{"check": store.CONFLICT_CHECK, "reason": reason, "claimants": others}]))
    return Settled([i for i in distinct if i.staged.load_id not in held], conflicts, duplicates)


def skip_same_content(item: Ready, same: Ready, warehouse: Path, flow_run_id=None) -> LoadOutcome:
    """Record a load of this run whose bytes equal another's of the same run (see `settle`)."""
    staged = replace(item.staged, details={"same_content_as": same.staged.load_id})
    row = _ledger_row(item.ref, item.landed, staged, warehouse, "skipped", item.started_at, flow_run_id)
    with store.connect(warehouse) as con:
        store.record(con, row)
    if item.staged.path:
        Path(item.staged.path).unlink(missing_ok=True)
    return LoadOutcome(
        item.ref.source, item.ref.key, item.staged.snapshot_date, "skipped", item.staged.load_id,
        note=f"same content as {same.staged.load_id}",
    )  # fmt: skip


def clear_staging(warehouse: Path) -> None:
    """Empty the staging folder and remove half-written landings: what a killed run leaves behind.

    Called at the start and the end of every run, while it holds the run lock (flows/writer.py), so
    the staging folder only ever holds the current run's files."""
    shutil.rmtree(staging_dir(warehouse), ignore_errors=True)
    remove_partial_landings(raw_dir(warehouse))
