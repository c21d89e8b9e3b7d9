"""Publishable charts of the gap, as Vega-Lite specs built with altair: pure functions, frames in,
chart out. `render` turns a chart into SVG and PNG offline (vl-convert: no browser, fonts bundled)
and `interactive_html` into one self-contained page for analysts (tooltips, zoom; no CDN).

Every chart states its answer in the title (computed from the data), the unit on the axis (from
datasets.leaderboards()), the date the data is as of, and a source line naming the data and
its licence (each source's `credit`). Lines break where a series has a hole.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import altair as alt
import polars as pl

from common import cache as cache_files
from datasets import leaderboard, leaderboards
from datasets.funding.parse import usd_billions
from marts.gaps import HOLE_DAYS, snapshot_holes
from reports.wording import COUNTRY_NAMES, country_name, coverage_phrase, lag_phrase

US, CN = "US", "CN"
# The mode a headline quotes: who published the model (see docs/methodology.md, "Publishing a number").
HEADLINE_MODE = "publisher"
MODES = ("publisher", "lineage", "family")
COUNTRY_COLOURS = {US: "#1f5fa8", CN: "#c8102e"}
WIDTH, HEIGHT = 640, 240
MUTED = "#555555"

# Each attribution mode keeps its look in every chart; where two lines coincide over part of the
# series the wide solid line stays visible under the dashed and dotted ones, and the markers nest.
MODE_STYLE = {
    "publisher": {"colour": "#1b6ca8", "dash": [1, 0], "width": 3.5, "shape": "circle", "size": 70},
    "lineage": {"colour": "#e07b00", "dash": [7, 4], "width": 2.2, "shape": "square", "size": 34},
    "family": {"colour": "#2a9d4a", "dash": [2, 3], "width": 1.6, "shape": "triangle-up", "size": 22},
}


def board_order(name: str) -> tuple[int, str]:
    """Leaderboards in the order they are declared (datasets.leaderboards()), others after."""
    declared = list(leaderboards())
    return (declared.index(name) if name in declared else len(declared), name)


def _fmt(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


# --- the US-China margin and its holes ------------------------------------------------------------


def us_cn_margin(gap: pl.DataFrame) -> pl.DataFrame:
    """marts.gap rows (one scope) of the US/CN pair -> one row per leaderboard, mode and snapshot with
    margin = US best score - China best score (positive: the US leads), both frontiers, how far behind
    the follower is (`behind`, worded by reports.wording.lag_phrase: "at least N days" when censored)
    and `after_hole` (marts.gap: the first row after a hole in the series, where the line breaks)."""
    pair = ((pl.col("leader") == US) & (pl.col("follower") == CN)) | (
        (pl.col("leader") == CN) & (pl.col("follower") == US)
    )
    us_leads = pl.col("leader") == US
    behind = pl.struct("follower", "lag_days", "lag_censored", "lag_days_at_least").map_elements(
        lambda r: lag_phrase(r["follower"], r["lag_days"], r["lag_censored"], r["lag_days_at_least"]),
        return_dtype=pl.String,
    )
    return (
        gap.filter(pair)
        .select(
            "leaderboard",
            "attribution",
            "snapshot_date",
            pl.when(us_leads).then(pl.col("gap")).otherwise(-pl.col("gap")).alias("margin"),
            pl.when(us_leads).then(pl.col("leader_score")).otherwise(pl.col("follower_score")).alias("us_score"),
            pl.when(us_leads).then(pl.col("follower_score")).otherwise(pl.col("leader_score")).alias("cn_score"),
            pl.when(us_leads).then(pl.col("leader_model")).otherwise(pl.col("follower_model")).alias("us_model"),
            pl.when(us_leads).then(pl.col("follower_model")).otherwise(pl.col("leader_model")).alias("cn_model"),
            "follower",
            "lag_days",
            "lag_censored",
            "lag_days_at_least",
            behind.alias("behind"),
            "after_hole",
        )
        .sort("leaderboard", "attribution", "snapshot_date")
    )


@dataclass(frozen=True)
class Hole:
    """No snapshot strictly between `after` and `before` (the last date seen, the next one)."""

    after: date
    before: date

    @property
    def days(self) -> int:
        return (self.before - self.after).days


def holes_of(holes_mart: pl.DataFrame, board: str) -> list[Hole]:
    """A leaderboard's holes from marts.snapshot_holes rows (marts.gaps.snapshot_holes: more
    than HOLE_DAYS without a snapshot)."""
    rows = holes_mart.filter(pl.col("leaderboard") == board).sort("last_snapshot_before")
    return [Hole(r["last_snapshot_before"], r["first_snapshot_after"]) for r in rows.iter_rows(named=True)]


# modes that agree on all of these on every snapshot are drawn as one line
SAME_LINE = ("snapshot_date", "margin", "us_score", "cn_score", "behind")


def merge_identical_modes(margin: pl.DataFrame) -> pl.DataFrame:
    """Adds `line`: modes whose whole series is identical share one line, named after all of them
    ("lineage = family", "publisher = lineage = family (all modes)"), so that a coinciding line cannot hide another."""
    if margin.is_empty():
        return margin.with_columns(pl.lit(None, dtype=pl.String).alias("line"))
    present = [m for m in MODES if m in set(margin["attribution"])] + sorted(set(margin["attribution"]) - set(MODES))
    series = {mode: tuple(margin.filter(pl.col("attribution") == mode).select(*SAME_LINE).rows()) for mode in present}
    groups: list[list[str]] = []
    for mode in present:
        for group in groups:
            if series[group[0]] == series[mode]:
                group.append(mode)
                break
        else:
            groups.append([mode])
    label = {}
    for group in groups:
        name = " = ".join(group) + (" (all modes)" if len(group) == len(present) > 1 else "")
        for mode in group:
            label[mode] = name
    firsts = {group[0] for group in groups}
    return margin.filter(pl.col("attribution").is_in(list(firsts))).with_columns(
        pl.col("attribution").replace_strict(label).alias("line")
    )


# --- titles ----------------------------------------------------------------------------------------


def month_year(day: date) -> str:
    return f"{day:%B %Y}"


def gap_headline(board: str, margin: float, as_of: date, a: str = US, b: str = CN) -> str:
    """The answer as a chart title: "US leads China by 36 Elo on Chatbot Arena (text), April 2026"."""
    facts = leaderboard(board)
    amount = _fmt(abs(margin), facts.decimals)
    if round(margin, facts.decimals) == 0:
        return f"{country_name(a)} and {country_name(b)} level on {facts.title}, {month_year(as_of)}"
    leader, follower = (a, b) if margin > 0 else (b, a)
    return (
        f"{country_name(leader)} leads {country_name(follower)} by {amount} {facts.unit} "
        f"on {facts.title}, {month_year(as_of)}"
    )


def _month_step(first: date, last: date) -> int:
    """Months between x ticks: every month up to a year, then every 2, 3, 6 months."""
    months = (last.year - first.year) * 12 + last.month - first.month
    return next(step for limit, step in ((13, 1), (25, 2), (40, 3), (10**6, 6)) if months < limit)


def _source_lines(shown: list[str], sources: dict[str, list[str]]) -> list[str]:
    """One "Source:" line per credit of what a chart shows, each once, in order."""
    credits = [line for name in shown for line in sources.get(name) or [f"{name} (origin not recorded)"]]
    return [f"Source: {line}" for line in dict.fromkeys(credits)]


def _source_title(lines: list[str], width: int = 120) -> alt.TitleParams:
    """The source lines under a chart, wrapped to about the chart's width."""
    wrapped = [part for line in lines for part in textwrap.wrap(line, width, subsequent_indent="    ")]
    return alt.TitleParams(
        wrapped, orient="bottom", anchor="start", fontSize=10, fontWeight="normal", color=MUTED, offset=12
    )


