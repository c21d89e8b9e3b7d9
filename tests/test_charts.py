"""The publishable charts as pure functions: frames in, Vega-Lite spec and rendered SVG/PNG out
(no Prefect, no DuckDB). What a reader must find on each chart is checked in the spec and in the SVG
text: the answer in the title, the unit on the axis, the as-of date, the source and licence, and the
line broken across a hole."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from common import cache as cache_files
from datasets import credit_line, registry
from marts.gaps import HOLE_DAYS, snapshot_holes, with_holes
from reports.charts import (
    Hole,
    board_chart,
    funding_chart,
    gap_headline,
    holes_of,
    interactive_html,
    merge_identical_modes,
    race_chart,
    race_headline,
    render,
    shared_upstreams,
    us_cn_margin,
)

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
ARENA_SOURCES = [credit_line("arena-archive"), credit_line("arena-daily")]


def gap_rows(board, mode, points):
    """marts.gap rows of the US/CN pair from (date, US score, CN score, lag): lag is days behind, or
    ("at least", N) for a censored lag (the record does not reach back)."""
    rows = []
    for day, us, cn, lag in points:
        leader, follower, lead, follow = ("US", "CN", us, cn) if us >= cn else ("CN", "US", cn, us)
        censored = isinstance(lag, tuple)
        rows.append(
            {"leaderboard": board, "attribution": mode, "scope": "all", "pair": "US-CN", "snapshot_date": day,
             "leader": leader, "follower": follower, "leader_score": lead, "follower_score": follow,
             "gap": round(lead - follow, 6), "lag_days": None if censored else lag, "lag_censored": censored,
             "lag_days_at_least": lag[1] if censored else lag,
             "leader_model": f"{leader.lower()}-model", "follower_model": f"{follower.lower()}-model"}
        )  # fmt: skip
    return rows


def gap_frame(rows):
    """marts.gap as marts.gaps publishes it: holes marked per series (after_hole)."""
    return with_holes(pl.DataFrame(rows))


# Arena-like: monthly, then seven months without a snapshot, then two days; all modes identical.
ARENA_DAYS = [date(2025, 5, 6), date(2025, 6, 3), date(2025, 7, 1), date(2026, 3, 19), date(2026, 4, 8)]
ARENA_LAGS = [("at least", 0), 28, 56, ("at least", 0), 306]  # censored at the start and after the hole
ARENA_POINTS = list(zip(ARENA_DAYS, [1450, 1460, 1470, 1500, 1503], [1380, 1400, 1420, 1460, 1467], ARENA_LAGS,
                        strict=True))  # fmt: skip
ARENA = gap_frame([r for m in ("publisher", "lineage", "family") for r in gap_rows("arena-text", m, ARENA_POINTS)])
# Open LLM v2-like: China leads in the end; lineage and family agree, publisher differs.
V2_DAYS = [date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 14), date(2025, 3, 21)]  # at most 44 days apart
V2_LAGS = [("at least", 0), 31, 75, 20]
V2 = gap_frame(
    gap_rows("open-llm-v2", "publisher", list(zip(V2_DAYS, [44.0, 44.5, 44.85, 44.85], [43.0, 43.9, 45.0, 47.98], V2_LAGS, strict=True)))
    + [r for m in ("lineage", "family")
       for r in gap_rows("open-llm-v2", m, list(zip(V2_DAYS, [45.0, 45.2, 45.5, 45.74], [50.0, 51.0, 51.5, 52.08], V2_LAGS, strict=True)))]
)  # fmt: skip
# Open LLM v1-like: two snapshots 18 days apart, the lag censored on both (the record is that short).
V1 = gap_frame(gap_rows("open-llm-v1", "publisher", [(date(2024, 6, 19), 80.0, 77.0, ("at least", 0)),
                                                     (date(2024, 7, 7), 80.48, 77.39, ("at least", 18))]))  # fmt: skip


def texts(svg: str) -> list[str]:
    """Every line of text the SVG shows (a multi-line title is one <text> with a <tspan> per line)."""
    lines = []
    for text in ET.fromstring(svg).iter(f"{SVG}text"):
        spans = text.findall(f"{SVG}tspan")
        lines.extend("".join(span.itertext()) for span in spans) if spans else lines.append("".join(text.itertext()))
    return lines


def spec_titles(spec: dict) -> tuple[str, list[str], list[str]]:
    """(title, subtitle lines, source lines) of a board chart's spec."""
    inner = spec["vconcat"][0]
    return inner["title"]["text"], inner["title"]["subtitle"], spec["title"]["text"]


