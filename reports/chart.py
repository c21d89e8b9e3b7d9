"""The US–China frontier gap over time, one panel per leaderboard, as a dependency-free SVG.

The signed margin is US best score minus China best score (positive: the US leads), one line per
attribution mode. Plain SVG text keeps the chart readable in a browser, in the Prefect UI (as a
data URI inside a markdown artifact) and in a git diff, without a plotting library.
"""

from __future__ import annotations

import math
from datetime import date
from xml.sax.saxutils import escape

import polars as pl

US, CN = "US", "CN"
WIDTH = 760
PANEL_HEIGHT = 230
LEFT, RIGHT, TOP, BOTTOM = 64, 150, 34, 42
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def us_cn_margin(gap: pl.DataFrame) -> pl.DataFrame:
    """marts.gap rows of the US/CN pair -> leaderboard, attribution, snapshot_date, margin (US - CN)."""
    pair = ((pl.col("leader") == US) & (pl.col("follower") == CN)) | (
        (pl.col("leader") == CN) & (pl.col("follower") == US)
    )
    return (
        gap.filter(pair)
        .select(
            "leaderboard",
            "attribution",
            "snapshot_date",
            pl.when(pl.col("leader") == US).then(pl.col("gap")).otherwise(-pl.col("gap")).alias("margin"),
        )
        .sort("leaderboard", "attribution", "snapshot_date")
    )


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering [low, high]."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def date_ticks(first: date, last: date, count: int = 5) -> list[date]:
    if first == last:
        return [first]
    span = (last - first).days
    days = sorted({round(span * i / (count - 1)) for i in range(count)})
    return [date.fromordinal(first.toordinal() + d) for d in days]


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _panel(board: str, series: pl.DataFrame, modes: list[str], top: float) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, PANEL_HEIGHT - TOP - BOTTOM
    y0 = top + TOP
    days = series["snapshot_date"].to_list()
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    margins = series["margin"].to_list()
    ticks = nice_ticks(min(0.0, *margins), max(0.0, *margins))
    low, high = ticks[0], ticks[-1]

    def x(day: date) -> float:
        if first == last:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return y0 + plot_h * (high - value) / (high - low)

    out = [
        f'<text x="{LEFT}" y="{top + 20}" class="title">{escape(board)}: US minus China frontier score (points)</text>',
        f'<rect x="{LEFT}" y="{y0}" width="{plot_w}" height="{plot_h}" class="frame"/>',
    ]
    for tick in ticks:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{_fmt(y(tick))}" y2="{_fmt(y(tick))}" class="grid"/>')
        out.append(f'<text x="{LEFT - 6}" y="{_fmt(y(tick) + 4)}" class="tick" text-anchor="end">{tick:g}</text>')
    out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{_fmt(y(0))}" y2="{_fmt(y(0))}" class="zero"/>')
    out.append(f'<text x="{LEFT + 6}" y="{y0 + 14}" class="side">▲ US ahead</text>')
    out.append(f'<text x="{LEFT + 6}" y="{y0 + plot_h - 6}" class="side">▼ China ahead</text>')
    for day in date_ticks(first, last):
        out.append(
            f'<text x="{_fmt(x(day))}" y="{y0 + plot_h + 18}" class="tick" text-anchor="middle">{day.isoformat()}</text>'
        )
    for index, mode in enumerate(modes):
        colour = COLOURS[index % len(COLOURS)]
        line = series.filter(pl.col("attribution") == mode)
        if line.is_empty():
            continue
        points = list(zip(line["snapshot_date"].to_list(), line["margin"].to_list(), strict=True))
        path = " ".join(f"{_fmt(x(d))},{_fmt(y(m))}" for d, m in points)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2" data-mode="{escape(mode)}"/>'
        )
        for d, m in points:
            out.append(
                f'<circle cx="{_fmt(x(d))}" cy="{_fmt(y(m))}" r="3" fill="{colour}">'
                f"<title>{escape(mode)} {d.isoformat()}: {m:+.2f}</title></circle>"
            )
        legend_y = y0 + 14 + 18 * index
        out.append(
            f'<line x1="{WIDTH - RIGHT + 14}" x2="{WIDTH - RIGHT + 34}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        last_margin = points[-1][1]
        out.append(
            f'<text x="{WIDTH - RIGHT + 40}" y="{legend_y}" class="legend">{escape(mode)} {last_margin:+.2f}</text>'
        )
    return out


def gap_chart_svg(margin: pl.DataFrame) -> str:
    """One panel per leaderboard; `margin` as returned by us_cn_margin."""
    boards = sorted(margin["leaderboard"].unique().to_list()) if not margin.is_empty() else []
    modes = sorted(margin["attribution"].unique().to_list()) if not margin.is_empty() else []
    height = PANEL_HEIGHT * max(len(boards), 1)
    body: list[str] = []
    if not boards:
        body.append(
            f'<text x="{WIDTH / 2}" y="{height / 2}" class="title" text-anchor="middle">'
            "No US–China gap yet: no published leaderboard snapshot has both countries on the board.</text>"
        )
    for index, board in enumerate(boards):
        body.extend(_panel(board, margin.filter(pl.col("leaderboard") == board), modes, index * PANEL_HEIGHT))
    style = (
        "text{font-family:sans-serif;fill:#222}.title{font-size:14px;font-weight:bold}.tick{font-size:11px;fill:#555}"
        ".side{font-size:11px;fill:#777}.legend{font-size:12px}.frame{fill:#fff;stroke:#ccc}"
        ".grid{stroke:#eee}.zero{stroke:#888;stroke-dasharray:4 3}"
    )
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img">',
            "<title>US–China frontier gap over time, per leaderboard</title>",
            f"<style>{style}</style>",
            f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
            *body,
            "</svg>",
            "",
        ]
    )
