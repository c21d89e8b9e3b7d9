"""Funding marts on real parsed files (plus the derived newer edition), checked by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from datasets.funding import marts as fm
from datasets.funding.sources import CSET, ETO, AIIndex, PublishedFigures
from marts.checks import validate_mart

ROOT = Path(__file__).resolve().parents[3]
FUNDING = ROOT / "data" / "funding"
TEST_FILES = Path(__file__).resolve().parents[2] / "data" / "funding"
AI_INDEX_FILE = "private-investment-in-artificial-intelligence.csv"


def loaded(source, path: Path, load_id: str) -> pl.DataFrame:
    """A file as the core table holds it after a publish."""
    [ref] = [r for r in source.discover(str(path)) if path.is_dir() or r.location.endswith(path.name)]
    frame = source.parse(Path(ref.location).read_bytes(), ref).frame
    return frame.with_columns(
        pl.lit(load_id).alias("load_id"), pl.lit(source.name).alias("source"), pl.lit(ref.key).alias("snapshot_key")
    )


def gap_rows(observations: pl.DataFrame) -> pl.DataFrame:
    """marts.funding_gap_all_editions as the mart builder makes it: with each series' upstream."""
    provenance = fm.series_provenance(observations, fm.load_provenance())
    return fm.with_upstream(fm.funding_gap(observations), provenance)


@pytest.fixture(scope="module")
def observations() -> pl.DataFrame:
    return pl.concat(
        [
            loaded(AIIndex(), FUNDING / "ai_index_owid" / "2025-04" / AI_INDEX_FILE, "ai-2025-04"),
            loaded(AIIndex(), TEST_FILES / "newer_edition" / "2026-04" / AI_INDEX_FILE, "ai-2026-04"),
            loaded(PublishedFigures(), FUNDING / "published" / "published_figures.csv", "published"),
        ]
    )


def test_share_of_world_and_growth(observations):
    by_country = fm.funding_by_country(observations)
    us_2024 = by_country.filter(
        source="funding-ai-index", edition="2025-04", metric="private_investment", region_code="US", year=2024
    ).row(0, named=True)
    assert us_2024["share_of_world"] == pytest.approx(94222887831 / 130255020381)  # 0.7234
    assert us_2024["yoy_growth"] == pytest.approx(94222887831 / 64353633104 - 1)  # +46.4 %
    assert us_2024["usd_billions"] == pytest.approx(94.222887831)
    first = by_country.filter(edition="2025-04", metric="private_investment", region_code="CN", year=2013)
    assert first["yoy_growth"].to_list() == [None]  # no 2012 in the feed
    assert validate_mart(
        "marts.funding_by_country", by_country.select(fm.FUNDING_MART_COLUMNS["marts.funding_by_country"])
    ).success


def test_gap_is_latest_edition_by_default_all_editions_kept(observations):
    gap = fm.funding_gap(observations).filter(source="funding-ai-index", metric="private_investment")
    assert sorted(set(gap["edition"])) == ["2025-04", "2026-04"]
    latest = gap.filter(pl.col("latest_edition"))
    assert set(latest["edition"]) == {"2026-04"} and latest["year"].to_list() == list(range(2013, 2025))
    y2023 = {r["edition"]: r for r in gap.filter(year=2023).iter_rows(named=True)}
    assert (y2023["2025-04"]["value_a"], y2023["2025-04"]["value_b"]) == (64353633104, 8419883187)
    assert y2023["2025-04"]["ratio"] == pytest.approx(7.643, abs=1e-3)
    assert (y2023["2026-04"]["value_a"], y2023["2026-04"]["value_b"]) == (70788996414, 9430269169)
    assert y2023["2026-04"]["difference"] == 70788996414 - 9430269169
    columns = fm.FUNDING_MART_COLUMNS["marts.funding_gap_all_editions"]
    assert validate_mart("marts.funding_gap_all_editions", gap_rows(observations).select(columns)).success


