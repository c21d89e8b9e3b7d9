"""Time travel and retention of a DuckLake warehouse.

Every commit to a DuckLake is a snapshot. The commit that records a run in meta.runs is labelled
with its run id (runs.save_run), so "the warehouse as it was after run R" is one snapshot id, and
`aigap sql --as-of R` reads exactly what that run's report quoted. A timestamp reads the latest
snapshot committed at or before it.

Retention (`aigap expire`): every snapshot of the last KEEP_DAYS days is kept; older ones are
expired (their files deleted) except the snapshot of every recorded run, which stays readable as
long as the warehouse exists, so a number quoted from a run's report can always be reproduced.
That keeps every run's marts (each run rewrites them): `--run-days N` also expires the snapshots
of runs older than N days, for a warehouse whose disk matters more than its oldest reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from warehouse.lake import ALIAS

KEEP_DAYS = 90


class UnknownAsOf(ValueError):
    """--as-of names no kept snapshot (no such run, its snapshot expired, or before the first one)."""


@dataclass(frozen=True)
class RunSnapshot:
    run_id: str
    finished_at: datetime | None
    state: str
    snapshot_id: int | None  # None: the run's snapshot is not readable (expired, or a plain DuckDB file)


def _run_snapshots(con) -> dict[str, tuple[int, datetime]]:
    rows = con.execute(
        f"SELECT snapshot_id, snapshot_time, commit_extra_info FROM {ALIAS}.snapshots() "
        "WHERE commit_extra_info IS NOT NULL"
    ).fetchall()
    found = {}
    for snapshot_id, when, extra in rows:
        try:
            run_id = json.loads(extra).get("run_id")
        except (ValueError, AttributeError):
            continue
        if run_id:
            found[run_id] = (snapshot_id, when)
    return found


def runs(con) -> list[RunSnapshot]:
    """Every recorded run, oldest first, with the snapshot that reads the warehouse as it left it."""
    snapshots = _run_snapshots(con)
    rows = con.execute("SELECT run_id, finished_at, state FROM meta.runs ORDER BY started_at, run_id").fetchall()
    return [RunSnapshot(r, f, s, snapshots.get(r, (None,))[0]) for r, f, s in rows]


def _as_timestamp(text: str) -> datetime | None:
    # a bare day means the day as it ended; checked first, since Python 3.11's datetime.fromisoformat
    # also reads "2026-12-07", as its first instant
    try:
        when = datetime.combine(date.fromisoformat(text), datetime.max.time())
    except ValueError:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _run_by_prefix(snapshots: dict[str, tuple[int, datetime]], prefix: str) -> str | None:
    """The one run whose id starts with `prefix` (as `git` reads a short hash); None when none does."""
    matches = sorted(run_id for run_id in snapshots if run_id.startswith(prefix))
    if len(matches) > 1:
        shown = ", ".join(matches[:5]) + (" ..." if len(matches) > 5 else "")
        raise UnknownAsOf(f"{prefix!r} is the start of {len(matches)} run ids ({shown}): give more of it")
    return matches[0] if matches else None


def resolve(con, as_of: str) -> tuple[int, str]:
    """The snapshot id `as_of` means (a meta.runs.run_id or a unique start of one, or an ISO timestamp
    or day, UTC unless it says otherwise; a day is read as it ended), and a line that says what it is."""
    snapshots = _run_snapshots(con)
    when = _as_timestamp(as_of)
    run_id = as_of if as_of in snapshots else None
    if run_id is None and when is None and len(as_of) >= 4:
        run_id = _run_by_prefix(snapshots, as_of)
    if run_id is not None:
        snapshot_id, committed = snapshots[run_id]
        return snapshot_id, f"as of run {run_id} (snapshot {snapshot_id}, committed {committed:%Y-%m-%d %H:%M:%S %Z})"
    if when is None:
        known = con.execute("SELECT count(*) FROM meta.runs WHERE run_id = ?", [as_of]).fetchone()[0]
        if known:
            raise UnknownAsOf(f"run {as_of!r} is recorded, but its snapshot was expired (see `aigap expire`)")
        raise UnknownAsOf(f"{as_of!r} is neither a run id (`aigap status` lists them) nor an ISO date or timestamp")
    row = con.execute(
        f"SELECT snapshot_id, snapshot_time FROM {ALIAS}.snapshots() WHERE snapshot_time <= ? "
        "ORDER BY snapshot_id DESC LIMIT 1",
        [when],
    ).fetchone()
    if row is None:
        raise UnknownAsOf(f"the warehouse has no snapshot at or before {when:%Y-%m-%d %H:%M:%S %Z}")
    return row[0], f"as of {when:%Y-%m-%d %H:%M:%S %Z} (snapshot {row[0]}, committed {row[1]:%Y-%m-%d %H:%M:%S %Z})"


@dataclass(frozen=True)
class Expiry:
    expired: list[int]
    kept: int
    kept_for_runs: int


def plan_expiry(con, keep_days: int = KEEP_DAYS, now: datetime | None = None, run_days: int | None = None) -> Expiry:
    """Which snapshots the retention policy expires (module docstring); `run_days`: runs' snapshots
    older than that many days expire too (None: they are kept)."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=keep_days)
    run_cutoff = None if run_days is None else now - timedelta(days=run_days)
    for_runs = {s for s, when in _run_snapshots(con).values() if run_cutoff is None or when >= run_cutoff}
    rows = con.execute(f"SELECT snapshot_id, snapshot_time FROM {ALIAS}.snapshots() ORDER BY snapshot_id").fetchall()
    latest = rows[-1][0] if rows else None
    expired = [s for s, when in rows if when < cutoff and s not in for_runs and s != latest]
    return Expiry(expired, len(rows) - len(expired), len(for_runs))


def expire(con, plan: Expiry) -> None:
    """Expire the planned snapshots and delete the files only they used (a writer connection)."""
    if plan.expired:
        con.execute(f"CALL ducklake_expire_snapshots('{ALIAS}', versions => ?)", [plan.expired])
    con.execute(f"CALL ducklake_cleanup_old_files('{ALIAS}', cleanup_all => true)")
