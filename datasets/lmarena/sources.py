"""LMArena's own leaderboard dataset, `lmarena-ai/leaderboard-dataset` (CC BY 4.0), in two forms.

- `lmarena-dataset` (default run): the bundled collector copies,
  `data/leaderboards/lmarena_dataset/<fetch date>/<subset>.json`. The collector's `_summary.json`
  (its own digest of a fetch: counts, a `xiaomi_rows` tally) is not LMArena's data and is never read.
- `lmarena-hub` (online only): the dataset on the Hub, through `huggingface_hub`: every commit of
  its history (`list_repo_commits`), each subset's `<subset>/latest-*.parquet` of that commit read
  with `hf_hub_download(revision=sha)`. The `full-*` files (every past publish in one file) are not
  read: the history comes from the commits, one publish at a time.

What one snapshot is, and when two fetches are one:
- a snapshot is one subset as LMArena published it on one `leaderboard_publish_date`; that date is
  the snapshot date, never the fetch date (the folder) nor the collector's `fetched_at`. The core
  identity is (subset, style_control, snapshot_date): a later load of the same publish replaces
  the earlier, one publish is never two snapshots;
- the ledger key is where the bytes came from (the fetch's path; on the Hub, the subset and the
  file's git blob id, so an unchanged file is listed once however many commits keep it);
- "same content" of a collector copy is LMArena's content (`content_sha256`: the subset, the
  publish date and the rows, datasets/lmarena/parse.py), not the file's bytes, which the
  collector's `fetched_at` makes differ on every fetch. So a second fetch of one publish (2026-08-04 and 2026-08-05 both hold the
  `text` publish of 2026-08-03) is skipped as the same content, in the same run or any later one;
  the raw file still lands under its bytes' sha256. A Hub file is LMArena's own bytes: there,
  same content is same bytes.
- keys are ordered (fetch dates, Hub commits): two different contents of one publish are a
  revision, and the later fetch counts.
The gate's size floor is one row: subsets run from 6 rows (`video_edit`) to 10,000 (`text`), and a
file cut short is caught by its own `meta.n_rows` (JSON) or its missing footer (Parquet).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePosixPath

import polars as pl

from common import http, hub
from common.errors import SnapshotRejected
from common.gate import GatePlan
from common.http import FetchError
from common.parquetio import read_parquet_text
from common.settings import DATA_DIR
from datasets.base import Credit, GateContext, ParsedSnapshot, SnapshotRef, SnapshotUnavailable, Source
from datasets.files import Discovery, discover_files, read_bytes
from datasets.lmarena import checks as suite
from datasets.lmarena.parse import TABLE, content_sha256, parse_collector_json, parse_hub_parquet

COLLECTOR_DIGEST = "_summary.json"
HUB_REPO = "lmarena-ai/leaderboard-dataset"
HUB_FILE = re.compile(r"^(?P<subset>[A-Za-z0-9_-]+)/latest-\d{5}-of-\d{5}\.parquet$")


def _with_date(frame: pl.DataFrame, details: dict) -> ParsedSnapshot:
    return ParsedSnapshot(frame, date.fromisoformat(details["leaderboard_publish_date"]), details)


class LMArenaDataset(Source):
    name = "lmarena-dataset"
    credit = Credit(
        "LMArena leaderboard dataset (lmarena-ai/leaderboard-dataset)",
        "daily JSON copies in Scarlett9826/arena-ai-leaderboards",
        "dataset CC BY 4.0 (LMArena); collector MIT",
    )
    leaderboard = "lmarena"
    core_table = TABLE
    description = "LMArena leaderboard dataset (lmarena-ai/leaderboard-dataset), bundled collector copies"
    ordered_keys = True
    limits = http.Limits(deadline_seconds=120.0, max_bytes=64 * 2**20)  # a `text` subset is 3.7 MB

    def default_location(self) -> str:
        return str(DATA_DIR / "leaderboards" / "lmarena_dataset")

    def discover(self, location: str) -> list[SnapshotRef]:
        found = discover_files(self.name, location, "*.json")
        kept = Discovery(skipped=found.skipped)
        for ref in found:
            if PurePosixPath(ref.key).name == COLLECTOR_DIGEST:
                kept.skip("the collector's own digest (_summary.json), not LMArena's data")
            else:
                kept.append(ref)
        return kept.sorted(key=lambda r: r.key)  # fetch date, then subset: the later fetch last

    def fetch(self, ref: SnapshotRef) -> bytes:
        return read_bytes(ref, self.limits)

    def content_sha256(self, raw: bytes) -> str | None:
        try:
            frame, _ = parse_collector_json(raw)
        except SnapshotRejected:
            return None  # unreadable: the bytes are its identity, and the parser says why it is rejected
        return content_sha256(frame)

    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        return _with_date(*parse_collector_json(raw))

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan:
        return suite.entries_plan(frame, context.today)


class LMArenaHub(Source):
    name = "lmarena-hub"
    credit = Credit(
        "LMArena leaderboard dataset", "the Hub dataset lmarena-ai/leaderboard-dataset", "CC BY 4.0 (LMArena)"
    )
    leaderboard = "lmarena"
    core_table = TABLE
    description = "LMArena leaderboard dataset on the Hub (lmarena-ai/leaderboard-dataset), by commit"
    immutable_keys = True  # a key names a git blob: its content never changes
    ordered_keys = True
    in_default_run = False
    limits = http.Limits(deadline_seconds=300.0, max_bytes=64 * 2**20)

    def default_location(self) -> str:
        return hub.default_endpoint()

    def discover(self, location: str) -> list[SnapshotRef]:
        """One ref per subset file content, at the first commit (oldest first) that holds it."""
        repo = hub.HubRepo(hub.endpoint_of(location), HUB_REPO, "dataset", self.limits)
        refs: dict[str, SnapshotRef] = {}
        for revision in repo.revisions():
            for file in repo.files(revision.sha):
                if (match := HUB_FILE.match(file.path)) is None:
                    continue
                key = f"{match['subset']}@{file.blob_id[:12]}"
                if key not in refs:
                    refs[key] = SnapshotRef(self.name, key, repo.url(revision.sha, file.path))
        return list(refs.values())

    def fetch(self, ref: SnapshotRef) -> bytes:
        repo, revision, path = hub.parse_url(ref.location, self.limits)
        if HUB_FILE.match(path) is None:  # defence in depth: discovery lists nothing else
            raise http.Refused(f"refusing to download {path!r} from {repo}: only <subset>/latest-*.parquet is read")
        try:
            return repo.download(revision, path)
        except FetchError as exc:
            if exc.status == 404:
                raise SnapshotUnavailable(f"{path} is not in {repo} at {revision[:12]}") from exc
            raise

    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        subset = ref.key.split("@", 1)[0]
        frame, details = parse_hub_parquet(read_parquet_text(raw), subset)
        _, revision, path = hub.parse_url(ref.location, self.limits)
        return _with_date(frame, {**details, "revision": revision, "path": path})

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan:
        return suite.entries_plan(frame, context.today)
