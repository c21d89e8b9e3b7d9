"""The run report a person reads in the Prefect UI (and in warehouse/reports/): pure functions.

Inputs are a run's summary as meta.runs stores it (`RunSummary.to_json()`), the previous run's
summary, and frames read from the warehouse (marts.gap, marts.attribution_coverage if it exists,
meta.loads). Outputs are markdown and plain rows; nothing here talks to Prefect or DuckDB.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from datasets import leaderboard
from marts.gaps import TREND_WINDOWS
from reports.charts import HEADLINE_MODE, MODES, board_order
from reports.wording import AT_LEAST, AT_LEAST_MEANS, coverage_phrase, in_prose, lag_phrase

STATUSES = ("published", "skipped", "quarantined")
PAIR_KEY = ("leaderboard", "attribution", "pair")
HEADLINE_PAIR = "US–CN"
# marts.gap's time lag: days behind, or censored with a lower bound (reports.wording.lag_phrase words it)
LAG_COLUMNS = ("lag_days", "lag_censored", "lag_days_at_least")
SHORT_REASON = 60  # characters of a quarantine reason in the table; the ledger keeps all of it


@dataclass(frozen=True)
class RunRecord:
    """A row of meta.runs: the run id, when it finished and its summary (decoded JSON)."""

    run_id: str
    finished_at: datetime | None
    summary: dict


def _pair_label(a: str, b: str) -> str:
    """Order-free name of a country pair, the US first when it is in it ("US–CN", "CN–FR")."""
    first, second = sorted([a, b], key=lambda c: (c != "US", c))
    return f"{first}–{second}"


def _trends_by_row(trend: pl.DataFrame | None) -> dict[tuple, list[dict]]:
    """marts.gap_trend rows (one scope) -> (leaderboard, attribution, pair, snapshot date) -> each
    window's comparison, in window order (JSON-ready)."""
    if trend is None or trend.is_empty():
        return {}
    out: dict[tuple, list[dict]] = {}
    for t in trend.sort("window_days").iter_rows(named=True):
        key = (t["leaderboard"], t["attribution"], t["pair"], t["snapshot_date"])
        out.setdefault(key, []).append(
            {
                "window_days": t["window_days"],
                "compared_with": t["compared_with"].isoformat() if t["compared_with"] else None,
                "country_a": t["country_a"],
                "country_b": t["country_b"],
                "gap_then": t["gap_then"],  # first country of the pair minus the second, then
                "abs_gap_change": t["abs_gap_change"],
                "trend": t["trend"],
            }
        )
    return out


def latest_gap_records(gap: pl.DataFrame, trend: pl.DataFrame | None = None) -> list[dict]:
    """The latest snapshot's gap per leaderboard, attribution mode and country pair (JSON-ready),
    with its time lag (marts.gap: censored lags carry their lower bound) and, when `trend`
    (marts.gap_trend, same scope) is given, its change over 30 and 90 days (`trends`).

    Stored in each run's summary, so the next run can say what changed since.
    """
    if gap.is_empty():
        return []
    latest = (
        gap.sort("snapshot_date")
        .with_columns(
            pl.struct("leader", "follower")
            .map_elements(lambda r: _pair_label(r["leader"], r["follower"]), return_dtype=pl.String)
            .alias("pair_label"),
            *([] if "pair" in gap.columns else [pl.lit(None, dtype=pl.String).alias("pair")]),
        )
        .group_by("leaderboard", "attribution", "pair_label", maintain_order=True)
        .last()
        .sort("leaderboard", "attribution", "pair_label")
    )
    if trend is not None:  # the trend rows of the latest snapshots only (the mart has one per snapshot)
        trend = trend.join(latest.select(*PAIR_KEY, "snapshot_date"), on=[*PAIR_KEY, "snapshot_date"], how="semi")
    trends = _trends_by_row(trend)
    return [
        {
            "leaderboard": r["leaderboard"],
            "attribution": r["attribution"],
            "pair": r["pair_label"],
            "snapshot_date": r["snapshot_date"].isoformat(),
            "leader": r["leader"],
            "follower": r["follower"],
            "leader_score": r["leader_score"],
            "follower_score": r["follower_score"],
            "gap": r["gap"],
            **{k: r.get(k) for k in LAG_COLUMNS},
            **(
                {"trends": trends.get((r["leaderboard"], r["attribution"], r["pair"], r["snapshot_date"]), [])}
                if trend is not None
                else {}
            ),
        }
        for r in latest.iter_rows(named=True)
    ]


