"""Sources whose snapshots are files: a folder (searched recursively), a single file, or a URL.

Discovery rules (the same for every file source):
- a folder is searched recursively; extensions match whatever their case (`.CSV` is a CSV);
- hidden files and folders (a name starting with '.') are skipped, and counted;
- symlinks are followed while their target is inside the location (a folder reached both by its
  path and through a link is searched once, under its real path; a cycle ends); one pointing
  outside the location is refused, and counted: a folder of snapshots must not pull any readable
  file of the machine into raw/;
- a `file://` URL is refused (give a local location as a path); only http(s) URLs are fetched.
What was skipped is kept on the Discovery, so a run that finds nothing can say why.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from common import http
from common.dates import snapshot_date_from_name
from common.errors import SnapshotRejected
from datasets.base import SnapshotRef, local_path


class Discovery(list):
    """The refs found (it is the list), plus what was skipped and why, for the run summary."""

    def __init__(self, refs=(), skipped: dict[str, int] | None = None):
        super().__init__(refs)
        self.skipped: dict[str, int] = dict(skipped or {})

    def sorted(self, key) -> Discovery:
        """The same discovery, its refs in another order."""
        return Discovery(sorted(self, key=key), self.skipped)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def walk_files(root: Path, pattern: str) -> tuple[list[tuple[str, Path]], Discovery]:
    """(relative key, real path) of every visible file under `root` matching `pattern` (`*.csv`: the
    extension, or an exact name such as `text.json`; any case), following symlinks that stay inside."""
    found: list[tuple[str, Path]] = []
    notes = Discovery()
    seen_dirs: set[Path] = set()
    wanted = pattern.lower()

    def matches(name: str) -> bool:
        return name.lower().endswith(wanted[1:]) if wanted.startswith("*") else name.lower() == wanted

    def visit(folder: Path, relative: PurePosixPath) -> None:
        real = folder.resolve()
        if real in seen_dirs:
            return  # a symlink cycle, or a folder linked twice: searched once
        seen_dirs.add(real)
        # real entries before links, so that a folder reached both ways is listed under its real path
        for entry in sorted(os.scandir(folder), key=lambda e: (e.is_symlink(), e.name)):
            name = entry.name
            key = relative / name
            if name.startswith("."):
                notes.skip("hidden file or folder")
                continue
            target = Path(entry.path).resolve()
            if entry.is_symlink() and not _inside(target, root):
                notes.skip("symlink pointing outside the location")
                continue
            if entry.is_dir():
                visit(Path(entry.path), key)
            elif entry.is_file():
                if matches(name):
                    found.append((key.as_posix(), target))
                else:
                    notes.skip(f"not {pattern}")
            else:
                notes.skip("not a regular file (a broken link?)")

    visit(root, PurePosixPath())
    return found, notes


def discover_files(source: str, location: str, pattern: str = "*.csv") -> Discovery:
    """Every file matching `pattern` (`*.csv`, or an exact name such as `text.json`) under `location`,
    keyed by its path relative to the location."""
    path = local_path(location)
    if path is None:
        http.check_url(location)
        name = PurePosixPath(urlparse(location).path).name or "snapshot"
        return Discovery([SnapshotRef(source, name, location)])
    if path.is_file():
        return Discovery([SnapshotRef(source, path.name, str(path))])
    if not path.is_dir():
        raise FileNotFoundError(f"no such file or folder: {path}")
    files, found = walk_files(path.resolve(), pattern)
    found.extend(SnapshotRef(source, key, str(real)) for key, real in files)
    return found


def read_bytes(ref: SnapshotRef, limits: http.Limits = http.DEFAULT_LIMITS) -> bytes:
    """A local file's bytes (within the source's size cap) or a URL's."""
    path = local_path(ref.location)
    if path is None:
        return http.fetch(ref.location, limits=limits).content or b""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise http.Refused(f"{path}: {size} bytes, over this source's cap of {limits.max_bytes}")
    return path.read_bytes()


def dated(found: Discovery, name_of=lambda key: key.rsplit("/", 1)[-1]) -> Discovery:
    """The refs with the date in their name (`name_of(key)`: the file name by default; None if there is
    none: parse rejects it), oldest first."""
    for i, ref in enumerate(found):
        try:
            day = snapshot_date_from_name(name_of(ref.key))
        except SnapshotRejected:
            day = None
        found[i] = replace(ref, snapshot_date=day)
    return found.sorted(key=lambda r: (r.snapshot_date is None, r.snapshot_date, r.key))
