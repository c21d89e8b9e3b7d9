import random
import re
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from common.csvio import read_csv_text, read_fast, read_strict
from common.errors import SnapshotRejected
from common.textio import decode_text


def test_reads_text_with_empty_fields_as_null():
    frame = read_csv_text(b"a,b\n1,\n2,x\n")
    assert frame.columns == ["a", "b"]
    assert frame["b"].to_list() == [None, "x"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"a,b\n", "no data rows"),
        (b"a,b\n1,2\n3", "truncated"),
        (b'a,b\n1,2\n3,"unterminated', "malformed CSV"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML page"),
        (b"a,a\n1,2\n", "repeats column names"),
        (b"a,b\n\xff\xfe,1\n", "not UTF-8"),
    ],
)
def test_rejects_broken_csv_with_reason(data, reason):
    with pytest.raises(SnapshotRejected, match=reason):
        read_csv_text(data)


# --- the fast reader (polars) and the reference reader (csv module) give one answer -----------------

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "data").rglob("*.csv"))


def reference(raw: bytes) -> pl.DataFrame | str:
    """What the csv-module reader alone answers: its frame, or its rejection."""
    try:
        return read_strict(decode_text(raw, "CSV")) if raw.strip() else read_csv_text(raw)
    except SnapshotRejected as exc:
        return f"rejected: {exc}"


def answer(raw: bytes) -> pl.DataFrame | str:
    try:
        return read_csv_text(raw)
    except SnapshotRejected as exc:
        return f"rejected: {exc}"


def assert_same(raw: bytes) -> None:
    expected, got = reference(raw), answer(raw)
    if isinstance(expected, str) or isinstance(got, str):
        assert got == expected, raw[:200]
    else:
        assert_frame_equal(got, expected)


def test_every_bundled_csv_reads_the_same_and_takes_the_fast_path():
    assert len(BUNDLED) > 200
    for path in BUNDLED:
        raw = path.read_bytes()
        assert read_fast(decode_text(raw, "CSV")) is not None, path
        assert_frame_equal(read_csv_text(raw), read_strict(decode_text(raw, "CSV")))


# Real bytes on which polars, left to itself, reads differently from the csv module (or not at all).
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a,b\r1,2\r3,4\r", [("1", "2"), ("3", "4")]),  # bare CR ends a record (polars: one line)
        (b"a,b\n1,2\n\n3,4\n\n", [("1", "2"), ("3", "4")]),  # blank lines are skipped (polars: null rows)
        (b"a\n1\n\n2\n", [("1",), ("2",)]),  # ... also in a one-column file
        (b'a,b\nx"y,2\n', [('x"y', "2")]),  # a quote inside an unquoted field is a character
        (b'a,b\n"two\nlines","x"\n', [("two\nlines", "x")]),  # a quoted field spans lines
        (b'a,b\n"cr\rin",x\n', [("cr\rin", "x")]),  # a bare CR inside quotes is kept
        (b'a,b\r\n"",\r\n" ",NA\r\n', [(None, None), (" ", "NA")]),  # empty quoted or not: null; NA is text
        (b"\xef\xbb\xbf a ,b\n 1 ,2\t\n", [(" 1 ", "2\t")]),  # BOM dropped, header trimmed, values not
    ],
)
def test_files_polars_alone_would_misread_give_the_reference_frame(data, expected):
    assert read_csv_text(data).rows() == expected
    assert_same(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'a,b\n"x"y,2\n', "malformed CSV: ',' expected after '\"'"),  # text after a closing quote
        (b"a,b\n1,2\n3,4,5\n", "1 row(s) do not have 2 fields (first: line 3 has 3)"),
        (b"a,b\n1\n3,4\n5\n", "2 row(s) do not have 2 fields (first: line 2 has 1)"),  # polars pads with null
        (b"a,b,\n1,2,3\n", None),  # an unnamed last column is read, as before
        (b"\na,b\n1,2\n", "do not have 0 fields"),  # a blank first line is the (empty) header
        pytest.param(b"a,b\n" + b"x" * 131_073 + b",1\n", "field larger than field limit", id="over-field-limit"),
        (b'a,b\n1,"cut', "malformed CSV: unexpected end of data"),
        (b"a, a\n1,2\n", "header repeats column names: ['a']"),
    ],
)
def test_what_the_reference_rejects_is_rejected_with_its_reason(data, reason):
    assert_same(data)
    if reason is None:
        assert read_csv_text(data).columns == ["a", "b", ""]
    else:
        with pytest.raises(SnapshotRejected, match=re.escape(reason)):
            read_csv_text(data)


def generated_csv(rng: random.Random) -> bytes:
    """Small CSV text, half well formed, the rest with every hazard the two readers might disagree on."""
    clean = rng.random() < 0.6
    tokens = ["", "a", " b ", "1.5", "é", "NA", "null", "#c", "\ufeff", "\\", "\x0b", "\u2028"]
    quoted = ["", "a,b", 'say ""hi""'] + ([] if clean else ["two\nlines", "\r\n", ' "x" '])
    hazards = ['"', '""', ",", "\n", "\r\n", "\r", " ", "a", '"q"', '"n\nl"', "x,y"]

    def field() -> str:
        roll = rng.random() * (0.7 if clean else 1)
        if roll < 0.4:
            return rng.choice(tokens)
        if roll < 0.7:
            return f'"{rng.choice(quoted)}"'
        return "".join(rng.choice(hazards) for _ in range(rng.randint(0, 3)))

    width = rng.randint(1, 4)
    rows = [
        ",".join(field() for _ in range(width if clean or rng.random() < 0.8 else rng.randint(0, width + 1)))
        for _ in range(rng.randint(1, 5))
    ]
    newline = rng.choice(["\n", "\n", "\r\n"] + ([] if clean else ["\r"]))
    end = rng.choice(["\n", "\r\n", ""] + ([] if clean else ["\n\n"]))
    return (newline.join(rows) + end).encode()


def test_generated_text_reads_the_same_as_the_reference():
    rng = random.Random(11)
    fast = 0
    for _ in range(3000):
        data = generated_csv(rng)
        assert_same(data)
        fast += read_fast(data.decode("utf-8-sig")) is not None
    assert fast > 800  # the comparison covers the fast path, not only the fallback
