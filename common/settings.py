"""Paths and settings. Nothing here depends on the working directory."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
REGISTRY_DIR = DATA_DIR / "registry"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "aigap.ducklake"  # a DuckLake (warehouse/lake.py)
WAREHOUSE_ENV = "AIGAP_WAREHOUSE"


def warehouse_path(explicit: str | os.PathLike | None = None) -> Path:
    """The warehouse to use: an explicit path, else $AIGAP_WAREHOUSE, else warehouse/aigap.ducklake."""
    chosen = explicit or os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE
    return Path(chosen).expanduser().resolve()


RAW_DIR_ENV = "AIGAP_RAW_DIR"


def raw_dir(warehouse: Path) -> Path:
    """Immutable, content-addressed landing folder: $AIGAP_RAW_DIR (one landing several workers
    share, mounted at the same path on each), else `raw/` next to the warehouse."""
    chosen = os.environ.get(RAW_DIR_ENV)
    return Path(chosen).expanduser().resolve() if chosen else warehouse.parent / "raw"


# A landing other workers write into at the same time: only leftovers this old are a dead run's.
SHARED_LANDING_LEFTOVER_SECONDS = 24 * 3600


def landing_leftover_age(warehouse: Path) -> float:
    """How old a half-written landing must be before a run removes it: any age in the warehouse's own
    landing (the run lock excludes every other writer), a day in a shared one ($AIGAP_RAW_DIR)."""
    return SHARED_LANDING_LEFTOVER_SECONDS if os.environ.get(RAW_DIR_ENV) else 0.0


def ledger_raw_path(warehouse: Path, landed: Path) -> str:
    """How the ledger names a landed file: relative to the warehouse folder when it lies inside
    (a folder moved or copied whole still finds it), else absolute (a shared landing)."""
    try:
        return landed.relative_to(warehouse.parent).as_posix()
    except ValueError:
        return landed.resolve().as_posix()


def landed_path(warehouse: Path, raw_path: str) -> Path:
    """The file a ledger `raw_path` names (the inverse of `ledger_raw_path`)."""
    return warehouse.parent / raw_path  # an absolute raw_path stays itself


def staging_dir(warehouse: Path) -> Path:
    """Short-lived staged frames (parsed, not yet validated) for the write-audit-publish path."""
    return warehouse.parent / "staging"


def reports_dir(warehouse: Path) -> Path:
    """The latest run report and gap chart, next to the warehouse, readable without the Prefect UI."""
    return warehouse.parent / "reports"


def cache_dir(warehouse: Path) -> Path:
    """Derived files kept between runs only to save time (drawn charts, Vega's JavaScript, the local
    copy of history the marts read: common/cache.py), next to the warehouse; deleting the folder
    costs the next run time, never data."""
    return warehouse.parent / "cache"


GAP_PAIRS_ENV = "AIGAP_GAP_PAIRS"
# Country pairs whose gap the marts publish; the first of each pair is the "a" side of gap_trend.
DEFAULT_GAP_PAIRS = ("US-CN", "US-FR", "CN-FR", "US-KR", "CN-KR")
HEADLINE_PAIR = ("US", "CN")  # the pair summaries and the funding gap report


def gap_pairs(value: str | None = None) -> list[tuple[str, str]]:
    """Pairs from `value` or $AIGAP_GAP_PAIRS ("US-CN,US-FR"), else the defaults."""
    text = value or os.environ.get(GAP_PAIRS_ENV) or ",".join(DEFAULT_GAP_PAIRS)
    pairs = []
    for item in text.split(","):
        a, sep, b = item.strip().upper().partition("-")
        if not sep or len(a) != 2 or len(b) != 2 or a == b:
            raise ValueError(f"bad country pair {item!r}: use two ISO-3166 alpha-2 codes like US-CN")
        pairs.append((a, b))
    return pairs
