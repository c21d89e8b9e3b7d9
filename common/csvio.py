"""Strict reading of CSV bytes into an all-text polars frame.

Lenient CSV readers pad a row cut short with nulls, which hides a truncated download. Here every
row must have exactly as many fields as the header, so truncation and HTML error pages are
rejected with a reason instead of being half-loaded.

Two readers, one answer. `read_strict` (Python's csv module, strict) is the reference: it decides
every file and explains every rejection, but costs ~25 ms per MB of CSV. `read_fast` (polars'
reader) takes only files it can prove it reads exactly as `read_strict` would: every line a
complete record of well-formed fields (quoted fields closed on their own line, nothing after a
closing quote, no stray quote in an unquoted field), as many fields as the header, no blank line,
no bare `\\r`, no line longer than the csv module's field limit, a header without repeats. Anything
else (including every file that will be rejected) goes to `read_strict`, so the reason given is
always the reference reader's. tests/test_csvio.py compares the two on every bundled CSV and on
generated hostile text.
"""

from __future__ import annotations

import csv
import io

import polars as pl

from common.errors import SnapshotRejected
from common.textio import decode_text

# A line of n fields as the csv module's default (excel) dialect reads them, with nothing it would
# read differently from polars: an unquoted field holds no quote, comma or carriage return; a quoted
# one doubles its quotes, holds no carriage return and ends at a comma or the line's end (`\r\n` ok).
_UNQUOTED = r'[^",\r]'
_QUOTED = r'"(?:[^"\r]|"")*"'
# Wider tables go to read_strict: the line pattern grows with the width (1,000 fields: ~0.1 s to compile).
FAST_MAX_FIELDS = 500


def _line_of(fields: int) -> str:
    if fields == 1:  # one column: an empty line is a blank line, skipped by the csv module, not a row
        return rf"^(?:{_UNQUOTED}+|{_QUOTED})\r?$"
    field = rf"(?:{_UNQUOTED}*|{_QUOTED})"
    return rf"^{field}(?:,{field}){{{fields - 1}}}\r?$"


def read_csv_text(raw: bytes) -> pl.DataFrame:
    """Parse CSV bytes into a frame of strings (empty fields become null)."""
    if not raw.strip():
        raise SnapshotRejected("empty file: no header and no rows")
    text = decode_text(raw, "CSV")
    frame = read_fast(text)
    return frame if frame is not None else read_strict(text)


def read_strict(text: str) -> pl.DataFrame:
    """The reference reader: Python's csv module, strict; the frame, or SnapshotRejected with the reason."""
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


def read_fast(text: str) -> pl.DataFrame | None:
    """The frame `read_strict` would return, read by polars; None when the file is not plainly well formed."""
    lines = pl.Series([text]).str.split("\n").explode(empty_as_null=False)
    if text.endswith("\n"):
        lines = lines.head(-1)
    try:
        header = [name.strip() for name in next(csv.reader([lines[0]], strict=True))]
    except csv.Error:
        return None
    if not header or len(header) > FAST_MAX_FIELDS or len(lines) < 2 or len(set(header)) != len(header):
        return None  # a blank first line, header only, repeated names: read_strict says what is wrong
    try:
        return _read_checked(text, lines, header)
    except pl.exceptions.PolarsError:
        return None  # polars refuses the file: read_strict decides and explains


def _read_checked(text: str, lines: pl.Series, header: list[str]) -> pl.DataFrame | None:
    checked = pl.DataFrame({"line": lines}).select(
        plain=pl.col("line").str.contains(_line_of(len(header))).all(),
        longest=pl.col("line").str.len_bytes().max(),  # bounds every field's length in characters
    )
    if not checked["plain"][0] or checked["longest"][0] > csv.field_size_limit():
        return None
    table = pl.read_csv(
        text.encode(),
        has_header=False,
        infer_schema=False,
        quote_char='"',
        null_values=[""],  # an empty field, quoted or not, is null (as in read_strict)
        truncate_ragged_lines=False,
        raise_if_empty=True,
    )
    if table.shape != (len(lines), len(header)):
        return None
    table = table.slice(1).rechunk()  # one chunk per column: the casts that follow are 3-4x slower over many
    table.columns = header
    return table
