"""Quality gate for one funding load (core.funding_observations) and for the funding marts.

Per load, every check guards a number the funding marts publish:
- the normalised schema is complete and typed;
- values are finite numbers, and non-negative except percent changes;
- years lie within the source's range and not in the future, and no period starts after the
  edition that reports it (a 2025 figure cannot be in a 2024 edition unless it is a projection);
- units and price bases come from the allowed set, and every money amount says its price basis;
- no duplicate (series, edition, period, region, metric, segment); names free of control characters;
- plausible magnitudes: every (metric, unit) has a declared bound (data/funding/crosswalk/
  plausible_bounds.csv: 10 x the largest figure ever recorded for it, 100 for a share) and no
  value exceeds it, so a unit slip (millions read as units) or `1e308` cannot publish;
- consistency: within one series, edition, period, metric and segment, the largest sum of
  pairwise-disjoint regions (US + Europe + Asia ...) does not exceed the world total by more than
  CONSISTENCY_TOLERANCE. Reports round their figures; a split that adds up to more than its own
  total is not rounding.

Relations are checked on derived columns of a validation copy, and their failures are rewritten
into sentences that name the figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import polars as pl

from common.gate import GatePlan, printable, schema_checks
from datasets.funding.parse import (
    CONSISTENCY_KEYS,
    FIGURE_KEY,
    METRIC_KINDS,
    MONEY_UNITS,
    PERIOD_TYPES,
    PRICE_BASES,
    SCHEMA,
    UNITS,
    WORLD,
    Crosswalk,
    edition_start,
    world_consistency,
)

SUITE_NAME = "funding_observations"
ID_COLUMNS = ("series", "edition", "period", "region_name", "metric", "segment")
KEY_COLUMNS = list(FIGURE_KEY)
CONSISTENCY_TOLERANCE = 0.01  # 1 % of the world total: published figures are rounded to 2-3 digits
REGION_CODE_PATTERN = r"^(?:[A-Z]{2}|[A-Z][A-Z0-9_]{2,})$"
EDITION_PATTERN = r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$"


@dataclass(frozen=True)
class FundingContext:
    today: date
    earliest_year: int
    crosswalk: Crosswalk


def _edition_end(edition: str | None) -> date | None:
    """The last day an edition string can mean ('2024' -> 2024-12-31, '2024-04' -> 2024-04-30)."""
    if edition is None:
        return None
    try:
        start = edition_start(edition)
    except (ValueError, IndexError):
        return None
    parts = edition.count("-")
    if parts == 0:
        return date(start.year, 12, 31)
    if parts == 1:
        following = date(start.year + 1, 1, 1) if start.month == 12 else date(start.year, start.month + 1, 1)
        return date.fromordinal(following.toordinal() - 1)
    return start


def checked_copy(frame: pl.DataFrame, crosswalk: Crosswalk) -> pl.DataFrame:
    """The staged frame plus the derived columns the suite checks."""
    editions = (
        frame.select("edition")
        .unique()
        .with_columns(pl.col("edition").map_elements(_edition_end, return_dtype=pl.Date).alias("edition_end"))
    )
    consistency = world_consistency(frame, crosswalk).select(
        *CONSISTENCY_KEYS,
        pl.lit(WORLD).alias("region_code"),
        pl.when(pl.col("world_value") > 0)
        .then(pl.col("regions_sum") / pl.col("world_value"))
        .when(pl.col("regions_sum") > 0)
        .then(math.inf)
        .otherwise(0.0)
        .alias("regions_over_world_total"),
    )
    bounds = crosswalk.bounds.select("metric", "unit", "max_plausible")
    return (
        frame.join(editions, on="edition", how="left")
        .join(consistency, on=[*CONSISTENCY_KEYS, "region_code"], how="left", nulls_equal=True)
        .join(bounds, on=["metric", "unit"], how="left")
        .with_columns(
            pl.col("max_plausible").is_not_null().alias("plausibility_bound_declared"),
            (pl.col("value").abs() <= pl.col("max_plausible")).fill_null(True).alias("magnitude_plausible"),
            pl.col("value").is_finite().alias("value_is_finite"),
            pl.when(pl.col("metric_kind") != "change").then(pl.col("value")).alias("value_unless_change"),
            pl.when(pl.col("unit").is_in(MONEY_UNITS))
            .then(pl.col("price_basis"))
            .otherwise(pl.lit("not money"))
            .alias("price_basis_of_money"),
        )
    )


def build_suite(context: FundingContext):
    def build(E) -> list:
        checks = [E.ExpectTableRowCountToBeBetween(min_value=1)]
        checks += schema_checks(E, SCHEMA)
        for column in ("series", "edition", "edition_date", "period", "period_type", "region_name", "region_code",
                       "region_kind", "metric", "metric_kind", "segment", "unit", "complete"):  # fmt: skip
            checks.append(E.ExpectColumnValuesToNotBeNull(column=column))
        checks += [
            E.ExpectColumnValuesToNotBeNull(column="value"),
            E.ExpectColumnValuesToBeInSet(column="value_is_finite", value_set=[True]),
            E.ExpectColumnValuesToBeInSet(column="plausibility_bound_declared", value_set=[True]),
            E.ExpectColumnValuesToBeInSet(column="magnitude_plausible", value_set=[True]),
            E.ExpectColumnValuesToBeBetween(column="value_unless_change", min_value=0),
            E.ExpectColumnValuesToMatchRegex(column="edition", regex=EDITION_PATTERN),
            E.ExpectColumnValuesToBeBetween(column="edition_date", max_value=context.today),
            E.ExpectColumnValuesToBeBetween(
                column="year", min_value=context.earliest_year, max_value=context.today.year
            ),
            E.ExpectColumnValuesToBeBetween(column="period_start", max_value=context.today),
            E.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="edition_end", column_B="period_start", or_equal=True, ignore_row_if="either_value_is_missing"
            ),
            E.ExpectColumnValuesToBeInSet(column="period_type", value_set=list(PERIOD_TYPES)),
            E.ExpectColumnValuesToBeInSet(column="unit", value_set=list(UNITS)),
            E.ExpectColumnValuesToBeInSet(column="price_basis", value_set=list(PRICE_BASES)),
            E.ExpectColumnValuesToNotBeNull(column="price_basis_of_money"),
            E.ExpectColumnValuesToBeInSet(column="metric_kind", value_set=list(METRIC_KINDS)),
            E.ExpectColumnValuesToBeInSet(
                column="region_kind", value_set=["country", "aggregate", "world", "comparison"]
            ),
            E.ExpectColumnValuesToMatchRegex(column="region_code", regex=REGION_CODE_PATTERN),
            *printable(E, ["series", "region_name", "metric_as_published", "segment", "publication"]),
            E.ExpectCompoundColumnsToBeUnique(column_list=KEY_COLUMNS),
            E.ExpectColumnValuesToBeBetween(column="regions_over_world_total", max_value=1 + CONSISTENCY_TOLERANCE),
        ]
        return checks

    return build


def _explain(failure: dict, checked: pl.DataFrame, crosswalk: Crosswalk) -> dict:
    """Sentences for the derived checks, naming the figures."""
    column = failure.get("column")
    count, rows = failure.get("unexpected_count"), len(checked)
    if column == "regions_over_world_total":
        groups = world_consistency(checked.select(SCHEMA.keys()), crosswalk).filter(
            pl.col("regions_sum") > pl.col("world_value") * (1 + CONSISTENCY_TOLERANCE)
        )
        details = [
            f"{g['series']} edition {g['edition']}, {g['period']} {g['metric']}"
            + (f" ({g['segment']})" if g["segment"] != "all" else "")
            + f": {g['regions']} = {g['regions_sum']:g} > World {g['world_value']:g} {g['unit']}"
            for g in groups.iter_rows(named=True)
        ]
        reason = (
            f"regions add up to more than the world total (tolerance {CONSISTENCY_TOLERANCE:.0%}) in {len(details)} "
            "case(s): " + "; ".join(details[:5])
        )
        return {**failure, "check": "world_total_consistency", "reason": reason, "cases": details}
    if column == "plausibility_bound_declared":
        missing = (
            checked.filter(~pl.col("plausibility_bound_declared")).select("metric", "unit").unique().sort("metric")
        )
        pairs = ", ".join(f"{m} in {u}" for m, u in missing.rows()[:5])
        return {**failure, "check": "plausibility_bound", "reason": f"no plausible bound declared for {pairs}: add "
                "one to data/funding/crosswalk/plausible_bounds.csv (10 x the largest figure ever recorded)"}  # fmt: skip
    if column == "magnitude_plausible":
        bad = checked.filter(~pl.col("magnitude_plausible")).head(5)
        cases = "; ".join(
            f"{r['region_name']} {r['period']} {r['metric']} = {r['value']:g} {r['unit']} > {r['max_plausible']:g}"
            for r in bad.iter_rows(named=True)
        )
        return {**failure, "check": "plausible_magnitude", "reason": f"value: {count} of {rows} figures exceed the "
                f"plausible bound of their metric and unit (10 x the largest ever recorded): {cases}"}  # fmt: skip
    texts = {
        "value_is_finite": f"value: {count} of {rows} values are not finite numbers (inf / NaN)",
        "value_unless_change": f"value: {count} of {rows} values are negative (only percent changes may be)",
        "price_basis_of_money": f"price_basis: {count} of {rows} money amounts do not say nominal or constant prices",
    }
    if column in texts:
        return {**failure, "reason": texts[column]}
    if failure["check"] == "expect_column_pair_values_a_to_be_greater_than_b":
        return {**failure, "reason": f"period: {count} of {rows} figures are for a period that starts after "
                "the edition reporting them was published"}  # fmt: skip
    return failure


def observations_plan(frame: pl.DataFrame, context: FundingContext) -> GatePlan:
    return GatePlan(
        SUITE_NAME, build_suite(context), checked_copy(frame, context.crosswalk), ID_COLUMNS,
        explain=lambda failure, checked: _explain(failure, checked, context.crosswalk),
    )  # fmt: skip


# --- mart suites (registered in marts/checks.py MART_SUITES) --------------------------------

MART_TOLERANCE = 1e-9
SERIES_KEYS = ["source", "series", "metric", "segment", "unit", "price_basis"]


def _not_null(E, columns) -> list:
    return [E.ExpectColumnValuesToNotBeNull(column=c) for c in columns]


def _by_country(E) -> list:
    keys = [*SERIES_KEYS, "edition", "year", "region_code"]
    return [
        E.ExpectCompoundColumnsToBeUnique(column_list=keys),
        *_not_null(E, [k for k in keys if k != "price_basis"] + ["value", "region_kind", "latest_edition"]),
        E.ExpectColumnValuesToBeBetween(column="value", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="share_of_world", min_value=0, max_value=1 + CONSISTENCY_TOLERANCE),
        E.ExpectColumnValuesToBeInSet(column="region_kind", value_set=["country", "aggregate"]),
        E.ExpectColumnValuesToBeInSet(column="latest_editions_in_series", value_set=[1]),
    ]


def _gap(E) -> list:
    keys = [*SERIES_KEYS, "edition", "year"]
    return [
        E.ExpectCompoundColumnsToBeUnique(column_list=keys),
        *_not_null(E, [k for k in keys if k != "price_basis"] + ["value_a", "value_b", "difference"]),
        E.ExpectColumnValuesToBeBetween(column="value_a", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="value_b", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="ratio_error", min_value=-MART_TOLERANCE, max_value=MART_TOLERANCE),
        E.ExpectColumnValuesToBeBetween(column="difference_error", min_value=-MART_TOLERANCE, max_value=MART_TOLERANCE),
        E.ExpectColumnValuesToBeInSet(column="latest_editions_in_series", value_set=[1]),
    ]


def _revisions(E) -> list:
    keys = [*SERIES_KEYS, "period", "region_code", "new_edition"]
    return [
        E.ExpectCompoundColumnsToBeUnique(column_list=keys),
        *_not_null(E, ["old_edition", "old_value", "new_value", "old_load_id", "new_load_id"]),
        E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="new_edition_date", column_B="old_edition_date"),
        E.ExpectColumnValuesToBeInSet(column="value_changed", value_set=[True]),
    ]


def _race(E) -> list:
    keys = ["year", "measure", "source", "series", "metric", "unit", "price_basis"]
    return [
        E.ExpectCompoundColumnsToBeUnique(column_list=keys),
        *_not_null(E, ["year", "measure", "source", "as_of", "value_a", "value_b", "difference", "upstream"]),
        E.ExpectColumnValuesToBeInSet(column="measure", value_set=["frontier_gap", "funding_ratio"]),
        E.ExpectColumnValuesToBeBetween(column="difference_error", min_value=-1e-6, max_value=1e-6),
        # a series republishing another's estimate is flagged next to it, never shown as confirmation
        E.ExpectColumnValuesToBeInSet(column="shared_upstream_unflagged", value_set=[False]),
    ]


def _provenance(E) -> list:
    return [
        E.ExpectCompoundColumnsToBeUnique(column_list=["source", "series"]),
        *_not_null(E, ["source", "series", "upstream"]),
        E.ExpectColumnValuesToBeInSet(column="shared_upstream_unflagged", value_set=[False]),
    ]


def _shared_upstream_checks(frame: pl.DataFrame, group: list[str], flag: str) -> pl.DataFrame:
    """Rows whose upstream another source shares (within `group`) but whose `flag` column is empty."""
    sources = pl.col("source").n_unique().over([*group, "upstream"])
    return frame.with_columns(((sources > 1) & pl.col(flag).is_null()).alias("shared_upstream_unflagged"))


def _relative(actual: pl.Expr, expected: pl.Expr) -> pl.Expr:
    return (actual - expected) / pl.max_horizontal(expected.abs(), pl.lit(1.0))


def _by_country_checks(frame: pl.DataFrame) -> pl.DataFrame:
    # the latest edition of a series is one edition: never two vintages mixed in the default view
    series_latest = (
        frame.filter(pl.col("latest_edition"))
        .group_by(SERIES_KEYS)
        .agg(pl.col("edition").n_unique().alias("latest_editions_in_series"))
    )
    return frame.join(series_latest, on=SERIES_KEYS, how="left", nulls_equal=True).with_columns(
        pl.col("latest_editions_in_series").fill_null(1)
    )


def _gap_checks(frame: pl.DataFrame) -> pl.DataFrame:
    return _by_country_checks(frame).with_columns(
        pl.when(pl.col("value_b") != 0)
        .then(_relative(pl.col("ratio"), pl.col("value_a") / pl.col("value_b")))
        .otherwise(0.0)
        .alias("ratio_error"),
        _relative(pl.col("difference"), pl.col("value_a") - pl.col("value_b")).alias("difference_error"),
    )


def _revision_checks(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns((pl.col("new_value") != pl.col("old_value")).alias("value_changed"))


def _race_checks(frame: pl.DataFrame) -> pl.DataFrame:
    return _shared_upstream_checks(frame, ["year", "measure"], "same_upstream_as").with_columns(
        (pl.col("difference") - (pl.col("value_a") - pl.col("value_b"))).alias("difference_error")
    )


FUNDING_MART_SUITES = {
    "marts.funding_by_country": (
        _by_country,
        _by_country_checks,
        ["source", "series", "edition", "year", "region_code"],
    ),
    "marts.funding_gap_all_editions": (_gap, _gap_checks, ["source", "series", "edition", "metric", "year"]),
    "marts.funding_revisions": (
        _revisions,
        _revision_checks,
        ["source", "series", "period", "region_code", "new_edition"],
    ),
    "marts.race_by_year": (_race, _race_checks, ["year", "measure", "source", "series", "metric"]),
    "marts.funding_provenance": (
        _provenance,
        lambda frame: _shared_upstream_checks(frame, [], "shares_upstream_with"),
        ["source", "series"],
    ),
}
