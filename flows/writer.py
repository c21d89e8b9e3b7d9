"""One writer at a time for the warehouse, across every flow run on a Prefect server.

DuckDB lets one process write a file, and two runs interleaving their loads would race on the
same snapshots. Every flow therefore holds the global concurrency limit WRITER_LIMIT (one slot,
created by `aigap setup`) around all of its warehouse work; a second run waits for the slot, and
its log says so.

A deployment run refuses to start without the limit (a server that was never set up must not
silently allow two writers). A plain `aigap run`, which starts a temporary Prefect server, has no
limit to hold; it relies on the warehouse file lock and its bounded wait (warehouse/store.py).
Prefect 3.8.8's `concurrency()` itself only logs a warning and skips a missing limit unless
`strict=True`, so the existence check is made here, once, with a message that says what to do.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectNotFound
from prefect.runtime import deployment

from aigap.orchestration import WRITER_LIMIT

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
        log.info("no concurrency limit %r on this Prefect server (temporary server): one writer is "
                 "ensured by the warehouse file lock only", name)  # fmt: skip
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
