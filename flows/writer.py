"""One run per warehouse, from its first write to its last (`one_run`).

Two runs interleaving their loads would race on the same snapshots, staging files and ledger keys.
Every flow therefore holds, around all of its warehouse work:
1. on a Prefect server, the global concurrency limit WRITER_LIMIT (one slot, created by `aigap
   setup`): a second deployment run waits for the slot (up to WAIT_SECONDS), and its log says so;
2. always, the warehouse's run lock (warehouse/lock.py `run_lock`, a lock file next to the
   warehouse): it also covers runs that share no server (two `aigap run` on one machine, each with
   its own temporary server). A second run waits up to $AIGAP_WRITER_WAIT_SECONDS (10 minutes), then
   stops with WarehouseBusy naming the run that holds it (the CLI exits 3);
3. the staging folder, emptied at the start (what a killed run left) and at the end.

A deployment run refuses to start without the limit (a server that was never set up must not
silently allow two writers). Prefect 3.8.8's `concurrency()` itself only logs a warning and skips a
missing limit unless `strict=True`, so the existence check is made here, once, with a message
that says what to do.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectNotFound
from prefect.runtime import deployment

from engine.load import clear_staging
from flows.orchestration import MARTS_LIMIT, WRITER_LIMIT
from warehouse import lock

# A run waits this long for another run to finish writing before it gives up (a long backfill).
WAIT_SECONDS = 6 * 3600


class WriterLimitMissing(RuntimeError):
    """The Prefect server has no warehouse writer limit: `aigap setup` was not run against it."""


def limit_exists(name: str = WRITER_LIMIT) -> bool:
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            return False
    return True


@contextmanager
def warehouse_writer(name: str = WRITER_LIMIT, wait_seconds: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the warehouse writer slot for the duration of the block (see the module docstring)."""
    log = get_run_logger()
    if not limit_exists(name):
        if deployment.id:
            raise WriterLimitMissing(
                f"the Prefect server has no global concurrency limit {name!r}, which keeps two runs from "
                "writing the warehouse at once: run `aigap setup` against this server, then retry"
            )
        log.info("no concurrency limit %r on this Prefect server (temporary server): one run at a time is "
                 "ensured by the warehouse's run lock", name)  # fmt: skip
        yield
        return
    log.info("waiting for the warehouse writer slot %r (one run writes at a time)", name)
    asked = time.monotonic()
    slot = ExitStack()
    try:
        slot.enter_context(concurrency(name, occupy=1, timeout_seconds=wait_seconds, strict=True))
    except TimeoutError as exc:
        raise TimeoutError(
            f"gave up after {wait_seconds:.0f} s waiting for the warehouse writer slot {name!r}: another run "
            "has been writing the warehouse all that time (Prefect UI: Concurrency, the limit's active slots)"
        ) from exc
    log.info("warehouse writer slot acquired after %.1f s", time.monotonic() - asked)
    try:
        with slot:
            yield
    finally:
        log.info("warehouse writer slot released")


@contextmanager
def one_run(warehouse: Path, run: str, limit: str = WRITER_LIMIT) -> Iterator[None]:
    """Hold the warehouse for a whole run: the writer slot, the run lock, a clean staging folder."""
    log = get_run_logger()
    with warehouse_writer(limit):
        asked = time.monotonic()
        with lock.run_lock(warehouse, run):
            log.info("warehouse %s: run lock held (after %.1f s)", warehouse, time.monotonic() - asked)
            clear_staging(warehouse)
            try:
                yield
            finally:
                clear_staging(warehouse)


@contextmanager
def marts_slot(name: str = MARTS_LIMIT, wait_seconds: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the marts refresh slot (one refresh at a time across every worker) where the server has
    it (`aigap setup`); without it (a temporary server) the run lock already makes runs one at a time."""
    if not limit_exists(name):
        yield
        return
    log = get_run_logger()
    asked = time.monotonic()
    with concurrency(name, occupy=1, timeout_seconds=wait_seconds, strict=True):
        log.info("marts refresh slot %r acquired after %.1f s", name, time.monotonic() - asked)
        yield
