"""The aigap pipeline as a Prefect flow.

The run holds the warehouse from start to end (flows/writer.py: one run per warehouse). For every
selected source, stage by stage over its snapshots (oldest first): discover them and set aside those
the ledger already holds (without reading them), fetch and parse the new ones, gate them in one
batch, and quarantine each one held back; then the snapshots that passed are settled (two contents
claiming one snapshot are both held back) and published in fetch order, and the marts are
recomputed from what is published. A quarantined load does not stop the others; the run ends Failed
and says which loads and why, while published tables keep their last good state. A source that
finds nothing is reported as such ("0 snapshots at LOCATION"), and fails the run when it was named
or every candidate was missing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from itertools import groupby
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from prefect.runtime import flow_run
from prefect.states import Completed, Failed

import common.gate
from common.settings import warehouse_path
from datasets import registry
from datasets.base import SnapshotRef, SnapshotUnavailable, Source
from engine import load as loading
from engine.marts import MartsOutcome, refresh_marts
from flows.orchestration import LOAD_QUARANTINED_EVENT, RUN_QUARANTINED_EVENT
from flows.report import PublishedReport, ReportInputs, publish_run_report, read_report_inputs
from flows.writer import marts_slot, one_run
from warehouse import connection, lock, runs, schema


def _today() -> date:
    return date.today()


# Thin tasks, one per stage and source (a batch of snapshots each), named so that the run page reads
# like the ledger: "discover open-llm-v2-archive", "fetch open-llm-v2-archive (12 new)", "gate
# open-llm-v2-archive (12)", "publish open-llm-v2-archive (11)", and one Failed task run per snapshot
# held back: "quarantine open-llm-v2-archive scraped/2024-07-13.csv (score: 237 of 237 values ...)".
# A snapshot the ledger already holds creates no task run at all. discover and fetch do not retry: a
# fetch's one retry budget is spent inside it, within its source's limits (common/http.py), so
# Prefect never multiplies the tries.
@dataclass(frozen=True)
class Found:
    """What `discover` hands on: the snapshots in the run's window, for each the skip when the ledger
    already holds it (told without reading it), and the files discovery passed over (and why)."""

    refs: list[SnapshotRef]
    known: list[loading.LoadOutcome | None]
    ignored: dict[str, int]


@task(name="discover", task_run_name="discover {source}", cache_policy=NO_CACHE)
def discover(source: str, location: str, warehouse: Path, since: date | None = None, until: date | None = None):
    refs = registry()[source].discover(location)
    ignored = dict(getattr(refs, "skipped", {}))
    refs = within(refs, since, until)
    return Found(refs, loading.known_without_reading(refs, warehouse), ignored)


@task(name="fetch", cache_policy=NO_CACHE)
def fetch(refs: list[SnapshotRef], warehouse: Path):
    common.gate.warm_up()  # new snapshots will be gated: import GX while they are fetched and parsed
    return loading.fetch_and_stage(refs, warehouse, _flow_run_id())


@task(name="gate", cache_policy=NO_CACHE)
def gate(items: list[loading.Parsed], warehouse: Path, today: date, accepted: list[loading.Ready]):
    return loading.gate_batch(items, warehouse, today, accepted, logger=get_run_logger())


@task(name="publish", cache_policy=NO_CACHE)
def publish(items: list[loading.Ready], warehouse: Path) -> list[loading.LoadOutcome]:
    log = get_run_logger()
    outcomes = loading.publish_batch(items, warehouse, _flow_run_id(), logger=log)
    for outcome in outcomes:
        rows = f": {outcome.rows} rows" if outcome.status == "published" else ""  # skipped (another run's): none
        log.info("%s %r %r%s (snapshot %s)%s", outcome.status, outcome.source, outcome.snapshot_key, rows,
                 outcome.snapshot_date, f"; {outcome.note}" if outcome.note else "")  # fmt: skip
    return outcomes


class Quarantined(Exception):
    """The data of a quarantine task run's Failed state: the snapshot's outcome (its ledger row is written)."""

    def __init__(self, outcome: loading.LoadOutcome):
        super().__init__("; ".join(outcome.reasons))
        self.outcome = outcome


@task(name="quarantine", cache_policy=NO_CACHE)
def quarantine(ref: SnapshotRef, landed, staged, reasons: list[dict], warehouse: Path, started_at):
    """Record the load as quarantined, then end Failed, so the run page shows which snapshot failed."""
    outcome = loading.quarantine(ref, landed, staged, reasons, warehouse, started_at, _flow_run_id())
    message = f"QUARANTINED {ref.source} {ref.key} (raw bytes kept at {landed.path.name}): {outcome.reasons[0]}"
    return Failed(message=message, data=Quarantined(outcome))


@task(name="refresh marts", task_run_name="refresh marts", cache_policy=NO_CACHE)
def marts(warehouse: Path) -> MartsOutcome:
    return refresh_marts(warehouse)


def report(warehouse: Path, run_id: str, run_name: str, inputs: ReportInputs) -> PublishedReport:
    """Publish the run's report as artifacts of the flow run itself (not of a task run, so the run
    page's Artifacts tab lists them under the run), and write it next to the warehouse."""
    published = publish_run_report(warehouse, run_id, run_name, inputs)
    get_run_logger().info(
        "report: artifacts published; %s and %d chart files written in %s",
        published.markdown_path.name,
        len(published.chart_paths),
        published.markdown_path.parent,
    )
    return published