def latest_line(latest: dict, top100_share: float | None = None) -> str:
    """The headline snapshot's time lag under a chart's title, censored lags as "at least N days"
    with what that means, and how much of the top 100 the headline mode can place."""
    lag = lag_phrase(
        latest["follower"], latest["lag_days"], latest["lag_censored"], latest["lag_days_at_least"], form="prose"
    )
    line = f"On {latest['snapshot_date'].isoformat()} ({HEADLINE_MODE}): {lag}"
    if latest["lag_censored"]:
        line += " (the record does not reach back to when the leader got there)"
    if top100_share is not None and top100_share < 1:
        line += f"; {coverage_phrase(top100_share)}"
    return line + "."


# --- one chart per leaderboard ---------------------------------------------------------------------


def board_chart(
    margin: pl.DataFrame,
    board: str,
    sources: list[str],
    holes: list[Hole] | None = None,
    top100_share: float | None = None,
) -> alt.VConcatChart:
    """The US-China margin on one leaderboard over time, one line per attribution mode.

    `margin`: us_cn_margin rows of this board. `sources`: credit lines of the data plotted.
    `holes`: where the leaderboard has no snapshot (marts.snapshot_holes; default: marts.gaps'
    rule applied to the plotted dates). `top100_share`: how much of the latest snapshot's top 100
    the headline mode attributes to a country (marts.attribution_coverage), said under the title."""
    facts = leaderboard(board)
    rows = margin.filter(pl.col("leaderboard") == board).sort("attribution", "snapshot_date")
    if rows.is_empty():
        raise ValueError(f"no US-China gap on {board} to chart")
    dates = sorted(set(rows["snapshot_date"]))
    if holes is None:
        holes = holes_of(snapshot_holes(rows.select("leaderboard", "snapshot_date")), board)
    first, last = dates[0], dates[-1]
    headline_rows = rows.filter(pl.col("attribution") == HEADLINE_MODE)
    headline_rows = headline_rows if not headline_rows.is_empty() else rows
    latest = headline_rows.sort("snapshot_date").row(-1, named=True)

    lines = merge_identical_modes(rows)
    lines = lines.with_columns(
        # a new path after every hole in the series: no line drawn over months nobody observed
        pl.col("after_hole").cast(pl.Int32).cum_sum().over("line").alias("segment"),
        pl.col("snapshot_date").cast(pl.String).alias("date"),
    )
    order = list(dict.fromkeys(lines.sort(pl.col("attribution").replace_strict(
        {m: i for i, m in enumerate(MODES)}, default=len(MODES)))["line"]))  # fmt: skip
    style = [MODE_STYLE.get(lines.filter(pl.col("line") == name)["attribution"][0], MODE_STYLE["publisher"])
             for name in order]  # fmt: skip
    legend = alt.Legend(
        title="attribution", orient="bottom", direction="horizontal", symbolStrokeWidth=2.5, labelLimit=400
    )
    colour = alt.Color("line:N", scale=alt.Scale(domain=order, range=[s["colour"] for s in style]), legend=legend)
    dash = alt.StrokeDash("line:N", scale=alt.Scale(domain=order, range=[s["dash"] for s in style]), legend=legend)
    shape = alt.Shape("line:N", scale=alt.Scale(domain=order, range=[s["shape"] for s in style]), legend=legend)
    # widths and marker sizes straight from the data (scale=None): no second legend
    lines = lines.with_columns(
        pl.col("line").replace_strict(dict(zip(order, [s["width"] for s in style], strict=True))).alias("width"),
        pl.col("line").replace_strict(dict(zip(order, [s["size"] for s in style], strict=True))).alias("size"),
    )
    width = alt.StrokeWidth("width:Q", scale=None)
    size = alt.Size("size:Q", scale=None)
    x = alt.X(
        "date:T",
        title=None,
        scale=alt.Scale(type="utc", domain=[first.isoformat(), last.isoformat()], nice=False, padding=8),
        axis=alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": _month_step(first, last)},
                      labelOverlap=True, grid=True),
    )  # fmt: skip
    y_title = [f"US minus China ({facts.unit})", "above 0: the US leads"]
    y = alt.Y("margin:Q", title=y_title, scale=alt.Scale(zero=True, nice=True))
    tooltip = [
        alt.Tooltip("date:N", title="snapshot"),
        alt.Tooltip("line:N", title="attribution"),
        alt.Tooltip("margin:Q", title=f"US minus China ({facts.unit})", format=f",.{facts.decimals}f"),
        alt.Tooltip("us_score:Q", title="US best", format=",.2f"),
        alt.Tooltip("us_model:N", title="US model"),
        alt.Tooltip("cn_score:Q", title="China best", format=",.2f"),
        alt.Tooltip("cn_model:N", title="China model"),
        alt.Tooltip("behind:N", title="time lag"),
    ]
    base = alt.Chart(lines)
    layers = []
    if holes:
        hole_frame = pl.DataFrame(
            {
                "after": [h.after.isoformat() for h in holes],
                "before": [h.before.isoformat() for h in holes],
                "note": [f"no snapshot for {h.days} days" for h in holes],
            }
        )
        layers.append(
            alt.Chart(hole_frame)
            .mark_rect(color="#999999", opacity=0.12)
            .encode(x="after:T", x2="before:T", tooltip=alt.Tooltip("note:N", title="hole"))
        )
        layers.append(
            alt.Chart(hole_frame)
            .mark_text(align="center", baseline="top", dy=4, fontSize=10, color=MUTED)
            .encode(
                x=alt.X("mid:T"),
                y=alt.value(0),
                text=alt.value("no data"),
            )
            .transform_calculate(mid="(toDate(datum.after) + toDate(datum.before)) / 2")
        )
    layers.append(alt.Chart(pl.DataFrame({"zero": [0.0]})).mark_rule(color="#888888", strokeDash=[4, 3]).encode(
        y="zero:Q"))  # fmt: skip
    layers.append(
        base.mark_line(strokeCap="butt", strokeJoin="round").encode(x=x, y=y, color=colour, strokeDash=dash, strokeWidth=width,
                                                detail="segment:N")
    )  # fmt: skip
    layers.append(
        base.mark_point(filled=True, opacity=0.9).encode(x=x, y=y, color=colour, shape=shape, size=size,
                                                         tooltip=tooltip)
        # zoom and pan along time in the interactive page (drag, wheel; double-click resets)
        .add_params(alt.selection_interval(bind="scales", encodings=["x"]))
    )  # fmt: skip

    subtitle = [
        f"Best US model minus best Chinese model, per snapshot; one line per attribution mode (title: {HEADLINE_MODE}).",
        f"Score: {facts.scale}. Snapshots {first.isoformat()} to {last.isoformat()}; as of {last.isoformat()}.",
        latest_line(latest, top100_share),
    ]
    if holes:
        subtitle.append(f"Lines break where no snapshot was taken for more than {HOLE_DAYS} days (shaded: no data).")
    inner = alt.layer(*layers).properties(
        width=WIDTH,
        height=HEIGHT,
        title=alt.TitleParams(
            gap_headline(board, latest["margin"], latest["snapshot_date"]),
            subtitle=subtitle,
            anchor="start",
            fontSize=16,
            subtitleColor=MUTED,
        ),
    )
    footer = [f"Source: {line}" for line in sources] + [
        f"Chart: aigap, marts.gap (pair US-CN, scope all: every model on the board). Unit: {facts.unit}."
    ]
    return alt.vconcat(inner).properties(title=_source_title(footer)).resolve_scale(color="shared")


