"""Publish a run's report: read its inputs from the warehouse, build it (reports/, pure), then write
it next to the warehouse (warehouse/reports/) and as Prefect artifacts on the flow run.

Called inside the warehouse writer slot, after the run is recorded in meta.runs.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from common.settings import cache_dir, reports_dir
from datasets import credit_line, leaderboard
from reports import charts
from reports.gap_report import RunRecord, latest_gap_records, quarantine_rows, report_markdown, top100_shares
from warehouse import connection

REPORT_KEY = "aigap-gap-report"
QUARANTINE_KEY = "aigap-quarantined-loads"
CHART_KEY = "aigap-gap-chart"
FUNDING_CHART_KEY = "aigap-funding-chart"
INTERACTIVE_PAGE = "charts.html"
# The report shows the headline scope: every model on the board (marts.gap also has filtered scopes).
# Marts are read in one order (ORDER BY ALL): a DuckDB scan returns rows in any order, and a chart
# built from the same rows in another order is another spec (a cache miss, another charts.html).
# A censored gap (the follower not on a truncated list: marts.gap follower_censored) has no value to
# quote or draw: the report and charts read the measured gaps; the CLI states the censored ones.
HEADLINE_GAP = "SELECT * FROM marts.gap WHERE scope = 'all' AND NOT follower_censored ORDER BY ALL"
HEADLINE_TREND = "SELECT * FROM marts.gap_trend WHERE scope = 'all' ORDER BY ALL"
# What reports.gap_report.quarantine_rows reads of meta.loads: the quarantined loads, and the
# publishes of their snapshot keys (which resolve them); not the whole ledger.
OPEN_QUARANTINE_LOADS = """
SELECT load_id, source, snapshot_key, snapshot_date, status, reasons, raw_path, flow_run_id, finished_at
FROM meta.loads AS l
WHERE status = 'quarantined'
   OR (status = 'published' AND EXISTS (SELECT 1 FROM meta.loads AS q WHERE q.status = 'quarantined'
                                        AND q.source = l.source AND q.snapshot_key = l.snapshot_key))
