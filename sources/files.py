"""Sources whose snapshots are files: a folder (searched recursively), a single file, or a URL."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from sources import http
from sources.base import SnapshotRef, local_path


def discover_files(source: str, location: str, pattern: str = "*.csv") -> list[SnapshotRef]:
    """Every file matching `pattern` under `location`, keyed by its path relative to the location."""
    path = local_path(location)
    if path is None:
        name = PurePosixPath(urlparse(location).path).name or "snapshot"
        return [SnapshotRef(source, name, location)]
    if path.is_file():
        return [SnapshotRef(source, path.name, str(path))]
    if not path.is_dir():
        raise FileNotFoundError(f"{source}: no such file or folder: {path}")
    return [
        SnapshotRef(source, file.relative_to(path).as_posix(), str(file))
        for file in sorted(path.rglob(pattern))
        if file.is_file() and not file.name.startswith(".")
    ]


def read_bytes(ref: SnapshotRef) -> bytes:
    path = local_path(ref.location)
    if path is None:
        return http.fetch(ref.location).content or b""
    return Path(path).read_bytes()
