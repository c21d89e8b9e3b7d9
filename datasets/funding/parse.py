"""Funding observations: one long schema for every funding feed, and the crosswalks behind it.

Each feed parser (datasets/funding/feeds.py) turns its own layout into "published" rows:
series, publication, edition, period text, region name, metric name, value text, unit, price
basis, notes, source URL, exactly as the feed says them. `normalise` then maps them through the
crosswalks kept as data in data/funding/crosswalk/:

- regions.csv: every region name seen (`China`, `China (mainland)`, `CHN`, `EU+UK` ...) -> an
  ISO-3166 alpha-2 code or a named aggregate; aggregates.csv lists each aggregate's members.
  An unknown name rejects the snapshot with that name in the reason (never guessed).
- metrics.csv: every metric name seen -> the canonical metric and its kind (amount, count,
  share, score, average, change). An unknown metric name rejects the snapshot too.
- plausible_bounds.csv: per canonical metric and unit, the largest magnitude the gate accepts
  (10 x the largest figure ever recorded for it, 100 for a share) and why (datasets/funding/checks.py).

Pure polars; nothing here touches the network or the warehouse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import polars as pl

from common.contracts import LOAD_COLUMNS
from common.errors import SnapshotRejected
from common.numbers import reject_comma_numbers
from common.settings import DATA_DIR
from datasets.funding.contract import FUNDING_OBSERVATIONS as OBSERVATIONS

FUNDING_DIR = DATA_DIR / "funding"
CROSSWALK_DIR = FUNDING_DIR / "crosswalk"

WORLD = "WORLD"
ADDITIVE_KINDS = ("amount", "count")  # values that add up across disjoint regions
METRIC_KINDS = ("amount", "count", "share", "score", "average", "change")
PRICE_BASES = ("nominal", "constant-2021-USD")
MONEY_UNITS = ("USD", "USD millions", "USD billions", "EUR billions")
UNITS = (*MONEY_UNITS, "count", "percent", "score")
PERIOD_TYPES = ("year", "quarter", "month", "range", "year_to_date", "projection", "unspecified")
# How many US dollars one unit is (to show every USD amount in billions side by side).
USD_PER_UNIT = {"USD": 1.0, "USD millions": 1e6, "USD billions": 1e9}

# Published unit labels -> (unit, price basis). Reports state money in current dollars unless they
# say otherwise, so a bare "USD m" is nominal.
PUBLISHED_UNITS: dict[str, tuple[str, str | None]] = {
    "USD bn nominal": ("USD billions", "nominal"),
    "USD m": ("USD millions", "nominal"),
    "EUR bn": ("EUR billions", "nominal"),
    "count": ("count", None),
    "percent": ("percent", None),
    "Elo-like score": ("score", None),
}

# The columns every feed parser hands to `normalise` (all text, as published).
PUBLISHED_COLUMNS = [
    "series", "publication", "edition", "period", "region_name", "metric_as_published", "segment",
    "value", "unit", "price_basis", "complete", "notes", "source_url",
]  # fmt: skip

# What one funding figure is: a source never publishes two values for it (gate), and two published
# loads never report it both (the later one supersedes the earlier: warehouse/publishing.py).
FIGURE_KEY = OBSERVATIONS.identity[1:]  # series, edition, period, region, metric, segment

# The normalised schema of core.funding_observations (without load_id, source, snapshot_key).
SCHEMA = OBSERVATIONS.polars_schema(without=LOAD_COLUMNS)


# --- crosswalks -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Crosswalk:
    regions: pl.DataFrame  # region_name -> region_code
    aggregates: pl.DataFrame  # region_code, name, kind (world | aggregate | comparison), members
    metrics: pl.DataFrame  # metric_as_published -> metric, kind
    series: pl.DataFrame  # publication -> series (published figures that are editions of one report)
    bounds: pl.DataFrame  # metric, unit -> max_plausible (and its basis): the gate's magnitude check

    def members(self) -> dict[str, frozenset[str] | None]:
        """Aggregate code -> its member country codes (None for the world: every country)."""
        result: dict[str, frozenset[str] | None] = {}
        for code, members in self.aggregates.select("region_code", "members").iter_rows():
            result[code] = None if members.strip() == "*" else frozenset(members.split())
        return result

    def region_kinds(self) -> pl.DataFrame:
        return self.aggregates.select("region_code", pl.col("kind").alias("region_kind"))


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema_length=0).with_columns(pl.all().str.strip_chars())


@cache
def load_crosswalk(directory: Path = CROSSWALK_DIR) -> Crosswalk:
    return Crosswalk(
        regions=_read(directory / "regions.csv"),
        aggregates=_read(directory / "aggregates.csv"),
        metrics=_read(directory / "metrics.csv"),
        series=_read(directory / "published_series.csv"),
        bounds=_read(directory / "plausible_bounds.csv").with_columns(pl.col("max_plausible").cast(pl.Float64)),
    )


# --- editions and periods -------------------------------------------------------------------------

EDITION_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


def edition_start(edition: str) -> date:
    """'2025' -> 2025-01-01, '2025-04' -> 2025-04-01, '2025-04-07' -> itself."""
    parts = [int(p) for p in edition.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def is_edition(text: str) -> bool:
    if not re.match(EDITION_PATTERN, text):
        return False
    try:
        edition_start(text)
    except ValueError:
        return False
    return True


def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


@dataclass(frozen=True)
class Period:
    label: str
    kind: str  # one of PERIOD_TYPES
    year: int | None = None
    quarter: int | None = None
    start: date | None = None
    end: date | None = None
    complete: bool = True


_PERIOD_RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.I), "quarter"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})-(\d{4})$"), "range"),
    (re.compile(r"^(\d{4})-(\d{4})Q([1-4])$", re.I), "range_to_quarter"),
    (re.compile(r"^(\d{4}) YTD$", re.I), "year_to_date"),
    (re.compile(r"^(\d{4}) \(projected\)$", re.I), "projection"),
    (re.compile(r"^unspecified\b", re.I), "unspecified"),
]


def parse_period(text: str) -> Period:
    """A period as published ('2023', '2023Q4', '2024-01', '2013-2024', '2023 YTD' ...).

    Raises ValueError for anything else, so that the snapshot is rejected rather than misread.
    """
    label = text.strip()
    for pattern, kind in _PERIOD_RULES:
        match = pattern.match(label)
        if not match:
            continue
        groups = [int(g) for g in match.groups()]
        if kind == "year":
            (year,) = groups
            return Period(label, "year", year, None, date(year, 1, 1), date(year, 12, 31))
        if kind == "quarter":
            year, quarter = groups
            start, end = _quarter_bounds(year, quarter)
            return Period(f"{year}Q{quarter}", "quarter", year, quarter, start, end)
        if kind == "month":
            year, month = groups
            if not 1 <= month <= 12:
                raise ValueError(f"no month {month} in {label!r}")
            return Period(label, "month", year, None, date(year, month, 1), _month_end(year, month))
        if kind == "range":
            first, last = groups
            if last < first:
                raise ValueError(f"range ends before it starts: {label!r}")
            return Period(label, "range", None, None, date(first, 1, 1), date(last, 12, 31))
        if kind == "range_to_quarter":
            first, last, quarter = groups
            return Period(label, "range", None, None, date(first, 1, 1), _quarter_bounds(last, quarter)[1])
        if kind in ("year_to_date", "projection"):
            (year,) = groups
            return Period(label, kind, year, None, date(year, 1, 1), date(year, 12, 31), complete=False)
        return Period(label, "unspecified", complete=False)
    raise ValueError(f"unreadable period {label!r}")


def year_period(year: int, complete: bool = True) -> Period:
    return Period(str(year), "year", year, None, date(year, 1, 1), date(year, 12, 31), complete)


# --- normalisation --------------------------------------------------------------------------------


def _reject_unknown(check: str, what: str, names: list[str], where: str) -> None:
    shown = ", ".join(repr(n) for n in names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    raise SnapshotRejected(
        [
            {
                "check": check,
                "reason": f"unknown {what} {shown}: add {'it' if len(names) == 1 else 'them'} to {where}",
                "unknown": names,
            }
        ]
    )


def map_regions(frame: pl.DataFrame, crosswalk: Crosswalk, column: str = "region_name") -> pl.DataFrame:
    """Add region_code for `column` through the crosswalk; unknown names reject the snapshot."""
    names = crosswalk.regions.select(pl.col("region_name").alias(column), pl.col("region_code"))
    mapped = frame.join(names, on=column, how="left")
    unknown = mapped.filter(pl.col("region_code").is_null() & pl.col(column).is_not_null())
    if len(unknown):
        _reject_unknown("region_crosswalk", "region name(s)", sorted(unknown[column].unique().to_list()),
                        "data/funding/crosswalk/regions.csv")  # fmt: skip
    if mapped[column].null_count():
        raise SnapshotRejected(f"{mapped[column].null_count()} row(s) have no region name")
    return mapped


def check_codes_agree(frame: pl.DataFrame, crosswalk: Crosswalk, code_column: str) -> None:
    """Where a feed gives a region code next to the name (OWID `Code`, OECD `Country`), both must
    map to the same region; a mismatch means shifted or mislabelled rows."""
    pairs = frame.filter(pl.col(code_column).is_not_null()).select("region_name", code_column).unique()
    if pairs.is_empty():
        return
    named = map_regions(pairs, crosswalk).rename({"region_code": "name_region"})
    both = map_regions(named.with_columns(pl.col(code_column).alias("code_name")), crosswalk, "code_name")
    mismatched = both.filter(pl.col("name_region") != pl.col("region_code"))
    if len(mismatched):
        shown = "; ".join(
            f"{n!r} is {a} but its code {c!r} is {b}"
            for n, c, a, b in mismatched.select("region_name", code_column, "name_region", "region_code").rows()[:5]
        )
        raise SnapshotRejected([{"check": "region_code", "reason": f"region names and codes disagree: {shown}"}])


def map_metrics(frame: pl.DataFrame, crosswalk: Crosswalk) -> pl.DataFrame:
    metrics = crosswalk.metrics.select(
        pl.col("metric_as_published"), pl.col("metric"), pl.col("kind").alias("metric_kind")
    )
    mapped = frame.join(metrics, on="metric_as_published", how="left")
    unknown = mapped.filter(pl.col("metric").is_null())
    if len(unknown):
        _reject_unknown("metric_crosswalk", "metric name(s)",
                        sorted(unknown["metric_as_published"].drop_nulls().unique().to_list()) or ["(empty)"],
                        "data/funding/crosswalk/metrics.csv")  # fmt: skip
    return mapped


def _periods(texts: list[str]) -> pl.DataFrame:
    rows, bad = [], []
    for text in texts:
        try:
            p = parse_period(text)
        except ValueError as exc:
            bad.append(str(exc))
            continue
        rows.append((text, p.label, p.kind, p.year, p.quarter, p.start, p.end, p.complete))
    if bad:
        raise SnapshotRejected(
            [{"check": "period", "reason": f"{len(bad)} unreadable period(s): " + "; ".join(bad[:5])}]
        )
    schema = {
        "period_text": pl.Utf8, "period": pl.Utf8, "period_type": pl.Utf8, "year": pl.Int64, "quarter": pl.Int64,
        "period_start": pl.Date, "period_end": pl.Date, "period_complete": pl.Boolean,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _editions(texts: list[str]) -> pl.DataFrame:
    bad = sorted({t for t in texts if not is_edition(t)})
    if bad:
        raise SnapshotRejected(
            [{"check": "edition", "reason": f"edition(s) {bad[:5]} are not dates (YYYY, YYYY-MM or YYYY-MM-DD)"}]
        )
    return pl.DataFrame(
        {"edition": texts, "edition_date": [edition_start(t) for t in texts]},
        schema={"edition": pl.Utf8, "edition_date": pl.Date},
    )


def normalise(published: pl.DataFrame, crosswalk: Crosswalk) -> pl.DataFrame:
    """Rows as published (PUBLISHED_COLUMNS, text) -> the SCHEMA of core.funding_observations.

    Unknown region or metric names, unreadable periods and editions reject the snapshot; values
    that are not numbers become null so that the gate reports them with the offending rows.
    """
    missing = [c for c in PUBLISHED_COLUMNS if c not in published.columns]
    if missing:
        raise ValueError(f"feed parser did not provide {missing}")  # a bug in a parser, not in the data
    frame = published.select(PUBLISHED_COLUMNS).with_columns(
        pl.col(c).cast(pl.Utf8).str.strip_chars() for c in PUBLISHED_COLUMNS if c != "complete"
    )
    reject_comma_numbers(frame, ["value"])
    frame = map_regions(frame, crosswalk)
    frame = frame.join(crosswalk.region_kinds(), on="region_code", how="left").with_columns(
        pl.col("region_kind").fill_null("country")
    )
    frame = map_metrics(frame, crosswalk)
    periods = _periods(frame["period"].unique().to_list())
    frame = frame.rename({"period": "period_text"}).join(periods, on="period_text", how="left")
    editions = _editions(frame["edition"].unique().to_list())
    frame = frame.join(editions, on="edition", how="left")
    complete = pl.col("complete").cast(pl.Boolean) if frame["complete"].dtype != pl.Boolean else pl.col("complete")
    frame = frame.with_columns(
        (complete.fill_null(True) & pl.col("period_complete")).alias("complete"),
        pl.col("value").cast(pl.Float64, strict=False).alias("value"),
        pl.col("segment").fill_null("all"),
    )
    return frame.select([pl.col(name).cast(dtype) for name, dtype in SCHEMA.items()])


def usd_billions(value: pl.Expr, unit: pl.Expr) -> pl.Expr:
    """A USD amount in billions whatever its published unit (null for other units)."""
    scale = unit.replace_strict(USD_PER_UNIT, default=None, return_dtype=pl.Float64)
    return value * scale / 1e9


# --- consistency: disjoint regions within the world total ------------------------------------------

CONSISTENCY_KEYS = ["series", "edition", "period", "metric", "segment", "unit", "price_basis"]
EXACT_SEARCH_LIMIT = 20  # overlapping regions in one group searched exhaustively (a handful in practice)


def _max_disjoint(regions: list[tuple[str, str, float, frozenset[str] | None]]) -> list[int]:
    """Indexes of the pairwise-disjoint regions with the largest total value.

    Regions that overlap nothing are always in; each cluster of overlapping regions (China, Asia,
    ...) is searched exhaustively, so that "US + Asia" is checked even where China is also given.
    """

    def overlaps(a, b) -> bool:
        return a is None or b is None or bool(a & b)

    n = len(regions)
    neighbours = [{j for j in range(n) if j != i and overlaps(regions[i][3], regions[j][3])} for i in range(n)]
    chosen, seen = [], set()
    for start in range(n):
        if start in seen:
            continue
        component, stack = [], [start]
        while stack:
            i = stack.pop()
            if i in seen:
                continue
            seen.add(i)
            component.append(i)
            stack.extend(neighbours[i] - seen)
        if len(component) > EXACT_SEARCH_LIMIT:  # greedy by value: still a valid (lower) bound
            picked: list[int] = []
            for i in sorted(component, key=lambda k: -regions[k][2]):
                if not neighbours[i] & set(picked):
                    picked.append(i)
            chosen.extend(picked)
            continue
        best: tuple[float, list[int]] = (-1.0, [])

        def search(rest: list[int], picked: list[int], total: float) -> None:
            nonlocal best
            if not rest:
                if total > best[0]:
                    best = (total, list(picked))
                return
            head, tail = rest[0], rest[1:]
            search([j for j in tail if j not in neighbours[head]], [*picked, head], total + regions[head][2])
            search(tail, picked, total)

        search(sorted(component), [], 0.0)
        chosen.extend(best[1])
    return sorted(chosen, key=lambda k: -regions[k][2])


def world_consistency(frame: pl.DataFrame, crosswalk: Crosswalk) -> pl.DataFrame:
    """Per (series, edition, period, metric, segment, unit, price basis) that has a world total:
    the largest sum of pairwise-disjoint regions, the regions in it, and the world total.

    Only additive metrics (amounts, counts) are summed; comparisons are never regions.
    """
    schema = {**{k: pl.Utf8 for k in CONSISTENCY_KEYS}, "world_value": pl.Float64, "regions_sum": pl.Float64,
              "regions": pl.Utf8}  # fmt: skip
    additive = frame.filter(pl.col("metric_kind").is_in(ADDITIVE_KINDS) & pl.col("value").is_not_null())
    worlds = additive.filter(pl.col("region_code") == WORLD)
    if worlds.is_empty():
        return pl.DataFrame(schema=schema)
    members = crosswalk.members()
    parts = additive.filter(pl.col("region_kind").is_in(["country", "aggregate"])).join(
        worlds.select(CONSISTENCY_KEYS).unique(), on=CONSISTENCY_KEYS, how="semi", nulls_equal=True
    )
    rows = []
    world_values = {tuple(r[:-1]): r[-1] for r in worlds.select(*CONSISTENCY_KEYS, "value").iter_rows()}
    for key, group in parts.group_by(CONSISTENCY_KEYS, maintain_order=True):
        regions = [
            (code, name, value, frozenset([code]) if kind == "country" else members.get(code))
            for code, name, value, kind in group.select(
                "region_code", "region_name", "value", "region_kind"
            ).iter_rows()
            if value >= 0
        ]
        picked = [regions[i] for i in _max_disjoint(regions)]
        total = sum(r[2] for r in picked)
        shown = " + ".join(f"{r[1]} {r[2]:g}" for r in picked[:8]) + (
            f" + {len(picked) - 8} more" if len(picked) > 8 else ""
        )
        rows.append((*key, world_values[tuple(key)], total, shown))
    return pl.DataFrame(rows, schema=schema, orient="row")