"""


@dataclass(frozen=True)
class ChartFile:
    name: str  # file stem in warehouse/reports/
    caption: str
    rendered: charts.Rendered


@dataclass(frozen=True)
class PublishedReport:
    markdown_path: Path
    chart_paths: list[Path]  # every SVG and PNG written, then the interactive page
    quarantined_rows: int


@dataclass(frozen=True)
class ReportInputs:
    """What a run's report is made of, read once after the marts refresh: the run summary's latest
    gaps (recorded in meta.runs) come from it, then the report itself (after the run is recorded)."""

    gap: pl.DataFrame  # marts.gap, headline scope
    trend: pl.DataFrame | None  # marts.gap_trend, headline scope
    coverage: pl.DataFrame | None  # marts.attribution_coverage
    funding_gap: pl.DataFrame | None
    race: pl.DataFrame | None  # marts.race_by_year
    holes: pl.DataFrame | None  # marts.snapshot_holes
    loads: pl.DataFrame  # meta.loads rows the quarantine table needs (OPEN_QUARANTINE_LOADS)
    published_sources: list[str]  # sources with a published load: whom the charts credit

    def latest_gaps(self) -> list[dict]:
        """The latest gap per leaderboard, mode and pair, with its change over 30 and 90 days, for
        the run summary."""
        return latest_gap_records(self.gap, self.trend)


def read_report_inputs(warehouse: Path) -> ReportInputs:
    with connection.connect(warehouse, read_only=True) as con:
        relations = _relations(con)

        def mart(name: str, sql: str | None = None) -> pl.DataFrame | None:
            sql = sql or f"SELECT * FROM marts.{name} ORDER BY ALL"
            return connection.read_table(con, sql) if ("marts", name) in relations else None

        return ReportInputs(
            gap=connection.read_table(con, HEADLINE_GAP),
            trend=mart("gap_trend", HEADLINE_TREND),
            coverage=mart("attribution_coverage"),
            funding_gap=mart("funding_gap"),
            race=mart("race_by_year"),
            holes=mart("snapshot_holes"),
            loads=connection.read_table(con, OPEN_QUARANTINE_LOADS),
            published_sources=[
                source for (source,) in con.execute(
                    "SELECT DISTINCT source FROM meta.loads WHERE status = 'published' ORDER BY source"
                ).fetchall()
            ],
        )  # fmt: skip


def _run_record(row) -> RunRecord:
    return RunRecord(run_id=row[0], finished_at=row[1], summary=json.loads(row[2] or "{}"))


def _relations(con) -> set[tuple[str, str]]:
    """(schema, name) of every table and view, in one query (the report asks about several)."""
    return set(
        con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() UNION SELECT schema_name, view_name FROM duckdb_views()"
        ).fetchall()
    )


def credits_by_chart_key(published_sources: list[str]) -> dict[str, list[str]]:
    """Credit lines per name a chart shows: a leaderboard gets those of every source that published
    snapshots of it, a funding feed its own."""
    from datasets import registry

    adapters = registry()
    out: dict[str, list[str]] = {}
    for source in sorted(published_sources):
        line = credit_line(source)
        out.setdefault(source, []).append(line)
        board = getattr(adapters.get(source), "leaderboard", None)
        if board:
            out.setdefault(board, []).append(line)
    return out


def build_charts(
    gap: pl.DataFrame,
    funding_gap: pl.DataFrame | None,
    race: pl.DataFrame | None,
    credits: dict[str, list[str]],
    holes: pl.DataFrame | None = None,
    coverage: pl.DataFrame | None = None,
    cache: Path | None = None,
) -> tuple[list[ChartFile], list[ChartFile]]:
    """The gap chart of every leaderboard with a US-China gap (shading marts.snapshot_holes, saying
    how much of the top 100 the headline mode places: marts.attribution_coverage), then the funding
    and race charts. `cache`: where built charts are kept between runs (charts.built); None builds
    and draws every one."""
    margin = charts.us_cn_margin(gap)
    boards = sorted(set(margin["leaderboard"]), key=charts.board_order)
    shares = top100_shares(coverage)
    board_files = []
    for board in boards:
        headline = margin.filter((pl.col("leaderboard") == board) & (pl.col("attribution") == charts.HEADLINE_MODE))
        latest = headline["snapshot_date"].max()
        chart = charts.built(
            charts.board_chart,
            margin.filter(pl.col("leaderboard") == board),  # its rows only: another board's run leaves it be
            board,
            credits.get(board, []),
            holes=charts.holes_of(holes, board) if holes is not None else None,
            top100_share=shares.get((board, latest.isoformat(), charts.HEADLINE_MODE)) if latest else None,
            cache=cache,
        )
        caption = f"US minus China best score on {leaderboard(board).title}"
        board_files.append(ChartFile(f"us-cn-gap-{board}", caption, chart))
    money_files = []
    if funding_gap is not None and not charts.funding_series(funding_gap).is_empty():
        money_files.append(
            ChartFile("us-cn-funding", "US and China AI investment per year, per feed",
                      charts.built(charts.funding_chart, funding_gap, credits, cache=cache))
        )  # fmt: skip
    if race is not None and not race.is_empty():
        money_files.append(
            ChartFile("us-cn-race-by-year", "The model gap next to the funding gap, year by year",
                      charts.built(charts.race_chart, race, credits, cache=cache))
        )  # fmt: skip
    return board_files, money_files


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def chart_artifact_markdown(title: str, files: list[ChartFile], note: str, empty: str) -> str:
    """Charts inlined as data URIs (the UI shows them; no file path of this machine leaks into it)."""
    parts = [f"## {title}", ""]
    if not files:
        return "\n".join([*parts, empty]) + "\n"
    for chart in files:
        parts += [f"![{chart.caption}]({_data_uri(chart.rendered.svg)})", ""]
    names = ", ".join(f"`{c.name}.svg`" for c in files)
    parts.append(
        f"{note} Next to the warehouse, in its `reports/` folder: {names} (and `.png`), and `{INTERACTIVE_PAGE}` "
        "with every chart interactive (tooltips, zoom)."
    )
    return "\n".join(parts) + "\n"


def publish_run_report(warehouse: Path, run_id: str, run_name: str, inputs: ReportInputs) -> PublishedReport:
    """Write run `run_id`'s report (recorded in meta.runs, compared with the run before it) from
    `inputs` (read_report_inputs), next to the warehouse and as artifacts."""
    with connection.connect(warehouse, read_only=True) as con:
        current = con.execute(
            "SELECT run_id, finished_at, summary FROM meta.runs WHERE run_id = ?", [run_id]
        ).fetchone()
        if current is None:
            raise LookupError(f"run {run_id} is not recorded in meta.runs of {warehouse}")
        previous = con.execute(
            "SELECT run_id, finished_at, summary FROM meta.runs WHERE run_id <> ? AND finished_at <= ? "
            "ORDER BY finished_at DESC LIMIT 1",
            [run_id, current[1]],
        ).fetchone()
    run, before = _run_record(current), (_run_record(previous) if previous else None)
    board_files, money_files = build_charts(
        inputs.gap,
        inputs.funding_gap,
        inputs.race,
        credits_by_chart_key(inputs.published_sources),
        holes=inputs.holes,
        coverage=inputs.coverage,
        cache=cache_dir(warehouse),
    )
    quarantined = quarantine_rows(inputs.loads, run_id)

    folder = reports_dir(warehouse)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for chart in [*board_files, *money_files]:
        for suffix, content in ((".svg", chart.rendered.svg), (".png", chart.rendered.png)):
            path = folder / f"{chart.name}{suffix}"
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
            written.append(path)
    page = folder / INTERACTIVE_PAGE
    page.write_text(
        charts.interactive_html(
            f"aigap: US vs China, {run_name}",
            [(c.caption, c.rendered.spec) for c in [*board_files, *money_files]],
            cache=cache_dir(warehouse),
        ),
        encoding="utf-8",
    )
    written.append(page)
    markdown_path = folder / "gap-report.md"
    markdown_path.write_text(
        report_markdown(
            run,
            run_name,
            before,
            inputs.coverage,
            chart_src=[(c.caption, f"{c.name}.svg") for c in [*board_files, *money_files]],
        ),
        encoding="utf-8",
    )

    markdown = report_markdown(run, run_name, before, inputs.coverage)
    markdown += (
        f"\nThe charts are the *{CHART_KEY}* and *{FUNDING_CHART_KEY}* artifacts; this report, the charts and "
        f"`{INTERACTIVE_PAGE}` are also in the `reports/` folder next to the warehouse.\n"
    )
    create_markdown_artifact(markdown, key=REPORT_KEY, description=f"Gap report of {run_name}")
    create_table_artifact(
        quarantined,
        key=QUARANTINE_KEY,
        description=(
            f"{len({r['load_id'] for r in quarantined})} unresolved quarantined load(s), one row per failed check "
            "(reason shortened: the full one is in meta.loads and `aigap status`). raw_file is in `raw/<source>/` next "
            "to the warehouse, its hash cut to 12 characters; raw_path, the last column, is its full path. Empty "
            "when every snapshot passed its gate."
        ),
    )
    create_markdown_artifact(
        chart_artifact_markdown(
            "US–China frontier gap over time",
            board_files,
            "Above zero the US leads, below zero China; one line per attribution mode, broken where the "
            "leaderboard has a hole.",
            empty="No US–China gap yet: no published leaderboard snapshot has both countries on the board.",
        ),
        key=CHART_KEY,
        description="US minus China best score per snapshot, one chart per leaderboard",
    )
    create_markdown_artifact(
        chart_artifact_markdown(
            "Funding: US vs China", money_files,
            "Each feed in its own unit and price basis; feeds are never added up, and feeds that publish the same "
            "upstream estimate (marts.funding_provenance) are labelled as one estimate.",
            empty="No US–China funding series yet: no funding feed is published in this warehouse.",
        ),
        key=FUNDING_CHART_KEY,
        description="US and China AI investment per feed, and next to the model gap by year",
    )  # fmt: skip
    return PublishedReport(markdown_path, written, len(quarantined))
