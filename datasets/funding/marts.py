"""Funding marts from core.funding_observations (and the leaderboard gap). Pure: frames in, frames out.

A series is (source, series, metric, segment, unit, price basis): every mart row stays inside one
series and one edition, so sources, editions and price bases are never mixed. The latest edition
of a series is the one with the newest edition date that reports it.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from common.contracts import Table
from common.settings import HEADLINE_PAIR as DEFAULT_PAIR
from datasets import leaderboard
from datasets.funding.contract import CONTRACTS, RACE_BY_YEAR
from datasets.funding.parse import ADDITIVE_KINDS, CROSSWALK_DIR, MONEY_UNITS, WORLD, usd_billions

SERIES = ["source", "series", "metric", "segment", "unit", "price_basis"]
EDITION = [*SERIES, "edition", "edition_date"]
FUNDING_TABLE = "core.funding_observations"
RACE_ATTRIBUTION = "publisher"  # the leaderboard gap shown next to funding in marts.race_by_year
REVISION_TOLERANCE = 1e-9  # relative; equal figures re-serialised are not revisions
PROVENANCE_PATH = CROSSWALK_DIR / "provenance.csv"


# --- provenance: what each series derives from ------------------------------------------------
# Two sources are two confirmations only if their figures come from different original estimates.
# data/funding/crosswalk/provenance.csv names the upstream estimate of every (source, series): the
# first row whose source matches and whose `series_pattern` (a regular expression) is found in the
# series. funding-cset and funding-eto share one upstream (CSET's estimates), so no mart or summary
# shows them side by side as agreeing.


def load_provenance(path: Path = PROVENANCE_PATH) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema_length=0).with_columns(pl.all().str.strip_chars().replace("", None))


def series_provenance(observations: pl.DataFrame, provenance: pl.DataFrame) -> pl.DataFrame:
    """marts.funding_provenance: every (source, series) with its upstream, and the other sources that
    share that upstream (`shares_upstream_with`, NULL when none). A series no row matches is its
    own upstream (`source:series`), with derived_from NULL: unknown, not assumed independent."""
    rules = list(provenance.iter_rows(named=True))
    rows = []
    for source, series in observations.select("source", "series").unique().sort("source", "series").iter_rows():
        rule = next((r for r in rules if r["source"] == source and re.search(r["series_pattern"], series)), None)
        rows.append(
            (source, series, rule["upstream"] if rule else f"{source}:{series}", *(
                (rule["derived_from"], rule["evidence"], rule["notes"]) if rule else (None, None, None)
            ))
        )  # fmt: skip
    columns = ["source", "series", "upstream", "derived_from", "evidence", "notes"]
    table = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.Utf8), orient="row")
    sharing = table.group_by("upstream").agg(pl.col("source").unique().sort().alias("_sources"))
    return (
        table.join(sharing, on="upstream", how="left")
        .with_columns(
            pl.col("_sources")
            .list.set_difference(pl.concat_list(pl.col("source")))
            .list.join(", ")
            .replace("", None)
            .alias("shares_upstream_with")
        )
        .drop("_sources")
        .sort("source", "series")
    )


def with_upstream(frame: pl.DataFrame, provenance: pl.DataFrame) -> pl.DataFrame:
    return frame.join(provenance.select("source", "series", "upstream"), on=["source", "series"], how="left")


def one_figure_per_key(observations: pl.DataFrame) -> pl.DataFrame:
    """The observations, checked to hold each figure from one load only.

    The warehouse guarantees it (warehouse/publishing.py, "which load counts": a load that reports figures
    an earlier published load reports supersedes it), so the marts never choose between copies."""
    keys = [*SERIES, "edition", "period", "region_code"]
    doubled = observations.group_by(keys).agg(pl.col("load_id").n_unique().alias("loads")).filter(pl.col("loads") > 1)
    if len(doubled):
        first = doubled.row(0, named=True)
        raise ValueError(
            f"{len(doubled)} funding figure(s) published by more than one load, e.g. {first['source']} "
            f"{first['metric']} {first['period']} {first['region_code']} edition {first['edition']}; "
            "the store's supersession was bypassed"
        )
    return observations


def annual(observations: pl.DataFrame) -> pl.DataFrame:
    """Full-year amounts and counts, with the latest edition of each series marked."""
    return (
        observations.filter(pl.col("period_type") == "year", pl.col("metric_kind").is_in(ADDITIVE_KINDS)).with_columns(
            (pl.col("edition_date") == pl.col("edition_date").max().over(SERIES)).alias("latest_edition")
        )  # fmt: skip
    )


def funding_by_country(observations: pl.DataFrame) -> pl.DataFrame:
    """Per series, edition, year and region: value, share of the world total, year-on-year growth."""
    rows = annual(observations)
    keys = [*EDITION, "year"]
    world = rows.filter(pl.col("region_code") == WORLD).select(*keys, pl.col("value").alias("world_value"))
    regions = rows.filter(pl.col("region_kind").is_in(["country", "aggregate"]))
    previous = regions.select(
        *keys[:-1], (pl.col("year") + 1).alias("year"), "region_code", pl.col("value").alias("previous_value")
    )
    return (
        regions.join(world, on=keys, how="left", nulls_equal=True)
        .join(previous, on=[*keys, "region_code"], how="left", nulls_equal=True)
        .with_columns(
            usd_billions(pl.col("value"), pl.col("unit")).alias("usd_billions"),
            pl.when(pl.col("world_value") > 0).then(pl.col("value") / pl.col("world_value")).alias("share_of_world"),
            pl.when(pl.col("previous_value") > 0)
            .then(pl.col("value") / pl.col("previous_value") - 1)
            .alias("yoy_growth"),
        )
        .sort([*keys, "region_code"], nulls_last=True)
    )


def funding_gap(observations: pl.DataFrame, pair: tuple[str, str] = DEFAULT_PAIR) -> pl.DataFrame:
    """Country A vs country B per series, edition and year, wherever the source gives both."""
    a, b = pair
    rows = annual(observations)
    keys = [*EDITION, "latest_edition", "year"]
    side = rows.select(*keys, "region_code", "value", "complete")
    both = side.filter(pl.col("region_code") == a).join(
        side.filter(pl.col("region_code") == b), on=keys, how="inner", suffix="_b", nulls_equal=True
    )
    return both.select(
        *keys,
        pl.lit(a).alias("country_a"),
        pl.lit(b).alias("country_b"),
        pl.col("value").alias("value_a"),
        pl.col("value_b"),
        pl.when(pl.col("value_b") != 0).then(pl.col("value") / pl.col("value_b")).alias("ratio"),
        (pl.col("value") - pl.col("value_b")).alias("difference"),
        (pl.col("complete") & pl.col("complete_b")).alias("complete"),
    ).sort(keys, nulls_last=True)


def funding_revisions(observations: pl.DataFrame) -> pl.DataFrame:
    """Each figure a newer edition changed, against the previous edition of the series that reported it."""
    keys = [*SERIES, "period", "region_code"]
    ordered = observations.sort([*keys, "edition_date", "edition"], nulls_last=True).with_columns(
        pl.col(c).shift(1).over(keys).alias(f"old_{c}") for c in ("edition", "edition_date", "value", "load_id")
    )
    changed = ordered.filter(
        # editions of the same date (e.g. '2024' and '2024-01') have no order: not compared
        (pl.col("edition_date") > pl.col("old_edition_date"))
        & ((pl.col("value") - pl.col("old_value")).abs()
           > REVISION_TOLERANCE * pl.max_horizontal(pl.col("value").abs(), pl.col("old_value").abs()))
    )  # fmt: skip
    return changed.select(
        *SERIES,
        "period",
        "region_code",
        "region_name",
        "old_edition",
        pl.col("edition").alias("new_edition"),
        "old_edition_date",
        pl.col("edition_date").alias("new_edition_date"),
        "old_value",
        pl.col("value").alias("new_value"),
        (pl.col("value") - pl.col("old_value")).alias("change"),
        pl.when(pl.col("old_value") != 0)
        .then((pl.col("value") - pl.col("old_value")) / pl.col("old_value"))
        .alias("change_pct"),
        "old_load_id",
        pl.col("load_id").alias("new_load_id"),
    )


RACE_COLUMNS = RACE_BY_YEAR.column_names


def frontier_by_year(gap: pl.DataFrame, pair: tuple[str, str] = DEFAULT_PAIR) -> pl.DataFrame:
    """Each leaderboard's last snapshot of every year, as A vs B frontier scores (marts.gap rows)."""
    a, b = pair
    rows = gap.filter(
        pl.col("gap").is_not_null()  # a censored gap (marts.gap follower_censored) is no frontier score
        & (pl.col("attribution") == RACE_ATTRIBUTION)
        & (pl.col("scope") == "all")
        & (
            ((pl.col("leader") == a) & (pl.col("follower") == b))
            | ((pl.col("leader") == b) & (pl.col("follower") == a))
        )
    ).unique(["leaderboard", "snapshot_date"], keep="first")  # "US-CN" and "CN-US" are one pair
    rows = rows.with_columns(pl.col("snapshot_date").dt.year().cast(pl.Int64).alias("year"))
    year_end = rows.filter(pl.col("snapshot_date") == pl.col("snapshot_date").max().over("leaderboard", "year"))
    a_leads = pl.col("leader") == a
    return year_end.select(
        "year",
        pl.lit("frontier_gap").alias("measure"),
        pl.col("leaderboard").alias("source"),
        pl.col("attribution").alias("series"),
        pl.lit("frontier_score").alias("metric"),
        pl.col("snapshot_date").cast(pl.Utf8).alias("as_of"),
        pl.lit(a).alias("country_a"),
        pl.lit(b).alias("country_b"),
        pl.when(a_leads).then(pl.col("leader_score")).otherwise(pl.col("follower_score")).alias("value_a"),
        pl.when(a_leads).then(pl.col("follower_score")).otherwise(pl.col("leader_score")).alias("value_b"),
        pl.when(a_leads).then(pl.col("gap")).otherwise(-pl.col("gap")).alias("difference"),
        pl.lit(None, dtype=pl.Float64).alias("ratio"),
        pl.col("leaderboard").map_elements(lambda name: leaderboard(name).unit, return_dtype=pl.String).alias("unit"),
        pl.lit(None, dtype=pl.Utf8).alias("price_basis"),
        pl.lit(True).alias("complete"),
        pl.col("leaderboard").alias("upstream"),
    )


