"""Each funding feed's own layout -> rows as published (transforms/funding.PUBLISHED_COLUMNS).

Layouts (all seen in the bundled files, data/README.md):

| feed                    | columns                                                          | unit                      |
|-------------------------|------------------------------------------------------------------|---------------------------|
| OWID (AI Index, CSET)   | Entity, Code, Year, <indicator> (CSET: "... - Field: <field>")   | US$ (constant 2021) / count|
| ETO Country Act. Tracker| country, field, year, estimated_investment or disclosed_investment, complete | US$ millions nominal |
| OECD.AI (Preqin) VC     | Country, Country_label, INDUSTRY, STAGE, Sum_of_deals, Year      | US$ millions nominal      |
|                         | ... or `Quarter` instead of `Year`: the column named Quarter holds years |                   |
| published figures       | source, source_url, published, period, region, metric, value, unit, notes | per row          |

A layout that does not match is rejected with the columns it lacks (a renamed column is never
half-loaded). Pure functions: table in, table out.
"""

from __future__ import annotations

import re

import polars as pl

from common.errors import SnapshotRejected
from datasets.funding.parse import PUBLISHED_COLUMNS, PUBLISHED_UNITS, Crosswalk, check_codes_agree

Unit = tuple[str, str | None]  # (unit, price basis)


def _require(table: pl.DataFrame, layout: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        unexpected = [c for c in table.columns if c not in columns]
        reason = f"not the {layout} layout: missing column(s) {missing}"
        if unexpected:
            reason += f", unknown column(s) {unexpected[:10]} (renamed?)"
        raise SnapshotRejected([{"check": "header", "reason": reason, "missing_columns": missing}])


def _finish(frame: pl.DataFrame, **constants) -> pl.DataFrame:
    frame = frame.with_columns(pl.lit(v, dtype=pl.Utf8).alias(k) for k, v in constants.items())
    for column in PUBLISHED_COLUMNS:
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias(column))
    return frame.select(PUBLISHED_COLUMNS)


def _year_column(table: pl.DataFrame, column: str) -> pl.Expr:
    """Years as text; anything that is not a four-digit year rejects the snapshot."""
    bad = table.filter(~pl.col(column).str.contains(r"^\d{4}$") | pl.col(column).is_null())[column].unique()
    if len(bad):
        raise SnapshotRejected(
            [
                {
                    "check": "period",
                    "reason": f"{column}: values that are not years: {sorted(map(str, bad.to_list()))[:5]}",
                }
            ]
        )
    return pl.col(column).alias("period")


_FIELD = re.compile(r"^(?P<metric>.+?) - Field: (?P<field>.+)$")


def segment_name(field: str) -> str:
    """AI field / industry as a segment: 'All' -> 'all', other names kept as published."""
    return "all" if field.strip().lower() in ("all", "-- all industries --") else field.strip()


def owid(table: pl.DataFrame, units: dict[str, Unit], crosswalk: Crosswalk, **constants) -> pl.DataFrame:
    """An Our World in Data grapher export: Entity, Code, Year and one indicator column."""
    _require(table, "Our World in Data (Entity, Code, Year, <indicator>)", ["Entity", "Code", "Year"])
    indicators = [c for c in table.columns if c not in ("Entity", "Code", "Year")]
    if len(indicators) != 1:
        raise SnapshotRejected(f"expected one indicator column next to Entity, Code, Year; got {indicators}")
    (indicator,) = indicators
    match = _FIELD.match(indicator)
    metric, segment = (match["metric"], segment_name(match["field"])) if match else (indicator, "all")
    if metric not in units:
        raise SnapshotRejected(
            [{"check": "header", "reason": f"unknown indicator column {indicator!r}; this feed has {sorted(units)}"}]
        )
    unit, basis = units[metric]
    frame = table.rename({"Entity": "region_name"})
    check_codes_agree(frame, crosswalk, "Code")
    frame = frame.select(
        "region_name",
        _year_column(frame, "Year"),
        pl.col(indicator).alias("value"),
        pl.lit(metric).alias("metric_as_published"),
        pl.lit(segment).alias("segment"),
    )
    return _finish(frame, unit=unit, price_basis=basis, **constants)


ETO_VALUE_COLUMNS = ("estimated_investment", "disclosed_investment")
ETO_UNIT: Unit = ("USD millions", "nominal")


def eto(table: pl.DataFrame, **constants) -> pl.DataFrame:
    """The ETO Country Activity Tracker export: one value column (estimated or disclosed), by AI
    field; `complete=False` marks a year the tracker has not finished counting."""
    value_columns = [c for c in ETO_VALUE_COLUMNS if c in table.columns]
    if len(value_columns) != 1:
        raise SnapshotRejected(
            [
                {
                    "check": "header",
                    "reason": f"expected one of {list(ETO_VALUE_COLUMNS)} as value column, got columns {table.columns}",
                }
            ]  # fmt: skip
        )
    (value_column,) = value_columns
    _require(table, "ETO Country Activity Tracker", ["country", "field", "year", value_column, "complete"])
    flags = table["complete"].str.to_lowercase()
    unreadable = table.filter(~flags.is_in(["true", "false"]))
    if len(unreadable):
        raise SnapshotRejected(f"complete: {len(unreadable)} value(s) are neither True nor False")
    frame = table.select(
        pl.col("country").alias("region_name"),
        _year_column(table, "year"),
        pl.col(value_column).alias("value"),
        pl.lit(value_column).alias("metric_as_published"),
        pl.col("field").map_elements(segment_name, return_dtype=pl.Utf8).alias("segment"),
        (pl.col("complete").str.to_lowercase() == "true").alias("complete"),
    )
    unit, basis = ETO_UNIT
    return _finish(frame, unit=unit, price_basis=basis, **constants)