def test_holes_come_from_the_holes_mart_with_its_one_threshold():
    start = date(2025, 1, 1)
    days = [start, start + timedelta(days=HOLE_DAYS), start + timedelta(days=2 * HOLE_DAYS + 1)]
    board = pl.DataFrame({"leaderboard": ["b"] * 3, "snapshot_date": days})
    # marts.gaps.snapshot_holes is marts.snapshot_holes; exactly HOLE_DAYS apart is not a hole
    assert holes_of(snapshot_holes(board), "b") == [Hole(days[1], days[2])]
    assert holes_of(snapshot_holes(board.head(1)), "b") == [] and holes_of(snapshot_holes(board), "other") == []
    # the line breaks where marts.gap marks the series' first row after a hole
    assert us_cn_margin(ARENA.filter(pl.col("attribution") == "publisher"))["after_hole"].to_list() == [
        False, False, False, True, False
    ]  # fmt: skip


def test_identical_modes_share_one_named_line():
    arena = merge_identical_modes(us_cn_margin(ARENA))
    assert set(arena["line"]) == {"publisher = lineage = family (all modes)"} and len(arena) == len(ARENA_DAYS)
    v2 = merge_identical_modes(us_cn_margin(V2))
    assert sorted(set(v2["line"])) == ["lineage = family", "publisher"]


def test_headline_states_who_leads_by_how_much_in_the_boards_unit():
    assert (
        gap_headline("arena-text", 36.0, date(2026, 4, 8))
        == "US leads China by 36 Elo on Chatbot Arena (text), April 2026"
    )
    assert (
        gap_headline("open-llm-v2", -3.13, date(2025, 3, 21))
        == "China leads US by 3.13 points on Open LLM Leaderboard v2, March 2025"
    )
    assert gap_headline("open-llm-v1", 0.001, date(2024, 7, 7)).startswith("US and China level on")


def test_board_chart_title_units_as_of_source_and_break_across_the_hole():
    chart = board_chart(us_cn_margin(ARENA), "arena-text", ARENA_SOURCES)
    spec = chart.to_dict()
    title, subtitle, source = spec_titles(spec)
    assert title == "US leads China by 36 Elo on Chatbot Arena (text), April 2026"  # 1503 - 1467, computed
    assert any("as of 2026-04-08" in line for line in subtitle)
    assert "On 2026-04-08 (publisher): China is 306 days behind." in subtitle
    assert any(f"more than {HOLE_DAYS} days" in line for line in subtitle)
    assert source[0].startswith("Source: LMSYS / LMArena Chatbot Arena text leaderboard") and any(
        "(MIT)" in line for line in source
    )
    layers = spec["vconcat"][0]["layer"]
    line = next(layer for layer in layers if layer["mark"]["type"] == "line")
    assert line["encoding"]["y"]["title"][0] == "US minus China (Elo)"
    assert line["encoding"]["detail"]["field"] == "segment"  # one path per segment: no line over the hole
    x = line["encoding"]["x"]
    assert x["axis"]["format"] == "%b %Y" and x["axis"]["tickCount"]["interval"] == "month"
    assert x["scale"]["type"] == "utc"

    rendered = render(chart)
    words = texts(rendered.svg)
    assert "US leads China by 36 Elo on Chatbot Arena (text), April 2026" in words
    assert "US minus China (Elo)" in words
    assert any(w.startswith("Source: Arena AI leaderboards (arena.ai)") for w in words)
    assert any("publisher = lineage = family (all modes)" in w for w in words)  # the legend says so
    assert "no data" in words  # the hole is shaded and labelled
    # the holes the pipeline passes (marts.snapshot_holes) are the ones drawn by default
    holes = holes_of(snapshot_holes(ARENA), "arena-text")
    assert holes == [Hole(date(2025, 7, 1), date(2026, 3, 19))]
    assert board_chart(us_cn_margin(ARENA), "arena-text", ARENA_SOURCES, holes=holes).to_dict() == spec
    # the one line of all modes is drawn as two paths, before and after the seven-month hole
    assert len(re.findall(r'<g class="mark-line role-mark', rendered.svg)) == 2
    assert rendered.png.startswith(b"\x89PNG") and len(rendered.png) > 10_000


