"""The one rule for numbers written as text, in every source: plain decimal notation.

A number is an optional sign, digits, at most one '.' as the decimal point and an optional exponent
(`1234`, `-0.5`, `1.2e9`; a percentage column may end in `%`). A comma is never read: `1,234` is one
thousand two hundred and thirty-four in one convention and one point two three four in another, so
a value written with a comma rejects the snapshot, naming the values, rather than being read either
way (it used to be read as 1234: a thousandfold error in a figure given in billions).
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from common.errors import SnapshotRejected

# Digits with a comma between them: a thousands separator or a decimal comma.
COMMA_NUMBER = r"^\s*[+-]?[0-9.]*[0-9],[0-9][0-9.,]*\s*%?\s*$"


def reject_comma_numbers(frame: pl.DataFrame, columns: Iterable[str]) -> None:
    """Raise SnapshotRejected if a text column of `frame` among `columns` holds a number with a comma."""
    text = [c for c in dict.fromkeys(columns) if c in frame.columns and frame.schema[c] == pl.Utf8]
    # One pass over every column for any comma at all (a numeric column almost never has one); the
    # pattern is matched, and the values named, only when there is.
    if not text or not frame.select(pl.any_horizontal(pl.col(text).str.contains(",", literal=True)).any()).item():
        return
    found: dict[str, list[str]] = {}
    for column in text:
        values = frame.filter(pl.col(column).str.contains(COMMA_NUMBER))[column]
        if len(values):
            found[column] = [f"{v!r}" for v in values.head(3).to_list()] + (
                [f"{len(values) - 3} more"] if len(values) > 3 else []
            )
    if found:
        shown = "; ".join(f"{column}: {', '.join(values)}" for column, values in found.items())
        raise SnapshotRejected(
            [{
                "check": "number_format",
                "reason": f"numbers written with a comma ({shown}): a thousands separator and a decimal comma "
                "look alike, so they are not guessed; write plain numbers with '.' as the decimal point",
                "columns": sorted(found),
            }]
        )  # fmt: skip