def test_revisions_list_what_a_newer_edition_changed(observations):
    revisions = fm.funding_revisions(observations)
    ai = revisions.filter(source="funding-ai-index").sort("region_code")
    assert ai.select("region_code", "period", "old_edition", "new_edition", "old_value", "new_value").rows() == [
        ("CN", "2023", "2025-04", "2026-04", 8419883187.0, 9430269169.0),
        ("US", "2023", "2025-04", "2026-04", 64353633104.0, 70788996414.0),
    ]
    assert ai["old_load_id"].to_list() == ["ai-2025-04"] * 2 and ai["new_load_id"].to_list() == ["ai-2026-04"] * 2
    cb = revisions.filter(series="cb-insights-state-of-ai", metric="equity_funding", period="2023", region_code="WORLD")
    assert cb.select("old_edition", "old_value", "new_edition", "new_value").rows() == [
        ("2024-01", 42.5, "2024-04", 52.1)
    ]
    assert cb["change_pct"][0] == pytest.approx(52.1 / 42.5 - 1)
    # 2022 world funding across three CB Insights editions: 45.8 -> 47.3 -> 58.7
    chain = revisions.filter(series="cb-insights-state-of-ai", metric="equity_funding", period="2022")
    assert chain.sort("new_edition_date").select("old_value", "new_value").rows() == [(45.8, 47.3), (47.3, 58.7)]
    columns = fm.FUNDING_MART_COLUMNS["marts.funding_revisions"]
    assert validate_mart("marts.funding_revisions", revisions.select(columns)).success


def test_race_by_year_puts_the_year_end_gap_next_to_funding(observations):
    gap = pl.DataFrame(
        [
            ("open-llm-v2", date(2024, 7, 13), "publisher", "all", "CN", "US", 42.49, 36.18, 6.31),
            ("open-llm-v2", date(2024, 12, 11), "publisher", "all", "US", "CN", 43.9, 42.91, 0.99),
            ("open-llm-v2", date(2024, 12, 11), "publisher", "official", "US", "CN", 40.0, 39.0, 1.0),
            ("open-llm-v2", date(2024, 12, 11), "lineage", "all", "CN", "US", 45.0, 43.9, 1.1),
            ("open-llm-v2", date(2025, 3, 21), "publisher", "all", "CN", "US", 47.98, 44.85, 3.13),
        ],
        schema=[
            "leaderboard", "snapshot_date", "attribution", "scope", "leader", "follower", "leader_score",
            "follower_score", "gap",
        ],
        orient="row",
    )  # fmt: skip
    race = fm.race_by_year(gap, gap_rows(observations))
    frontier = race.filter(measure="frontier_gap")
    assert frontier.select("year", "as_of", "value_a", "value_b", "difference").rows() == [
        (2024, "2024-12-11", 43.9, 42.91, 0.99),
        (2025, "2025-03-21", 44.85, 47.98, -3.13),
    ]
    ai_2024 = race.filter(measure="funding_ratio", source="funding-ai-index", year=2024).row(0, named=True)
    assert (ai_2024["as_of"], ai_2024["metric"]) == ("2026-04", "private_investment")  # latest edition, money only
    assert ai_2024["ratio"] == pytest.approx(94222887831 / 8025155207)  # 11.74
    assert set(race.filter(source="funding-ai-index")["year"]) == set(range(2013, 2025))
    assert validate_mart("marts.race_by_year", race).success


def test_a_mart_gate_catches_a_wrong_ratio(observations):
    gap = gap_rows(observations).select(fm.FUNDING_MART_COLUMNS["marts.funding_gap_all_editions"])
    broken = gap.with_columns(pl.col("ratio") * 1.5)
    report = validate_mart("marts.funding_gap_all_editions", broken)
    assert not report.success and {f["column"] for f in report.failures} == {"ratio_error"}


def test_the_marts_refuse_a_figure_published_by_two_loads(observations):
    # The store never lets two published loads report one figure (tests/test_which_load_counts.py);
    # should it happen anyway, the marts say so instead of picking a copy.
    bundled = observations.filter(source="funding-published")
    courseon = pl.col("publication").str.contains("Courseon")
    overlap = bundled.filter(courseon).with_columns(pl.lit("other").alias("load_id"), pl.col("value") * 2)
    assert fm.one_figure_per_key(bundled) is bundled
    with pytest.raises(ValueError, match="published by more than one load"):
        fm.one_figure_per_key(pl.concat([bundled, overlap]))


