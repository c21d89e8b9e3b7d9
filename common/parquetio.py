"""Strict reading of parquet bytes (the Hub datasets' format) into an all-text polars frame.

Every column becomes text, so that a Hub parquet goes through exactly the same normalisation as
the CSV copies of the same table (common/csvio.py). Float text round-trips exactly; booleans
become `true` / `false`. A truncated or non-parquet body (an HTML error page) is rejected with a
reason: parquet keeps its footer at the end, so a cut download cannot be read half-way.
"""

from __future__ import annotations

import io

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from common.errors import SnapshotRejected

MAGIC = b"PAR1"


def read_parquet_text(raw: bytes) -> pl.DataFrame:
    if not raw:
        raise SnapshotRejected("empty file: no parquet data")
    if not (raw.startswith(MAGIC) and raw.endswith(MAGIC)):
        head = raw[:64].lstrip().lower()
        if head.startswith((b"<!doctype", b"<html")):
            raise SnapshotRejected("HTML page, not parquet (an error page saved in place of the data?)")
        raise SnapshotRejected(
            f"not a complete parquet file ({len(raw)} bytes, no PAR1 footer): cut short or another format"
        )
    try:
        table = pq.read_table(io.BytesIO(raw))
    except (pa.ArrowException, OSError) as exc:
        raise SnapshotRejected(f"unreadable parquet: {exc}") from exc
    if table.num_rows == 0:
        raise SnapshotRejected("parquet file has a schema but no rows")
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(pl.all().cast(pl.Utf8)).with_columns(pl.all().replace("", None))