OECD_COLUMNS = ["Country", "Country_label", "INDUSTRY", "STAGE", "Sum_of_deals"]
OECD_UNIT: Unit = ("USD millions", "nominal")


def oecd_vc(table: pl.DataFrame, segment: str, crosswalk: Crosswalk, **constants) -> pl.DataFrame:
    """OECD.AI venture capital in AI (Preqin). Two of the three exports call their year column
    `Quarter` although it holds years; real quarters ('2024-Q1') would be read as quarters."""
    _require(table, "OECD.AI VC (Preqin)", OECD_COLUMNS)
    period_columns = [c for c in ("Year", "Quarter") if c in table.columns]
    if len(period_columns) != 1:
        raise SnapshotRejected(
            [{"check": "header", "reason": f"expected a Year or a Quarter column, got {table.columns}"}]
        )
    (period_column,) = period_columns
    for column, expected in (("STAGE", {"VC"}), ("INDUSTRY", {"-- All industries --"})):
        other = set(table[column].unique().to_list()) - expected
        if other:
            raise SnapshotRejected(
                [
                    {
                        "check": "slice",
                        "reason": f"{column}: unexpected value(s) {sorted(map(str, other))}; this source "
                        f"reads the {sorted(expected)} slice only",
                    }
                ]  # fmt: skip
            )
    periods = table[period_column]
    if periods.str.contains(r"^\d{4}$").all():
        period = pl.col(period_column)  # the `Quarter` quirk: years
    else:
        quarters = periods.str.extract_groups(r"^(\d{4})\s*-?\s*Q([1-4])$")
        if quarters.struct.field("1").null_count():
            bad = table.filter(quarters.struct.field("1").is_null())[period_column].unique().to_list()
            raise SnapshotRejected([{"check": "period", "reason": f"{period_column}: unreadable period(s) {bad[:5]}"}])
        period = pl.col(period_column).str.replace(r"^(\d{4})\s*-?\s*Q([1-4])$", "${1}Q${2}")
    frame = table.rename({"Country_label": "region_name"})
    check_codes_agree(frame, crosswalk, "Country")
    frame = frame.select(
        "region_name",
        period.alias("period"),
        pl.col("Sum_of_deals").alias("value"),
        pl.lit("Sum_of_deals").alias("metric_as_published"),
        pl.lit(segment).alias("segment"),
    )
    unit, basis = OECD_UNIT
    return _finish(frame, unit=unit, price_basis=basis, **constants)


PUBLISHED_FIGURES_COLUMNS = [
    "source",
    "source_url",
    "published",
    "period",
    "region",
    "metric",
    "value",
    "unit",
    "notes",
]


def published_figures(table: pl.DataFrame, crosswalk: Crosswalk) -> pl.DataFrame:
    """Figures published only in reports, one row per figure with its own publication, date and URL.

    The row's `published` date is its edition; reports that are editions of one series (CB Insights
    State of AI ...) share a series through data/funding/crosswalk/published_series.csv, so that
    marts.funding_revisions can compare them. Any other publication is a series of its own.
    """
    _require(table, "published figures", PUBLISHED_FIGURES_COLUMNS)
    units = set(table["unit"].drop_nulls().unique().to_list())
    unknown_units = sorted(units - set(PUBLISHED_UNITS)) + (["(empty)"] if table["unit"].null_count() else [])
    if unknown_units:
        raise SnapshotRejected(
            [{"check": "unit", "reason": f"unknown unit(s) {unknown_units}; known: {sorted(PUBLISHED_UNITS)}"}]
        )
    for column in ("source", "published", "period", "region", "metric"):
        if table[column].null_count():
            raise SnapshotRejected(f"{column}: {table[column].null_count()} row(s) are empty")
    unit_table = pl.DataFrame(
        [(k, u, b) for k, (u, b) in PUBLISHED_UNITS.items()],
        schema={"unit_label": pl.Utf8, "unit_name": pl.Utf8, "basis": pl.Utf8},
        orient="row",
    )
    series = crosswalk.series.select(pl.col("publication").alias("source"), "series")
    frame = (
        table.join(unit_table, left_on="unit", right_on="unit_label", how="left")
        .join(series, on="source", how="left")
        .select(
            pl.coalesce("series", "source").alias("series"),
            pl.col("source").alias("publication"),
            pl.col("published").alias("edition"),
            "period",
            pl.col("region").alias("region_name"),
            pl.col("metric").alias("metric_as_published"),
            pl.lit("all").alias("segment"),
            "value",
            pl.col("unit_name").alias("unit"),
            pl.col("basis").alias("price_basis"),
            "notes",
            "source_url",
        )
    )
    return _finish(frame)