# --- funding: US vs China investment per year, one panel per feed ----------------------------------

METRIC_WORDS = {
    "private_investment": "private investment",
    "private_investment_disclosed": "disclosed private investment",
    "vc_investment": "venture capital investment",
}
FEED_COLOURS = ["#1f5fa8", "#e07b00", "#2a9d4a", "#8e44ad", "#7f7f7f"]
FEED_DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3]]
PRICE_BASIS_WORDS = {"constant-2021-USD": "constant 2021 US$", "nominal": "nominal US$"}


def funding_series(funding_gap: pl.DataFrame) -> pl.DataFrame:
    """marts.funding_gap rows a chart can draw as one series per feed: each feed's own series (not
    single figures quoted from reports), the whole market, USD amounts in billions, two years or more.
    One row per panel, year and country."""
    rows = funding_gap.filter(
        (pl.col("series") == pl.col("source"))
        & (pl.col("segment") == "all")
        & pl.col("unit").str.starts_with("USD")
        & (pl.col("country_a") == US)
        & (pl.col("country_b") == CN)
    )
    if rows.is_empty():
        return pl.DataFrame(
            schema={"panel": pl.String, "source": pl.String, "metric": pl.String, "price_basis": pl.String,
                    "year": pl.Int64, "country": pl.String, "usd_bn": pl.Float64, "ratio": pl.Float64,
                    "complete": pl.Boolean, "upstream": pl.String}
        )  # fmt: skip
    rows = rows.with_columns(usd_billions(pl.col("value_a"), pl.col("unit")).alias("us_bn"),
                             usd_billions(pl.col("value_b"), pl.col("unit")).alias("cn_bn"))  # fmt: skip
    rows = rows.filter(pl.len().over("source", "metric", "price_basis") >= 2)
    panel = pl.concat_str(
        pl.col("source"), pl.lit(": "), pl.col("metric").replace(METRIC_WORDS),
        pl.lit(", bn "), pl.col("price_basis").replace(PRICE_BASIS_WORDS).fill_null("US$"),
    )  # fmt: skip
    if "upstream" not in rows.columns:  # a frame without provenance: each source its own estimate
        rows = rows.with_columns(pl.col("source").alias("upstream"))
    keep = ["panel", "source", "metric", "price_basis", "year", "ratio", "complete", "upstream"]
    return (
        pl.concat(
            [
                rows.select(panel.alias("panel"), *keep[1:], pl.lit(US).alias("country"), pl.col("us_bn").alias("usd_bn")),
                rows.select(panel.alias("panel"), *keep[1:], pl.lit(CN).alias("country"), pl.col("cn_bn").alias("usd_bn")),
            ]
        )
        .with_columns(pl.col("country").replace(COUNTRY_NAMES))
        .sort("panel", "country", "year")
    )  # fmt: skip