def _flow_run_id() -> str | None:
    return str(flow_run.id) if flow_run.id else None


SHORT_REASON = 60  # characters of the first reason in a quarantine task run's name


def quarantine_name(ref: SnapshotRef, reasons: list[dict]) -> str:
    """`quarantine SOURCE KEY (first reason, shortened; +N more)`: which snapshot and why, at a glance."""
    first = " ".join(str(reasons[0].get("reason", reasons[0].get("check", "?"))).split()) if reasons else "?"
    first = first if len(first) <= SHORT_REASON else first[: SHORT_REASON - 1] + "…"
    more = f"; +{len(reasons) - 1} more" if len(reasons) > 1 else ""
    return f"quarantine {ref.source} {ref.key} ({first}{more})"


def hold_back(ref, landed, staged, reasons, warehouse: Path, started_at) -> loading.LoadOutcome:
    """Quarantine one load in its own (Failed) task run, with its event and log line."""
    state = quarantine.with_options(task_run_name=quarantine_name(ref, reasons))(
        ref, landed, staged, reasons, warehouse, started_at, return_state=True
    )
    held = state.result(raise_on_failure=False)
    if not isinstance(held, Quarantined):  # the ledger could not be written: that is an error, not a quarantine
        raise held if isinstance(held, BaseException) else RuntimeError(f"quarantine of {ref.key!r}: {state}")
    outcome = held.outcome
    emit_event(
        LOAD_QUARANTINED_EVENT,
        resource={"prefect.resource.id": f"aigap.load.{outcome.load_id}", "prefect.resource.name": ref.key},
        payload={"source": ref.source, "snapshot_key": ref.key, "reasons": outcome.reasons},
    )
    get_run_logger().warning(
        "QUARANTINED %r %r (raw bytes kept at %s): %s", ref.source, ref.key, landed.path, "; ".join(outcome.reasons)
    )
    return outcome


def publish_settled(pending: list[tuple[int, loading.Ready]], warehouse: Path, summary: RunSummary) -> None:
    """Settle the run's accepted snapshots (loading.settle), then publish them in fetch order, one
    task run per source; each outcome takes the place its snapshot had in the run's list."""
    log = get_run_logger()
    place = {id(item): index for index, item in pending}
    settled = loading.settle([item for _, item in pending])
    for item, same in settled.duplicates:
        outcome = loading.skip_same_content(item, same, warehouse, _flow_run_id())
        log.info("skip %r %r: %s", item.ref.source, item.ref.key, outcome.note)
        summary.loads[place[id(item)]] = outcome
    for item, reasons in settled.conflicts:
        outcome = hold_back(item.ref, item.landed, item.staged, reasons, warehouse, item.started_at)
        summary.loads[place[id(item)]] = outcome
    for source, group in groupby(settled.publish, key=lambda item: item.ref.source):
        items = list(group)
        outcomes = publish.with_options(task_run_name=f"publish {source} ({len(items)})")(items, warehouse)
        for item, outcome in zip(items, outcomes, strict=True):
            summary.loads[place[id(item)]] = outcome