def test_a_censored_lag_is_a_lower_bound_in_the_subtitle_and_the_tooltips():
    chart = board_chart(us_cn_margin(V1), "open-llm-v1", [credit_line("open-llm-v1-archive")], top100_share=0.19)
    spec = chart.to_dict()
    title, subtitle, _ = spec_titles(spec)
    assert title == "US leads China by 3.09 points on Open LLM Leaderboard v1, July 2024"
    assert (
        "On 2024-07-07 (publisher): China is at least 18 days behind (the record does not reach back to when the "
        "leader got there); country known for 19% of the top 100." in subtitle
    )
    assert not any("is 18 days" in line for line in subtitle)
    points = next(layer for layer in spec["vconcat"][0]["layer"] if layer["mark"]["type"] == "point")
    assert {"field": "behind", "type": "nominal", "title": "time lag"} in points["encoding"]["tooltip"]
    behind = [row["behind"] for rows in spec["datasets"].values() for row in rows if "behind" in row]
    assert behind == ["CN at least 0 days behind", "CN at least 18 days behind"]


def test_board_chart_keeps_coinciding_modes_distinguishable_and_says_points():
    chart = board_chart(us_cn_margin(V2), "open-llm-v2", [credit_line("open-llm-v2-archive")])
    spec = chart.to_dict()
    title, _, source = spec_titles(spec)
    assert title == "China leads US by 3.13 points on Open LLM Leaderboard v2, March 2025"  # publisher mode
    line = next(layer for layer in spec["vconcat"][0]["layer"] if layer["mark"]["type"] == "line")
    assert line["encoding"]["y"]["title"][0] == "US minus China (points)"
    dashes = line["encoding"]["strokeDash"]["scale"]
    assert dashes["domain"] == ["publisher", "lineage = family"] and dashes["range"][0] != dashes["range"][1]
    assert "repo MPL-2.0" in " ".join(source)
    words = texts(render(chart).svg)
    assert {"publisher", "lineage = family"} <= set(words)
    assert "no data" not in words  # monthly snapshots: no hole
    assert len(re.findall(r'<g class="mark-line role-mark', render(chart).svg)) == 2  # one path per line


def funding_gap_frame():
    rows = []
    for source, unit, basis, scale, years in (
        ("funding-ai-index", "USD", "constant-2021-USD", 1e9, {2023: (64.4, 8.4), 2024: (94.2, 8.0)}),
        ("funding-oecd-vc", "USD millions", "nominal", 1e3, {2024: (99.0, 18.0), 2025: (194.1, 13.9)}),
    ):
        for year, (us, cn) in years.items():
            rows.append(
                {"source": source, "series": source, "metric": "private_investment", "segment": "all", "unit": unit,
                 "price_basis": basis, "year": year, "country_a": "US", "country_b": "CN", "value_a": us * scale,
                 "value_b": cn * scale, "ratio": us / cn, "difference": (us - cn) * scale, "complete": year != 2025}
            )  # fmt: skip
    # a single figure quoted from a report is not a series: never drawn
    rows.append({**rows[0], "source": "funding-published", "series": "Some report", "unit": "USD billions"})
    return pl.DataFrame(rows)


