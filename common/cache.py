"""Derived files a run can always rebuild, kept on disk so that the next process need not: the
charts it drew and Vega's JavaScript for the interactive page (reports/charts.py), and the copy of
history the marts read (engine/marts.py). They live in the warehouse's `cache/` folder
(common.settings.cache_dir); deleting it costs time, never data.

An entry is written whole (a temporary file renamed into place) and starts with the sha256 of its
content: an entry torn, truncated or altered since reads as missing, so it is rebuilt and written
again, never served. An entry is named by `key`: a digest of everything its content depends on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import re
import tempfile
from datetime import date, datetime
from functools import cache
from importlib.metadata import version
from pathlib import Path

import polars as pl

from common.settings import PROJECT_ROOT

_DIGEST = 64  # hex characters of a sha256, then a newline, then the content


def key(*parts) -> str:
    """sha256 of `parts`: JSON values, dates, dataclasses and polars frames (their schema and values,
    row by row, written as Parquet), in the order given. Equal keys mean equal inputs; an input it cannot
    encode exactly is an error, never a guess."""
    return hashlib.sha256(json.dumps(parts, default=_exact, allow_nan=True).encode()).hexdigest()


def _exact(value):
    """How `key` encodes what JSON cannot; tagged, so that no value reads as another's encoding."""
    if isinstance(value, pl.DataFrame):
        # Parquet, not Arrow IPC: IPC copies whatever bytes lie under a null (frames read from DuckDB
        # differ there from process to process); Parquet stores the values and where the nulls are.
        buffer = io.BytesIO()
        value.write_parquet(buffer, compression="uncompressed", statistics=False)
        return {"<frame>": hashlib.sha256(buffer.getvalue()).hexdigest()}
    if isinstance(value, datetime | date):  # datetime first: a datetime is a date too
        return {f"<{type(value).__name__}>": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f"<{type(value).__qualname__}>": [getattr(value, f.name) for f in dataclasses.fields(value)]}
    raise TypeError(f"no exact cache-key encoding for {type(value).__name__}")


@cache
def versions(*distributions: str) -> dict[str, str]:
    """The installed version of each distribution (what a derived file was built with)."""
    return {name: version(name) for name in distributions}


@cache
def code_digest(module_name: str) -> str:
    """A digest of the code that a project module runs (code_sources): a change to any of it
    changes what the module builds."""
    return key(sorted(code_sources(module_name).items()))


def code_sources(module_name: str) -> dict[str, str]:
    """Module name -> sha256 of its source, for a project module and every project module it imports,
    directly or through another (read from their `import` statements; installed libraries are left
    to their versions)."""
    digests, todo = {}, [module_name]
    while todo:
        name = todo.pop()
        path = _project_file(name)
        if name in digests or path is None:
            continue
        source = path.read_bytes()
        digests[name] = hashlib.sha256(source).hexdigest()
        for module, names, modules in _IMPORT.findall(source.decode("utf-8")):
            if module:  # from MODULE import NAMES: a name may be a module too
                todo += [module, *(f"{module}.{n}" for n in re.findall(r"(\w+)(?:\s+as\s+\w+)?", names))]
            else:  # import A, B.C as D
                todo += re.findall(r"([\w.]+)(?:\s+as\s+\w+)?", modules)
    return digests


# an import statement anywhere (inside a function too); a parenthesised name list may span lines
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]+)|import[ \t]+([^\n]+))", re.M)


def code_files(*module_names: str) -> list[Path]:
    """The files of these project modules and of every project module they import (code_sources)."""
    names = {name for module in module_names for name in code_sources(module)}
    return sorted(_project_file(name) for name in names)


def _project_file(module_name: str) -> Path | None:
    """The file of a module of this project (not of an installed library), or None."""
    base = PROJECT_ROOT.joinpath(*module_name.split("."))
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)


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
