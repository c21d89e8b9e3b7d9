"""The aigap pipeline as a Prefect flow.

For every selected source, for every snapshot it offers (oldest first):
fetch -> stage -> validate -> publish, or quarantine; then the marts are recomputed from what is
published. A quarantined load does not stop the others; the run ends Failed and says which loads
and why, while published tables keep their last good state.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, tags, task
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from prefect.runtime import flow_run
from prefect.states import Completed, Failed

from aigap.config import warehouse_path
from aigap.orchestration import LOAD_QUARANTINED_EVENT, RUN_QUARANTINED_EVENT
from flows import loading
from flows.marts import MartsOutcome, refresh_marts
from flows.report import PublishedReport, latest_gaps, publish_run_report
from flows.writer import warehouse_writer
from sources import http, registry
from sources.base import SnapshotRef, SnapshotUnavailable, Source
from warehouse import store


def _today() -> date:
    return date.today()


def _worth_retrying(task, task_run, state) -> bool:
    """Retry a failed fetch unless the server gave an answer retrying cannot change (404 ...)."""
    try:
        state.result()
    except http.FetchError as exc:
        return exc.retryable
    except Exception:
        return True
    return True


# Thin tasks: names say which source and snapshot, so the Prefect UI reads like the run log.
@task(
    name="discover",
    task_run_name="discover {source}",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=_worth_retrying,
)
def discover(source: str, location: str) -> list[SnapshotRef]:
    return registry()[source].discover(location)


@task(
    name="fetch",
    task_run_name="fetch {ref.source} {ref.key}",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=_worth_retrying,
    timeout_seconds=900,
)
def fetch(ref: SnapshotRef, warehouse: Path):
    try:
        return loading.fetch(ref, warehouse)
    except SnapshotUnavailable as exc:
        # Not a failure (e.g. a day not published yet): the task completes and hands the reason on.
        return exc


@task(name="stage", task_run_name="stage {ref.source} {ref.key}", cache_policy=NO_CACHE)
def stage(ref: SnapshotRef, landed, warehouse: Path) -> loading.Staged:
    return loading.stage(ref, landed, warehouse)


@task(name="validate", task_run_name="validate {ref.source} {ref.key}", cache_policy=NO_CACHE)
def validate(ref: SnapshotRef, staged: loading.Staged, warehouse: Path, today: date):
    return loading.validate(ref, staged, warehouse, today)


@task(name="publish", task_run_name="publish {ref.source} {ref.key}", cache_policy=NO_CACHE)
def publish(ref: SnapshotRef, landed, staged: loading.Staged, warehouse: Path, started_at) -> loading.LoadOutcome:
    return loading.publish(ref, landed, staged, warehouse, started_at, _flow_run_id())


@task(name="quarantine", task_run_name="quarantine {ref.source} {ref.key}", cache_policy=NO_CACHE)
def quarantine(ref: SnapshotRef, landed, staged, reasons: list[dict], warehouse: Path, started_at):
    return loading.quarantine(ref, landed, staged, reasons, warehouse, started_at, _flow_run_id())


@task(name="refresh marts", cache_policy=NO_CACHE)
def marts(warehouse: Path) -> MartsOutcome:
    return refresh_marts(warehouse)


def report(warehouse: Path, run_id: str, run_name: str) -> PublishedReport:
    """Publish the run's report as artifacts of the flow run itself (not of a task run, so the run
    page's Artifacts tab lists them under the run), and write it next to the warehouse."""
    published = publish_run_report(warehouse, run_id, run_name)
    get_run_logger().info(
        "report: artifacts published; %s and %d chart files written in %s",
        published.markdown_path.name,
        len(published.chart_paths),
        published.markdown_path.parent,
    )
    return published


def _flow_run_id() -> str | None:
    return str(flow_run.id) if flow_run.id else None


def load_snapshot(ref: SnapshotRef, warehouse: Path, today: date) -> loading.LoadOutcome:
    """One snapshot through the gate. Known content is skipped before any parsing."""
    log = get_run_logger()
    started_at = store.utcnow()
    if known := loading.known_outcome(ref, None, warehouse):
        log.info("skip %s %s: %s", ref.source, ref.key, known.note)
        return known
    landed = fetch(ref, warehouse)
    if isinstance(landed, SnapshotUnavailable):
        raise landed
    log.info("fetched %s %s: %d bytes, sha256 %s", ref.source, ref.key, landed.size, landed.sha256[:12])
    if known := loading.known_outcome(ref, landed, warehouse):
        log.info("skip %s %s: %s", ref.source, ref.key, known.note)
        return known
    if duplicate := loading.skip_duplicate_content(ref, landed, warehouse, started_at, _flow_run_id()):
        log.info("skip %s %s: %s", ref.source, ref.key, duplicate.note)
        return duplicate
    staged = stage(ref, landed, warehouse)
    if staged.rejected is not None:
        reasons = staged.rejected
    else:
        report = validate(ref, staged, warehouse, today)
        log.info("gate %s %s: %s", ref.source, ref.key, report.summary())
        reasons = report.failures
    if reasons:
        outcome = quarantine(ref, landed, staged, reasons, warehouse, started_at)
        emit_event(
            LOAD_QUARANTINED_EVENT,
            resource={"prefect.resource.id": f"aigap.load.{outcome.load_id}", "prefect.resource.name": ref.key},
            payload={"source": ref.source, "snapshot_key": ref.key, "reasons": outcome.reasons},
        )
        log.warning(
            "QUARANTINED %s %s (raw bytes kept at %s): %s",
            ref.source,
            ref.key,
            landed.path,
            "; ".join(outcome.reasons),
        )
        return outcome
    outcome = publish(ref, landed, staged, warehouse, started_at)
    log.info("published %s %s: %d rows (snapshot %s)", ref.source, ref.key, outcome.rows, outcome.snapshot_date)
    return outcome