def test_funding_chart_states_the_ratio_the_units_and_the_sources():
    credits = {s: [credit_line(s)] for s in registry()}
    spec = funding_chart(funding_gap_frame(), credits).to_dict()
    grid = spec["vconcat"][0]
    assert (
        grid["title"]["text"] == "The US invests 11.8x to 14.0x as much in AI as China (latest year of each of 2 feeds)"
    )
    panels = [panel["title"]["text"] for panel in grid["concat"]]
    assert panels == [
        "funding-ai-index: private investment, bn constant 2021 US$",
        "funding-oecd-vc: private investment, bn nominal US$",
    ]
    subtitles = [panel["title"]["subtitle"] for panel in grid["concat"]]
    assert subtitles[0] == ["2024: US 94.2 vs China 8.0 bn (11.8x)"]
    assert subtitles[1][0].endswith("year not fully counted (hollow)")
    source = " ".join(spec["title"]["text"])
    assert "OWID CC BY 4.0" in source and "funding-published" not in source


def test_feeds_of_one_upstream_estimate_are_not_shown_as_independent():
    # funding-cset and funding-eto both publish CSET's estimates (marts.funding_provenance): same ratios
    base = funding_gap_frame().filter(pl.col("source") == "funding-ai-index")
    frame = pl.concat(
        [base.with_columns(pl.lit("ai-index-quid").alias("upstream"))]
        + [base.with_columns(pl.lit(s).alias("source"), pl.lit(s).alias("series"), pl.lit("cset").alias("upstream"))
           for s in ("funding-cset", "funding-eto")]
    )  # fmt: skip
    assert shared_upstreams(frame) == {"funding-cset": ["funding-eto"], "funding-eto": ["funding-cset"]}
    grid = funding_chart(frame, {}).to_dict()["vconcat"][0]
    assert grid["title"]["text"] == (
        "The US invests 11.8x as much in AI as China (latest year of 3 series from 2 independent estimates)"
    )
    notes = {panel["title"]["text"].split(":")[0]: panel["title"]["subtitle"] for panel in grid["concat"]}
    assert notes["funding-eto"][1] == "same upstream estimate (cset) as funding-cset: not independent confirmation"
    assert len(notes["funding-ai-index"]) == 1
    race = pl.DataFrame(
        [{"year": 2023, "measure": "funding_ratio", "source": s, "series": s, "metric": "private_investment",
          "as_of": "2025", "difference": 68.5, "ratio": 8.51, "upstream": "cset", "complete": True}
         for s in ("funding-cset", "funding-eto")]
        + [{"year": 2023, "measure": "frontier_gap", "source": "arena-text", "series": "publisher",
            "metric": "frontier_score", "as_of": "2023-12-20", "difference": 133.0, "ratio": None,
            "upstream": "arena-text", "complete": True}]
    )  # fmt: skip
    funding_panel = race_chart(race, {}).to_dict()["vconcat"][0]["vconcat"][0]
    assert funding_panel["title"]["subtitle"] == [
        "funding-cset and funding-eto publish the same upstream estimate (cset): one estimate, not independent "
        "confirmation."
    ]
    feeds = funding_panel["layer"][1]["encoding"]["color"]["scale"]["domain"]
    assert feeds == [
        "funding-cset private investment (= funding-eto: same upstream)",
        "funding-eto private investment (= funding-cset: same upstream)",
    ]