@pytest.fixture(scope="module")
def cset_and_eto() -> pl.DataFrame:
    return pl.concat(
        [
            loaded(CSET(), FUNDING / "cset_owid", "cset-2025"),
            loaded(
                ETO(), FUNDING / "eto_country_activity_tracker" / "2024-12" / "companies_yearly_estimated.csv", "eto-e"
            ),
            loaded(AIIndex(), FUNDING / "ai_index_owid" / "2025-04" / AI_INDEX_FILE, "ai-2025-04"),
        ],
        how="diagonal_relaxed",
    )


def test_cset_and_eto_are_one_estimate_republished(cset_and_eto):
    # the evidence: the two feeds give the same US/CN ratio every year 2014-2023, one in constant 2021
    # dollars (OWID), the other in nominal millions (ETO)
    gap = fm.funding_gap(cset_and_eto).filter(metric="private_investment", segment="all")
    both = gap.filter(pl.col("source").is_in(["funding-cset", "funding-eto"]), pl.col("year") <= 2023)
    ratios = both.pivot(on="source", index="year", values="ratio").drop_nulls().sort("year")
    assert ratios["year"].to_list() == list(range(2014, 2024))
    assert (ratios["funding-cset"] - ratios["funding-eto"]).abs().max() < 1e-6
    # so provenance records one upstream, and each names the other
    provenance = fm.series_provenance(cset_and_eto, fm.load_provenance())
    by_source = {r["source"]: r for r in provenance.iter_rows(named=True)}
    assert by_source["funding-cset"]["upstream"] == by_source["funding-eto"]["upstream"] == "cset"
    assert (by_source["funding-cset"]["shares_upstream_with"], by_source["funding-eto"]["shares_upstream_with"]) == (
        "funding-eto", "funding-cset"
    )  # fmt: skip
    assert by_source["funding-ai-index"]["upstream"] == "ai-index-quid"
    assert by_source["funding-ai-index"]["shares_upstream_with"] is None
    assert validate_mart(
        "marts.funding_provenance", provenance.select(fm.FUNDING_MART_COLUMNS["marts.funding_provenance"])
    ).success


def test_race_by_year_never_shows_a_republished_estimate_as_confirmation(cset_and_eto):
    race = fm.race_by_year(None, gap_rows(cset_and_eto))
    y2023 = {r["source"]: r for r in race.filter(year=2023).iter_rows(named=True)}
    assert y2023["funding-eto"]["same_upstream_as"] == "funding-cset"
    assert y2023["funding-cset"]["same_upstream_as"] == "funding-eto"
    assert y2023["funding-ai-index"]["same_upstream_as"] is None  # an independent estimate
    assert validate_mart("marts.race_by_year", race).success
    # the gate refuses a race table that hides it
    hidden = race.with_columns(pl.lit(None, dtype=pl.Utf8).alias("same_upstream_as"))
    report = validate_mart("marts.race_by_year", hidden)
    assert not report.success and {f["column"] for f in report.failures} == {"shared_upstream_unflagged"}


def test_a_series_no_provenance_rule_matches_is_its_own_upstream(observations):
    unknown = (
        observations.filter(source="funding-published").head(1).with_columns(pl.lit("Someone new").alias("series"))
    )
    [row] = fm.series_provenance(unknown, fm.load_provenance()).iter_rows(named=True)
    assert (row["upstream"], row["derived_from"]) == ("funding-published:Someone new", None)


def test_every_bundled_funding_series_has_its_provenance(bundled_run):
    from conftest import query

    warehouse, _ = bundled_run
    assert query(warehouse, "SELECT count(*) FROM marts.funding_provenance WHERE derived_from IS NULL") == [(0,)]
    assert query(
        warehouse,
        "SELECT source, upstream, shares_upstream_with FROM marts.funding_provenance "
        "WHERE source IN ('funding-cset', 'funding-eto') ORDER BY 1",
    ) == [("funding-cset", "cset", "funding-eto"), ("funding-eto", "cset", "funding-cset")]
