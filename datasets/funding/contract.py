"""The funding feeds' core table and marts. (common/contracts.py)."""

from __future__ import annotations

from common.contracts import Column, Table, View

# What identifies a figure within a source: a new edition of the same figure is another figure.
FIGURE_KEY = ("series", "edition", "period", "region_code", "metric", "segment")

FUNDING_OBSERVATIONS = Table(
    "core.funding_observations",
    "core",
    "Every published funding figure, one row per (source, series, edition, period, region, metric, segment), as the source states it (value in its own unit and price basis). Editions are never overwritten: a newer edition is a new load next to the old one (see marts.funding_revisions).",
    (
        Column(
            "load_id",
            "VARCHAR",
            nullable=False,
            doc="The meta.loads row this figure came from (source, snapshot key, content hash).",
        ),
        Column("source", "VARCHAR", nullable=False),
        Column("snapshot_key", "VARCHAR", nullable=False),
        Column(
            "series",
            "VARCHAR",
            nullable=False,
            doc="The line of editions a figure belongs to: the source itself for feeds; for published figures the report series (data/funding/crosswalk/published_series.csv), else the publication.",
        ),
        Column(
            "publication",
            "VARCHAR",
            doc="The dataset or report as named by the source (published figures: the row's source column).",
        ),
        Column(
            "edition",
            "VARCHAR",
            nullable=False,
            doc="Vintage as published: YYYY, YYYY-MM or YYYY-MM-DD (feed folder name, the served Last-Modified date of a feed URL, or a report's publication date).",
        ),
        Column("edition_date", "DATE", nullable=False, doc="First day of the edition, for ordering editions."),
        Column(
            "period",
            "VARCHAR",
            nullable=False,
            doc="Period as published, normalised: 2023, 2023Q4, 2024-01 (a month), 2013-2024 (a range), 2023 YTD, 2024 (projected), unspecified ...",
        ),
        Column(
            "period_type",
            "VARCHAR",
            nullable=False,
            doc="year | quarter | month | range | year_to_date | projection | unspecified. Annual marts use year only.",
        ),
        Column(
            "year",
            "BIGINT",
            doc="The calendar year of a year, quarter, month, year-to-date or projection; NULL for ranges and unspecified periods.",
        ),
        Column("quarter", "BIGINT"),
        Column("period_start", "DATE"),
        Column("period_end", "DATE"),
        Column(
            "complete",
            "BOOLEAN",
            nullable=False,
            doc="FALSE where the source says the period is not fully counted yet (ETO complete=False, year-to-date, projections, unspecified periods).",
        ),
        Column(
            "region_name",
            "VARCHAR",
            nullable=False,
            doc="The region exactly as the source names it (China, China (mainland), CHN, EU+UK ...).",
        ),
        Column(
            "region_code",
            "VARCHAR",
            nullable=False,
            doc="ISO-3166 alpha-2 code, or a named aggregate (WORLD, EUROPE, ASIA, EU27, EU27_GB ...) whose members are listed in data/funding/crosswalk/aggregates.csv.",
        ),
        Column(
            "region_kind",
            "VARCHAR",
            nullable=False,
            doc="country | aggregate | world | comparison (a comparison such as US vs CN is never summed with regions).",
        ),
        Column(
            "metric",
            "VARCHAR",
            nullable=False,
            doc="Canonical metric (private_investment, private_investment_disclosed, vc_investment, equity_funding, newly_funded_companies, deals, talent_share_* ...) from data/funding/crosswalk/metrics.csv.",
        ),
        Column("metric_as_published", "VARCHAR", nullable=False),
        Column(
            "metric_kind",
            "VARCHAR",
            nullable=False,
            doc="amount | count (additive across disjoint regions) | share | score | average | change.",
        ),
        Column(
            "segment",
            "VARCHAR",
            nullable=False,
            doc="all, or the slice the figure covers: an ETO AI field (NLP, Robotics ...), OECD generative_ai / ai_compute.",
        ),
        Column("value", "DOUBLE", nullable=False),
        Column(
            "unit",
            "VARCHAR",
            nullable=False,
            doc="USD | USD millions | USD billions | EUR billions | count | percent | score.",
        ),
        Column(
            "price_basis",
            "VARCHAR",
            doc="nominal | constant-2021-USD for money amounts; NULL for counts, percents and scores.",
        ),
        Column("notes", "VARCHAR"),
        Column("source_url", "VARCHAR"),
    ),
    identity=("source", *FIGURE_KEY),
)

