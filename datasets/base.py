"""What every source adapter provides: discover snapshots, fetch their bytes, parse them, gate them.

An adapter is I/O at the edges (discover, fetch) around pure transforms (parse) and a Great
Expectations suite (gate). The pipeline flow treats all adapters alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import ClassVar

import polars as pl

from common import http
from common.gate import GatePlan, GateReport, check
from common.http import Fetched, Limits


@dataclass(frozen=True)
class SnapshotRef:
    """One snapshot a source offers: a stable key inside the source and where its bytes are.

    Dates come from the data (the adapter's discover and parse): a file or folder name, a URL's
    path, a Hub commit, the content itself. Never from the clock or from an HTTP Last-Modified.
    """

    source: str
    key: str  # relative file path, Hub revision sha, feed edition ...
    location: str  # absolute path or URL
    snapshot_date: date | None = None  # when the name already tells; else the parser finds it
    # URL feeds only: the day these bytes were first retrieved (set after fetching). Used as a date
    # only by a source that says so (a funding URL without an edition in its path: "retrieved on").
    first_fetched: date | None = None


@dataclass(frozen=True)
class ParsedSnapshot:
    frame: pl.DataFrame
    snapshot_date: date
    details: dict = field(default_factory=dict)
    # The core table to publish into, for a source whose snapshots feed more than one table
    # (the Arena Space's tables with scores vs its metadata-only tables); None = Source.core_table.
    table: str | None = None


class SnapshotUnavailable(Exception):
    """The source publishes nothing under this key (yet): e.g. a daily feed with no edition that day.
    Not an error: nothing is landed or recorded, and the next run looks again."""


@dataclass(frozen=True)
class GateContext:
    """Facts from the warehouse a gate may need (it never opens the warehouse itself)."""

    today: date
    previous_rows: int | None = None


@dataclass(frozen=True)
class Credit:
    """Who publishes a source's data and under which licence: the credit a chart or a quoted number
    carries. The licence is worded as data/README.md records it (tests/test_charts.py checks)."""

    data: str  # what the data is and who publishes it
    via: str  # where aigap's copy comes from
    licence: str  # as data/README.md records it

    def line(self) -> str:
        return f"{self.data}, via {self.via} ({self.licence})"


class Source(ABC):
    name: ClassVar[str]
    credit: ClassVar[Credit]
    leaderboard: ClassVar[str | None] = None  # the leaderboard this source feeds, if any
    core_table: ClassVar[str]
    description: ClassVar[str] = ""
    # True when a key names immutable content (a Hub revision sha): a key already in the ledger is
    # skipped before anything is downloaded. Files can change under the same name, so they are hashed.
    immutable_keys: ClassVar[bool] = False
    # "leaderboard" or "funding": deployments select sources by kind, not by name.
    kind: ClassVar[str] = "leaderboard"
    # False for sources that only make sense online (the live Hub): a plain `aigap run` on the
    # bundled data skips them; they run when named (--only / --source) or by their deployment.
    in_default_run: ClassVar[bool] = True
    # True when new content under a known key is a new edition (a funding feed revised upstream):
    # it is published next to the earlier ones; only content of the same key *and* date replaces.
    keeps_editions: ClassVar[bool] = False
    # True when a URL location is fetched with conditional GET (ETag / Last-Modified, kept in
    # meta.feed_validators): an unchanged resource costs one empty 304 and is skipped.
    conditional_fetch: ClassVar[bool] = False
    # What one fetch may cost: deadline, size cap, retry budget, hosts a redirect may lead to.
    limits: ClassVar[Limits] = http.DEFAULT_LIMITS
    # True when the keys of one discovery are successive versions in a known order (Hub commits):
    # two of them on one date are a revision, the later wins. False (files in a folder): two keys
    # claiming one date in one run are a conflict, and both are held back (engine/load.py).
    ordered_keys: ClassVar[bool] = False

    @abstractmethod
    def default_location(self) -> str: ...

    @abstractmethod
    def discover(self, location: str) -> list[SnapshotRef]:
        """The snapshots available at `location`, oldest first."""

    @abstractmethod
    def fetch(self, ref: SnapshotRef) -> bytes:
        """The snapshot's raw bytes, exactly as offered."""

    def fetch_conditional(self, ref: SnapshotRef, validators: dict | None) -> Fetched:
        """Like fetch, asking "changed since?" for a URL (HTTP ETag / Last-Modified).

        `validators` are those of the last fetch of this URL (meta.feed_validators); an unchanged
        resource answers Fetched(None, ..., status=304).
        """
        if local_path(ref.location) is None:
            validators = validators or {}
            return http.fetch(
                ref.location,
                etag=validators.get("etag"),
                last_modified=validators.get("last_modified"),
                limits=self.limits,
            )
        return Fetched(self.fetch(ref), None, None, 200)

    def content_sha256(self, raw: bytes) -> str | None:
        """The sha256 the ledger knows these bytes' content by (known content, same content under
        another key), when it is not the bytes' own: for files a collector wraps around a
        publisher's data (a fetch stamp that differs on every fetch of the same data). None (the
        default): the bytes' sha256. The raw file is always kept under its bytes' sha256."""
        return None

    def series(self, key: str) -> str:
        """Snapshots whose sizes are comparable (the gate's "not much smaller than the previous one"
        check): keys starting with the same prefix. Default: the whole source."""
        return ""

    @abstractmethod
    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        """Bytes -> normalised frame (raises common.errors.SnapshotRejected)."""

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan | None:
        """This source's Great Expectations suite and the frame it validates (derived check columns
        added), so that the snapshots of a run can share one GX run (common/gate.py `screen`).
        None: the source validates each snapshot only through `gate`."""
        return None

    def gate(self, frame: pl.DataFrame, context: GateContext) -> GateReport:
        """Run this source's Great Expectations suite on a parsed frame."""
        plan = self.gate_plan(frame, context)
        if plan is None:
            raise NotImplementedError(f"{self.name} defines neither gate_plan nor gate")
        return check(plan)


def local_path(location: str) -> Path | None:
    """A filesystem location as a Path; None for a URL (`scheme://...`, `file://` included: a URL is
    fetched over http(s) or refused, never read from the disk)."""
    if "://" in location:
        return None
    return Path(location).expanduser().resolve()