def test_race_chart_puts_the_model_gap_next_to_the_funding_gap():
    race = pl.DataFrame(
        [
            {"year": 2024, "measure": "frontier_gap", "source": "arena-text", "series": "publisher", "metric": "frontier_score",
             "as_of": "2024-12-03", "difference": 79.0, "ratio": None},
            {"year": 2024, "measure": "frontier_gap", "source": "open-llm-v2", "series": "publisher", "metric": "frontier_score",
             "as_of": "2024-12-11", "difference": -0.5, "ratio": None},
            {"year": 2024, "measure": "funding_ratio", "source": "funding-ai-index", "series": "funding-ai-index",
             "metric": "private_investment", "as_of": "2025-04", "difference": 86.0, "ratio": 11.74},
            {"year": 2023, "measure": "funding_ratio", "source": "funding-ai-index", "series": "funding-ai-index",
             "metric": "private_investment", "as_of": "2025-04", "difference": 56.0, "ratio": 7.6},
        ]
    ).with_columns(complete=pl.lit(True))  # fmt: skip
    assert race_headline(race) == "2024: the US out-invested China 11.7x and led on 1 of 2 leaderboards"
    spec = race_chart(race, {"arena-text": ARENA_SOURCES}).to_dict()
    panels = [p["title"]["text"] for p in spec["vconcat"][0]["vconcat"]]
    assert panels[0].startswith("Funding: US investment as a multiple of China's")
    assert panels[1:] == [
        "Models: Chatbot Arena (text), year-end frontier gap (Elo, publisher mode)",
        "Models: Open LLM Leaderboard v2, year-end frontier gap (points, publisher mode)",
    ]
    words = texts(render(race_chart(race, {})).svg)
    assert "79 (Dec)" in words and "-0.50 (Dec)" in words  # the value and the month of its snapshot


def test_interactive_page_is_self_contained():
    spec = board_chart(us_cn_margin(ARENA), "arena-text", ["a </script> in a credit"]).to_dict()
    page = interactive_html("aigap <test>", [("Arena", spec)])
    assert page.count("<script") == 2 and "<script src" not in page  # Vega inlined, no CDN
    assert "</script> in a credit" not in page and "aigap &lt;test&gt;" in page
    embedded = page.split('vegaEmbed("#chart-0", ', 1)[1].rsplit(', {"actions"', 1)[0]
    assert json.loads(embedded)["vconcat"][0]["title"]["text"].startswith("US leads China by 36 Elo")


@pytest.fixture
def renderer_calls(monkeypatch):
    """Counts the drawings vl-convert makes; the per-process memo is emptied, as in a new process."""
    import vl_convert

    from reports import charts

    monkeypatch.setattr(charts, "_DRAWN", {})
    monkeypatch.setattr(charts, "_JAVASCRIPT", {})
    calls = {"svg": 0, "png": 0, "javascript": 0}
    for name, kind in (("vegalite_to_svg", "svg"), ("vegalite_to_png", "png"), ("javascript_bundle", "javascript")):
        real = getattr(vl_convert, name)

        def counted(*args, real=real, kind=kind, **kwargs):
            calls[kind] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(vl_convert, name, counted)
    return calls