def change_since(current: dict, previous: dict | None) -> str:
    """How the gap moved since the previous run, in the current leader's favour."""
    if previous is None:
        return "new"
    before = previous["gap"] if previous["leader"] == current["leader"] else -previous["gap"]
    delta = round(current["gap"] - before, 6)
    if previous["leader"] != current["leader"]:
        return f"lead changed: {previous['leader']} was ahead by {previous['gap']:.2f}"
    if delta == 0:
        same_snapshot = previous["snapshot_date"] == current["snapshot_date"]
        return "no new snapshot" if same_snapshot else f"unchanged since {previous['snapshot_date']}"
    trend = "widening" if delta > 0 else "narrowing"
    return f"{delta:+.2f} ({trend}; was {previous['gap']:.2f} on {previous['snapshot_date']})"


def gap_changes(current: list[dict], previous: list[dict] | None) -> list[dict]:
    """Each current latest gap with `change`: what moved since the previous run's latest gaps."""
    if previous is None:
        return [{**row, "change": "first recorded run"} for row in current]
    before = {tuple(r[k] for k in PAIR_KEY): r for r in previous}
    return [{**row, "change": change_since(row, before.get(tuple(row[k] for k in PAIR_KEY)))} for row in current]


def latest_coverage(coverage: pl.DataFrame) -> pl.DataFrame:
    """The latest snapshot's attribution coverage per leaderboard and mode."""
    return (
        coverage.sort("snapshot_date")
        .group_by("leaderboard", "mode", maintain_order=True)
        .last()
        .sort("leaderboard", "mode")
        .select(
            "leaderboard", "mode", "snapshot_date", "rows_share", "top100_share",
            *(c for c in ("top100_chain_share", "top100_architecture_share") if c in coverage.columns),
        )
    )  # fmt: skip


def _reasons(raw: str | None) -> list[dict]:
    try:
        reasons = json.loads(raw or "[]")
    except json.JSONDecodeError:
        return [{"reason": str(raw)}]
    return reasons if isinstance(reasons, list) else [{"reason": str(reasons)}]


# Great Expectations check names, as a person reads them in a narrow table column.
CHECK_WORDS = {
    "expect_column_values_to_be_between": "range",
    "expect_column_values_to_not_be_null": "not null",
    "expect_column_values_to_be_in_set": "allowed values",
    "expect_column_values_to_match_regex": "pattern",
    "expect_column_values_to_be_unique": "unique",
    "expect_compound_columns_to_be_unique": "unique rows",
    "expect_column_values_to_be_of_type": "type",
    "expect_column_values_to_be_in_type_list": "type",
    "expect_column_to_exist": "column exists",
    "expect_table_row_count_to_be_between": "row count",
    "expect_column_pair_values_a_to_be_greater_than_b": "column order",
}


def short_check(reason: dict) -> str:
    """The check that failed, short: "average: range", "parse", "world_total_consistency"."""
    check = str(reason.get("check", ""))
    words = CHECK_WORDS.get(check, check.removeprefix("expect_"))
    return f"{reason['column']}: {words}" if reason.get("column") else words


def short_raw_file(raw_path: str | None) -> str:
    """The raw file's name with its sha256 cut to 12 characters (as in the load id): enough to find it
    in raw/<source>/, short enough for the table to keep it on screen."""
    name = (raw_path or "").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    head, dot2, digest = stem.rpartition(".")
    if dot and dot2 and len(digest) == 64:
        return f"{head}.{digest[:12]}….{suffix}"
    return name


