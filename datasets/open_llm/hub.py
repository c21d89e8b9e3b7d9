"""The Open LLM Leaderboard datasets on the Hub, by revision.

- `open-llm-v2-hub`: dataset `open-llm-leaderboard/contents`, one snapshot per commit of its
  history (key: the commit sha, date: the commit date), the parquet under `data/` found by
  listing the revision's files (never a hard-coded name).
- `open-llm-v1-hub`: dataset `open-llm-leaderboard-old/contents`, the same way (its parquet's name
  carries a hash suffix, e.g. `data/train-00000-of-00001-96886cb34a7bc800.parquet`).
All keys name immutable content (`immutable_keys`), so a known key is skipped before any download.
The datasets' keys are successive revisions (`ordered_keys`): two commits on one day are a revision
of that day's snapshot, and the later commit is the one published.
A commit that does not change the parquet (a README edit) is downloaded once, found identical to
an already published revision and recorded as `skipped`. None of these sources is in the plain
offline run; name them (`--only` / `--source NAME=ENDPOINT`) or run their deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import ClassVar

import polars as pl

from common import http, hub
from common.gate import GatePlan
from common.http import FetchError
from common.parquetio import read_parquet_text
from datasets.base import Credit, GateContext, ParsedSnapshot, SnapshotRef, SnapshotUnavailable, Source
from datasets.open_llm import v1 as open_llm_v1
from datasets.open_llm import v1_checks as v1_suite
from datasets.open_llm import v2 as open_llm_v2
from datasets.open_llm import v2_checks as v2_suite
from datasets.open_llm.hub_checks import flagged_guard


class HubParquetDataset(Source):
    """A leaderboard dataset on the Hub: one parquet under `data/` per revision."""

    repo_id: ClassVar[str]
    folder: ClassVar[str] = "data/"
    immutable_keys = True
    ordered_keys = True
    in_default_run = False
    limits = http.Limits(deadline_seconds=600.0, max_bytes=512 * 2**20)
    normalise: ClassVar[Callable[[pl.DataFrame], tuple[pl.DataFrame, dict]]]
    suite: ClassVar[ModuleType]  # the archive's snapshot suite (expectations/open_llm_v*.py)

    def default_location(self) -> str:
        return hub.default_endpoint()

    def discover(self, location: str) -> list[SnapshotRef]:
        repo = hub.HubRepo(hub.endpoint_of(location), self.repo_id, "dataset", self.limits)
        return [SnapshotRef(self.name, r.sha, repo.url(r.sha, self.folder), r.created) for r in repo.revisions()]

    def fetch(self, ref: SnapshotRef) -> bytes:
        repo, revision, _ = hub.parse_url(ref.location, self.limits)
        parquets = sorted(
            (f for f in repo.files(revision) if f.path.startswith(self.folder) and f.path.endswith(".parquet")),
            key=lambda f: f.path,
        )
        if not parquets:
            raise SnapshotUnavailable(f"{repo} at {revision[:12]} has no parquet under {self.folder}")
        if len(parquets) > 1:
            raise FetchError(
                f"{repo} at {revision[:12]} has {len(parquets)} parquet shards {[f.path for f in parquets]}; "
                "one was expected",
                retryable=False,
            )
        return repo.download(revision, parquets[0].path, parquets[0].size)

    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        assert ref.snapshot_date is not None  # discovery dates every revision by its commit
        frame, details = type(self).normalise(read_parquet_text(raw))
        frame = frame.with_columns(pl.lit(ref.snapshot_date).alias("snapshot_date"))
        return ParsedSnapshot(frame, ref.snapshot_date, {**details, "revision": ref.key})

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan:
        """The archive's suite, plus the Hub's guard against an inverted `flagged` column."""
        build = self.suite.build_suite(v2_suite.SnapshotContext(context.today, context.previous_rows))
        suite_name = self.name.replace("-", "_") + "_snapshot"  # open_llm_v2_hub_snapshot ...
        return GatePlan(suite_name, lambda E: [*build(E), *flagged_guard(E)], frame, v2_suite.ID_COLUMNS)


class OpenLLMv2Hub(HubParquetDataset):
    name = "open-llm-v2-hub"
    credit = Credit(
        "Hugging Face Open LLM Leaderboard v2",
        "the Hub dataset open-llm-leaderboard/contents",
        "licence as stated on the dataset's Hub page, not recorded by aigap",
    )
    leaderboard = "open-llm-v2"
    core_table = "core.open_llm_v2_entries"
    description = "Open LLM Leaderboard v2, the Hub dataset open-llm-leaderboard/contents, by revision"
    repo_id = "open-llm-leaderboard/contents"
    normalise = staticmethod(open_llm_v2.normalise)
    suite = v2_suite


class OpenLLMv1Hub(HubParquetDataset):
    name = "open-llm-v1-hub"
    credit = Credit(
        "Hugging Face Open LLM Leaderboard v1",
        "the Hub dataset open-llm-leaderboard-old/contents",
        "licence as stated on the dataset's Hub page, not recorded by aigap",
    )
    leaderboard = "open-llm-v1"
    core_table = "core.open_llm_v1_entries"
    description = "Open LLM Leaderboard v1, the Hub dataset open-llm-leaderboard-old/contents, by revision"
    repo_id = "open-llm-leaderboard-old/contents"
    normalise = staticmethod(open_llm_v1.normalise)
    suite = v1_suite
