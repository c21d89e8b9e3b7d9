"""Compile the environment's bytecode once, where Python itself will not write it.

With PYTHONDONTWRITEBYTECODE set (some shells, containers and CI machines set it) Python compiles
every imported module from source on every start, and each aigap run starts several interpreters
(the run, a temporary Prefect server, a worker's flow runs): a cold run on 2 cores took longer than
Prefect's server start-up limit. uv's `compile-bytecode` setting fixed that but re-scans all of
site-packages and prints "Bytecode compiled N files" on every `uv run`. Here the scan runs once per
change of the installed packages instead, silently after the first time.
"""

from __future__ import annotations

import compileall
import sys
import sysconfig
from pathlib import Path

MARKER = ".aigap-bytecode"  # in the environment's root, next to pyvenv.cfg


def _site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def _stamp(site_packages: Path) -> str:
    # Installing or removing a package adds or removes entries in site-packages: its mtime moves.
    return f"{sys.version_info[:3]} {site_packages.stat().st_mtime_ns}"


def ensure_compiled() -> None:
    """Compile site-packages to bytecode once per set of installed packages; a no-op when Python
    writes bytecode itself, and best effort where the environment is read-only."""
    if not sys.dont_write_bytecode:
        return  # Python writes the .pyc files itself, lazily
    try:
        site_packages = _site_packages()
        marker = Path(sys.prefix) / MARKER
        stamp = _stamp(site_packages)
        if marker.exists() and marker.read_text() == stamp:
            return
        print(
            "aigap: compiling this environment's Python bytecode once (PYTHONDONTWRITEBYTECODE is set) ...",
            file=sys.stderr,
            flush=True,
        )
        compileall.compile_dir(site_packages, quiet=2, workers=0)
        marker.write_text(_stamp(site_packages))  # compiling added __pycache__ folders: the mtime moved
    except OSError:
        return  # a read-only install: nothing to cache, every start compiles as before