def race_by_year(gap: pl.DataFrame | None, funding_gap_rows: pl.DataFrame) -> pl.DataFrame:
    """Per year, the leaderboard frontier gap next to every funding source's US/CN ratio (latest
    editions, money amounts of the whole market), in long form: one row per year and measure.

    `same_upstream_as` lists the other sources of the same year whose figures come from the same
    upstream estimate (funding-cset and funding-eto: CSET's): such rows are one estimate
    republished, not independent confirmation."""
    funding = funding_gap_rows.filter(
        pl.col("latest_edition") & (pl.col("segment") == "all") & pl.col("unit").is_in(MONEY_UNITS)
    ).select(
        "year",
        pl.lit("funding_ratio").alias("measure"),
        "source",
        "series",
        "metric",
        pl.col("edition").alias("as_of"),
        "country_a",
        "country_b",
        "value_a",
        "value_b",
        "difference",
        "ratio",
        "unit",
        "price_basis",
        "complete",
        "upstream",
    )
    frames = [funding]
    if gap is not None and len(gap):
        frames.insert(0, frontier_by_year(gap))
    race = pl.concat(frames, how="vertical_relaxed")
    sharing = race.group_by("year", "measure", "upstream").agg(pl.col("source").unique().sort().alias("_sources"))
    return (
        race.join(sharing, on=["year", "measure", "upstream"], how="left")
        .with_columns(
            pl.col("_sources")
            .list.set_difference(pl.concat_list(pl.col("source")))
            .list.join(", ")
            .replace("", None)
            .alias("same_upstream_as")
        )
        .select(RACE_COLUMNS)
        .sort(["year", "measure", "source", "series", "metric"])
    )


# Mart table -> the columns it publishes, in order (matches warehouse/migrations/004_funding.sql).
# Each funding mart's columns, in order, from its contract (datasets/funding/contract.py).
FUNDING_MART_COLUMNS = {
    c.name: c.column_names for c in CONTRACTS if isinstance(c, Table) and c.name.startswith("marts.")
}


def funding_marts(inputs, built: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The mart builder (marts/build.py MART_BUILDERS): runs after the leaderboard marts, so
    `built` already holds marts.gap for marts.race_by_year."""
    observations = one_figure_per_key(inputs.core[FUNDING_TABLE])
    provenance = series_provenance(observations, inputs.funding_provenance)
    gap_rows = with_upstream(funding_gap(observations), provenance)
    return {
        "marts.funding_by_country": funding_by_country(observations),
        "marts.funding_gap_all_editions": gap_rows,
        "marts.funding_revisions": funding_revisions(observations),
        "marts.race_by_year": race_by_year(built.get("marts.gap"), gap_rows),
        "marts.funding_provenance": provenance,
    }
