"""The steps of a snapshot load: fetch -> stage (parse) -> validate -> settle -> publish or quarantine.

Plain functions, so tests call them without Prefect; flows/pipeline.py wraps each stage in a thin
task. They pass paths and small records between them, never big frames.

A run moves a source's snapshots through each step together, so that its cost follows what is new:
`known_without_reading` sets aside what the ledger already holds before any byte is read (a Hub
revision by its sha; a local file by its path, size and mtime as last read); `fetch_and_stage`
fetches and parses the new ones concurrently; `gate_batch` validates them in few Great Expectations
runs (common/gate.py `screen`), each snapshot still judged alone; `publish_batch` publishes
them on one connection, several per transaction, each snapshot's publish still atomic and its
outcome its own (a group that fails is published again one snapshot per transaction).

A run gates every snapshot first, then `settle`s what passed before publishing any of it: two
different contents claiming one snapshot in one run (two files dated the same day, two copies of
the same figures) are both held back with a reason naming them, never one picked silently; which
load counts among runs is the warehouse's rule (warehouse/publishing.py, "which load counts").
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import polars as pl

from common import gate
from common.errors import SnapshotRejected
from common.gate import GateReport
from common.settings import landed_path, landing_leftover_age, ledger_raw_path, raw_dir, staging_dir
from datasets import registry
from datasets.base import GateContext, SnapshotRef, local_path
from warehouse.connection import connect, is_conflict, utcnow
from warehouse.landing import LandedFile, land, remove_partial_landings, sha256_of
from warehouse.ledger import (
    CONFLICT_CHECK,
    LedgerRow,
    LoadedConcurrently,
    SourceLedger,
    feed_validators,
    file_stats,
    record,
    save_feed_validators,
    save_file_stats,
)
from warehouse.publishing import Publication, Published, identities, identity_columns, publish_many

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
    data = adapter.fetch(ref)
    landed = land(raw_dir(warehouse), ref.source, ref.key, data)
    content = adapter.content_sha256(data)  # the content's identity, where it is not the bytes'
    return landed if content is None else replace(landed, sha256=content)


def fetch_feed(ref: SnapshotRef, warehouse: Path) -> LandedFile:
    """GET a feed URL, sending the ETag / Last-Modified of the last fetch (conditional GET).

    304 Not Modified reuses the bytes landed then, so an unchanged feed costs one empty response
    and is then skipped as known content. The landed file carries the day its content was first
    retrieved (a funding URL without an edition in its path is dated by it); Last-Modified is kept
    only to be sent back.
    """
    with connect(warehouse) as con:
        previous = feed_validators(con, ref.source, ref.location)
    if previous and not landed_path(warehouse, previous["raw_path"]).exists():
        previous = None  # the raw file is gone: fetch in full
    fetched = registry()[ref.source].fetch_conditional(ref, previous)
    if fetched.not_modified and previous:
        data, first_fetched = landed_path(warehouse, previous["raw_path"]).read_bytes(), previous["first_fetched"]
    else:
        data, first_fetched = fetched.content or b"", _today()
        if previous and sha256_of(data) == previous["content_sha256"]:
            first_fetched = previous["first_fetched"]  # same bytes served again without validators
    landed = land(raw_dir(warehouse), ref.source, ref.key, data)
    with connect(warehouse) as con:
        save_feed_validators(
            con, ref.source, ref.location, fetched.etag, fetched.last_modified, first_fetched, landed.sha256,
            ledger_raw_path(warehouse, landed.path),
        )  # fmt: skip
    return replace(landed, first_fetched=first_fetched)


def known_outcome(
    ref: SnapshotRef, landed: LandedFile | None, warehouse: Path, ledger: SourceLedger | None = None
) -> LoadOutcome | None:
    """If this content under this key needs no loading (SourceLedger.known), the skip that says why.

    Without `landed` (before fetching), only a source with immutable keys can tell. `ledger`: the
    source's ledger as read for the batch (else this key's is read)."""
    immutable = registry()[ref.source].immutable_keys
    if landed is None and not immutable:
        return None  # a file may have changed under its name: only its bytes can tell
    if ledger is None:
        with connect(warehouse) as con:
            ledger = SourceLedger.read(con, ref.source, ref.key)
    known = ledger.known(ref.key, landed.sha256) if landed is not None else ledger.latest_of_key(ref.key)
    return None if known is None else _skip_known(ref, known)


def _skip_known(ref: SnapshotRef, known: dict) -> LoadOutcome:
    since = f"{known['finished_at']:%Y-%m-%d %H:%M} UTC"
    replaced = f", replaced by {known['superseded_by']}" if known.get("superseded_by") else ""
    note = f"unchanged: already {known['status']} ({since}{replaced})"
    return LoadOutcome(ref.source, ref.key, ref.snapshot_date, "skipped", known["load_id"], note=note)


def file_stat(ref: SnapshotRef) -> tuple[str, int, int] | None:
    """(path, size, mtime in ns) of a local snapshot file; None for a URL or a missing file."""
    path = local_path(ref.location)
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path), stat.st_size, stat.st_mtime_ns


def known_without_reading(refs: list[SnapshotRef], warehouse: Path) -> list[LoadOutcome | None]:
    """For each ref (all of one source), the skip when the ledger already holds its content, told
    without reading a byte: a key that names immutable content (a Hub revision) is in the ledger; or a
    local file's path, size and mtime are those it had when last read (meta.file_stats), and that
    content under this key is known (the same rule as after reading: SourceLedger.known). None: the
    snapshot must be fetched (and its bytes decide). A URL is always asked (conditional GET)."""
    if not refs:
        return []
    adapter = registry()[refs[0].source]
    with connect(warehouse) as con:
        stats = {} if adapter.immutable_keys else file_stats(con, adapter.name)
        ledger = SourceLedger.read(con, adapter.name)
    skips: list[LoadOutcome | None] = []
    for ref in refs:
        known = None
        if adapter.immutable_keys:
            known = ledger.latest_of_key(ref.key)
        elif (stat := file_stat(ref)) is not None:
            path, size, mtime_ns = stat
            seen = stats.get((ref.key, path))
            if seen is not None and seen[:2] == (size, mtime_ns):
                known = ledger.known(ref.key, seen[2])
        skips.append(None if known is None else _skip_known(ref, known))
    return skips


def triage(
    ref: SnapshotRef, landed: LandedFile, warehouse: Path, started_at, flow_run_id, ledger: SourceLedger
) -> LoadOutcome | str:
    """After fetching, by the source's ledger as read for the batch: the skip for known content, or for
    a new key whose bytes an already published load holds (recorded); else the load id the content
    gets (`#2` after a revert)."""
    if known := known_outcome(ref, landed, warehouse, ledger):
        return known
    if duplicate := skip_duplicate_content(ref, landed, warehouse, started_at, flow_run_id, ledger):
        return duplicate
    return ledger.new_load_id(ref.key, landed.sha256)


def stage(ref: SnapshotRef, landed: LandedFile, warehouse: Path, load_id: str | None = None) -> Staged:
    """Parse the landed bytes into a staged parquet file (or collect why they cannot be parsed).

    Every parse failure becomes reasons for a quarantine with a ledger row: a rejection the parser
    explains, and any other error a parser meets on hostile bytes (named, with its message).
    `load_id`: as `triage` gave it (else asked of the ledger)."""
    if load_id is None:
        with connect(warehouse) as con:
            load_id = SourceLedger.read(con, ref.source, ref.key).new_load_id(ref.key, landed.sha256)
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
    """Run the source's Great Expectations suite on one staged frame. Its size check compares with the
    latest earlier snapshot of the series: published, or accepted earlier in this run (`earlier`:
    (date, rows) of this series' snapshots accepted so far, see `accepted_before`). A run gates its
    snapshots together (`gate_batch`); this is the same gate for one."""
    with connect(warehouse) as con:
        ledger = SourceLedger.read(con, ref.source)
    context = GateContext(today, previous_rows(ledger, ref, staged.snapshot_date or today, earlier))
    return registry()[ref.source].gate(pl.read_parquet(staged.path), context)


def previous_rows(ledger: SourceLedger, ref: SnapshotRef, day: date, earlier: Iterable[tuple[date, int]]) -> int | None:
    """Rows of the latest snapshot of `ref`'s series dated before `day`: published, or among `earlier`."""
    published = ledger.previous_published(day, registry()[ref.source].series(ref.key))
    previous = max(filter(None, [published, *(e for e in earlier if e[0] < day)]), default=None)
    return previous[1] if previous else None


def accepted_before(ref: SnapshotRef, accepted: list[Ready]) -> list[tuple[date, int]]:
    """(date, rows) of the snapshots of `ref`'s series that passed their gate earlier in this run."""
    series = registry()[ref.source].series(ref.key)
    return [
        (r.staged.snapshot_date, r.staged.rows)
        for r in accepted
        if r.ref.source == ref.source and r.series == series and r.staged.snapshot_date is not None
    ]


# --- a source's new snapshots, stage by stage ----------------------------------------------------

# Threads for fetching and parsing: I/O and polars (which releases the GIL) overlap; a few are enough
# on a small machine, and a Hub or feed host sees at most this many requests at once.
WORKERS = min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class Parsed:
    """A new snapshot, landed and staged (or with the reasons it could not be parsed), before its gate."""

    ref: SnapshotRef
    landed: LandedFile
    staged: Staged
    started_at: object


@dataclass(frozen=True)
class Held:
    """A snapshot its gate (or its parser) holds back, with the reasons: quarantined next."""

    item: Parsed
    reasons: list[dict]


def _each(function: Callable, items: Iterable, workers: int) -> list:
    """function(item) for every item on `workers` threads, in order; an exception is the item's result."""

    def attempt(item):
        try:
            return function(item)
        except Exception as exc:  # one snapshot's failure is its own (the flow reports it)
            return exc

    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [attempt(item) for item in items]
    with ThreadPoolExecutor(workers, thread_name_prefix="aigap-load") as pool:
        return list(pool.map(attempt, items))


def fetch_and_stage(
    refs: list[SnapshotRef], warehouse: Path, flow_run_id=None, workers: int = WORKERS
) -> list[Parsed | LoadOutcome | Exception]:
    """Fetch and parse new snapshots concurrently; for each ref, in order: a Parsed, the skip its bytes
    earn (known content, or the same bytes as a published load: `triage`), or the exception that
    stopped it (SnapshotUnavailable: nothing published under that key).

    A local file's stat is taken before its bytes are read and saved with their hash, so that the
    next run knows it without reading it (`known_without_reading`)."""
    if not refs:
        return []
    started_at = utcnow()

    def land_one(ref: SnapshotRef):
        return file_stat(ref), fetch(ref, warehouse)

    landed = _each(land_one, refs, workers)
    stats = [(ref.key, *out[0], out[1].sha256) for ref, out in zip(refs, landed, strict=True)
             if not isinstance(out, Exception) and out[0] is not None]  # fmt: skip
    with connect(warehouse) as con:  # the ledger is read (once) and written by one thread
        save_file_stats(con, refs[0].source, stats)
        ledger = SourceLedger.read(con, refs[0].source)
    results: list = []
    for ref, outcome in zip(refs, landed, strict=True):
        if isinstance(outcome, Exception):
            results.append(outcome)
            continue
        landed_file = outcome[1]
        verdict = triage(ref, landed_file, warehouse, started_at, flow_run_id, ledger)
        results.append(verdict if isinstance(verdict, LoadOutcome) else (ref, landed_file, verdict))
    to_stage = [r for r in results if isinstance(r, tuple)]
    staged = iter(_each(lambda r: stage(r[0], r[1], warehouse, r[2]), to_stage, workers))
    parsed = []
    for result in results:
        if not isinstance(result, tuple):
            parsed.append(result)
            continue
        ref, landed_file, _ = result
        done = next(staged)
        parsed.append(done if isinstance(done, Exception) else Parsed(ref, landed_file, done, started_at))
    return parsed


def _chunks(items: list, rows: int) -> Iterable[list]:
    """Consecutive runs of items (Parsed or Ready) of at most `rows` staged rows (an item alone may exceed it)."""
    chunk, size = [], 0
    for item in items:
        if chunk and size + item.staged.rows > rows:
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += item.staged.rows
    if chunk:
        yield chunk


def gate_batch(
    items: list[Parsed],
    warehouse: Path,
    today: date,
    accepted: list[Ready] = (),
    batch_rows: int = gate.BATCH_ROWS,
    logger: logging.Logger | logging.LoggerAdapter = log,
) -> list[Ready | Held]:
    """The gate for a source's new snapshots, in order: each a Ready to publish or Held with its reasons.

    Row-level checks run once for a chunk of snapshots (`gate.screen`, one GX run per ~batch_rows
    rows); then each snapshot, oldest first, gets its own verdict: its row count against the latest
    earlier snapshot of its series (published, or accepted earlier in this run: `accepted`, then
    this batch), and a validation on its own when the batch found anything against it, so its
    reasons are exactly those a lone validation gives."""
    adapter = registry()[items[0].ref.source] if items else None
    earlier = list(accepted)
    results: list[Ready | Held] = []
    if adapter is None:
        return results
    with connect(warehouse) as con:
        ledger = SourceLedger.read(con, adapter.name)
    for chunk in _chunks(items, batch_rows):
        frames = {id(i): pl.read_parquet(i.staged.path) for i in chunk if i.staged.rejected is None}
        provisional = GateContext(today=today)  # the row-level checks do not depend on earlier snapshots
        plans = {key: adapter.gate_plan(frame, provisional) for key, frame in frames.items()}
        batchable = [key for key, plan in plans.items() if plan is not None]
        cleared = dict(zip(batchable, gate.screen([plans[k] for k in batchable]), strict=True))
        for item in chunk:
            if item.staged.rejected is not None:
                results.append(Held(item, item.staged.rejected))
                continue
            day = item.staged.snapshot_date or today
            context = GateContext(today, previous_rows(ledger, item.ref, day, accepted_before(item.ref, earlier)))
            frame = frames.pop(id(item))
            plan = adapter.gate_plan(frame, context)
            report = adapter.gate(frame, context) if plan is None else gate.verdict(plan, cleared.get(id(item)))
            logger.info("gate %r %r: %s", item.ref.source, item.ref.key, report.summary())
            if report.failures:
                results.append(Held(item, report.failures))
                continue
            ready = Ready(item.ref, item.landed, item.staged, item.started_at, adapter.series(item.ref.key))
            earlier.append(ready)
            results.append(ready)
    return results


# Rows per publish transaction: the group's frames are held, concatenated and handed to DuckDB at
# once, so memory follows this, not the batch (~100,000 rows of a leaderboard: a few tens of MB,
# twice while concatenated); past a few tens of snapshots a bigger group saves next to nothing.
PUBLISH_ROWS = 100_000


def publish_batch(
    items: list[Ready], warehouse: Path, flow_run_id=None, group_rows: int = PUBLISH_ROWS, logger=log
) -> list[LoadOutcome]:
    """Publish settled snapshots in order, on one connection (one writer), a group of them (up to
    ~group_rows rows) per transaction: each snapshot's publish is atomic (its rows, its ledger row and
    what it supersedes commit together) and the outcomes are those of publishing one after another.
    A group whose transaction fails (not a commit conflict: those are retried) is rolled back and
    published again one snapshot per transaction, so a bad snapshot fails alone, as it would on its own."""
    outcomes: list[LoadOutcome] = []
    with connect(warehouse) as con:
        for group in _chunks(items, group_rows):
            outcomes += _publish_group(group, warehouse, flow_run_id, con, logger)
    return outcomes


def _publish_group(items: list[Ready], warehouse: Path, flow_run_id, con, logger) -> list[LoadOutcome]:
    publications = [_publication(i.ref, i.landed, i.staged, warehouse, i.started_at, flow_run_id) for i in items]
    try:
        results = publish_many(con, publications)
    except Exception as exc:
        if len(items) == 1 or is_conflict(exc):
            raise
        logger.warning("publishing %d snapshots of %r together failed (%s: %s); publishing them one at a time",
                       len(items), items[0].ref.source, type(exc).__name__, str(exc)[:300])  # fmt: skip
        del publications  # the frames are read again, one at a time
        return [publish(i.ref, i.landed, i.staged, warehouse, i.started_at, flow_run_id, con) for i in items]
    return [_outcome(i.ref, i.staged, result) for i, result in zip(items, results, strict=True)]


def _publication(ref, landed, staged: Staged, warehouse: Path, started_at, flow_run_id) -> Publication:
    frame = pl.read_parquet(staged.path)
    row = _ledger_row(ref, landed, staged, warehouse, "published", started_at, flow_run_id, published=len(frame))
    adapter = registry()[ref.source]
    return Publication(staged.table or adapter.core_table, frame, row, replaces_key=not adapter.keeps_editions)


def _outcome(ref, staged: Staged, result: Published | LoadedConcurrently) -> LoadOutcome:
    """A snapshot's outcome once its publish has committed (or found it recorded by another run)."""
    Path(staged.path).unlink(missing_ok=True)
    if isinstance(result, LoadedConcurrently):  # another worker published this very content first
        note = f"unchanged: already {result.status} by another run meanwhile"
        return LoadOutcome(ref.source, ref.key, staged.snapshot_date, "skipped", staged.load_id, note=note)
    note = f"replaces {', '.join(result.superseded)}" if result.superseded else ""
    return LoadOutcome(
        ref.source, ref.key, staged.snapshot_date, "published", staged.load_id, result.rows, note=note,
        superseded=result.superseded,
    )  # fmt: skip


def _ledger_row(ref, landed, staged, warehouse, status, started_at, flow_run_id, reasons=None, published=None):
    return LedgerRow(
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
        raw_path=ledger_raw_path(warehouse, landed.path),
        flow_run_id=flow_run_id,
        started_at=started_at,
        finished_at=utcnow(),
    )


def publish(ref, landed, staged: Staged, warehouse: Path, started_at, flow_run_id=None, con=None) -> LoadOutcome:
    """Write the validated rows and their ledger row in one transaction, superseding what they replace."""
    if con is None:
        with connect(warehouse) as con:
            return publish(ref, landed, staged, warehouse, started_at, flow_run_id, con)
    [result] = publish_many(con, [_publication(ref, landed, staged, warehouse, started_at, flow_run_id)])
    return _outcome(ref, staged, result)


def quarantine(ref, landed, staged: Staged, reasons: list[dict], warehouse: Path, started_at, flow_run_id=None):
    """Record the failure with its reasons; the raw bytes stay landed, nothing is published."""
    row = _ledger_row(ref, landed, staged, warehouse, "quarantined", started_at, flow_run_id, reasons=reasons)
    with connect(warehouse) as con:
        record(con, row)
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


def skip_duplicate_content(
    ref, landed, warehouse: Path, started_at, flow_run_id, ledger: SourceLedger
) -> LoadOutcome | None:
    """A new key whose bytes equal an already published snapshot (e.g. an unchanged Hub revision)."""
    same_as = ledger.published_with(landed.sha256)
    if same_as is None:
        return None
    load_id = ledger.new_load_id(ref.key, landed.sha256)
    staged = Staged(load_id, ref.snapshot_date, details={"same_content_as": same_as})
    row = _ledger_row(ref, landed, staged, warehouse, "skipped", started_at, flow_run_id)
    with connect(warehouse) as con:
        record(con, row)
    ledger.add(row)
    return LoadOutcome(ref.source, ref.key, ref.snapshot_date, "skipped", load_id, note=f"same content as {same_as}")


@dataclass(frozen=True)
class Settled:
    """What a run may publish, once every snapshot of the run has passed or failed its gate."""

    publish: list[Ready]  # in fetch order
    conflicts: list[tuple[Ready, list[dict]]]  # held back, with the reason naming every claimant
    duplicates: list[tuple[Ready, Ready]]  # (this one, the one with the same bytes that goes ahead)


def _identities(ready: Ready) -> set[tuple]:
    columns = identity_columns(ready.table)
    return identities(ready.table, pl.read_parquet(ready.staged.path, columns=list(columns)))


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
        conflicts.append((item, [{"check": CONFLICT_CHECK, "reason": reason, "claimants": others}]))
    return Settled([i for i in distinct if i.staged.load_id not in held], conflicts, duplicates)


def skip_same_content(item: Ready, same: Ready, warehouse: Path, flow_run_id=None) -> LoadOutcome:
    """Record a load of this run whose bytes equal another's of the same run (see `settle`)."""
    staged = replace(item.staged, details={"same_content_as": same.staged.load_id})
    row = _ledger_row(item.ref, item.landed, staged, warehouse, "skipped", item.started_at, flow_run_id)
    with connect(warehouse) as con:
        record(con, row)
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
    remove_partial_landings(raw_dir(warehouse), landing_leftover_age(warehouse))
