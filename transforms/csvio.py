"""Strict reading of CSV bytes into an all-text polars frame.

Lenient CSV readers pad a row cut short with nulls, which hides a truncated download. Here every
row must have exactly as many fields as the header, so truncation and HTML error pages are
rejected with a reason instead of being half-loaded.
"""

from __future__ import annotations

import csv
import io

import polars as pl

from transforms.errors import SnapshotRejected
from transforms.textio import decode_text


def read_csv_text(raw: bytes) -> pl.DataFrame:
    """Parse CSV bytes into a frame of strings (empty fields become null)."""
    if not raw.strip():
        raise SnapshotRejected("empty file: no header and no rows")
    text = decode_text(raw, "CSV")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise SnapshotRejected(f"malformed CSV: {exc}") from exc
    if not rows:
        raise SnapshotRejected("empty file: no header and no rows")
    header, body = rows[0], rows[1:]
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise SnapshotRejected(f"header repeats column names: {dupes}")
    ragged = [(i + 2, len(r)) for i, r in enumerate(body) if len(r) != len(header) and r]
    if ragged:
        line, n = ragged[0]
        raise SnapshotRejected(
            f"{len(ragged)} row(s) do not have {len(header)} fields (first: line {line} has {n}); "
            "the file looks truncated or malformed"
        )
    body = [r for r in body if r]
    if not body:
        raise SnapshotRejected("file has a header but no data rows")
    columns = list(zip(*body, strict=True))
    return pl.DataFrame(
        {name: pl.Series(name, col, dtype=pl.Utf8) for name, col in zip(header, columns, strict=True)}
    ).with_columns(pl.all().replace("", None))
