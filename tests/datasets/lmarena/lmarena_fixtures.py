"""The LMArena dataset for the tests: the bundled collector copies, and a local Hub repo rebuilt from them.

The Hub dataset `lmarena-ai/leaderboard-dataset` keeps one folder per subset holding
`latest-00000-of-00001.parquet` (the current publish; every row carries its
`leaderboard_publish_date`) and `full-00000-of-00001.parquet` (all past publishes), and commits
"Update <subset> for <date>" one subset at a time. The collector copied `latest`'s rows to JSON
unchanged, so each bundled file's rows, typed as the Hub types them (rank and vote_count as the
file has them, ratings as doubles) plus the publish date column, are that parquet's content.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import polars as pl
from localhub import LocalHub

ROOT = Path(__file__).resolve().parents[3]
BUNDLE = ROOT / "data" / "leaderboards" / "lmarena_dataset"
REPO = "lmarena-ai/leaderboard-dataset"
COLUMNS = ["model_name", "organization", "license", "rating", "rating_lower", "rating_upper", "variance",
           "vote_count", "rank", "category", "leaderboard_publish_date"]  # fmt: skip


def bundled(fetch_date: str, subset: str) -> Path:
    return BUNDLE / fetch_date / f"{subset}.json"


def hub_parquet(fetch_date: str, subset: str) -> bytes:
    """The Hub's `latest` parquet of a subset as the collector found it on `fetch_date`."""
    document = json.loads(bundled(fetch_date, subset).read_bytes())
    frame = pl.DataFrame(document["rows"], infer_schema_length=None).with_columns(
        pl.lit(document["meta"]["leaderboard_publish_date"]).alias("leaderboard_publish_date"),
        pl.col("rating", "rating_lower", "rating_upper", "variance").cast(pl.Float64),
    )
    out = io.BytesIO()
    frame.select(COLUMNS).write_parquet(out)
    return out.getvalue()


def latest(subset: str) -> str:
    return f"{subset}/latest-00000-of-00001.parquet"


def build_lmarena_hub() -> tuple[LocalHub, dict[str, str]]:
    """A history of four commits from the real files: text and webdev published on 2026-08-03 /
    08-02, then webdev again (08-04), then a README edit that changes no parquet. Each commit also
    carries a `full` parquet, which a reader of the history by commit must never download."""
    hub = LocalHub()
    sha = {}
    trap = b"the full history file: never requested"
    sha["first"] = hub.commit("dataset", REPO, datetime(2026, 8, 3, 22), "Update text for 2026-08-03", {
        latest("text"): hub_parquet("2026-08-04", "text"), "text/full-00000-of-00001.parquet": trap,
        latest("webdev"): hub_parquet("2026-08-04", "webdev"), "webdev/full-00000-of-00001.parquet": trap,
        "README.md": b"# leaderboard-dataset\n",
    })  # fmt: skip
    sha["webdev"] = hub.commit("dataset", REPO, datetime(2026, 8, 4, 22), "Update webdev for 2026-08-04", {
        latest("webdev"): hub_parquet("2026-08-05", "webdev"),
    })  # fmt: skip
    sha["readme"] = hub.commit("dataset", REPO, datetime(2026, 8, 5, 9), "Update README", {
        "README.md": b"# leaderboard-dataset\nCC BY 4.0\n",
    })  # fmt: skip
    return hub, sha