FUNDING_BY_COUNTRY = Table(
    "marts.funding_by_country",
    "whole",
    "Annual funding amounts and counts per source, series, edition, metric and region (countries and named aggregates; the world total is in world_value). Every edition is here; latest_edition marks the newest one of each series and metric.",
    (
        Column("source", "VARCHAR", nullable=False),
        Column("series", "VARCHAR", nullable=False),
        Column("edition", "VARCHAR", nullable=False),
        Column("edition_date", "DATE", nullable=False),
        Column("latest_edition", "BOOLEAN", nullable=False),
        Column("metric", "VARCHAR", nullable=False),
        Column("segment", "VARCHAR", nullable=False),
        Column("unit", "VARCHAR", nullable=False),
        Column("price_basis", "VARCHAR"),
        Column("year", "BIGINT", nullable=False),
        Column("region_code", "VARCHAR", nullable=False),
        Column("region_name", "VARCHAR", nullable=False),
        Column("region_kind", "VARCHAR", nullable=False),
        Column("value", "DOUBLE", nullable=False),
        Column(
            "usd_billions",
            "DOUBLE",
            doc="value in billions of US dollars (same price basis) for USD amounts; NULL for counts and other currencies.",
        ),
        Column("world_value", "DOUBLE"),
        Column(
            "share_of_world",
            "DOUBLE",
            doc="value / the same source's world total for the same series, edition, year, metric and segment; NULL where the source gives no world total.",
        ),
        Column(
            "yoy_growth",
            "DOUBLE",
            doc="value / the previous year's value in the same edition - 1; NULL when that year is missing or zero.",
        ),
        Column(
            "complete",
            "BOOLEAN",
            nullable=False,
            doc="FALSE where the source says the year is not fully counted (ETO complete=False).",
        ),
    ),
)

FUNDING_GAP_ALL_EDITIONS = Table(
    "marts.funding_gap_all_editions",
    "whole",
    "Country A vs country B (US vs CN by default) per source, series, edition, metric, segment and year: both values in the source's unit and price basis, ratio = value_a / value_b, difference = value_a - value_b. A row never mixes sources, editions or price bases.",
    (
        Column("source", "VARCHAR", nullable=False),
        Column("series", "VARCHAR", nullable=False),
        Column("edition", "VARCHAR", nullable=False),
        Column("edition_date", "DATE", nullable=False),
        Column("latest_edition", "BOOLEAN", nullable=False),
        Column("metric", "VARCHAR", nullable=False),
        Column("segment", "VARCHAR", nullable=False),
        Column("unit", "VARCHAR", nullable=False),
        Column("price_basis", "VARCHAR"),
        Column("year", "BIGINT", nullable=False),
        Column("country_a", "VARCHAR", nullable=False),
        Column("country_b", "VARCHAR", nullable=False),
        Column("value_a", "DOUBLE", nullable=False),
        Column("value_b", "DOUBLE", nullable=False),
        Column("ratio", "DOUBLE", doc="value_a / value_b; NULL when value_b is 0."),
        Column("difference", "DOUBLE", nullable=False),
        Column("complete", "BOOLEAN", nullable=False),
        Column(
            "upstream",
            "VARCHAR",
            doc="The original estimate the figures come from (marts.funding_provenance): sources with the same upstream republish one estimate and do not confirm each other.",
        ),
    ),
)