def within(refs: list[SnapshotRef], since: date | None, until: date | None) -> list[SnapshotRef]:
    """Snapshots dated within [since, until]; undated ones stay (their parser dates or rejects them)."""
    return [
        r
        for r in refs
        if r.snapshot_date is None
        or ((since is None or r.snapshot_date >= since) and (until is None or r.snapshot_date <= until))
    ]


@dataclass
class RunSummary:
    warehouse: str
    loads: list[loading.LoadOutcome] = field(default_factory=list)
    marts: MartsOutcome | None = None
    errors: list[str] = field(default_factory=list)  # sources that could not even be discovered
    latest_gaps: list[dict] = field(default_factory=list)  # after the marts refresh (reports/gap_report.py)
    note: str = ""  # what kind of run this was, when it loads nothing by design

    def counts(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {}
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
    with store.connect(warehouse) as con:
        con.execute(
            "INSERT OR REPLACE INTO meta.runs VALUES (?, ?, ?, ?, ?)",
            [run_id, started_at, store.utcnow(), "ok" if summary.ok else "failed", summary.to_json()],
        )
    return run_id


def finish(warehouse: Path, summary: RunSummary, started_at):
    """Record the run, publish its report and artifacts, and return its final state."""
    summary.latest_gaps = latest_gaps(warehouse)
    run_id = record_run(warehouse, summary, started_at)
    report(warehouse, run_id, flow_run.name or run_id)
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

    warehouse: DuckDB file (default: $AIGAP_WAREHOUSE or warehouse/aigap.duckdb).
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
    started_at = store.utcnow()
    adapters = registry()
    unknown = sorted(set(only or []) - set(adapters)) + sorted(set(locations or {}) - set(adapters))
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}; known: {sorted(adapters)}")
    selected = select_sources(adapters, only, kinds, locations)
    log.info("warehouse %s; sources: %s", path, ", ".join(selected) or "none selected")
    summary = RunSummary(str(path))
    today = _today()
    with warehouse_writer():
        with store.connect(path) as con:
            if applied := store.migrate(con):
                log.info("warehouse %s: applied migrations %s", path, applied)
        for name in selected:
            with tags(name):  # task runs of this source can be filtered by its name in the UI
                load_source(
                    adapters[name], (locations or {}).get(name), path, today, since, until, max_snapshots, summary
                )
        summary.marts = marts(path)
        if summary.marts.published:
            log.info("marts refreshed: %s", summary.marts.rows)
        else:
            log.error("marts NOT refreshed (last good state kept): %s", summary.marts.reasons)
        return finish(path, summary, started_at)


def load_source(adapter: Source, location, path: Path, today: date, since, until, max_snapshots, summary) -> None:
    """Every snapshot of one source (oldest first) through the gate; outcomes go into `summary`."""
    log = get_run_logger()
    location = location or adapter.default_location()
    try:
        refs = discover(adapter.name, location)
    except Exception as exc:  # a source that cannot be listed must not stop the others
        log.error("source %s: cannot discover snapshots at %s: %s", adapter.name, location, exc)
        summary.errors.append(f"{adapter.name}: {exc}")
        return
    refs = within(refs, since, until)
    log.info("source %s: %d snapshot(s) at %s", adapter.name, len(refs), location)
    loaded = 0
    for ref in refs:
        if max_snapshots is not None and loaded >= max_snapshots:
            log.info("source %s: stopping after %d new snapshot(s) (max_snapshots)", adapter.name, loaded)
            break
        try:
            outcome = load_snapshot(ref, path, today)
        except SnapshotUnavailable as exc:
            log.info("source %s: nothing published under %s: %s", adapter.name, ref.key, exc)
            continue
        except store.WarehouseBusy:
            raise  # nothing else can load either; the CLI says who holds the file
        except Exception as exc:  # e.g. a feed URL answering 404: the other snapshots still load
            log.error("source %s: cannot load %s from %s: %s", adapter.name, ref.key, ref.location, exc)
            summary.errors.append(f"{adapter.name} {ref.key}: {exc}")
            continue
        summary.loads.append(outcome)
        loaded += outcome.status != "skipped"


def _headline(summary: RunSummary) -> str:
    parts = [f"{s}: " + ", ".join(f"{n} {k}" for k, n in c.items()) for s, c in summary.counts().items()]
    for outcome in summary.quarantined:
        parts.append(f"QUARANTINED {outcome.source} {outcome.snapshot_key}: {'; '.join(outcome.reasons)}")
    parts.extend(f"source error {e}" for e in summary.errors)
    if summary.marts and not summary.marts.published:
        parts.append("marts not refreshed: " + "; ".join(summary.marts.reasons))
    return " | ".join(parts)
