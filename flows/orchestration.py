"""What a Prefect server needs before aigap's deployments run on it, made by `aigap setup`.

- the process work pool WORK_POOL that prefect.yaml's deployments use;
- the global concurrency limit WRITER_LIMIT (one slot): every flow holds it around its warehouse
  work (flows/writer.py), so two runs never write the warehouse at once; one waits. With `--team`
  (several workers on one shared DuckLake, whose catalog keeps the ledger one row per load) it has
  as many slots as runs may write at once;
- the global concurrency limit MARTS_LIMIT (one slot): the marts refresh holds it, so refreshes of
  concurrent runs never overlap (each recomputes from everything published when it starts);
- the automation AUTOMATION_NAME: when a finished run announces that its quality gate quarantined
  a load (event RUN_QUARANTINED_EVENT, from the pipeline flow's on_failure hook), it sets the run's
  state to `Quarantined` (a Failed state), so the runs list tells "a bad snapshot was held back"
  apart from a crash at a glance.

Running it again changes nothing that is already right (it says what it found).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

WORK_POOL = "aigap"
WRITER_LIMIT = "aigap-warehouse-writer"
MARTS_LIMIT = "aigap-marts-refresh"
RUN_QUARANTINED_EVENT = "aigap.run.quarantined"
LOAD_QUARANTINED_EVENT = "aigap.load.quarantined"
QUARANTINED_STATE = "Quarantined"
AUTOMATION_NAME = "aigap: mark runs whose gate quarantined a load"
QUARANTINED_MESSAGE = (
    "The quality gate quarantined at least one load: nothing of it was published and its raw bytes are kept. "
    "Which and why: this run's 'aigap-quarantined-loads' artifact, its logs, or `aigap status`."
)


class NoServer(RuntimeError):
    """No Prefect server is configured (PREFECT_API_URL is unset)."""


@contextmanager
def heartbeats_only_with_a_server() -> Iterator[None]:
    """Flow runs started in this block send heartbeats only when a Prefect server is configured.

    Heartbeats let a server tell a run whose process died (Crashed) from one still working: a
    worker's runs and CLI runs against `PREFECT_API_URL` keep them. Without a server a run starts a
    temporary one that dies with the process: nothing watches its heartbeats, and stopping the
    heartbeat thread costs up to a second at the end of every run (Prefect joins a thread that
    sleeps in 1 s steps). There, heartbeats are off (the setting's documented off value, None)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def _automation():
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    return AutomationCore(
        name=AUTOMATION_NAME,
        description=(
            f"When a run emits {RUN_QUARANTINED_EVENT!r} (after it ended Failed because its gate quarantined "
            f"loads), set its state to {QUARANTINED_STATE!r}. Made by `aigap setup`."
        ),
        enabled=True,
        trigger=EventTrigger(
            expect={RUN_QUARANTINED_EVENT},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            posture=Posture.Reactive,
            threshold=1,
            within=0,
        ),
        # force: the run is already final (Failed) when the event arrives; only its name changes.
        actions=[
            ChangeFlowRunState(state=StateType.FAILED, name=QUARANTINED_STATE, message=QUARANTINED_MESSAGE, force=True)
        ],
    )


def _ensure_limit(client, name: str, slots: int, what: str) -> str:
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    try:
        limit = client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=slots))
        return f"concurrency limit {name!r} ({slots} slot{'s' if slots > 1 else ''}, {what}): created"
    if limit.limit != slots or not limit.active:
        client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(limit=slots, active=True))
        return f"concurrency limit {name!r}: reset to {slots} active slot(s) (was {limit.limit}, active={limit.active})"
    return f"concurrency limit {name!r} ({slots} slot{'s' if slots > 1 else ''}): already there"


def setup(team: bool = False, concurrent_runs: int = 4) -> list[str]:
    """Create or fix the work pool, the writer and marts limits and the automation; one line per
    thing. `team`: runs of several workers write the shared lake at once (`concurrent_runs`)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL
    from prefect.workers.process import ProcessWorker

    api = PREFECT_API_URL.value()
    if not api:
        raise NoServer(
            "no Prefect server configured: start one with `prefect server start`, then point aigap at it with "
            "`prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api` (or export PREFECT_API_URL)"
        )
    done = [f"Prefect server {api}"]
    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(WORK_POOL)
            if pool.type != "process":
                raise RuntimeError(f"work pool {WORK_POOL!r} exists with type {pool.type!r}; aigap needs 'process'")
            done.append(f"work pool {WORK_POOL!r} (process): already there")
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=WORK_POOL,
                    type="process",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                    description="aigap deployments (prefect.yaml); start a worker with `prefect worker start --pool aigap`",
                )
            )
            done.append(f"work pool {WORK_POOL!r} (process): created")

        writers = max(1, concurrent_runs) if team else 1
        done.append(_ensure_limit(client, WRITER_LIMIT, writers, "runs writing the warehouse at once"))
        done.append(_ensure_limit(client, MARTS_LIMIT, 1, "one marts refresh at a time"))

        wanted = _automation()
        existing = client.read_automations_by_name(AUTOMATION_NAME)
        if existing:
            client.update_automation(existing[0].id, wanted)
            for extra in existing[1:]:  # a duplicate would mark every run twice
                client.delete_automation(extra.id)
            done.append(f"automation {AUTOMATION_NAME!r}: already there (definition refreshed)")
        else:
            client.create_automation(wanted)
            done.append(f"automation {AUTOMATION_NAME!r}: created")
    return done