def _ratio_words(low: float, high: float) -> str:
    return f"{low:.1f}x" if round(low, 1) == round(high, 1) else f"{low:.1f}x to {high:.1f}x"


def shared_upstreams(frame: pl.DataFrame) -> dict[str, list[str]]:
    """Source -> the other sources drawn whose figures come from the same upstream estimate
    (marts.funding_provenance: funding-cset and funding-eto are both CSET's estimates). Their lines
    agreeing is one estimate shown twice, not two sources confirming each other."""
    if "upstream" not in frame.columns or frame.is_empty():
        return {}
    pairs = frame.select("source", "upstream").unique()
    out = {}
    for source, upstream in pairs.sort("source").iter_rows():
        others = sorted(set(pairs.filter((pl.col("upstream") == upstream) & (pl.col("source") != source))["source"]))
        if others:
            out[source] = others
    return out


def funding_headline(series: pl.DataFrame) -> str:
    """The answer over every feed's latest year: who invests more, and by how much, and from how many
    independent estimates (series sharing an upstream count once)."""
    latest = series.filter(pl.col("year") == pl.col("year").max().over("panel")).unique("panel")
    ratios = [r for r in latest["ratio"].to_list() if r is not None]
    if not ratios:
        return "US vs China AI investment: no feed reports both countries yet"
    low, high = min(ratios), max(ratios)
    feeds = f"{len(ratios)} feed" + ("s" if len(ratios) > 1 else "")
    independent = latest.filter(pl.col("ratio").is_not_null())["upstream"].n_unique()
    if independent < len(ratios):
        feeds = f"{len(ratios)} series from {independent} independent estimate" + ("s" if independent > 1 else "")
    else:
        feeds = f"each of {feeds}"
    if low > 1:
        return f"The US invests {_ratio_words(low, high)} as much in AI as China (latest year of {feeds})"
    if high < 1:
        return f"China invests {_ratio_words(1 / high, 1 / low)} as much in AI as the US (latest year of {feeds})"
    return f"US/China AI investment ratio: {_ratio_words(low, high)} (latest year of {feeds})"