def within(refs: list[SnapshotRef], since: date | None, until: date | None) -> list[SnapshotRef]:
    """Snapshots dated within [since, until]; undated ones stay (their parser dates or rejects them)."""
    return [
        r
        for r in refs
        if r.snapshot_date is None
        or ((since is None or r.snapshot_date >= since) and (until is None or r.snapshot_date <= until))
    ]


@dataclass
class SourceFinding:
    """What discovery found for one source: printed for every source, "0 snapshots at LOCATION" included."""

    location: str
    snapshots: int = 0  # snapshots offered (within the run's date window)
    unavailable: int = 0  # of those, how many the source turned out not to publish (404)
    ignored: dict[str, int] = field(default_factory=dict)  # files skipped by discovery, and why

    def describe(self) -> str:
        n = self.snapshots - self.unavailable
        found = f"{n} snapshot{'' if n == 1 else 's'} at {self.location}"
        notes = [f"{n} {why}" for why, n in self.ignored.items()]
        if self.unavailable:
            notes.insert(0, f"{self.unavailable} of {self.snapshots} candidate(s) answered 404")
        return found + (f" ({'; '.join(notes)})" if notes else "")


@dataclass
class RunSummary:
    warehouse: str
    loads: list[loading.LoadOutcome] = field(default_factory=list)
    marts: MartsOutcome | None = None
    errors: list[str] = field(default_factory=list)  # sources that could not even be discovered
    latest_gaps: list[dict] = field(default_factory=list)  # after the marts refresh (reports/gap_report.py)
    note: str = ""  # what kind of run this was, when it loads nothing by design
    found: dict[str, SourceFinding] = field(default_factory=dict)  # per source run, in run order

    def counts(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {source: {"published": 0, "skipped": 0, "quarantined": 0}
                                             for source, finding in self.found.items()
                                             if finding.snapshots > finding.unavailable}  # fmt: skip
        for outcome in self.loads:
            per_source = result.setdefault(outcome.source, {"published": 0, "skipped": 0, "quarantined": 0})
            per_source[outcome.status] += 1
        return result

    @property
    def quarantined(self) -> list[loading.LoadOutcome]:
        return [o for o in self.loads if o.status == "quarantined"]

    @property
    def ok(self) -> bool:
        return not self.quarantined and not self.errors and (self.marts is None or self.marts.published)

    def to_json(self) -> str:
        return json.dumps(
            {
                "counts": self.counts(),
                "loads": [asdict(o) for o in self.loads],
                "marts": asdict(self.marts) if self.marts else None,
                "errors": self.errors,
                "latest_gaps": self.latest_gaps,
                "note": self.note,
                "found": {source: asdict(finding) for source, finding in self.found.items()},
            },
            default=str,
        )


class RunNeedsAttention(Exception):
    """The data of a run's Failed state: loads were quarantined, a source failed or the marts were not
    refreshed. Carries the RunSummary (a Failed state's data must be an exception for Prefect's engine)."""

    def __init__(self, summary: RunSummary):
        super().__init__(_headline(summary))
        self.summary = summary


def run_summary(state) -> RunSummary | BaseException:
    """The RunSummary of a finished pipeline or rebuild run, whether it completed or failed."""
    result = state.result(raise_on_failure=False)
    return result.summary if isinstance(result, RunNeedsAttention) else result


def record_run(warehouse: Path, summary: RunSummary, started_at) -> str:
    """Write the run's summary to meta.runs (the next run's report compares against it); its run id."""
    run_id = _flow_run_id() or f"local-{started_at:%Y%m%dT%H%M%S%f}"
    with connection.connect(warehouse) as con:
        runs.save_run(con, run_id, started_at, connection.utcnow(), "ok" if summary.ok else "failed", summary.to_json())
    return run_id


def finish(warehouse: Path, summary: RunSummary, started_at):
    """Record the run, publish its report and artifacts, and return its final state."""
    inputs = read_report_inputs(warehouse)  # one read serves the run record and the report
    summary.latest_gaps = inputs.latest_gaps()
    run_id = record_run(warehouse, summary, started_at)
    report(warehouse, run_id, flow_run.name or run_id, inputs)
    if summary.ok:
        return Completed(message=_headline(summary), data=summary)
    return Failed(message=_headline(summary), data=RunNeedsAttention(summary))


def select_sources(
    adapters: dict[str, Source], only: list[str] | None, kinds: list[str] | None, locations: dict[str, str] | None
) -> list[str]:
    """Which sources a run loads: `only` names them; else `kinds` selects every source of those kinds
    (online-only ones included: that is how deployments run them); else the default run's sources
    plus any given a location."""
    if only:
        return [name for name, adapter in adapters.items() if name in only and (not kinds or adapter.kind in kinds)]
    if kinds:
        return [name for name, adapter in adapters.items() if adapter.kind in kinds]
    return [name for name, adapter in adapters.items() if adapter.in_default_run or name in (locations or {})]


def describe_run(parameters: dict, day: date | None = None) -> str:
    """A run name that says what the run loads: `aigap leaderboard sources · 2026-11-23`."""
    only, kinds = parameters.get("only"), parameters.get("kinds")
    if only:
        what = ", ".join(only)
    elif kinds:
        what = " + ".join(kinds) + " sources"
    else:
        what = parameters.get("sources_label") or "all sources"
    parts = [f"aigap {what}"]
    since, until = parameters.get("since"), parameters.get("until")
    if since or until:
        parts.append(f"snapshots {since or 'first'} to {until or 'latest'}")
    if parameters.get("max_snapshots") is not None:
        parts.append(f"at most {parameters['max_snapshots']} new per source")
    if day is not None:
        parts.append(day.isoformat())
    return " · ".join(parts)


def _run_name() -> str:
    scheduled = flow_run.scheduled_start_time
    return describe_run(dict(flow_run.parameters or {}), scheduled.date() if scheduled else _today())


def announce_quarantine(flow, run, state) -> None:
    """on_failure hook: the run is final; if its gate quarantined loads, say so with an event, which
    the automation made by `aigap setup` turns into a `Quarantined` state on the run."""
    summary = run_summary(state)
    if not isinstance(summary, RunSummary) or not summary.quarantined:
        return
    emit_event(
        RUN_QUARANTINED_EVENT,
        resource={"prefect.resource.id": f"prefect.flow-run.{run.id}", "prefect.resource.name": run.name},
        payload={"quarantined": [o.load_id for o in summary.quarantined], "message": state.message},
    )


@flow(name="aigap-pipeline", flow_run_name=_run_name, log_prints=True, on_failure=[announce_quarantine])
def pipeline(
    warehouse: str | None = None,
    locations: dict[str, str] | None = None,
    only: list[str] | None = None,
    kinds: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    max_snapshots: int | None = None,
    sources_label: str = "all sources",
):
    """Load every selected source through the quality gate, then recompute the marts.

    warehouse: the warehouse (default: $AIGAP_WAREHOUSE or warehouse/aigap.ducklake;
        a path ending in .duckdb is a plain DuckDB file).
    locations: NAME -> directory, file or URL, overriding a source's default location.
    only: run just these sources (marts are always recomputed from everything published).
        Without `only`, every source meant for the default run (or named in `locations`).
    kinds: run just sources of these kinds ("leaderboard", "funding").
    since, until: only snapshots dated within [since, until] (for backfills; undated ones are kept
        so that the gate can reject them with a reason).
    max_snapshots: load at most this many new snapshots per source (already known ones don't count).
    """
    log = get_run_logger()
    path = warehouse_path(warehouse)
    started_at = connection.utcnow()
    adapters = registry()
    unknown = sorted(set(only or []) - set(adapters)) + sorted(set(locations or {}) - set(adapters))
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}; known: {sorted(adapters)}")
    selected = select_sources(adapters, only, kinds, locations)
    named = set(only or []) | set(locations or {})
    log.info("warehouse %s; sources: %s", path, ", ".join(selected) or "none selected")
    summary = RunSummary(str(path))
    today = _today()
    try:
        with one_run(path, flow_run.name or "aigap run"):
            with connection.connect(path) as con:
                if applied := schema.migrate(con):
                    log.info("warehouse %s: applied migrations %s", path, applied)
            pending: list[tuple[int, loading.Ready]] = []
            for name in selected:
                # Every task run is named after its source ("fetch arena-daily (3 new)"), which the UI's
                # task-run search finds. No tag per source: Prefect 3.8 asks the server for a tag's
                # concurrency limit at each task start, and on a SQLite server that write often meets
                # "database is locked" and is retried after 2 s (measured: ~1 s per source per stage).
                load_source(
                    adapters[name], (locations or {}).get(name), path, today, since, until, max_snapshots, summary,
                    pending, explicit=name in named,
                )  # fmt: skip
            publish_settled(pending, path, summary)
            with marts_slot():  # concurrent runs of a team refresh the marts one at a time
                summary.marts = marts(path)
            if summary.marts.published:
                log.info("marts refreshed: %s", summary.marts.rows)
            else:
                log.error("marts NOT refreshed (last good state kept): %s", summary.marts.reasons)
            return finish(path, summary, started_at)
    except lock.WarehouseBusy as exc:
        return warehouse_busy(exc)


