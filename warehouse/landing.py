"""Immutable, content-addressed landing of raw bytes.

Every fetched file is kept byte for byte as `raw/<source>/<snapshot key>.<sha256>.<ext>`, written
once (atomically) and made read-only. A quarantined snapshot therefore keeps its evidence, and
the same bytes are never stored twice. A run killed mid-write leaves at most a `.landing-*`
temporary file, which the next run removes (`remove_partial_landings`) before it lands anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class LandedFile:
    path: Path
    sha256: str  # what the ledger knows the content by: these bytes' sha256 unless the source says
    # otherwise (datasets/base.py Source.content_sha256); the file is named by its bytes' sha256 either way
    size: int
    first_fetched: date | None = None  # fetched from a feed URL: the day this content was first retrieved


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._") or "snapshot"


def landing_path(raw_root: Path, source: str, snapshot_key: str, sha256: str) -> Path:
    key = PurePosixPath(snapshot_key)
    suffix = "".join(key.suffixes[-1:]) or ".bin"
    stem = _safe(str(key.with_suffix("")) if key.suffix else snapshot_key)
    return raw_root / _safe(source) / f"{stem}.{sha256}{suffix}"


def land(raw_root: Path, source: str, snapshot_key: str, data: bytes) -> LandedFile:
    """Store `data` unless identical bytes are already landed under this key; return where it lives."""
    digest = sha256_of(data)
    target = landing_path(raw_root, source, snapshot_key, digest)
    if target.exists():
        return LandedFile(target, digest, target.stat().st_size)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".landing-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return LandedFile(target, digest, len(data))


def remove_partial_landings(raw_root: Path, min_age_seconds: float = 0.0) -> int:
    """Delete temporary files a killed run left half-written (call only while holding the run lock).
    `min_age_seconds`: leave younger ones, for a landing other workers write into at the same time."""
    removed = 0
    if raw_root.exists():
        now = time.time()
        for leftover in raw_root.glob("*/.landing-*"):
            with contextlib.suppress(FileNotFoundError):
                if now - leftover.stat().st_mtime >= min_age_seconds:
                    leftover.unlink(missing_ok=True)
                    removed += 1
    return removed