def _same_estimate(source: str, shared: dict[str, list[str]], upstream: str | None) -> str | None:
    others = shared.get(source)
    if not others:
        return None
    return f"same upstream estimate ({upstream}) as {', '.join(others)}: not independent confirmation"


def funding_chart(funding_gap: pl.DataFrame, sources: dict[str, list[str]]) -> alt.VConcatChart:
    """US and China investment per year, one panel per feed and metric (never mixing sources,
    editions or price bases). `funding_gap`: marts.funding_gap rows; `sources`: credit lines per source."""
    series = funding_series(funding_gap)
    if series.is_empty():
        raise ValueError("no US-China funding series to chart")
    years = list(range(series["year"].min(), series["year"].max() + 1))
    colours = alt.Scale(domain=[country_name(US), country_name(CN)], range=[COUNTRY_COLOURS[US], COUNTRY_COLOURS[CN]])
    shared = shared_upstreams(series)
    panels = []
    for name in series["panel"].unique(maintain_order=True).to_list():
        rows = series.filter(pl.col("panel") == name).with_columns(
            pl.when(pl.col("complete")).then(pl.lit("counted")).otherwise(pl.lit("not fully counted")).alias("status")
        )
        last = rows.filter(pl.col("year") == rows["year"].max())
        us = last.filter(pl.col("country") == country_name(US)).row(0, named=True)
        cn = last.filter(pl.col("country") == country_name(CN)).row(0, named=True)
        note = f"{us['year']}: US {us['usd_bn']:,.1f} vs China {cn['usd_bn']:,.1f} bn"
        note += f" ({us['ratio']:.1f}x)" if us["ratio"] is not None else ""
        if not us["complete"]:
            note += ", year not fully counted (hollow)"
        base = alt.Chart(rows).encode(
            x=alt.X("year:O", title=None, scale=alt.Scale(domain=years), axis=alt.Axis(labelAngle=0, values=[y for y in years if y % 2 == 0])),
            y=alt.Y("usd_bn:Q", title="bn US$"),
            color=alt.Color("country:N", scale=colours, legend=alt.Legend(title=None, orient="bottom")),
            tooltip=[alt.Tooltip("country:N"), alt.Tooltip("year:O"), alt.Tooltip("usd_bn:Q", title="bn US$", format=",.2f"),
                     alt.Tooltip("ratio:Q", title="US/China", format=".1f"), alt.Tooltip("status:N")],
        )  # fmt: skip
        panels.append(
            alt.layer(
                base.mark_line(strokeWidth=2.5, strokeJoin="round"),
                base.mark_point(size=40, strokeWidth=1.5).encode(
                    fill=alt.condition("datum.complete", alt.Color("country:N", scale=colours), alt.value("white"))
                ),
            ).properties(
                width=300, height=170,
                title=alt.TitleParams(name, subtitle=[note, *filter(None, [_same_estimate(us["source"], shared, us["upstream"])])],
                                      anchor="start", fontSize=12, subtitleColor=MUTED),
            )
        )  # fmt: skip
    shown = series["source"].unique(maintain_order=True).to_list()
    footer = _source_lines(shown, sources) + [
        "Chart: aigap, marts.funding_gap (latest edition of each feed, whole market). Each panel is one feed, "
        "one edition and one price basis: feeds measure different things and are never added up or mixed."
    ]
    grid = alt.concat(*panels, columns=2).properties(
        title=alt.TitleParams(
            funding_headline(series),
            subtitle=["US and China AI investment per year, in billions of US dollars, as each feed reports it."],
            anchor="start", fontSize=16, subtitleColor=MUTED,
        )
    )  # fmt: skip
    return alt.vconcat(grid).properties(title=_source_title(footer))


# --- the race by year: the model gap next to the funding gap ----------------------------------------