FUNDING_REVISIONS = Table(
    "marts.funding_revisions",
    "whole",
    "What a newer edition changed for a period an earlier edition of the same series already reported: one row per revised figure and pair of consecutive editions reporting it (e.g. CB Insights 2023 world equity funding: 42.5 in the 2024-01 recap, 52.1 in the 2024-04 report).",
    (
        Column("source", "VARCHAR", nullable=False),
        Column("series", "VARCHAR", nullable=False),
        Column("metric", "VARCHAR", nullable=False),
        Column("segment", "VARCHAR", nullable=False),
        Column("unit", "VARCHAR", nullable=False),
        Column("price_basis", "VARCHAR"),
        Column("period", "VARCHAR", nullable=False),
        Column("region_code", "VARCHAR", nullable=False),
        Column("region_name", "VARCHAR", nullable=False),
        Column("old_edition", "VARCHAR", nullable=False),
        Column("new_edition", "VARCHAR", nullable=False),
        Column("old_edition_date", "DATE", nullable=False),
        Column("new_edition_date", "DATE", nullable=False),
        Column("old_value", "DOUBLE", nullable=False),
        Column("new_value", "DOUBLE", nullable=False),
        Column("change", "DOUBLE", nullable=False),
        Column("change_pct", "DOUBLE", doc="(new_value - old_value) / old_value; NULL when old_value is 0."),
        Column("old_load_id", "VARCHAR", nullable=False),
        Column("new_load_id", "VARCHAR", nullable=False),
    ),
)

RACE_BY_YEAR = Table(
    "marts.race_by_year",
    "whole",
    "Per year, US vs CN on every measure, in long form for charts: measure = frontier_gap (each leaderboard's year-end snapshot from marts.gap, publisher attribution; difference in points) or funding_ratio (each funding source's latest edition, money amounts of all segments; ratio = US / CN).",
    (
        Column("year", "BIGINT", nullable=False),
        Column("measure", "VARCHAR", nullable=False),
        Column(
            "source",
            "VARCHAR",
            nullable=False,
            doc="The leaderboard (open-llm-v2 ...) or the funding source (funding-ai-index ...).",
        ),
        Column(
            "series",
            "VARCHAR",
            nullable=False,
            doc="The attribution mode for leaderboards; the funding series for funding.",
        ),
        Column("metric", "VARCHAR", nullable=False),
        Column(
            "as_of",
            "VARCHAR",
            nullable=False,
            doc="The leaderboard snapshot date used (the last one of the year) or the funding edition.",
        ),
        Column("country_a", "VARCHAR", nullable=False),
        Column("country_b", "VARCHAR", nullable=False),
        Column("value_a", "DOUBLE", nullable=False),
        Column("value_b", "DOUBLE", nullable=False),
        Column("difference", "DOUBLE", nullable=False),
        Column("ratio", "DOUBLE"),
        Column("unit", "VARCHAR", nullable=False),
        Column("price_basis", "VARCHAR"),
        Column("complete", "BOOLEAN", nullable=False),
        Column(
            "upstream",
            "VARCHAR",
            doc="The original estimate a funding row comes from (marts.funding_provenance); the leaderboard for frontier_gap rows.",
        ),
        Column(
            "same_upstream_as",
            "VARCHAR",
            doc="Other sources of the same year and measure whose figures come from the same upstream (funding-cset and funding-eto: CSET's estimates): one estimate republished, not independent confirmation. NULL when none.",
        ),
    ),
)

FUNDING_PROVENANCE = Table(
    "marts.funding_provenance",
    "whole",
    "What each published funding series derives from (data/funding/crosswalk/provenance.csv): upstream names the original estimate (ai-index-quid, cset, oecd-preqin, cb-insights ...), derived_from describes it, evidence cites it. shares_upstream_with lists the other sources republishing the same estimate (NULL when none); a series no rule matches is its own upstream, with derived_from NULL (unknown).",
    (
        Column("source", "VARCHAR", nullable=False),
        Column("series", "VARCHAR", nullable=False),
        Column("upstream", "VARCHAR", nullable=False),
        Column("derived_from", "VARCHAR"),
        Column("evidence", "VARCHAR"),
        Column("notes", "VARCHAR"),
        Column("shares_upstream_with", "VARCHAR"),
    ),
)

FUNDING_GAP = View(
    "marts.funding_gap",
    "marts.funding_gap_all_editions restricted to the latest edition of each source, series and metric: the default view of the funding gap (US vs CN).",
    """
SELECT * EXCLUDE (latest_edition) FROM marts.funding_gap_all_editions WHERE latest_edition
""",
)

CONTRACTS = (
    FUNDING_OBSERVATIONS,
    FUNDING_BY_COUNTRY,
    FUNDING_GAP_ALL_EDITIONS,
    FUNDING_REVISIONS,
    RACE_BY_YEAR,
    FUNDING_PROVENANCE,
    FUNDING_GAP,
)