def test_a_drawing_is_kept_on_disk_and_served_only_when_intact(tmp_path, renderer_calls, monkeypatch):
    from reports import charts

    cache = tmp_path / "cache"
    chart = board_chart(us_cn_margin(ARENA), "arena-text", ARENA_SOURCES)
    first = render(chart, cache=cache)
    assert renderer_calls == {"svg": 1, "png": 1, "javascript": 0}
    [entry] = cache.glob("chart-*.drawn")

    monkeypatch.setattr(charts, "_DRAWN", {})  # a new process: the same spec is read, not drawn
    again = render(board_chart(us_cn_margin(ARENA), "arena-text", ARENA_SOURCES), cache=cache)
    assert renderer_calls["svg"] == 1 and (again.svg, again.png, again.spec) == (first.svg, first.png, first.spec)

    monkeypatch.setattr(charts, "_DRAWN", {})  # another spec (other credits) is drawn, next to the first
    other = render(board_chart(us_cn_margin(ARENA), "arena-text", ["another credit"]), cache=cache)
    assert renderer_calls["svg"] == 2 and "another credit" in " ".join(texts(other.svg))
    assert len(list(cache.glob("chart-*.drawn"))) == 2
    monkeypatch.setattr(charts, "_DRAWN", {})  # another scale too
    assert render(chart, scale=1.0, cache=cache).png != first.png and renderer_calls["png"] == 3

    for damage in (
        lambda data: data[:-100],  # torn
        lambda data: data[:200] + bytes([data[200] ^ 1]) + data[201:],  # one bit flipped in the drawing
        lambda data: b"",
    ):
        entry.write_bytes(damage(entry.read_bytes()))
        monkeypatch.setattr(charts, "_DRAWN", {})
        drawn_before = renderer_calls["svg"]
        redrawn = render(chart, cache=cache)
        assert renderer_calls["svg"] == drawn_before + 1  # redrawn, never served
        # the same drawing (vl-convert numbers clip paths per process: #clip1, then #clip7 ...)
        assert re.sub(r"clip\d+", "clip", redrawn.svg) == re.sub(r"clip\d+", "clip", first.svg)
        assert redrawn.png == first.png
    monkeypatch.setattr(charts, "_DRAWN", {})
    render(chart, cache=cache)
    assert renderer_calls["svg"] == drawn_before + 1  # the entry was written again, whole


def test_old_drawings_are_pruned(tmp_path, renderer_calls, monkeypatch):
    from reports import charts

    monkeypatch.setattr(charts, "KEPT_DRAWINGS", 2)
    cache = tmp_path / "cache"
    for credit in ("a", "b", "c"):
        render(board_chart(us_cn_margin(ARENA), "arena-text", [credit]), cache=cache)
    assert len(list(cache.glob("chart-*.drawn"))) == 2


def test_the_page_s_javascript_is_built_once_per_renderer_version(tmp_path, renderer_calls, monkeypatch):
    from reports import charts

    spec = board_chart(us_cn_margin(ARENA), "arena-text", ARENA_SOURCES).to_dict()
    cache = tmp_path / "cache"
    page = interactive_html("aigap", [("Arena", spec)], cache=cache)
    assert renderer_calls["javascript"] == 1
    [entry] = cache.glob("vega-*.js.entry")
    monkeypatch.setattr(charts, "_JAVASCRIPT", {})  # a new process reads it
    assert interactive_html("aigap", [("Arena", spec)], cache=cache) == page
    assert renderer_calls["javascript"] == 1
    entry.write_bytes(entry.read_bytes()[:-10])  # a torn entry is rebuilt, never inlined
    monkeypatch.setattr(charts, "_JAVASCRIPT", {})
    assert interactive_html("aigap", [("Arena", spec)], cache=cache) == page
    assert renderer_calls["javascript"] == 2 and cache_files.read(entry) is not None  # and written again
    assert interactive_html("aigap", [("Arena", spec)]) == page  # without a cache: the same page
    other = tmp_path / "another warehouse" / "cache"  # built once per process, whichever warehouse asks
    assert interactive_html("aigap", [("Arena", spec)], cache=other) == page
    assert renderer_calls["javascript"] == 2 and len(list(other.glob("vega-*.js.entry"))) == 1


def test_every_source_is_credited_and_bundled_licences_match_the_data_notes():
    credits = {name: getattr(adapter, "credit", None) for name, adapter in registry().items()}
    assert None not in credits.values(), [name for name, credit in credits.items() if credit is None]
    notes = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    licence_terms = re.compile(
        r"MPL-2\.0|MIT|apache-2\.0|CC BY(?:-[A-Z]{2})* 4\.0|no licence file|Preqin data, attribute"
    )
    for name, adapter in registry().items():
        if not adapter.in_default_run:
            continue
        terms = licence_terms.findall(credits[name].licence)
        assert terms or credits[name].licence == "per source", name
        for term in terms:
            assert term in notes, f"{name}: licence {term!r} is not in data/README.md"


