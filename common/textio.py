"""Bytes -> text for every text format aigap reads (CSV, JSON), with a reason a person understands
when the bytes are not what they should be: empty, compressed, another format, UTF-16, NUL bytes,
not UTF-8, an HTML page. Each reason says what the file looks like and what to do.

JSON is read within MAX_JSON_DEPTH levels of nesting: the bundled feeds use 3, and Python's parser
would otherwise meet a deeply nested document with a RecursionError instead of a reason.
"""

from __future__ import annotations

import json

from common.errors import SnapshotRejected

MAX_JSON_DEPTH = 64

# Leading bytes of formats that are never the text a source publishes.
SIGNATURES = {
    b"\x1f\x8b": "a gzip-compressed file: decompress it first (aigap reads the plain file)",
    b"PK\x03\x04": "a zip archive, not a single text file: unpack it first",
    b"PAR1": "a parquet file, not text",
    b"\x89PNG": "a PNG image, not data",
    b"%PDF": "a PDF document, not data",
}


def decode_text(raw: bytes, what: str = "CSV") -> str:
    """UTF-8 text of `raw` (a BOM is dropped), or SnapshotRejected saying what the bytes are instead."""
    if not raw.strip():
        raise SnapshotRejected(f"empty file: no {what}")
    for signature, reason in SIGNATURES.items():
        if raw.startswith(signature):
            raise SnapshotRejected(f"{reason}; expected {what}")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 3 and (raw[1] == 0) != (raw[0] == 0)):
        raise SnapshotRejected(f"UTF-16 text (two bytes per character): save it as UTF-8 {what}")
    if (nul := raw.find(b"\x00")) >= 0:
        raise SnapshotRejected(
            f"contains a NUL byte at byte {nul}: binary data or text in another encoding, not UTF-8 {what}"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SnapshotRejected(
            f"not UTF-8 text: byte {exc.start} (0x{raw[exc.start]:02x}) is {exc.reason}; "
            f"save the file as UTF-8 {what} (it may be Latin-1 or Windows-1252)"
        ) from exc
    head = text[:2048].lstrip().lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body")) or "<html" in head:
        raise SnapshotRejected(f"HTML page, not {what} (an error page saved in place of the data?)")
    return text


def nesting_depth(text: str, limit: int) -> int:
    """How deeply `text` nests [ and { (outside strings), counting only up to limit + 1."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def read_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH):
    """The JSON document in `raw`, or SnapshotRejected: not text, not JSON (cut short?), nested too deep."""
    text = decode_text(raw, "JSON")
    if nesting_depth(text, max_depth) > max_depth:
        raise SnapshotRejected(f"JSON nested more than {max_depth} levels deep: not a leaderboard feed")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotRejected(f"not valid JSON (cut short or an error page?): {exc}") from exc
    except RecursionError as exc:  # the depth check above makes this unreachable; kept as a guard
        raise SnapshotRejected("JSON nested too deep to read") from exc
