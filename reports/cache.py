"""Derived files a run can always rebuild, kept on disk so that the next process need not: the
charts it drew and Vega's JavaScript for the interactive page (reports/charts.py), and the copy of
history the marts read (flows/marts.py). They live in the warehouse's `cache/` folder
(aigap.config.cache_dir); deleting it costs time, never data.

An entry is written whole (a temporary file renamed into place) and starts with the sha256 of its
content: an entry torn, truncated or altered since reads as missing, so it is rebuilt and written
again, never served.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

_DIGEST = 64  # hex characters of a sha256, then a newline, then the content


def read(path: Path) -> bytes | None:
    """The content of the entry at `path`, or None when it is missing or fails its checksum."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest, content = data[:_DIGEST], data[_DIGEST + 1 :]
    if data[_DIGEST : _DIGEST + 1] != b"\n" or hashlib.sha256(content).hexdigest().encode() != digest:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept by `prune`
    return content


def write(path: Path, content: bytes) -> None:
    """Store `content` at `path`, atomically; a cache that cannot be written is only slower."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(hashlib.sha256(content).hexdigest().encode() + b"\n" + content)
            os.chmod(temporary, 0o644)  # as any file the run writes (mkstemp makes it 0600)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        pass


def prune(folder: Path, pattern: str, keep: int, spare: Path | None = None) -> None:
    """Delete the entries matching `pattern` beyond the `keep` most recently used (never `spare`)."""
    try:
        entries = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    except OSError:  # another process pruned at the same time
        return
    for stale in entries[keep:]:
        if stale != spare:
            stale.unlink(missing_ok=True)
