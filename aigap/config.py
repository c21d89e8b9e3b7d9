"""Paths and settings. Nothing here depends on the working directory."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
REGISTRY_DIR = DATA_DIR / "registry"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "aigap.duckdb"
WAREHOUSE_ENV = "AIGAP_WAREHOUSE"


def warehouse_path(explicit: str | os.PathLike | None = None) -> Path:
    """The DuckDB file to use: an explicit path, else $AIGAP_WAREHOUSE, else warehouse/aigap.duckdb."""
    chosen = explicit or os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE
    return Path(chosen).expanduser().resolve()


def raw_dir(warehouse: Path) -> Path:
    """Immutable, content-addressed landing folder next to the warehouse file."""
    return warehouse.parent / "raw"


def staging_dir(warehouse: Path) -> Path:
    """Short-lived staged frames (parsed, not yet validated) for the write-audit-publish path."""
    return warehouse.parent / "staging"


def reports_dir(warehouse: Path) -> Path:
    """The latest run report and gap chart, next to the warehouse, readable without the Prefect UI."""
    return warehouse.parent / "reports"