def test_a_board_without_a_us_china_gap_is_not_drawn():
    with pytest.raises(ValueError, match="no US-China gap"):
        board_chart(us_cn_margin(ARENA.head(0)), "arena-text", [])


def test_a_built_chart_is_kept_under_its_inputs_and_served_only_when_intact(
    tmp_path, renderer_calls, altair_builds, monkeypatch
):
    from reports import charts

    cache = tmp_path / "cache"
    margin = us_cn_margin(ARENA)
    holes = holes_of(snapshot_holes(ARENA.select("leaderboard", "snapshot_date")), "arena-text")
    first = charts.built(board_chart, margin, "arena-text", ARENA_SOURCES, holes=holes, top100_share=0.5, cache=cache)
    assert altair_builds["to_dict"] == 1 and renderer_calls["svg"] == 1
    [entry] = cache.glob("built-*.chart")
    # what main drew for the same chart, byte for byte (its drawing is kept on disk: the same bytes)
    plain = render(board_chart(margin, "arena-text", ARENA_SOURCES, holes=holes, top100_share=0.5), cache=cache)
    assert (json.dumps(first.spec), first.svg, first.png) == (json.dumps(plain.spec), plain.svg, plain.png)

    def fresh_process():
        monkeypatch.setattr(charts, "_DRAWN", {})
        return dict(altair_builds), dict(renderer_calls)

    # the same inputs, rebuilt from scratch (another frame object, as the next run reads it): served as built
    before = fresh_process()
    again = charts.built(board_chart, us_cn_margin(gap_frame(ARENA.to_dicts())), "arena-text", list(ARENA_SOURCES),
                         holes=list(holes), top100_share=0.5, cache=cache)  # fmt: skip
    assert (altair_builds, renderer_calls) == before  # neither altair nor the renderer ran
    assert (json.dumps(again.spec), again.svg, again.png) == (json.dumps(first.spec), first.svg, first.png)

    # one value of the gap frame changed: built again, and the chart says so
    changed = ARENA.with_columns(
        pl.when(pl.col("snapshot_date") == ARENA_DAYS[-1]).then(pl.col("leader_score") + 2).otherwise("leader_score")
        .alias("leader_score"),
        pl.when(pl.col("snapshot_date") == ARENA_DAYS[-1]).then(pl.col("gap") + 2).otherwise("gap").alias("gap"),
    )  # fmt: skip
    before = fresh_process()
    other = charts.built(board_chart, us_cn_margin(changed), "arena-text", ARENA_SOURCES, holes=holes,
                         top100_share=0.5, cache=cache)  # fmt: skip
    assert altair_builds["to_dict"] == before[0]["to_dict"] + 1 and renderer_calls["svg"] == before[1]["svg"] + 1
    assert "US leads China by 38 Elo on Chatbot Arena (text), April 2026" in texts(other.svg)
    assert len(list(cache.glob("built-*.chart"))) == 2
    # other arguments are other inputs too: a credit, the scale
    before = fresh_process()
    charts.built(board_chart, margin, "arena-text", ["another credit"], holes=holes, top100_share=0.5, cache=cache)
    charts.built(board_chart, margin, "arena-text", ARENA_SOURCES, holes=holes, top100_share=0.5, cache=cache,
                 scale=1.0)  # fmt: skip
    assert altair_builds["to_dict"] == before[0]["to_dict"] + 2

    for damage in (
        lambda data: data[:-100],  # torn
        lambda data: data[:300] + bytes([data[300] ^ 1]) + data[301:],  # one bit flipped in the spec
        lambda data: b"",
    ):
        entry.write_bytes(damage(entry.read_bytes()))
        before = fresh_process()
        rebuilt = charts.built(board_chart, margin, "arena-text", ARENA_SOURCES, holes=holes, top100_share=0.5,
                               cache=cache)  # fmt: skip
        assert altair_builds["to_dict"] == before[0]["to_dict"] + 1  # built again, never served
        assert (json.dumps(rebuilt.spec), rebuilt.svg, rebuilt.png) == (json.dumps(first.spec), first.svg, first.png)
    before = fresh_process()
    charts.built(board_chart, margin, "arena-text", ARENA_SOURCES, holes=holes, top100_share=0.5, cache=cache)
    assert altair_builds == before[0]  # the entry was written again, whole

    # without a cache: built and drawn, nothing kept; the same chart
    entries = sorted(cache.iterdir())
    before = fresh_process()
    bare = charts.built(board_chart, margin, "arena-text", ARENA_SOURCES, holes=holes, top100_share=0.5)
    assert altair_builds["to_dict"] == before[0]["to_dict"] + 1 and renderer_calls["svg"] == before[1]["svg"] + 1
    assert json.dumps(bare.spec) == json.dumps(first.spec) and bare.png == first.png
    # vl-convert numbers clip paths per process (#clip1, then #clip7 ...): the same drawing otherwise
    assert re.sub(r"clip\d+", "clip", bare.svg) == re.sub(r"clip\d+", "clip", first.svg)
    assert sorted(cache.iterdir()) == entries


