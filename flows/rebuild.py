"""Rebuild every mart from what is published, without loading anything (after a transform or
registry change). Holds the warehouse writer slot like every flow, records the run and publishes
the same report and artifacts as a pipeline run."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from common.settings import warehouse_path
from engine.marts import MartsOutcome, refresh_marts
from flows.pipeline import RunSummary, finish, warehouse_busy
from flows.writer import one_run
from warehouse import connection, lock, schema


def _run_name() -> str:
    scheduled = flow_run.scheduled_start_time
    return f"aigap rebuild marts · {(scheduled.date() if scheduled else date.today()).isoformat()}"


@task(name="rebuild marts", cache_policy=NO_CACHE)
def rebuild(warehouse) -> MartsOutcome:
    return refresh_marts(warehouse, full=True)


@flow(name="aigap-rebuild-marts", flow_run_name=_run_name, log_prints=True)
def rebuild_marts(warehouse: str | None = None):
    """Recompute, gate and replace every mart from the published core tables (whatever changed).

    warehouse: the warehouse (default: $AIGAP_WAREHOUSE or warehouse/aigap.ducklake;
        a path ending in .duckdb is a plain DuckDB file).
    """
    log = get_run_logger()
    path = warehouse_path(warehouse)
    started_at = connection.utcnow()
    summary = RunSummary(str(path), note="This run loaded nothing: it rebuilt the marts from everything published.")
    try:
        with one_run(path, flow_run.name or "aigap rebuild marts"):
            with connection.connect(path) as con:
                if applied := schema.migrate(con):
                    log.info("warehouse %s: applied migrations %s", path, applied)
            summary.marts = rebuild(path)
            if summary.marts.published:
                log.info("marts rebuilt: %s", summary.marts.rows)
            else:
                log.error("marts NOT rebuilt (last good state kept): %s", summary.marts.reasons)
            return finish(path, summary, started_at)
    except lock.WarehouseBusy as exc:
        return warehouse_busy(exc)
