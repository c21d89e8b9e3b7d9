"""LMArena's own leaderboard dataset (`lmarena-ai/leaderboard-dataset` on the Hub) -> core rows.

One snapshot is one subset (`text`, `text_style_control`, `vision`, `webdev` ...) as LMArena
published it on one `leaderboard_publish_date`: rows of (category, rank, model_name, organization,
license, rating, rating_lower, rating_upper, variance, vote_count). Two forms carry it:
- the Hub's Parquet, `<subset>/latest-00000-of-00001.parquet`, whose rows carry the publish date;
- a collector's JSON copy, `{meta: {subset, leaderboard_publish_date, fetched_at, ...}, rows: [...]}`.

Both normalise to the same frame (`normalise`), and the same LMArena content gets the same
`content_sha256` in either form, whatever the collector adds around it (`fetched_at`, its URL, its
counts): the digest covers the subset, the publish date and the rows only.

Quirks of the real data, kept visible rather than repaired:
- `organization` is a lower-case slug (`anthropic`, `zai`, `bfl`), empty for many older models
  (NULL here: unknown, never guessed); one subset spells `Stability AI`;
- `rank` and `vote_count` are floats in `text` (1.0, 336.0) and integers elsewhere;
- a model can be listed more than once in one category of one publish with different ratings (the
  2026-07-16 `text` publish lists `japanese` models up to 6 times; the 2026-07-14 `search` publish
  lists its 32 models 182 times; `webdev` lists `gpt-5.3-codex (codex-harness)` twice in every
  publish). `listings` counts them; the marts never pick one of several ratings silently.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

import polars as pl

from common.contracts import LOAD_COLUMNS
from common.errors import SnapshotRejected
from common.textio import decode_text
from datasets.lmarena.contract import LMARENA_ENTRIES

# the frame a parser returns: the contract's columns but those of the load, the publish date
# included (it is in the content, never in the file's name)
ENTRY_SCHEMA = LMARENA_ENTRIES.polars_schema(without=tuple(c for c in LOAD_COLUMNS if c != "snapshot_date"))
TABLE = LMARENA_ENTRIES.name
STYLE_SUFFIX = "_style_control"
ROW_FIELDS = [
    "category", "rank", "model_name", "organization", "license", "rating", "rating_lower", "rating_upper",
    "variance", "vote_count",
]  # fmt: skip


def split_subset(published: str) -> tuple[str, bool]:
    """`text_style_control` -> (`text`, True); `webdev` -> (`webdev`, False)."""
    if published.endswith(STYLE_SUFFIX):
        return published[: -len(STYLE_SUFFIX)], True
    return published, False


def _date(value, what: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise SnapshotRejected(
            [{"check": "snapshot_date", "reason": f"{what} is {str(value)[:40]!r}, not a date (YYYY-MM-DD)"}]
        ) from None


NUMERIC = ("rating", "rating_lower", "rating_upper", "variance", "vote_count", "rank")


def _unreadable(text: pl.DataFrame) -> dict[str, int]:
    """Per numeric field, how many values are present but not a number (or, for counts, not whole)."""
    counts = {}
    for column in NUMERIC:
        value = pl.col(column).cast(pl.Float64, strict=False)
        bad = pl.col(column).is_not_null() & value.is_null()
        if column in ("vote_count", "rank"):
            bad = bad | (value.is_not_null() & (value != value.round(0)))
        counts[column] = text.select(bad.sum()).item()
    return {c: n for c, n in counts.items() if n}


def normalise(rows: pl.DataFrame, subset_as_published: str, publish_date: date) -> pl.DataFrame:
    """Rows with ROW_FIELDS (as text or typed) -> the core frame (ENTRY_SCHEMA), one row per listing."""
    missing = [f for f in ROW_FIELDS if f not in rows.columns]
    if missing:
        raise SnapshotRejected(
            [{"check": "header", "reason": f"rows lack field(s) {missing} (renamed?)", "missing_columns": missing}]
        )
    subset, style_control = split_subset(subset_as_published)
    text = rows.select(pl.col(f).cast(pl.Utf8) for f in ROW_FIELDS)
    if unreadable := _unreadable(text):
        raise SnapshotRejected(
            [{"check": "parse", "reason": f"{n} value(s) of {c} are not numbers (or not whole counts)"}
             for c, n in unreadable.items()]
        )  # fmt: skip
    frame = text.select(
        pl.lit(publish_date).alias("snapshot_date"),
        pl.lit(subset).alias("subset"),
        pl.lit(style_control).alias("style_control"),
        pl.col("category").str.strip_chars(),
        pl.col("model_name").str.strip_chars().alias("model"),
        pl.col("organization").str.strip_chars().replace("", None).alias("organization"),
        pl.col("license").str.strip_chars().replace("", None).alias("license"),
        *(pl.col(c).cast(pl.Float64, strict=False) for c in ("rating", "rating_lower", "rating_upper", "variance")),
        *(pl.col(c).cast(pl.Float64, strict=False).cast(pl.Int64).alias(c) for c in ("vote_count", "rank")),
    )
    return frame.with_columns(pl.len().over("category", "model").cast(pl.Int64).alias("listings"))


def content_sha256(frame: pl.DataFrame) -> str:
    """The identity of LMArena's content: subset, style control, publish date and rows, in a canonical
    order, whatever form or wrapper carried them (a collector's `fetched_at` changes nothing)."""
    columns = list(ENTRY_SCHEMA)
    canonical = frame.select(columns).sort(columns, nulls_last=True)
    return hashlib.sha256(canonical.write_csv(float_precision=None).encode()).hexdigest()


def _json(raw: bytes):
    # decode_text gives a reason for any non-text bytes; json.loads then reads a 3.6 MB subset in
    # 0.03 s (textio.read_json's nesting pre-scan costs 0.17 s, and a document nested too deep is
    # caught here as RecursionError anyway)
    text = decode_text(raw, "JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotRejected(f"not valid JSON (cut short or an error page?): {exc}") from exc
    except RecursionError as exc:
        raise SnapshotRejected("JSON nested too deep to be an LMArena subset") from exc


def parse_collector_json(raw: bytes) -> tuple[pl.DataFrame, dict]:
    """`{meta: {subset, leaderboard_publish_date, n_rows, ...}, rows: [...]}` -> (core frame, details).

    The snapshot date is `meta.leaderboard_publish_date`, LMArena's own date; the collector's
    `fetched_at` is kept in the details only. A document that declares more rows than it holds
    (`meta.n_rows`) was cut short and is rejected."""
    document = _json(raw)
    if not isinstance(document, dict) or not isinstance(document.get("meta"), dict):
        raise SnapshotRejected("JSON is not an LMArena subset copy ({meta: {...}, rows: [...]})")
    meta, rows = document["meta"], document.get("rows")
    if not isinstance(rows, list) or not rows:
        raise SnapshotRejected("`rows` is missing, empty or not a list")
    if not all(isinstance(r, dict) for r in rows):
        raise SnapshotRejected("some entries of `rows` are not objects")
    subset = meta.get("subset")
    if not isinstance(subset, str) or not subset.strip():
        raise SnapshotRejected("meta.subset is missing: which board is this?")
    if meta.get("leaderboard_publish_date") is None:
        raise SnapshotRejected(
            [{"check": "snapshot_date", "reason": "meta.leaderboard_publish_date is missing: the fetch date is "
              "not the data's date, so the snapshot cannot be dated"}]
        )  # fmt: skip
    publish = _date(meta["leaderboard_publish_date"], "meta.leaderboard_publish_date")
    declared = meta.get("n_rows")
    if isinstance(declared, int) and declared != len(rows):
        raise SnapshotRejected(f"meta.n_rows says {declared} rows but the file holds {len(rows)}: cut short?")
    fields = sorted({k for r in rows for k in r})
    nested = sorted({k for r in rows for k, v in r.items() if isinstance(v, dict | list)})
    if nested:
        raise SnapshotRejected(f"row field(s) {nested} hold lists or objects, expected plain values")
    table = pl.DataFrame(
        {f: [None if r.get(f) is None else str(r.get(f)) for r in rows] for f in fields},
        schema=dict.fromkeys(fields, pl.Utf8),
    )
    frame = normalise(table, subset.strip(), publish)
    details = {
        "layout": "collector-json",
        "subset": subset.strip(),
        "leaderboard_publish_date": publish.isoformat(),
        **{k: meta.get(k) for k in ("fetched_at", "source_url") if isinstance(meta.get(k), str)},
    }
    return frame, details


def parse_hub_parquet(table: pl.DataFrame, subset_as_published: str) -> tuple[pl.DataFrame, dict]:
    """The Hub's `<subset>/latest-*.parquet` (read as text) -> (core frame, details). The publish date
    is the rows' `leaderboard_publish_date`: one date per file, or the file is rejected."""
    if "leaderboard_publish_date" not in table.columns:
        raise SnapshotRejected(
            [{"check": "header", "reason": "no leaderboard_publish_date column: the snapshot cannot be dated",
              "missing_columns": ["leaderboard_publish_date"]}]
        )  # fmt: skip
    dates = table["leaderboard_publish_date"].drop_nulls().unique().to_list()
    if len(dates) != 1 or table["leaderboard_publish_date"].null_count():
        raise SnapshotRejected(
            [{"check": "snapshot_date", "reason": f"expected one leaderboard_publish_date, found {sorted(dates)[:5]}"
              f"{' and NULLs' if table['leaderboard_publish_date'].null_count() else ''}"}]
        )  # fmt: skip
    publish = _date(dates[0], "leaderboard_publish_date")
    frame = normalise(table, subset_as_published, publish)
    return frame, {
        "layout": "hub-parquet",
        "subset": subset_as_published,
        "leaderboard_publish_date": publish.isoformat(),
    }