def test_funding_and_race_charts_are_kept_under_their_inputs(tmp_path, renderer_calls, altair_builds, monkeypatch):
    from reports import charts

    cache = tmp_path / "cache"
    funding, credits = funding_gap_frame(), {"funding-eto": ["ETO credit"], "funding-cset": ["CSET credit"]}
    first = charts.built(funding_chart, funding, credits, cache=cache)
    monkeypatch.setattr(charts, "_DRAWN", {})
    builds = altair_builds["to_dict"]
    assert charts.built(funding_chart, funding.clone(), dict(credits), cache=cache).svg == first.svg
    assert altair_builds["to_dict"] == builds
    # the same rows in another order are another input (the chart's data is in row order)
    charts.built(funding_chart, funding.reverse(), credits, cache=cache)
    assert altair_builds["to_dict"] == builds + 1
    assert len(list(cache.glob("built-*.chart"))) == 2


def test_cache_keys_encode_frames_and_values_exactly():
    from common.cache import code_sources, key

    frame = pl.DataFrame({"a": [1, None, 3], "b": ["x", None, "z"], "c": [0.1, None, 0.3]})
    assert key(frame) == key(pl.DataFrame(frame.to_dicts()))  # equal frames, built apart
    assert key(frame) == key(pl.concat([frame.head(1), frame.tail(2)]))  # however chunked
    for other in (
        frame.with_columns(pl.col("c").fill_null(0.0)),  # a null is not a value
        frame.with_columns(pl.col("a").cast(pl.Int32)),  # the same numbers, another type
        frame.with_columns(pl.col("c") + 1e-15),  # the last bit of a float
        frame.rename({"b": "B"}),
        frame.reverse(),
    ):
        assert key(other) != key(frame)
    assert key([1]) != key([1.0]) != key([True]) and key(date(2024, 1, 1)) != key("2024-01-01")
    assert key(Hole(date(2024, 1, 1), date(2024, 3, 1))) != key(Hole(date(2024, 1, 1), date(2024, 3, 2)))
    with pytest.raises(TypeError, match="no exact cache-key encoding"):
        key(object())
    # the code a chart is made of: the charts module and every project module it draws on, no library
    drawn_on = set(code_sources("reports.charts"))
    assert {"reports.charts", "common.cache", "reports.wording", "common.boards", "marts.gaps",
            "datasets.funding.parse", "common.settings"} <= drawn_on  # fmt: skip
    assert not {name for name in drawn_on if name.split(".")[0] in {"altair", "polars", "vl_convert"}}