def race_headline(race: pl.DataFrame) -> str:
    """The latest year that has both measures: the funding ratios and who led each leaderboard."""
    funding = race.filter((pl.col("measure") == "funding_ratio") & (pl.col("series") == pl.col("source")))
    frontier = race.filter(pl.col("measure") == "frontier_gap")
    both = sorted(set(funding["year"]) & set(frontier["year"]))
    if not both:
        return "US vs China by year: no year has both a leaderboard gap and a funding figure yet"
    year = both[-1]
    ratios = [r for r in funding.filter(pl.col("year") == year)["ratio"].to_list() if r is not None]
    gaps = frontier.filter(pl.col("year") == year)
    led = int((gaps["difference"] > 0).sum())
    boards = f"{led} of {len(gaps)} leaderboard" + ("s" if len(gaps) > 1 else "")
    if ratios and min(ratios) > 1:
        return f"{year}: the US out-invested China {_ratio_words(min(ratios), max(ratios))} and led on {boards}"
    money = f"US/China investment {_ratio_words(min(ratios), max(ratios))}" if ratios else "no funding ratio"
    return f"{year}: {money}; the US led on {boards}"


def _upstream_note(funding: pl.DataFrame, shared: dict[str, list[str]]) -> list[str]:
    """One line per upstream estimate drawn under several feeds' names."""
    groups = sorted({tuple(sorted([source, *others])) for source, others in shared.items()})
    lines = []
    for group in groups:
        upstream = funding.filter(pl.col("source") == group[0])["upstream"][0]
        lines.append(
            f"{' and '.join(group)} publish the same upstream estimate ({upstream}): one estimate, "
            "not independent confirmation."
        )
    return lines


def race_chart(race: pl.DataFrame, sources: dict[str, list[str]]) -> alt.VConcatChart:
    """Year by year: each funding feed's US/China ratio above each leaderboard's year-end frontier gap
    (publisher mode), on one year axis. `race`: marts.race_by_year rows; `sources`: credit lines per
    leaderboard and funding source."""
    funding = race.filter((pl.col("measure") == "funding_ratio") & (pl.col("series") == pl.col("source"))
                          & pl.col("ratio").is_not_null())  # fmt: skip
    frontier = race.filter(pl.col("measure") == "frontier_gap")
    if funding.is_empty() and frontier.is_empty():
        raise ValueError("nothing in marts.race_by_year to chart")
    years = list(range(race["year"].min(), race["year"].max() + 1))
    x = alt.X("year:O", title=None, scale=alt.Scale(domain=years), axis=alt.Axis(labelAngle=0))
    rows = []
    if not funding.is_empty():
        # a feed that republishes another's estimate says so in its name (funding-eto and funding-cset are
        # both CSET's: their lines coincide because they are one estimate, not two sources agreeing)
        shared = shared_upstreams(funding)
        same_as = pl.col("source").replace_strict(
            {s: f" (= {', '.join(o)}: same upstream)" for s, o in shared.items()}, default=""
        )
        funding = funding.with_columns(
            pl.concat_str(pl.col("source"), pl.lit(" "), pl.col("metric").replace(METRIC_WORDS), same_as).alias("feed")
        )
        # a dash pattern per feed keeps a line visible under another it coincides with
        feed_legend = alt.Legend(orient="right", labelLimit=460, symbolStrokeWidth=2)
        feeds = sorted(set(funding["feed"]))
        base = alt.Chart(funding).encode(
            x=x,
            y=alt.Y("ratio:Q", title="US / China (x)", scale=alt.Scale(zero=True)),
            color=alt.Color("feed:N", title="funding feed", legend=feed_legend,
                            scale=alt.Scale(domain=feeds, range=[FEED_COLOURS[i % len(FEED_COLOURS)] for i in range(len(feeds))])),
            strokeDash=alt.StrokeDash("feed:N", title="funding feed", legend=feed_legend,
                                      scale=alt.Scale(domain=feeds, range=[FEED_DASHES[i % len(FEED_DASHES)] for i in range(len(feeds))])),
            tooltip=[alt.Tooltip("feed:N"), alt.Tooltip("year:O"), alt.Tooltip("ratio:Q", title="US/China", format=".1f"),
                     alt.Tooltip("as_of:N", title="edition"), alt.Tooltip("complete:N")],
        )  # fmt: skip
        parity = alt.Chart(pl.DataFrame({"one": [1.0]})).mark_rule(color="#888888", strokeDash=[4, 3]).encode(y="one:Q")
        rows.append(
            alt.layer(parity, base.mark_line(strokeWidth=2, strokeJoin="round", point=alt.OverlayMarkDef(filled=False, size=45, strokeWidth=1.5))).properties(
                width=WIDTH, height=180,
                title=alt.TitleParams("Funding: US investment as a multiple of China's (each feed's latest edition)",
                                      subtitle=_upstream_note(funding, shared), anchor="start", fontSize=12,
                                      subtitleColor=MUTED),
            )
        )  # fmt: skip
    for board in frontier["source"].unique(maintain_order=True).sort().to_list():
        facts = leaderboard(board)
        bars = frontier.filter(pl.col("source") == board).with_columns(
            pl.when(pl.col("difference") >= 0).then(pl.lit("US leads")).otherwise(pl.lit("China leads")).alias("lead"),
            # the value and the month of the snapshot it comes from: a "year-end" snapshot may be March
            pl.format("{} ({})", pl.col("difference").round(facts.decimals).map_elements(
                lambda v, d=facts.decimals: _fmt(v, d), return_dtype=pl.String),
                pl.col("as_of").str.to_date(strict=False).dt.strftime("%b")).alias("label"),
        )  # fmt: skip
        base = alt.Chart(bars).encode(
            x=x,
            y=alt.Y("difference:Q", title=f"US minus China ({facts.unit})", scale=alt.Scale(padding=14)),
            tooltip=[alt.Tooltip("year:O"), alt.Tooltip("difference:Q", title=f"US minus China ({facts.unit})",
                     format=f",.{facts.decimals}f"), alt.Tooltip("as_of:N", title="year-end snapshot")],
        )  # fmt: skip
        colour = alt.Color("lead:N", scale=alt.Scale(domain=["US leads", "China leads"],
                           range=[COUNTRY_COLOURS[US], COUNTRY_COLOURS[CN]]), legend=alt.Legend(title=None, orient="right"))  # fmt: skip
        rows.append(
            alt.layer(
                base.mark_bar(size=18).encode(color=colour),
                base.mark_text(dy=-7, fontSize=10, color=MUTED).encode(text="label:N").transform_filter("datum.difference >= 0"),
                base.mark_text(dy=8, fontSize=10, color=MUTED).encode(text="label:N").transform_filter("datum.difference < 0"),
            ).properties(
                width=WIDTH, height=90,
                title=alt.TitleParams(f"Models: {facts.title}, year-end frontier gap ({facts.unit}, publisher mode)",
                                      anchor="start", fontSize=12),
            )
        )  # fmt: skip
    shown = [
        *frontier["source"].unique(maintain_order=True).to_list(),
        *funding["source"].unique(maintain_order=True).to_list(),
    ]
    footer = _source_lines(shown, sources) + [
        "Chart: aigap, marts.race_by_year (frontier gap: each leaderboard's last snapshot of the year, publisher "
        "mode, every model; funding: each feed's latest edition, whole market)."
    ]  # fmt: skip
    stack = alt.vconcat(*rows).properties(
        title=alt.TitleParams(
            race_headline(race),
            subtitle=["US vs China year by year: money (top) next to the best models (below)."],
            anchor="start", fontSize=16, subtitleColor=MUTED,
        )
    ).resolve_scale(color="independent", strokeDash="independent")  # fmt: skip
    return alt.vconcat(stack).properties(title=_source_title(footer))


