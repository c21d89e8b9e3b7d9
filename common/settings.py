"""Paths and settings: the one place that reads aigap's environment (every `AIGAP_*` variable), each
checked when read, with a one-line SettingError naming the variable and what it accepts. `check_all`
reads them all at once (the CLI calls it before anything starts). Nothing here depends on the
working directory."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
REGISTRY_DIR = DATA_DIR / "registry"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "aigap.ducklake"  # a DuckLake (warehouse/lake.py)
WAREHOUSE_ENV = "AIGAP_WAREHOUSE"


class SettingError(ValueError):
    """A setting whose value aigap cannot use; the message names it and what it accepts."""


def _setting(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


def warehouse_path(explicit: str | os.PathLike | None = None) -> Path:
    """The warehouse to use: an explicit path, else $AIGAP_WAREHOUSE, else warehouse/aigap.ducklake."""
    chosen = explicit or _setting(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE
    path = Path(chosen).expanduser().resolve()
    if path.is_dir():
        named = "--warehouse" if explicit else WAREHOUSE_ENV
        raise SettingError(
            f"{named}={chosen} is a folder: name the warehouse file in it (e.g. {path / 'aigap.ducklake'})"
        )
    return path


RAW_DIR_ENV = "AIGAP_RAW_DIR"


def raw_dir(warehouse: Path) -> Path:
    """Immutable, content-addressed landing folder: $AIGAP_RAW_DIR (one landing several workers
    share, mounted at the same path on each), else `raw/` next to the warehouse."""
    chosen = _setting(RAW_DIR_ENV)
    return Path(chosen).expanduser().resolve() if chosen else warehouse.parent / "raw"


# A landing other workers write into at the same time: only leftovers this old are a dead run's.
SHARED_LANDING_LEFTOVER_SECONDS = 24 * 3600


def landing_leftover_age(warehouse: Path) -> float:
    """How old a half-written landing must be before a run removes it: any age in the warehouse's own
    landing (the run lock excludes every other writer), a day in a shared one ($AIGAP_RAW_DIR)."""
    return SHARED_LANDING_LEFTOVER_SECONDS if _setting(RAW_DIR_ENV) else 0.0


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
    """Pairs from `value` or $AIGAP_GAP_PAIRS ("US-CN,US-FR"), else the defaults; a pair given twice
    counts once."""
    text = value or _setting(GAP_PAIRS_ENV) or ",".join(DEFAULT_GAP_PAIRS)
    pairs: list[tuple[str, str]] = []
    for item in text.split(","):
        a, sep, b = item.strip().upper().partition("-")
        if not sep or len(a) != 2 or len(b) != 2 or not (a + b).isalpha() or a == b:
            raise SettingError(
                f"{GAP_PAIRS_ENV}: bad country pair {item.strip()!r}: use two different ISO-3166 alpha-2 codes "
                "like US-CN, comma-separated"
            )
        if (a, b) not in pairs:
            pairs.append((a, b))
    return pairs


CATALOG_ENV = "AIGAP_CATALOG"  # a DuckLake catalog: `sqlite:PATH` or `postgres:LIBPQ CONNECTION STRING`
DATA_PATH_ENV = "AIGAP_DATA_PATH"  # where the lake's Parquet files live (a shared folder, or s3://...)
CATALOG_KINDS = ("sqlite:", "postgres:")


def catalog() -> str | None:
    """$AIGAP_CATALOG, the lake's catalog for a team; None: the SQLite file at the warehouse path."""
    value = _setting(CATALOG_ENV)
    if value is not None and (not value.startswith(CATALOG_KINDS) or value in CATALOG_KINDS):
        raise SettingError(
            f"{CATALOG_ENV}={value!r}: use sqlite:PATH or postgres:CONNECTION STRING "
            "(e.g. postgres:dbname=aigap host=db.example user=aigap)"
        )
    return value


def data_path() -> str | None:
    """$AIGAP_DATA_PATH, the folder (or s3:// prefix) of the lake's data; None: next to the warehouse."""
    return _setting(DATA_PATH_ENV)


WRITER_WAIT_ENV = "AIGAP_WRITER_WAIT_SECONDS"
WRITER_WAIT_SECONDS = 600.0  # how long a second run waits for the first one to finish (10 minutes)
MAX_WRITER_WAIT_SECONDS = 7 * 24 * 3600.0


def writer_wait_seconds() -> float:
    """How long a run waits for the warehouse: $AIGAP_WRITER_WAIT_SECONDS, else WRITER_WAIT_SECONDS."""
    text = _setting(WRITER_WAIT_ENV)
    if text is None:
        return WRITER_WAIT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 <= seconds <= MAX_WRITER_WAIT_SECONDS:  # NaN fails every comparison
        raise SettingError(f"{WRITER_WAIT_ENV}={text!r}: give seconds, from 0 to {MAX_WRITER_WAIT_SECONDS:.0f}")
    return seconds


ARENA_DAILY_LOOKBACK_ENV = "AIGAP_ARENA_DAILY_LOOKBACK_DAYS"
ARENA_DAILY_LOOKBACK_DAYS = 7


def arena_daily_lookback_days() -> int:
    """How many past days the arena-daily feed is asked for: $AIGAP_ARENA_DAILY_LOOKBACK_DAYS, else 7."""
    text = _setting(ARENA_DAILY_LOOKBACK_ENV)
    if text is None:
        return ARENA_DAILY_LOOKBACK_DAYS
    if not text.strip().isdigit() or not 0 <= int(text) <= 366:
        raise SettingError(f"{ARENA_DAILY_LOOKBACK_ENV}={text!r}: give a whole number of days, from 0 to 366")
    return int(text)


HF_TOKEN_BLOCK_ENV = "AIGAP_HF_TOKEN_BLOCK"


def hf_token_block() -> str | None:
    """$AIGAP_HF_TOKEN_BLOCK: the Prefect Secret block holding a Hub token, when $HF_TOKEN is not set."""
    return _setting(HF_TOKEN_BLOCK_ENV)


def check_all() -> None:
    """Read every setting once, so that a bad one stops a command before anything starts."""
    warehouse_path()
    gap_pairs()
    catalog()
    writer_wait_seconds()
    arena_daily_lookback_days()
