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

STATUSES = ("published", "skipped", "quarantined")
PAIR_KEY = ("leaderboard", "attribution", "pair")


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


def lag_phrase(follower: str, lag: int | None, censored: bool | None, at_least: int | None) -> str:
    """ "CN 281 days behind", or "CN at least 90 days behind" when the lag is censored (the record
    does not show when the leader got there: marts.gap.lag_censored); never a 0 meaning "unknown"."""
    if censored and at_least is not None:
        return f"{follower} at least {at_least} days behind (the record does not show when the leader got there)"
    return f"{follower} {lag} days behind" if lag is not None else ""


def latest_gap_records(gap: pl.DataFrame) -> list[dict]:
    """The latest snapshot's gap per leaderboard, attribution mode and country pair (JSON-ready).

    Stored in each run's summary, so the next run can say what changed since.
    """
    if gap.is_empty():
        return []
    latest = (
        gap.sort("snapshot_date")
        .with_columns(
            pl.struct("leader", "follower")
            .map_elements(lambda r: _pair_label(r["leader"], r["follower"]), return_dtype=pl.String)
            .alias("pair")
        )
        .group_by(PAIR_KEY, maintain_order=True)
        .last()
        .sort(PAIR_KEY)
    )
    return [
        {
            "leaderboard": r["leaderboard"],
            "attribution": r["attribution"],
            "pair": r["pair"],
            "snapshot_date": r["snapshot_date"].isoformat(),
            "leader": r["leader"],
            "follower": r["follower"],
            "leader_score": r["leader_score"],
            "follower_score": r["follower_score"],
            "gap": r["gap"],
            **{k: r.get(k) for k in ("lag_days", "lag_censored", "lag_days_at_least")},
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


def quarantine_rows(loads: pl.DataFrame, run_id: str | None) -> list[dict]:
    """Quarantined loads still unresolved (no publish of the same snapshot key since), one row per reason.

    `loads` is meta.loads. A quarantined load of this run is always listed; an older one stays
    listed until corrected content under the same key is published.
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
        when = load["finished_at"].strftime("%Y-%m-%d %H:%M UTC")
        seen = "this run" if run_id and load["flow_run_id"] == run_id else f"earlier run, {when}"
        for reason in _reasons(load["reasons"]):
            rows.append(
                {
                    "snapshot": load["snapshot_key"],
                    "reason": reason.get("reason", ""),
                    "quarantined": seen,
                    "source": load["source"],
                    "snapshot_date": load["snapshot_date"].isoformat() if load["snapshot_date"] else "",
                    "check": reason.get("check", ""),
                    "raw_path": load["raw_path"] or "",
                    "load_id": load["load_id"],
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


def report_markdown(
    run: RunRecord,
    run_name: str,
    previous: RunRecord | None,
    coverage: pl.DataFrame | None,
    chart_src: str | None = None,
) -> str:
    """The gap report: loads of this run, latest gaps and their change, coverage, the chart."""
    summary = run.summary
    quarantined = [load for load in summary.get("loads", []) if load["status"] == "quarantined"]
    marts = summary.get("marts")
    finished = f"{run.finished_at:%Y-%m-%d %H:%M} UTC" if run.finished_at else "now"
    verdict = (
        "OK"
        if not quarantined and not summary.get("errors") and (not marts or marts["published"])
        else "NEEDS ATTENTION"
    )
    lines = [f"# aigap gap report: {md_text(run_name)}", "", f"**{verdict}** · run `{run.run_id}` · {finished}", ""]

    lines += ["## Loads in this run", ""]
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

    lines += ["", "## Latest gap per leaderboard and country pair", ""]
    current = summary.get("latest_gaps") or []
    if current:
        changes = gap_changes(current, previous.summary.get("latest_gaps") if previous else None)
        lines += _table(
            ["leaderboard", "attribution", "pair", "snapshot", "gap", "frontier scores", "time lag",
             "change since previous run"],
            [[r["leaderboard"], r["attribution"], r["pair"], r["snapshot_date"], f"{r['leader']} +{r['gap']:.2f}",
              f"{r['leader']} {r['leader_score']:.2f}, {r['follower']} {r['follower_score']:.2f}",
              lag_phrase(r["follower"], r.get("lag_days"), r.get("lag_censored"), r.get("lag_days_at_least")),
              r["change"]]
             for r in changes],
        )  # fmt: skip
        basis = (
            f"the previous run `{previous.run_id}`"
            + (f" ({previous.finished_at:%Y-%m-%d %H:%M} UTC)" if previous.finished_at else "")
            if previous
            else "no previous run"
        )
        lines += [
            "",
            f"Gap = leader's best score minus the follower's, in the leaderboard's own points; change is "
            f"measured against {basis}, positive when the leader pulled further ahead.",
        ]
    else:
        lines.append("No gap published yet (no snapshot with both countries of a pair on the board).")

    lines += ["", "## Attribution coverage", ""]
    if coverage is None:
        lines.append(
            "Attribution coverage is not available: this warehouse has no `marts.attribution_coverage` table yet."
        )
    elif coverage.is_empty():
        lines.append("Attribution coverage: `marts.attribution_coverage` is empty.")
    else:
        lines += _table(
            ["leaderboard", "mode", "snapshot", "rows attributed", "top 100 attributed",
             "top 100 by lineage chain", "top 100 by exclusive architecture"],
            [[r["leaderboard"], r["mode"], r["snapshot_date"], _percent(r["rows_share"]), _percent(r["top100_share"]),
              _percent(r.get("top100_chain_share")), _percent(r.get("top100_architecture_share"))]
             for r in latest_coverage(coverage).iter_rows(named=True)],
        )  # fmt: skip
        lines += [
            "",
            "Share of the board's rows (and of its top 100) whose country is known; the rest is `unattributed`. "
            "Lineage is split by how it was found: a base-model chain to a foundation-model developer (reported "
            "or curated edges), or an architecture whose weights come from one developer alone.",
        ]

    if chart_src:
        lines += ["", "## US–China gap over time", "", f"![US minus China frontier score per leaderboard]({chart_src})"]
    return "\n".join(lines) + "\n"