# --- rendering ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    spec: dict  # the Vega-Lite spec, data inline
    svg: str
    png: bytes


def render(chart: alt.TopLevelMixin, scale: float = 2.0, cache: Path | None = None) -> Rendered:
    """SVG and PNG offline, without a browser (vl-convert bundles the renderer and its fonts).

    Drawing costs ~0.3-0.8 s a chart and the renderer is deterministic, so a drawing is kept per
    process and, with `cache` (a folder: common.settings.cache_dir), on disk under a hash of the spec,
    the scale and the renderer's version: a run whose marts did not change (a no-op) draws nothing."""
    import vl_convert

    spec = chart.to_dict()
    key = cache_files.key("drawing", cache_files.versions("vl-convert-python"), scale, spec)
    if key not in _DRAWN:
        entry = cache / f"chart-{key}.drawn" if cache is not None else None
        drawn = _unpack(cache_files.read(entry)) if entry is not None else None
        if drawn is None:
            drawn = (vl_convert.vegalite_to_svg(spec), vl_convert.vegalite_to_png(spec, scale=scale))
            if entry is not None:
                cache_files.write(entry, _pack(*drawn))
                cache_files.prune(cache, "chart-*.drawn", KEPT_DRAWINGS, spare=entry)
        if len(_DRAWN) >= KEPT_DRAWINGS:
            _DRAWN.pop(next(iter(_DRAWN)))
        _DRAWN[key] = drawn
    svg, png = _DRAWN[key]
    return Rendered(spec, svg, png)


KEPT_DRAWINGS = 32  # a run draws one chart per leaderboard plus two: a few runs' worth
_DRAWN: dict[str, tuple[str, bytes]] = {}


def built(make: Callable[..., alt.TopLevelMixin], *args, cache: Path | None = None, scale: float = 2.0,
          **kwargs) -> Rendered:  # fmt: skip
    """`render(make(*args, **kwargs), scale, cache)`, kept in `cache` under a key of its inputs.

    Building a spec with altair costs ~0.1-0.2 s a chart, only for `render` to find its drawing
    cached: a run whose chart inputs did not change (a no-op) builds nothing. The key covers
    everything the chart is made of: the arguments (frames by their values), the code of `make`'s
    module and of every project module it draws on, and the versions of the libraries that build and
    draw it. Without `cache`, the chart is built and drawn (no disk cache at all)."""
    if cache is None:
        return render(make(*args, **kwargs), scale)
    entry = cache / f"built-{_built_key(make, scale, args, kwargs)}.chart"
    chart = _unpack_built(cache_files.read(entry))
    if chart is None:
        chart = render(make(*args, **kwargs), scale, cache=cache)
        cache_files.write(entry, _pack_built(chart))
        cache_files.prune(cache, "built-*.chart", KEPT_DRAWINGS, spare=entry)
    return chart


