"""`aigap run`, `status`, `sql`, `expire`, `migrate`, `setup`: the command line users and later
tooling rely on.

Exit codes of `aigap run`: 0 every load published or skipped; 1 a load was quarantined, a source
failed or found nothing where it had to find something, or the marts were not refreshed; 2 the run
crashed; 3 the warehouse was busy (another run, or another process, held it past the wait).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import difflib
import json
import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

from aigap.bytecode import ensure_compiled
from common.settings import WAREHOUSE_ENV, SettingError, check_all, warehouse_path

SETTING_ERROR = 4  # exit code: a setting aigap cannot use (the message names it); nothing was started

# No telemetry from a pipeline that runs offline and on schedules.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# A run without PREFECT_API_URL starts a temporary server; Prefect gives it 20 s, which a cold first
# run on 2 cores can exceed (measured: a fresh clone timed out at 20 s).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _parse_locations(pairs: list[str]) -> dict[str, str]:
    locations = {}
    for pair in pairs:
        name, sep, location = pair.partition("=")
        if not sep or not name or not location:
            raise SystemExit(f"--source expects NAME=LOCATION, got {pair!r}")
        locations[name.strip()] = location.strip()
    return locations


def _source_names(pairs: list[str] | None) -> list[str]:
    return [pair.partition("=")[0].strip() for pair in pairs or [] if "=" in pair]


def check_source_names(names: list[str]) -> None:
    """A source named on the command line that no dataset declares: one line, with the nearest name,
    before a server starts (a typo is not a crash)."""
    from datasets import registry

    known = sorted(registry())
    for name in names:
        if name not in known:
            near = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            raise SettingError(f"no source named {name!r}: {hint}the sources are {', '.join(known)}")


def _warm_up(warehouse: str | None) -> None:
    """What every run needs, done while the main thread waits for Prefect's temporary server: pandas
    (DuckDB loads it to bind query parameters; GX needs it), ~0.3 s, and the session of an existing
    lake (its extensions loaded, its catalog attached: warehouse/lake.py keeps it for the run), ~0.2 s.
    Only reads: a lake not created yet, or a plain DuckDB file (one process at a time), is left to the run."""
    import pandas  # noqa: F401

    from warehouse import lake

    path = warehouse_path(warehouse)
    if lake.is_plain(path):
        return
    found = lake.lake_for(path)
    if found.sqlite_file is not None and found.sqlite_file.exists():
        with contextlib.suppress(Exception):  # the run meets the same error itself, and reports it
            lake.open_lake(found).close()


def cmd_run(args: argparse.Namespace) -> int:
    from flows.orchestration import heartbeats_only_with_a_server
    from flows.pipeline import pipeline, run_summary  # Prefect is imported only when a run is asked for

    threading.Thread(target=_warm_up, args=(args.warehouse,), name="aigap-warm-up", daemon=True).start()
    locations = _parse_locations(args.source or [])
    only = args.only or None
    label = ", ".join(only) if only else "all sources"
    with heartbeats_only_with_a_server():
        state = pipeline(
            warehouse=args.warehouse,
            locations=locations,
            only=only,
            since=args.since,
            until=args.until,
            max_snapshots=args.max_snapshots,
            sources_label=label,
            return_state=True,
        )
    summary = run_summary(state)
    if isinstance(summary, BaseException):
        from warehouse.lock import WarehouseBusy

        if isinstance(summary, WarehouseBusy):
            print(f"\naigap: {summary}", file=sys.stderr)
            return 3
        print(f"\naigap run failed: {summary}", file=sys.stderr)
        return 2
    print_summary(summary)
    return 0 if summary.ok else 1


def shown(text: str) -> str:
    """A name from the data as printed: as is, or quoted with escapes when it holds control
    characters (a file name with a newline must not forge a line of output)."""
    return text if text.isprintable() else repr(text)


def print_summary(summary) -> None:
    from datasets import leaderboard
    from reports.wording import AT_LEAST, AT_LEAST_MEANS, coverage_phrase, lag_phrase
    from warehouse import connection

    print(f"\naigap run -> {summary.warehouse}")
    counts = summary.counts()
    for source, finding in summary.found.items():
        if source in counts:
            print(f"  {source}: " + ", ".join(f"{n} {status}" for status, n in counts[source].items()))
        else:
            print(f"  {source}: {shown(finding.describe())}")
    for error in summary.errors:
        print(f"  SOURCE ERROR {shown(error)}")
    replaced = [o for o in summary.loads if o.superseded]
    if replaced:
        print("\nRevised (the new content counts; the load it replaced is marked superseded):")
        for outcome in replaced:
            print(f"  {outcome.source} {shown(outcome.snapshot_key)} ({outcome.snapshot_date}) replaces "
                  + ", ".join(shown(s) for s in outcome.superseded))  # fmt: skip
    if summary.quarantined:
        print("\nQuarantined (raw bytes kept, nothing published; see `aigap status`):")
        for outcome in summary.quarantined:
            print(f"  {outcome.source} {shown(outcome.snapshot_key)} [{shown(outcome.load_id)}]")
            for reason in outcome.reasons:
                print(f"    - {shown(reason)}")
    if summary.marts and not summary.marts.published:
        print("\nMarts NOT refreshed (last good state kept):")
        for reason in summary.marts.reasons:
            print(f"  - {reason}")
    path = Path(summary.warehouse)
    with connection.connect(path, read_only=True) as con:
        latest = con.execute(
            """
            SELECT g.leaderboard, g.snapshot_date, g.attribution, g.leader, g.leader_score, g.follower,
                   g.follower_score, g.gap, g.lag_days, g.lag_censored, g.lag_days_at_least, c.top100_share,
                   g.follower_censored, g.follower_below, g.gap_at_least
            FROM marts.latest_gap g
            LEFT JOIN marts.attribution_coverage c
              ON c.leaderboard = g.leaderboard AND c.snapshot_date = g.snapshot_date AND c.mode = g.attribution
            WHERE g.pair = 'US-CN' AND g.scope = 'all'
            ORDER BY g.leaderboard, g.attribution DESC
            """
        ).fetchall()
    if latest:
        print("\nLatest US-China frontier gap:")
        for (board, day, mode, leader, l_score, follower, f_score, gap, lag, censored, at_least, share,
             follower_censored, below, gap_at_least) in latest:  # fmt: skip
            if follower_censored:  # not on the day's truncated list: below its last listed score
                print(
                    f"  {board} {day} ({mode}): {leader} {l_score:.2f}; {follower} not in the listed top, below "
                    f"{below:.2f}: gap more than {gap_at_least:.2f} {leaderboard(board).unit} (censored)"
                )
                continue
            print(
                f"  {board} {day} ({mode}): {leader} {l_score:.2f} vs {follower} {f_score:.2f}, "
                f"gap {gap:.2f} {leaderboard(board).unit}; {lag_phrase(follower, lag, censored, at_least)}"
                + (f" [{coverage_phrase(share)}]" if share is not None and share < 1 else "")
            )
        if any(row[9] for row in latest):
            print(f"  ({AT_LEAST}: {AT_LEAST_MEANS})")
    print_funding_headline(path)
    print_capability_headline(path)


def print_capability_headline(path: Path) -> None:
    """The latest Artificial Analysis edition's US-China Intelligence Index gap by release date
    (datasets/artificial_analysis/marts.py): one edition, one scale; the lag release date to release date."""
    from warehouse import connection

    with connection.connect(path, read_only=True) as con:
        row = con.execute(
            """
            SELECT edition, leader, leader_value, leader_model, follower, follower_value, follower_model, gap,
                   lag_days, lag_censored, lag_days_at_least, leader_reached_on, follower_reached_on
            FROM marts.capability_gap
            WHERE latest AND pair = 'US-CN' AND index_name = 'intelligence_index'
            ORDER BY edition DESC LIMIT 1
            """
        ).fetchone()
    if row is None:
        return
    edition, leader, l_value, l_model, follower, f_value, f_model, gap, lag, censored, at_least, l_on, f_on = row
    if censored:
        lag_text = f"at least {at_least} days before {follower} did (the edition lists no earlier {leader} model)"
    elif lag is not None and lag < 0:
        lag_text = f"{-lag} days after {follower} did ({follower} got there first)"
    else:
        lag_text = f"{lag} days before {follower} did"
    print("\nLatest US-China capability gap (Artificial Analysis Intelligence Index, by release date, one edition):")
    print(
        f"  artificial-analysis edition {edition}: {leader} {l_value:.1f} ({shown(l_model)}) vs {follower} "
        f"{f_value:.1f} ({shown(f_model)}), gap {gap:.1f} points; {leader} first released a model at "
        f"{follower}'s level ({l_on}) {lag_text} ({f_on})"
    )


def print_funding_headline(path: Path) -> None:
    """The latest year of each funding feed's US/China ratio (latest edition, whole market). A feed
    that republishes an estimate already printed (the same upstream, marts.funding_provenance) says
    so: it is the same estimate again, not a second source agreeing."""
    from warehouse import connection

    with connection.connect(path, read_only=True) as con:
        rows = con.execute(
            """
            SELECT g.source, g.metric, g.year, g.edition, g.value_a, g.value_b, g.ratio, g.unit, g.price_basis,
                   g.complete, g.upstream, p.derived_from
            FROM marts.funding_gap g
            LEFT JOIN marts.funding_provenance p USING (source, series)
            WHERE g.series = g.source AND g.segment = 'all' AND g.country_a = 'US' AND g.country_b = 'CN'
              AND g.unit LIKE 'USD%' AND g.ratio IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY g.source, g.metric ORDER BY g.year DESC) = 1
            ORDER BY g.source, g.metric
            """
        ).fetchall()
    if rows:
        print("\nLatest US/China investment ratio (each feed's latest edition, whole market):")
    scale = {"USD": 1e-9, "USD millions": 1e-3, "USD billions": 1.0}
    first_of_upstream: dict[str, str] = {}
    for source, metric, year, edition, us, cn, ratio, unit, basis, complete, upstream, derived_from in rows:
        earlier = first_of_upstream.setdefault(upstream, source)
        print(
            f"  {source} {metric} {year} (edition {edition}): US {us * scale[unit]:.1f} vs CN {cn * scale[unit]:.1f} "
            f"bn USD {basis}, {ratio:.1f}x"
            + ("" if complete else " (year not fully counted yet)")
            + (
                f" [same upstream as {earlier} ({derived_from or upstream}): not independent confirmation]"
                if earlier != source
                else ""
            )
        )


def ledger_status(warehouse: Path) -> dict:
    """The load ledger per source, as one JSON-ready object."""
    from warehouse import connection

    with connection.connect(warehouse, read_only=True) as con:
        rows = connection.read_table(
            con,
            "SELECT source, snapshot_key, snapshot_date, status, rows_published, reasons, load_id, raw_path, "
            "finished_at, superseded_by FROM meta.loads ORDER BY source, snapshot_date, snapshot_key, finished_at",
        )
        last_run = con.execute(
            "SELECT run_id, started_at, finished_at, state FROM meta.runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    sources: dict[str, dict] = {}
    for row in rows.iter_rows(named=True):
        entry = sources.setdefault(
            row["source"],
            {
                "published": 0,
                "skipped": 0,
                "quarantined": 0,
                "superseded": 0,
                "last_snapshot": None,
                "rows_published": 0,
                "quarantined_loads": [],
                "superseded_loads": [],
            },
        )
        entry[row["status"]] += 1
        if row["status"] == "published":
            entry["rows_published"] += row["rows_published"] or 0
            day = row["snapshot_date"].isoformat() if row["snapshot_date"] else None
            entry["last_snapshot"] = max(filter(None, [entry["last_snapshot"], day]), default=None)
        if row["status"] == "superseded":
            entry["superseded_loads"].append(
                {
                    "load_id": row["load_id"],
                    "snapshot_key": row["snapshot_key"],
                    "snapshot_date": row["snapshot_date"].isoformat() if row["snapshot_date"] else None,
                    "superseded_by": row["superseded_by"],
                }
            )
        if row["status"] == "quarantined":
            entry["quarantined_loads"].append(
                {
                    "load_id": row["load_id"],
                    "snapshot_key": row["snapshot_key"],
                    "snapshot_date": row["snapshot_date"].isoformat() if row["snapshot_date"] else None,
                    "raw_path": row["raw_path"],
                    "quarantined_at": row["finished_at"].isoformat(),
                    "reasons": json.loads(row["reasons"] or "[]"),
                }
            )
    run = None
    if last_run:
        run = {
            "run_id": last_run[0],
            "started_at": last_run[1].isoformat(),
            "finished_at": last_run[2].isoformat() if last_run[2] else None,
            "state": last_run[3],
        }
    return {"warehouse": str(warehouse), "last_run": run, "sources": sources}


def readable_runs(warehouse: Path) -> list[dict] | None:
    """The runs `aigap sql --as-of` can read (a DuckLake's recorded runs whose snapshot is kept),
    newest first; None for a plain DuckDB file (it keeps no snapshots)."""
    from warehouse import connection, history, lake

    if lake.is_plain(warehouse):
        return None
    with connection.connect(warehouse, read_only=True) as con:
        runs = history.runs(con)
    return [
        {"run_id": r.run_id, "finished_at": r.finished_at.isoformat() if r.finished_at else None, "state": r.state,
         "snapshot_id": r.snapshot_id}
        for r in reversed(runs)
    ]  # fmt: skip


def cmd_status(args: argparse.Namespace) -> int:
    path = warehouse_path(args.warehouse)
    try:
        status = ledger_status(path)
        status["runs"] = readable_runs(path)
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(status, indent=2, default=str))
        return 0
    print(f"warehouse {status['warehouse']}")
    if status["last_run"]:
        run = status["last_run"]
        print(f"last run {run['run_id']} ({run['state']}), finished {run['finished_at']}")
    if status["runs"] is not None:
        readable = [r for r in status["runs"] if r["snapshot_id"] is not None]
        print(f"\nruns readable with `aigap sql --as-of RUN` ({len(readable)} of {len(status['runs'])}; newest first):")
        for run in status["runs"][: args.runs]:
            at = f"snapshot {run['snapshot_id']}" if run["snapshot_id"] is not None else "snapshot expired"
            print(f"  {run['run_id']}  {(run['finished_at'] or '?')[:19]}  {run['state']}  {at}")
        if len(status["runs"]) > args.runs:
            print(f"  ... {len(status['runs']) - args.runs} older (--runs N shows more)")
    for source, entry in status["sources"].items():
        print(
            f"\n{source}: {entry['published']} published, {entry['skipped']} skipped, "
            f"{entry['quarantined']} quarantined, {entry['superseded']} superseded; last snapshot "
            f"{entry['last_snapshot']}; {entry['rows_published']} rows published"
        )
        for load in entry["superseded_loads"]:
            print(
                f"  superseded {shown(load['snapshot_key'])} ({load['snapshot_date']}) by {shown(load['superseded_by'])}"
            )
        for load in entry["quarantined_loads"]:
            print(
                f"  QUARANTINED {shown(load['snapshot_key'])} ({load['quarantined_at'][:19]}), raw: {load['raw_path']}"
            )
            for reason in load["reasons"]:
                print(f"    - {shown(reason['reason'])}")
                for sample in (reason.get("sample") or [])[:3]:
                    print(f"        e.g. {shown(str(sample))}")
    return 0


def sql_command(
    warehouse: Path, as_of: str | None, passthrough: list[str], query: str | None = None
) -> tuple[list[str], str | None]:
    """The pinned duckdb CLI's command line for `aigap sql`, and what --as-of resolved to."""
    from warehouse import connection, history, lake

    cli = str(Path(sys.executable).with_name("duckdb"))
    if lake.is_plain(warehouse):
        if as_of:
            raise history.UnknownAsOf(
                f"{warehouse} is a plain DuckDB file: it keeps no snapshots (--as-of needs a DuckLake)"
            )
        if not warehouse.exists():
            raise FileNotFoundError(f"no warehouse at {warehouse}: run `aigap run` first")
        return [cli, "-readonly", *passthrough, str(warehouse), *(["-c", query] if query is not None else [])], None
    the_lake = lake.lake_for(warehouse)
    snapshot, said = None, None
    if as_of:
        with connection.connect(warehouse, read_only=True) as con:
            snapshot, said = history.resolve(con, as_of)
    elif the_lake.sqlite_file is not None and not the_lake.sqlite_file.exists():
        raise FileNotFoundError(f"no warehouse at {the_lake.sqlite_file}: run `aigap run` first")
    setup = "; ".join(lake.session_statements(the_lake, read_only=True, snapshot=snapshot))
    # The CLI reads its arguments in order: output options first, then the session set-up, then the query.
    return [cli, *passthrough, "-cmd", setup + ";", *(["-c", query] if query is not None else [])], said


def cmd_sql(args: argparse.Namespace, passthrough: list[str]) -> int:
    from warehouse.history import UnknownAsOf

    query = None
    if "-c" in passthrough:
        at = passthrough.index("-c")
        query, passthrough = (passthrough[at + 1 : at + 2] or [""])[0], passthrough[:at] + passthrough[at + 2 :]
    try:
        command, said = sql_command(warehouse_path(args.warehouse), args.as_of, passthrough, query)
    except (FileNotFoundError, UnknownAsOf) as exc:
        print(f"aigap sql: {exc}", file=sys.stderr)
        return 2
    if said and sys.stderr.isatty():
        print(f"aigap sql: reading the warehouse {said}", file=sys.stderr)
    return subprocess.call(command)


def cmd_expire(args: argparse.Namespace) -> int:
    from warehouse import connection, history, lake

    path = warehouse_path(args.warehouse)
    if lake.is_plain(path):
        print(f"aigap expire: {path} is a plain DuckDB file: it keeps no snapshots", file=sys.stderr)
        return 2
    with connection.connect(path, read_only=args.dry_run) as con:
        plan = history.plan_expiry(con, args.keep_days, run_days=args.run_days)
        if not args.dry_run:
            history.expire(con, plan)
    verb = "would expire" if args.dry_run else "expired"
    runs = "recorded runs left" + (f" in the last {args.run_days} days" if args.run_days is not None else "")
    print(f"{verb} {len(plan.expired)} snapshot(s) older than {args.keep_days} days; kept {plan.kept} "
          f"(every snapshot of the last {args.keep_days} days, the latest, and the {plan.kept_for_runs} "
          f"snapshots {runs}, which stay readable with --as-of)")  # fmt: skip
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from warehouse import connection, lake, schema
    from warehouse.convert import convert

    target = warehouse_path(args.warehouse)
    if args.source is None:  # bring the warehouse itself to the current schema
        with connection.connect(target) as con:
            applied = schema.migrate(con)
        print(f"{target}: " + (f"applied {', '.join(applied)}" if applied else "already at the current schema"))
        return 0
    source = Path(args.source).expanduser().resolve()
    try:
        done = convert(source, target)
    except (FileNotFoundError, ValueError) as exc:
        print(f"aigap migrate: {exc}", file=sys.stderr)
        return 2
    print(f"converted {source} -> {lake.lake_for(target).describe()}")
    for table, rows in done.tables.items():
        print(f"  {table}: {rows} rows")
    if done.raw_files:
        print(f"  raw landing copied next to the lake: {done.raw_files} files")
    print(f"The DuckDB file is left as it was; runs now use {target} (set --warehouse / ${WAREHOUSE_ENV}).")
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    from flows.orchestration import NoServer, setup

    try:
        done = setup(team=args.team, concurrent_runs=args.concurrent_runs)
    except NoServer as exc:
        print(f"aigap setup: {exc}", file=sys.stderr)
        return 2
    print("\n".join(done))
    if args.team:
        from aigap.team import team_setup

        try:
            print("\n".join(team_setup(warehouse_path(None))))
        except ValueError as exc:
            print(f"aigap setup --team: {exc}", file=sys.stderr)
            return 2
    print("Next: `prefect deploy --all`, then `prefect worker start --pool aigap` (see docs/operations.md).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aigap", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="load every source through the quality gate and refresh the marts")
    run.add_argument(
        "--warehouse",
        help=f"warehouse (default: ${WAREHOUSE_ENV} or warehouse/aigap.ducklake; a .duckdb path: a plain DuckDB file)",
    )
    run.add_argument(
        "--source",
        action="append",
        metavar="NAME=LOCATION",
        help="point a source at another directory, file or URL (repeatable)",
    )
    run.add_argument("--only", action="append", metavar="NAME", help="run just this source (repeatable)")
    run.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD", help="only snapshots on or after")
    run.add_argument("--until", type=date.fromisoformat, metavar="YYYY-MM-DD", help="only snapshots on or before")
    run.add_argument("--max-snapshots", type=int, metavar="N", help="load at most N new snapshots per source")
    run.set_defaults(handler=cmd_run)

    status = commands.add_parser("status", help="the load ledger per source")
    status.add_argument(
        "--warehouse",
        help=f"warehouse (default: ${WAREHOUSE_ENV} or warehouse/aigap.ducklake; a .duckdb path: a plain DuckDB file)",
    )
    status.add_argument("--json", action="store_true", help="one JSON object for machines")
    status.add_argument("--runs", type=int, default=10, metavar="N", help="list the N latest runs (default 10)")
    status.set_defaults(handler=cmd_status)

    sql = commands.add_parser(
        "sql",
        help="the pinned duckdb CLI on the warehouse, read-only (never blocks a run); `-c SQL` runs one query; "
        "other arguments go to duckdb (e.g. -csv -noheader)",
    )
    sql.add_argument("--warehouse", help=f"warehouse (default: ${WAREHOUSE_ENV} or warehouse/aigap.ducklake)")
    sql.add_argument("--as-of", metavar="RUN", help="read it as it was after a run (a run id from `aigap status`) or "
                     "at a time (ISO date or timestamp, UTC)")  # fmt: skip
    # `-c SQL` (run it and exit) is taken from the arguments by hand: declared here, argparse would
    # read duckdb's own `-csv` as `-c sv`.
    sql.set_defaults(handler=cmd_sql, passthrough=True)

    expire = commands.add_parser(
        "expire", help="delete old snapshots by the retention policy (docs/operations.md, Time travel)"
    )
    expire.add_argument("--warehouse", help=f"warehouse (default: ${WAREHOUSE_ENV} or warehouse/aigap.ducklake)")
    expire.add_argument(
        "--keep-days", type=int, default=90, metavar="N", help="keep every snapshot of the last N days (default 90)"
    )
    expire.add_argument(
        "--run-days",
        type=int,
        metavar="N",
        help="also expire the snapshots of runs older than N days (default: keep them all)",
    )
    expire.add_argument("--dry-run", action="store_true", help="say what would be expired, change nothing")
    expire.set_defaults(handler=cmd_expire)

    migrate = commands.add_parser(
        "migrate", help="bring the warehouse to the current schema, or convert a DuckDB file into it"
    )
    migrate.add_argument(
        "--warehouse", help=f"the DuckLake to write (default: ${WAREHOUSE_ENV} or warehouse/aigap.ducklake)"
    )
    migrate.add_argument(
        "--from", dest="source", metavar="FILE.duckdb", help="a warehouse built as a plain DuckDB file"
    )
    migrate.set_defaults(handler=cmd_migrate)

    setup = commands.add_parser(
        "setup",
        help="prepare the Prefect server ($PREFECT_API_URL): work pool, warehouse writer limit, quarantine automation",
    )
    setup.add_argument("--team", action="store_true", help="several workers on a shared lake: catalog on PostgreSQL "
                       "($AIGAP_CATALOG), data on shared storage ($AIGAP_DATA_PATH); runs at once, marts one at a time")  # fmt: skip
    setup.add_argument(
        "--concurrent-runs", type=int, default=4, metavar="N", help="with --team: runs writing at once (default 4)"
    )
    setup.set_defaults(handler=cmd_setup)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passthrough", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:  # every setting read once, before anything starts
        check_all()
        warehouse_path(getattr(args, "warehouse", None))
        check_source_names([*(args.only or []), *_source_names(args.source)] if args.handler is cmd_run else [])
    except SettingError as exc:
        print(f"aigap: {exc}", file=sys.stderr)
        return SETTING_ERROR
    if getattr(args, "passthrough", False):
        return args.handler(args, extra)  # `aigap sql` imports neither Prefect nor GX
    ensure_compiled()  # before Prefect is imported or its server started
    try:
        return args.handler(args)
    except Exception as exc:
        from warehouse.lock import WarehouseBusy

        if isinstance(exc, WarehouseBusy):
            print(f"aigap: {exc}", file=sys.stderr)
            return 3
        raise


def entry() -> None:
    """The `aigap` command: `main`, then the process ends as soon as its exit handlers have run.

    Prefect stops its temporary server and sends its last logs in exit handlers, which all run; what
    is skipped is Python's teardown of every module loaded (Prefect, GX, pandas, polars, DuckDB):
    ~1.2 s after a run, spent on nothing. The handler below is registered before any other, so it
    runs last; it flushes the output and closes the warehouse sessions first. (Tests call `main`.)"""
    code = [1]

    def end_now() -> None:
        from warehouse import lake

        lake.close_sessions()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code[0])

    atexit.register(end_now)
    try:
        code[0] = main()
    except SystemExit as exc:
        code[0] = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        raise
    except KeyboardInterrupt:
        code[0] = 130
        raise
    sys.exit(code[0])


if __name__ == "__main__":
    entry()
