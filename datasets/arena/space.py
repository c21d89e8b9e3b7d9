"""`arena-space`: the Chatbot Arena Space's table files on the Hub.

Space `lmarena-ai/chatbot-arena-leaderboard`, one snapshot per `leaderboard_table_YYYYMMDD.csv` at
the Space's latest commit (key: file name @ git blob id, so an unchanged file is never downloaded
twice; date: the date in the file name). Only files named like that are ever requested: the Space's
`elo_results_*.pkl` pickles are never downloaded, let alone unpickled (a pickle can run code).

Its keys name immutable content (`immutable_keys`), so a known key is skipped before any download.
Not in the plain offline run; name it (`--only` / `--source NAME=ENDPOINT`) or run its deployment.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import polars as pl

from common import http, hub
from common.dates import snapshot_date_from_name
from common.gate import GatePlan
from datasets.arena import checks as arena_suite
from datasets.arena.archive import half_of_previous, parse_arena_csv
from datasets.base import Credit, GateContext, ParsedSnapshot, SnapshotRef, Source

# The only files of the Space aigap ever requests.
SPACE_TABLE = re.compile(r"^leaderboard_table_\d{8}\.csv$")


class ArenaSpace(Source):
    name = "arena-space"
    credit = Credit(
        "LMSYS / LMArena Chatbot Arena",
        "the Hugging Face Space lmarena-ai/chatbot-arena-leaderboard",
        "the Space says apache-2.0",
    )
    leaderboard = "arena-text"
    core_table = "core.arena_entries"
    description = "Chatbot Arena, the Space lmarena-ai/chatbot-arena-leaderboard's table files"
    repo_id = "lmarena-ai/chatbot-arena-leaderboard"
    immutable_keys = True
    in_default_run = False
    limits = http.Limits(deadline_seconds=300.0, max_bytes=20 * 2**20)

    def default_location(self) -> str:
        return hub.default_endpoint()

    def discover(self, location: str) -> list[SnapshotRef]:
        repo = hub.HubRepo(hub.endpoint_of(location), self.repo_id, "space", self.limits)
        revisions = repo.revisions()
        if not revisions:
            return []
        head = revisions[-1].sha
        refs = [
            SnapshotRef(
                self.name, f"{f.path}@{f.blob_id[:12]}", repo.url(head, f.path), snapshot_date_from_name(f.path)
            )
            for f in repo.files(head)
            if SPACE_TABLE.match(f.path)
        ]
        return sorted(refs, key=lambda r: (r.snapshot_date, r.key))

    def fetch(self, ref: SnapshotRef) -> bytes:
        repo, revision, path = hub.parse_url(ref.location, self.limits)
        if not SPACE_TABLE.match(PurePosixPath(path).name) or "/" in path:
            # Defence in depth: discovery never lists anything else, and a pickle must never be fetched.
            raise http.Refused(
                f"refusing to download {path!r} from {repo}: only leaderboard_table_YYYYMMDD.csv is read"
            )
        return repo.download(revision, path)

    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        return parse_arena_csv(raw, ref.snapshot_date or snapshot_date_from_name(ref.key))

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan:
        return arena_suite.plan(
            frame, arena_suite.ArenaContext(today=context.today, min_rows=half_of_previous(context))
        )