CHART_LIBRARIES = ("altair", "vl-convert-python", "polars", "narwhals")  # build, draw, hand frames to altair


def _built_key(make: Callable, scale: float, args: tuple, kwargs: dict) -> str:
    return cache_files.key(
        "built chart", make.__module__, make.__qualname__, cache_files.code_digest(make.__module__),
        cache_files.versions(*CHART_LIBRARIES), scale, args, kwargs,
    )  # fmt: skip


def _pack_built(chart: Rendered) -> bytes:
    spec, svg = json.dumps(chart.spec).encode("utf-8"), chart.svg.encode("utf-8")
    return f"{len(spec)} {len(svg)}\n".encode() + spec + svg + chart.png


def _unpack_built(content: bytes | None) -> Rendered | None:
    if content is None:
        return None
    sizes, _, rest = content.partition(b"\n")
    spec_size, _, svg_size = sizes.partition(b" ")
    if not (spec_size.isdigit() and svg_size.isdigit()) or int(spec_size) + int(svg_size) > len(rest):
        return None
    spec, svg = rest[: int(spec_size)], rest[int(spec_size) : int(spec_size) + int(svg_size)]
    return Rendered(json.loads(spec), svg.decode("utf-8"), rest[int(spec_size) + int(svg_size) :])


def _pack(svg: str, png: bytes) -> bytes:
    text = svg.encode("utf-8")
    return f"{len(text)}\n".encode() + text + png


def _unpack(content: bytes | None) -> tuple[str, bytes] | None:
    if content is None:
        return None
    size, _, rest = content.partition(b"\n")
    if not size.isdigit() or int(size) > len(rest):
        return None
    return rest[: int(size)].decode("utf-8"), rest[int(size) :]


def _vega_javascript(cache: Path | None = None) -> str:
    """Vega, Vega-Lite and vega-embed as one script (~1 MB). vl-convert builds it on every call
    (~1 s), always the same for its version: built once per process (whichever warehouse asks), and
    kept on disk in `cache`."""
    import vl_convert

    version = vl_convert.__version__
    entry = cache / f"vega-{version}.js.entry" if cache is not None else None
    if version not in _JAVASCRIPT:
        content = cache_files.read(entry) if entry is not None else None
        (_KEPT_JAVASCRIPT.add if content is not None else _KEPT_JAVASCRIPT.discard)(entry)  # torn: written again
        _JAVASCRIPT[version] = (content or safe_script(vl_convert.javascript_bundle()).encode("utf-8")).decode()
    if entry is not None and entry not in _KEPT_JAVASCRIPT:
        cache_files.write(entry, _JAVASCRIPT[version].encode("utf-8"))
        cache_files.prune(cache, "vega-*.js.entry", 1, spare=entry)  # another version's is stale
        _KEPT_JAVASCRIPT.add(entry)
    return _JAVASCRIPT[version]


_JAVASCRIPT: dict[str, str] = {}  # vl-convert version -> the script
_KEPT_JAVASCRIPT: set[Path] = set()  # entries this process wrote or read intact


def interactive_html(title: str, specs: list[tuple[str, dict]], cache: Path | None = None) -> str:
    """One self-contained page with every chart, interactive (tooltips; zoom on the gap charts), with
    Vega's JavaScript inlined: it opens offline, from a file, with no CDN, and can be sent alone.
    `cache`: where Vega's JavaScript is kept between processes (see `_vega_javascript`)."""

    def safe(value: str) -> str:  # a spec inside <script>: no "</script>" can close it early
        return value.replace("<", "\\u003c")

    blocks = []
    for index, (heading, _spec) in enumerate(specs):
        blocks.append(f'<section><h2>{_html(heading)}</h2><div id="chart-{index}"></div></section>')
    calls = "\n".join(
        f'vegaEmbed("#chart-{index}", {safe(json.dumps(spec))}, {{"actions": {{"export": true, "source": false, '
        f'"compiled": false, "editor": false}}}});'
        for index, (_, spec) in enumerate(specs)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_html(title)}</title>'
        "<style>body{font-family:sans-serif;margin:24px;color:#222}section{margin-bottom:40px}"
        "h2{font-size:15px;color:#555;font-weight:normal}</style></head><body>"
        f"<h1>{_html(title)}</h1>{''.join(blocks)}"
        f"<script>{_vega_javascript(cache)}</script><script>{calls}</script></body></html>\n"
    )


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_script(code: str) -> str:
    """JavaScript inlined in a page must not contain "</script"."""
    return code.replace("</script", "<\\/script")