def warehouse_busy(exc: lock.WarehouseBusy):
    """The run could not have the warehouse: a Failed state whose message names the holder (the CLI
    prints it and exits 3), without a traceback: nothing went wrong in this run."""
    get_run_logger().error("%s", exc)
    return Failed(message=str(exc), data=exc)


def load_source(
    adapter: Source, location, path: Path, today: date, since, until, max_snapshots, summary: RunSummary,
    pending: list[tuple[int, loading.Ready]], explicit: bool = False,
) -> None:  # fmt: skip
    """Every snapshot of one source (oldest first) through its gate, stage by stage; outcomes go into
    `summary` in the order of the snapshots, those that passed into `pending` (published once the
    whole run is gated). A snapshot the ledger already holds costs no task run. A source that finds
    nothing is a finding: an error when it was named (`explicit`) or when every candidate was missing."""
    log = get_run_logger()
    name = adapter.name
    location = location or adapter.default_location()
    try:
        found = discover(name, location, path, since, until)
    except Exception as exc:  # a source that cannot be listed must not stop the others
        log.error("source %r: cannot discover snapshots at %r: %s", name, location, exc)
        summary.errors.append(f"{name}: {exc}")
        return
    finding = SourceFinding(location, snapshots=len(found.refs), ignored=found.ignored)
    summary.found[name] = finding
    slots: list = list(found.known)  # per snapshot: its outcome, a Ready, UNAVAILABLE or NOT_LOADED
    new = [i for i, known in enumerate(found.known) if known is None]
    log.info("source %r: %d snapshot(s) at %r: %d already in the ledger (not read again), %d to fetch",
             name, len(found.refs), location, len(found.refs) - len(new), len(new))  # fmt: skip
    loaded, last = 0, -1
    while new and (max_snapshots is None or loaded < max_snapshots):
        take = len(new) if max_snapshots is None else max_snapshots - loaded
        batch, new = new[:take], new[take:]
        loaded += load_batch(adapter, [found.refs[i] for i in batch], batch, slots, path, today, summary, pending)
        last = batch[-1]
    if new:
        log.info("source %r: stopping after %d new snapshot(s) (max_snapshots)", name, loaded)
        del slots[last + 1 :]
    for slot in slots:
        if slot is UNAVAILABLE:
            finding.unavailable += 1
            continue
        if slot is NOT_LOADED:
            continue
        if isinstance(slot, loading.Ready):
            pending.append((len(summary.loads), slot))
            slot = None  # the outcome comes when the run is settled (publish_settled)
        summary.loads.append(slot)
    if finding.snapshots == finding.unavailable:
        what = finding.describe()
        log.warning("source %r: 0 snapshots: %s", name, what)
        if explicit or finding.unavailable:
            why = "every candidate answered 404" if finding.unavailable else "it was named for this run"
            summary.errors.append(f"{name}: {what}; {why}")