def short_reason(text: str, limit: int = SHORT_REASON) -> str:
    """A reason cut to one table cell; the full text stays in meta.loads (and `aigap status`)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quarantine_rows(loads: pl.DataFrame, run_id: str | None) -> list[dict]:
    """Quarantined loads still unresolved (no publish of the same snapshot key since), one row per reason.

    `loads` is meta.loads. A quarantined load of this run is always listed; an older one stays
    listed until corrected content under the same key is published. Columns in reading order, so
    that a narrow table keeps the first ones on screen: what (source, snapshot), when (quarantined),
    which check and why (short), the raw file (in raw/<source>/), then the load id and the full raw
    path; the full reason stays in the ledger (meta.loads, `aigap status`).
    """
    if loads.is_empty():
        return []
    published = (
        loads.filter(pl.col("status") == "published")
        .group_by("source", "snapshot_key")
        .agg(pl.col("finished_at").max().alias("last_published"))
    )
    open_loads = (
        loads.filter(pl.col("status") == "quarantined")
        .join(published, on=["source", "snapshot_key"], how="left")
        .filter(pl.col("last_published").is_null() | (pl.col("last_published") < pl.col("finished_at")))
        .sort("source", "snapshot_date", "snapshot_key", nulls_last=True)
    )
    rows = []
    for load in open_loads.iter_rows(named=True):
        seen = "this run" if run_id and load["flow_run_id"] == run_id else f"earlier, {load['finished_at']:%Y-%m-%d}"
        for reason in _reasons(load["reasons"]):
            rows.append(
                {
                    "source": load["source"],
                    "snapshot": load["snapshot_key"],
                    "quarantined": seen,
                    "check": short_check(reason),
                    # the check column already names the column: "average: range", "520 of 520 values ..."
                    "reason": short_reason(str(reason.get("reason", "")).removeprefix(f"{reason.get('column')}: ")),
                    "raw_file": short_raw_file(load["raw_path"]),
                    "load_id": load["load_id"],
                    "raw_path": load["raw_path"] or "",
                }
            )
    return rows


# Markdown and HTML syntax, escaped in text that comes from data (file names, headers, reasons).
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")  # inline syntax; the text never starts a line
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def md_text(value) -> str:
    """Text from data, safe inside the report's markdown: no HTML, links, emphasis, code spans or
    table cells can come out of a file name or a CSV header, and no line breaks (one line, one item)."""
    text = _CONTROL.sub(" ", "" if value is None else str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", text)


def md_code(value) -> str:
    """A name from data as an inline code span: nothing in it is markdown or HTML; a backtick inside
    would end the span, so it becomes a quote."""
    return "`" + _CONTROL.sub(" ", str(value)).replace("`", "'") + "`"


# --- the answer first: one sentence per leaderboard, then compact tables --------------------------


def _score(value: float, board: str) -> str:
    return f"{value:,.{leaderboard(board).decimals}f}"


def _amount(value: float, board: str) -> str:
    facts = leaderboard(board)
    return f"{value:,.{facts.decimals}f} {facts.unit}"


def _change_clause(change: str) -> str:
    if change in ("first recorded run", "new"):
        return "first value recorded (no earlier run to compare with)"
    return f"since the previous run: {change}"


def trend_clause(row: dict) -> str | None:
    """The change over the shortest window with a comparison: "over 90 days (vs 2024-12-11): the lead
    changed (the US led by 0.99 points)", "over 30 days (vs ...): widening by 4 Elo (from 32)"; with no
    snapshot near enough in any window, says so. None when the record carries no trends."""
    if "trends" not in row:
        return None
    known = [t for t in row["trends"] if t.get("trend")]
    if not known:
        windows = " or ".join(str(w) for w in TREND_WINDOWS)
        return f"no snapshot near {windows} days earlier to compare with"
    t, board = known[0], row["leaderboard"]
    head = f"over {t['window_days']} days (vs {t['compared_with']})"
    then = abs(t["gap_then"])
    if t["trend"] == "leader changed":
        led = t["country_a"] if t["gap_then"] > 0 else t["country_b"]
        return f"{head}: the lead changed ({in_prose(led)} led by {_amount(then, board)})"
    if t["trend"] == "flat":
        return f"{head}: flat (was {_amount(then, board)})"
    return f"{head}: {t['trend']} by {_amount(abs(t['abs_gap_change']), board)} (from {_score(then, board)})"


def headline_sentence(row: dict, change: str, top100_share: float | None = None) -> str:
    """One sentence with the answer for a leaderboard: who leads, by how much, as of which snapshot
    (and how much of the top 100 the mode can place, when not all), how many days behind the other
    is ("at least N days" when censored), the change over 30/90 days, and since the last run.

    `row`: a latest_gap_records entry; `change`: change_since's answer; `top100_share`:
    marts.attribution_coverage of that snapshot and mode."""
    board, leader, follower = row["leaderboard"], row["leader"], row["follower"]
    facts = leaderboard(board)
    scores = f"{_score(row['leader_score'], board)} vs {_score(row['follower_score'], board)}"
    if top100_share is not None and top100_share < 1:
        scores += f"; {coverage_phrase(top100_share)}"
    if round(row["gap"], facts.decimals) == 0:
        lead = f"{in_prose(leader)} and {in_prose(follower)} are level ({scores})"
    else:
        lead = f"{in_prose(leader)} leads {in_prose(follower)} by {_amount(row['gap'], board)} ({scores})"
    clauses = [
        lead,
        lag_phrase(follower, row.get("lag_days"), row.get("lag_censored"), row.get("lag_days_at_least"), form="prose"),
        trend_clause(row),
        _change_clause(change),
    ]
    return f"**{facts.title}**, {row['snapshot_date']}: " + "; ".join(c for c in clauses if c) + "."


def _behind(row: dict) -> str:
    return lag_phrase(
        row["follower"], row.get("lag_days"), row.get("lag_censored"), row.get("lag_days_at_least"), form="cell"
    )


SAME_VALUE = ("snapshot_date", "leader", "follower", "leader_score", "follower_score", "gap", *LAG_COLUMNS,
              "change")  # fmt: skip


def collapse_modes(rows: list[dict]) -> list[dict]:
    """One row for attribution modes that give the same answer on a leaderboard and pair, named after
    them ("all modes" when every mode agrees, else "lineage = family"), so a table does not repeat it."""
    modes_of: dict[tuple, list[str]] = {}
    for row in rows:
        modes_of.setdefault((row["leaderboard"], row["pair"]), []).append(row["attribution"])
    out: list[dict] = []
    seen: dict[tuple, dict] = {}
    for row in rows:
        key = (row["leaderboard"], row["pair"], *(row.get(k) for k in SAME_VALUE))
        if key in seen:
            seen[key]["modes"].append(row["attribution"])
            continue
        seen[key] = {**row, "modes": [row["attribution"]]}
        out.append(seen[key])
    for row in out:
        every = modes_of[(row["leaderboard"], row["pair"])]
        row["attribution"] = "all modes" if len(row["modes"]) == len(every) > 1 else " = ".join(row["modes"])
    return out


def _mode_order(row: dict) -> tuple:
    mode = row["attribution"]
    return (board_order(row["leaderboard"]), row["pair"], MODES.index(mode) if mode in MODES else len(MODES), mode)


def _gap_cell(row: dict) -> str:
    return f"{row['leader']} +{_amount(row['gap'], row['leaderboard'])}"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return md_text(value)


def _table(headers: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return lines


def _percent(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.1f}%"


def top100_shares(coverage: pl.DataFrame | None) -> dict[tuple[str, str, str], float]:
    """(leaderboard, snapshot date, mode) -> share of the top 100 with a known country."""
    if coverage is None or coverage.is_empty():
        return {}
    return {
        (r["leaderboard"], r["snapshot_date"].isoformat(), r["mode"]): r["top100_share"]
        for r in coverage.select("leaderboard", "snapshot_date", "mode", "top100_share").iter_rows(named=True)
    }


def answer_lines(changes: list[dict], shares: dict[tuple[str, str, str], float] | None = None) -> list[str]:
    """The report's opening: one sentence per leaderboard (US-China, publisher mode, all models);
    `shares`: top100_shares of the attribution coverage."""
    headline = sorted(
        (r for r in changes if r["pair"] == HEADLINE_PAIR and r["attribution"] == HEADLINE_MODE),
        key=lambda r: board_order(r["leaderboard"]),
    )
    if not headline:
        return ["No US–China gap published yet (no snapshot with both countries on the board)."]
    shares = shares or {}
    lines = [
        f"- {headline_sentence(r, r['change'], shares.get((r['leaderboard'], r['snapshot_date'], r['attribution'])))}"
        for r in headline
    ]
    lines += [
        "",
        f"US–China, {HEADLINE_MODE} attribution, every model on the board (scope `all`). *Days behind*: how long "
        "before the snapshot the leader first reached the follower's current best score. How to quote these: "
        "docs/methodology.md, *Publishing a number*.",
    ]
    if any(r.get("lag_censored") for r in headline):
        lines += ["", f"*{AT_LEAST[0].upper()}{AT_LEAST[1:]}*: {AT_LEAST_MEANS}."]
    if any("trends" in r for r in headline):
        windows = " and ".join(f"{w} days (±{t})" for w, t in TREND_WINDOWS.items())
        lines += [
            "",
            f"*Over N days*: against the snapshot nearest to {windows} before, by calendar date "
            "(`marts.gap_trend`); none when no snapshot lies that near.",
        ]
    return lines


def report_markdown(
    run: RunRecord,
    run_name: str,
    previous: RunRecord | None,
    coverage: pl.DataFrame | None,
    chart_src: list[tuple[str, str]] | None = None,
) -> str:
    """The gap report: the answer first (a sentence per leaderboard, then compact tables), then the
    loads of this run, coverage, and the charts (`chart_src`: (caption, image path) pairs)."""
    summary = run.summary
    quarantined = [load for load in summary.get("loads", []) if load["status"] == "quarantined"]
    marts = summary.get("marts")
    finished = f"{run.finished_at:%Y-%m-%d %H:%M} UTC" if run.finished_at else "now"
    verdict = (
        "OK"
        if not quarantined and not summary.get("errors") and (not marts or marts["published"])
        else "NEEDS ATTENTION"
    )
    loads_note = f" ({len(quarantined)} snapshot(s) quarantined: see *Loads in this run*)" if quarantined else ""
    lines = [
        f"# aigap gap report: {md_text(run_name)}",
        "",
        f"**{verdict}**{loads_note} · run `{run.run_id}` · {finished}",
        "",
    ]

    current = summary.get("latest_gaps") or []
    changes = gap_changes(current, previous.summary.get("latest_gaps") if previous else None) if current else []
    lines += ["## The answer", "", *answer_lines(changes, top100_shares(coverage))]

    if changes:
        # Narrow enough for the Prefect UI at a laptop's width (its tables do not wrap): the scores and
        # models of every row are in marts.latest_gap.
        us_cn = collapse_modes(sorted((r for r in changes if r["pair"] == HEADLINE_PAIR), key=_mode_order))
        others = sorted(
            (r for r in changes if r["pair"] != HEADLINE_PAIR and r["attribution"] == HEADLINE_MODE),
            key=lambda r: (r["pair"], *_mode_order(r)),
        )
        if us_cn:
            lines += ["", "## US–China in every attribution mode", ""]
            lines += _table(
                ["leaderboard", "attribution", "snapshot", "gap", "behind", "since previous run"],
                [[r["leaderboard"], r["attribution"], r["snapshot_date"], _gap_cell(r), _behind(r), r["change"]]
                 for r in us_cn],
            )  # fmt: skip
        if others:
            lines += ["", f"## Other country pairs ({HEADLINE_MODE} attribution)", ""]
            lines += _table(
                ["pair", "leaderboard", "snapshot", "gap", "behind", "since previous run"],
                [[r["pair"], r["leaderboard"], r["snapshot_date"], _gap_cell(r), _behind(r), r["change"]]
                 for r in others],
            )  # fmt: skip
        change = (
            f"change is measured against the previous run `{previous.run_id}`"
            + (f" ({previous.finished_at:%Y-%m-%d %H:%M} UTC)" if previous.finished_at else "")
            + ", positive when the leader pulled further ahead"
            if previous
            else "there is no previous run to measure a change against"
        )
        lines += [
            "",
            "Gap = leader's best score minus the follower's, in the leaderboard's unit (Elo on the Arena, 0-100 "
            f"points on the Open LLM boards); {change}. *all modes*: publisher, lineage and family attribution give the same answer. "
            "Each row's snapshot is the latest with both countries on the board. Scores, models and the other "
            "pairs in every mode: `marts.latest_gap`.",
        ]

    lines += ["", "## Loads in this run", ""]
    counts = summary.get("counts") or {}
    if counts:
        lines += _table(["source", *STATUSES], [[s, *(c.get(k, 0) for k in STATUSES)] for s, c in counts.items()])
    else:
        lines.append(summary.get("note") or "No snapshot was loaded in this run (no source selected).")
    for load in quarantined:
        reasons = "; ".join(md_text(r) for r in load["reasons"])
        lines += ["", f"- **QUARANTINED** {md_code(load['source'])} {md_code(load['snapshot_key'])}: {reasons}"]
    if quarantined:
        lines += [
            "",
            "Nothing of a quarantined snapshot was published and its raw bytes are kept; the "
            "*aigap-quarantined-loads* table lists every unresolved one with its checks and raw file.",
        ]
    for error in summary.get("errors") or []:
        lines += ["", f"- **SOURCE ERROR** {md_text(error)}"]
    if marts is not None:
        if marts["published"]:
            rows = ", ".join(f"{t} {n}" for t, n in marts["rows"].items())
            lines += ["", f"Marts refreshed: {rows} rows."]
        else:
            lines += [
                "",
                "**Marts NOT refreshed** (last good state kept): " + "; ".join(md_text(r) for r in marts["reasons"]),
            ]

    lines += ["", "## Attribution coverage", ""]
    if coverage is None:
        lines.append(
            "Attribution coverage is not available: this warehouse has no `marts.attribution_coverage` table yet."
        )
    elif coverage.is_empty():
        lines.append("Attribution coverage: `marts.attribution_coverage` is empty.")
    else:
        lines += _table(
            # short headers: the table must fit the Prefect UI's text column (explained below it)
            ["leaderboard", "mode", "snapshot", "rows", "top 100", "chain", "architecture"],
            [[r["leaderboard"], r["mode"], r["snapshot_date"], _percent(r["rows_share"]), _percent(r["top100_share"]),
              _percent(r.get("top100_chain_share")), _percent(r.get("top100_architecture_share"))]
             for r in latest_coverage(coverage).iter_rows(named=True)],
        )  # fmt: skip
        lines += [
            "",
            "*rows*, *top 100*: share of the board's rows, and of its top 100, whose country is known in that "
            "mode; the rest is `unattributed`. *chain*, *architecture* (lineage only): the top-100 share placed "
            "through a base-model chain to a foundation-model developer (reported or curated edges), and by an "
            "architecture whose weights come from one developer alone (`marts.attribution_coverage`).",
        ]

    if chart_src:
        lines += ["", "## Charts", ""]
        for caption, src in chart_src:
            lines += [f"![{caption}]({src})", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
