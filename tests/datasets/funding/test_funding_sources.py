"""Funding feeds: every bundled file parsed and gated, figures checked against values read off the
files by hand, and real bad files (tests/data/funding, derived from the bundled ones) rejected."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from common.errors import SnapshotRejected
from datasets.base import GateContext, SnapshotRef
from datasets.funding.parse import load_crosswalk, parse_period
from datasets.funding.sources import CSET, ETO, AIIndex, OECDVentureCapital, PublishedFigures, funding_sources

ROOT = Path(__file__).resolve().parents[3]
FUNDING = ROOT / "data" / "funding"
TEST_FILES = Path(__file__).resolve().parents[2] / "data" / "funding"
TODAY = date(2026, 11, 23)
AI_INDEX_FILE = "private-investment-in-artificial-intelligence.csv"


def ref_for(source, path: Path) -> SnapshotRef:
    [ref] = source.discover(str(path))
    return ref


def parse(source, path: Path) -> pl.DataFrame:
    ref = ref_for(source, path)
    return source.parse(path.read_bytes(), ref).frame


def parse_and_gate(source, path: Path):
    """(failed checks, reasons) for a file: parse rejections and gate failures alike."""
    ref = ref_for(source, path)
    try:
        parsed = source.parse(path.read_bytes(), ref)
    except SnapshotRejected as exc:
        return {r["check"] for r in exc.reasons}, exc.reasons
    report = source.gate(parsed.frame, GateContext(today=TODAY))
    return {f["check"] for f in report.failures}, report.failures


def value(frame: pl.DataFrame, **where) -> float:
    rows = frame.filter(*[pl.col(k) == v for k, v in where.items()])
    assert len(rows) == 1, rows
    return rows["value"][0]


@pytest.mark.parametrize("source", funding_sources(), ids=lambda s: s.name)
def test_every_bundled_file_passes_its_gate(source):
    refs = source.discover(source.default_location())
    assert refs
    for ref in refs:
        parsed = source.parse(Path(ref.location).read_bytes(), ref)
        report = source.gate(parsed.frame, GateContext(today=TODAY))
        assert report.success, (ref.key, report.failures)


def test_ai_index_us_and_china_read_off_the_file():
    frame = parse(AIIndex(), FUNDING / "ai_index_owid" / "2025-04" / AI_INDEX_FILE)
    assert frame["edition"].unique().to_list() == ["2025-04"]
    assert set(frame["unit"]) == {"USD"} and set(frame["price_basis"]) == {"constant-2021-USD"}
    assert frame.filter(pl.col("region_code") == "US")["year"].sort().to_list() == list(range(2013, 2025))
    assert value(frame, region_code="US", year=2013) == 4211478853
    assert value(frame, region_code="CN", year=2013) == 717196188
    assert value(frame, region_code="US", year=2024) == 94222887831
    assert value(frame, region_code="CN", year=2024) == 8025155207
    assert value(frame, region_code="WORLD", year=2021) == 145400000000
    europe = frame.filter(pl.col("region_name") == "Europe")
    assert set(europe["region_code"]) == {"EUROPE"} and set(europe["region_kind"]) == {"aggregate"}


def test_ai_index_newly_funded_companies_are_counts():
    frame = parse(
        AIIndex(), FUNDING / "ai_index_owid" / "2025-04" / "newly-funded-artificial-intelligence-companies.csv"
    )
    assert set(frame["metric"]) == {"newly_funded_companies"} and set(frame["unit"]) == {"count"}
    assert frame["price_basis"].null_count() == len(frame)
    assert value(frame, region_code="US", year=2023) == 897
    assert value(frame, region_code="CN", year=2023) == 122
    assert value(frame, region_code="WORLD", year=2024) == 2049


def test_cset_by_country():
    frame = parse(CSET(), FUNDING / "cset_owid" / "2025" / "private-investment-in-artificial-intelligence-cset.csv")
    assert frame["edition"].unique().to_list() == ["2025"]
    assert value(frame, region_code="US", year=2023) == 77651472222
    assert value(frame, region_code="CN", year=2023) == 9120610860
    assert value(frame, region_code="WORLD", year=2023) == 126779692421
    assert value(frame, region_name="Cote d'Ivoire", year=2023) is not None
    assert frame.filter(pl.col("region_kind") == "country")["region_code"].n_unique() == 116


def test_eto_estimated_by_field_with_incomplete_2024():
    frame = parse(ETO(), FUNDING / "eto_country_activity_tracker" / "2024-12" / "companies_yearly_estimated.csv")
    assert set(frame["unit"]) == {"USD millions"} and set(frame["price_basis"]) == {"nominal"}
    assert value(frame, region_code="US", year=2021, segment="all") == 150497
    assert value(frame, region_code="US", year=2024, segment="all") == 145732
    china = frame.filter(pl.col("region_name") == "China (mainland)")
    assert set(china["region_code"]) == {"CN"}
    assert not frame.filter(pl.col("year") == 2024)["complete"].any()
    assert frame.filter(pl.col("year") == 2023)["complete"].all()
    assert {"NLP", "Robotics", "Military, public safety and government"} <= set(frame["segment"])


def test_eto_disclosed_is_its_own_metric():
    frame = parse(ETO(), FUNDING / "eto_country_activity_tracker" / "2024-12" / "companies_yearly_disclosed.csv")
    assert set(frame["metric"]) == {"private_investment_disclosed"}
    assert value(frame, region_code="US", year=2023, segment="all") == 53537


def test_oecd_quarter_column_holds_years():
    folder = FUNDING / "oecd_ai_vc_preqin" / "2026-01"
    all_ai = parse(OECDVentureCapital(), folder / "vc_in_ai_all_industries_usd_m.csv")
    compute = parse(OECDVentureCapital(), folder / "vc_in_ai_compute_usd_m.csv")
    genai = parse(OECDVentureCapital(), folder / "vc_in_generative_ai_usd_m.csv")
    assert set(compute["period_type"]) == {"year"} and compute["year"].min() == 2012
    assert value(all_ai, region_code="US", year=2023) == 71776.363503
    assert value(all_ai, region_code="CN", year=2023) == 21182.585681
    assert value(compute, region_code="US", year=2024) == 18984.552852
    assert value(genai, region_code="CN", year=2023) == 597.38889
    assert (set(all_ai["segment"]), set(compute["segment"]), set(genai["segment"])) == (
        {"all"}, {"ai_compute"}, {"generative_ai"}
    )  # fmt: skip
    labels = dict(all_ai.select("region_name", "region_code").unique().iter_rows())
    assert labels["China (People's Republic of)"] == "CN" and labels["Korea"] == "KR"


def test_published_figures_keep_each_row_edition_and_series():
    frame = parse(PublishedFigures(), FUNDING / "published" / "published_figures.csv")
    cb_2023 = frame.filter(
        pl.col("period") == "2023", pl.col("region_code") == "WORLD", pl.col("metric") == "equity_funding"
    )
    assert sorted(cb_2023.select("edition", "value", "metric_as_published").rows()) == [
        ("2024-01", 42.5, "equity_funding"),
        ("2024-04", 52.1, "funding"),
    ]
    assert set(cb_2023["series"]) == {"cb-insights-state-of-ai"} and set(cb_2023["unit"]) == {"USD billions"}
    ytd = frame.filter(pl.col("period") == "2023 YTD")
    assert set(ytd["period_type"]) == {"year_to_date"} and not ytd["complete"].any()
    comparison = frame.filter(pl.col("region_name") == "US vs China top model")
    assert set(comparison["region_kind"]) == {"comparison"}
    assert set(frame.filter(pl.col("region_name") == "EU")["region_code"]) == {"EU27"}
    assert set(frame.filter(pl.col("unit") == "EUR billions")["price_basis"]) == {"nominal"}


@pytest.mark.parametrize(
    ("text", "kind", "year", "start", "end", "complete"),
    [
        ("2023", "year", 2023, date(2023, 1, 1), date(2023, 12, 31), True),
        ("2023Q4", "quarter", 2023, date(2023, 10, 1), date(2023, 12, 31), True),
        ("2024-01", "month", 2024, date(2024, 1, 1), date(2024, 1, 31), True),
        ("2013-2024", "range", None, date(2013, 1, 1), date(2024, 12, 31), True),
        ("2018-2023Q3", "range", None, date(2018, 1, 1), date(2023, 9, 30), True),
        ("2023 YTD", "year_to_date", 2023, date(2023, 1, 1), date(2023, 12, 31), False),
        ("2024 (projected)", "projection", 2024, date(2024, 1, 1), date(2024, 12, 31), False),
        ("unspecified (cumulative)", "unspecified", None, None, None, False),
    ],
)
def test_periods_as_published(text, kind, year, start, end, complete):
    period = parse_period(text)
    assert (period.kind, period.year, period.start, period.end, period.complete) == (kind, year, start, end, complete)


def test_an_unreadable_period_is_refused():
    with pytest.raises(ValueError, match="unreadable period"):
        parse_period("last year")


@pytest.mark.parametrize(
    ("folder", "source", "check", "words"),
    [
        ("unknown_region", AIIndex(), "region_crosswalk", "'Greater China'"),
        ("code_mismatch", AIIndex(), "region_code", "'Europe' is EUROPE but its code 'CHN' is CN"),
        ("renamed_column", AIIndex(), "header", "Total private investment in AI"),
        ("negative_value", AIIndex(), "expect_column_values_to_be_between", "negative"),
        ("future_year", AIIndex(), "expect_column_values_to_be_between", "year: 1 of 48 values outside [2013"),
        ("future_year", AIIndex(), "expect_column_pair_values_a_to_be_greater_than_b", "starts after the edition"),
        ("duplicate_row", AIIndex(), "expect_compound_columns_to_be_unique", "repeat the same"),
        ("html_page", AIIndex(), "parse", "HTML page, not CSV"),
        ("oecd_unnamed", OECDVentureCapital(), "file_name", "cannot tell which OECD.AI series 'export.csv'"),
    ],
)
def test_bad_files_fail_with_a_clear_reason(folder, source, check, words):
    [path] = (TEST_FILES / folder).rglob("*.csv")
    checks, reasons = parse_and_gate(source, path)
    assert check in checks, reasons
    assert any(words in r["reason"] for r in reasons), reasons


def test_the_inconsistent_2023_split_names_its_figures():
    checks, reasons = parse_and_gate(PublishedFigures(), TEST_FILES / "cb_insights_2023_split_inconsistent.csv")
    assert checks == {"world_total_consistency"}
    [reason] = reasons
    assert "United States 31 + Asia 9.4 + Europe 6.4 = 46.8 > World 42.5 USD billions" in reason["reason"]


def test_a_feed_file_without_an_edition_is_refused(tmp_path):
    lone = tmp_path / AI_INDEX_FILE
    lone.write_bytes((FUNDING / "ai_index_owid" / "2025-04" / AI_INDEX_FILE).read_bytes())
    checks, reasons = parse_and_gate(AIIndex(), lone)
    assert checks == {"edition"} and "2026-04/" in reasons[0]["reason"]


def test_crosswalk_codes_are_iso_or_listed_aggregates():
    import pycountry

    crosswalk = load_crosswalk()
    aggregates = crosswalk.members()
    iso = {c.alpha_2 for c in pycountry.countries} | {"XK"}  # Kosovo: user-assigned code in wide use
    for name, code in crosswalk.regions.select("region_name", "region_code").iter_rows():
        assert code in iso or code in aggregates, (name, code)
    for code, members in aggregates.items():
        assert members is None or members <= iso, (code, members - iso)
    assert crosswalk.regions["region_name"].is_unique().all()
    assert aggregates["EUROPE"].isdisjoint(aggregates["ASIA"])  # the consistency check sums them
    assert len(aggregates["EU27"]) == 27 and aggregates["EU27_GB"] == aggregates["EU27"] | {"GB"}