UNAVAILABLE = object()  # a snapshot the source turned out not to publish (SnapshotUnavailable)
NOT_LOADED = object()  # a snapshot that could not be fetched (the run's errors say why)


def load_batch(
    adapter: Source, refs: list[SnapshotRef], places: list[int], slots: list, path: Path, today: date,
    summary: RunSummary, pending: list[tuple[int, loading.Ready]],
) -> int:  # fmt: skip
    """New snapshots of one source: fetch and parse them (one task run), gate them (one task run),
    quarantine those held back (a task run each). Fills `slots` at `places`; how many were new loads
    (published or quarantined; skips after reading do not count)."""
    log, name = get_run_logger(), adapter.name
    try:
        fetched = fetch.with_options(task_run_name=f"fetch {name} ({len(refs)} new)")(refs, path)
    except lock.WarehouseBusy:
        raise
    except Exception as exc:  # the stage itself broke (not one snapshot): the other sources still load
        log.error("source %r: cannot fetch %d snapshot(s): %s", name, len(refs), exc)
        summary.errors.append(f"{name}: {exc}")
        fetched = [NOT_LOADED] * len(refs)
    parsed = []
    for ref, place, result in zip(refs, places, fetched, strict=True):
        if result is NOT_LOADED:
            slots[place] = NOT_LOADED
        elif isinstance(result, SnapshotUnavailable):
            log.info("source %r: nothing published under %r: %s", name, ref.key, result)
            slots[place] = UNAVAILABLE
        elif isinstance(result, lock.WarehouseBusy):
            raise result  # nothing else can load either: the run stops and says who holds the file
        elif isinstance(result, Exception):  # e.g. a feed URL answering 404: the other snapshots still load
            log.error("source %r: cannot load %r from %r: %s", name, ref.key, ref.location, result)
            summary.errors.append(f"{name} {ref.key!r}: {result}")
            slots[place] = NOT_LOADED
        elif isinstance(result, loading.LoadOutcome):
            log.info("skip %r %r: %s", name, ref.key, result.note)
            slots[place] = result
        else:
            log.info("fetched %r %r: %d bytes, sha256 %s", name, ref.key, result.landed.size,
                     result.landed.sha256[:12])  # fmt: skip
            parsed.append((place, result))
    if not parsed:
        return 0
    accepted = [item for _, item in pending] + [slot for slot in slots if isinstance(slot, loading.Ready)]
    try:
        gated = gate.with_options(task_run_name=f"gate {name} ({len(parsed)})")(
            [item for _, item in parsed], path, today, accepted
        )
    except lock.WarehouseBusy:
        raise
    except Exception as exc:  # the gate itself broke: nothing of this batch is published, the run says why
        log.error("source %r: cannot gate %d snapshot(s): %s", name, len(parsed), exc)
        summary.errors.append(f"{name}: gate failed: {exc}")
        for place, _ in parsed:
            slots[place] = NOT_LOADED
        return 0
    for (place, item), result in zip(parsed, gated, strict=True):
        if isinstance(result, loading.Held):
            slots[place] = hold_back(item.ref, item.landed, item.staged, result.reasons, path, item.started_at)
        else:
            slots[place] = result
    return len(parsed)


def _headline(summary: RunSummary) -> str:
    parts = [f"{s}: " + ", ".join(f"{n} {k}" for k, n in c.items()) for s, c in summary.counts().items()]
    for outcome in summary.quarantined:
        parts.append(f"QUARANTINED {outcome.source} {outcome.snapshot_key}: {'; '.join(outcome.reasons)}")
    parts.extend(f"source error {e}" for e in summary.errors)
    if summary.marts and not summary.marts.published:
        parts.append("marts not refreshed: " + "; ".join(summary.marts.reasons))
    return " | ".join(parts)
