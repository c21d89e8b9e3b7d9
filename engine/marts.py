"""Bring the marts up to date with what is published, recomputing only what changed.

What changed is read from the warehouse itself: the loads whose rows are in the core tables now,
against the loads the marts were last computed from (meta.marts_loads, written in the same
transaction as the marts). So a run that stopped between publishing and refreshing is caught up by
the next one, whatever the flow passes. A published or superseded load recomputes its snapshots
(marts/build.py SNAPSHOT_MARTS), the history-wide marts of its leaderboard (SERIES_MARTS:
lags, holes, trends, the curation list) and the whole tables (the model graph, attribution,
funding, capability); a model whose attribution changed recomputes every snapshot it is in. Every
other input (INPUT_FILES: registry, overrides, provenance, the code; and the gap pairs) is
fingerprinted in meta.marts_refreshes and the run record: when it changes, everything is rebuilt,
and the log says why.

Each recomputed mart is gated once (one Great Expectations run per mart, on its recomputed rows);
a failing gate leaves every mart, and their state, at its last good state.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from attribution.attribute import attribute_models, model_facts
from attribution.registry import load_registry
from common import cache as cache_files
from common import settings
from common.settings import PROJECT_ROOT, cache_dir, gap_pairs
from datasets.artificial_analysis.marts import CAPABILITY_MART_COLUMNS, CAPABILITY_TABLE, capability_marts
from datasets.artificial_analysis.marts import LEADERBOARD as CAPABILITY_BOARD
from datasets.funding.marts import FUNDING_TABLE, funding_marts
from datasets.lmarena.marts import lmarena_marts
from datasets.lmarena.parse import TABLE as LMARENA_TABLE
from marts.build import (
    ATTRIBUTION_READ,
    BOARD_READS,
    BOARD_READS_ALL,
    BOARDS,
    CORE_TABLES,
    HISTORY_COLUMNS,
    INPUT_FILES,
    MART_COLUMNS,
    SERIES_MARTS,
    SNAPSHOT_MARTS,
    MartInputs,
    make_board,
    model_lineage,
    per_leaderboard,
    series_marts,
    snapshot_marts,
)
from marts.checks import validate_mart
from warehouse import connection, publishing
from warehouse.schema import digest as contracts_digest

FRONTIER_KEYS = ["leaderboard", "snapshot_date", "attribution", "scope", "country"]  # its sort order when built
GAP_ORDER = ["leaderboard", "snapshot_date", "attribution", "scope", "pair"]
SNAPSHOTS_AT_ONCE = 32  # snapshots whose every column is in memory at once


@dataclass(frozen=True)
class MartsOutcome:
    published: bool
    rows: dict[str, int] = field(default_factory=dict)  # every mart's row count after the refresh
    reasons: list[str] = field(default_factory=list)
    mode: str = "full"  # full | incremental | unchanged
    note: str = ""  # what was recomputed and why, as the log says it
    fingerprint: str = ""  # of every input besides the core tables (INPUT_FILES, gap pairs)
    inputs: dict[str, str] = field(default_factory=dict)  # input -> sha256
    written: dict[str, int] = field(default_factory=dict)  # rows written per table (recomputed rows)


def _log() -> logging.Logger:
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()  # type: ignore[return-value]
    except MissingContextError:  # outside a flow (tests, scripts)
        return logging.getLogger("aigap.marts")


# --- the fingerprint of every input besides the core tables -----------------------------------------


def input_digests() -> dict[str, str]:
    """Input (a path relative to the project, or `gap pairs`) -> sha256 of its content."""
    digests = {
        str(path.relative_to(PROJECT_ROOT)): hashlib.sha256(path.read_bytes()).hexdigest()
        for paths in INPUT_FILES.values()
        for path in paths
    }
    digests["gap pairs"] = hashlib.sha256(",".join(f"{a}-{b}" for a, b in gap_pairs()).encode()).hexdigest()
    return digests


def fingerprint(digests: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()


def changed_inputs(before: dict[str, str], now: dict[str, str]) -> str:
    """What changed, by kind: `registry changed (data/registry/aliases.csv)`."""
    kind_of = {str(p.relative_to(PROJECT_ROOT)): kind for kind, paths in INPUT_FILES.items() for p in paths}
    kind_of["gap pairs"] = "gap pairs"
    changed = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
    by_kind: dict[str, list[str]] = {}
    for name in changed:
        by_kind.setdefault(kind_of.get(name, "inputs"), []).append(name)
    return "; ".join(
        f"{kind} changed" + ("" if names == [kind] else f" ({', '.join(names)})") for kind, names in by_kind.items()
    )


# --- what the marts reflect, and what is published now -----------------------------------------------


def published_loads(con) -> pl.DataFrame:
    """(load_id, core_table, rows) of every load whose rows the marts read (the rows counted in the
    same scan: they check the local copy of history, below)."""
    parts = [
        f"SELECT load_id, '{table}' AS core_table, count(*) AS rows FROM {table} GROUP BY load_id"
        for table in CORE_TABLES
    ]
    return connection.read_table(con, " UNION ALL ".join(parts) + " ORDER BY 1")


@dataclass(frozen=True)
class Plan:
    mode: str  # full | incremental | unchanged
    reason: str
    current: pl.DataFrame  # (load_id, core_table) published now
    added: pl.DataFrame  # published since the last refresh
    removed: pl.DataFrame  # reflected by the marts, no longer published (superseded)

    @property
    def changed_tables(self) -> set[str]:
        """The core tables with a load published or superseded since the last refresh."""
        return set(self.added["core_table"]) | set(self.removed["core_table"])


NOTHING_NEW = "marts: nothing new, unchanged inputs: not recomputed"


def published_by_ledger(con) -> set[str]:
    """The loads the ledger says have rows in the core tables: a load's rows and its ledger row are
    committed together, and so are their removal and its `superseded` (publishing.publish)."""
    rows = con.execute("SELECT load_id FROM meta.loads WHERE status = 'published' AND rows_published > 0").fetchall()
    return {load_id for (load_id,) in rows}


def plan(con, digests: dict[str, str], full: bool = False) -> Plan:
    last = con.execute("SELECT inputs FROM meta.marts_refreshes ORDER BY refreshed_at DESC LIMIT 1").fetchone()
    reflected = connection.read_table(con, "SELECT load_id, core_table FROM meta.marts_loads")
    same_inputs = last is not None and json.loads(last[0]) == digests
    # the usual no-op, asked of the small ledger: listing the loads in the core tables reads a column
    # of every file of every core table (0.1 s at 500 snapshots); any doubt falls through to it
    if not full and same_inputs and published_by_ledger(con) == set(reflected["load_id"]):
        return Plan("unchanged", NOTHING_NEW, reflected, reflected.clear(), reflected.clear())
    current = published_loads(con)
    added = current.join(reflected, on="load_id", how="anti")
    removed = reflected.join(current, on="load_id", how="anti")
    if full:
        return Plan("full", "marts: rebuild asked for: full rebuild", current, added, removed)
    if last is None:
        return Plan("full", "marts: no record of a previous refresh: full rebuild", current, added, removed)
    if not same_inputs:
        before = json.loads(last[0])
        return Plan("full", f"marts: {changed_inputs(before, digests)}: full rebuild", current, added, removed)
    if added.is_empty() and removed.is_empty():
        return Plan("unchanged", NOTHING_NEW, current, added, removed)
    reason = f"marts: {len(added)} load(s) published and {len(removed)} superseded since the last refresh"
    return Plan("incremental", reason, current, added, removed)


# --- reading ---------------------------------------------------------------------------------------------


def core_schema(con, table: str) -> dict[str, pl.DataType]:
    """A core table's columns, in order, and their types (one query that reads no row)."""
    return dict(con.execute(f"SELECT * FROM {table} LIMIT 0").pl().schema)


def _history_columns(table: str, schema: dict) -> list[str]:
    return [c for c in schema if c in HISTORY_COLUMNS.get(table, list(schema))]


def read_core(
    con,
    table: str,
    dates: list | None = None,
    history: bool = False,
    loads: list[str] | None = None,
    leaderboard: str | None = None,
) -> pl.DataFrame:
    """A core table's published rows (all of them, those of `dates` or those of `loads`; with
    `history`, only its HISTORY_COLUMNS, the others NULL), in one order whichever rows and columns
    are read, so that every tie-break downstream (the dedupe rule's, "first" in an aggregation) sees
    the same input: by the history columns, then by every other column. Two rows equal in the
    history columns give the history the same answer whichever comes first."""
    schema = core_schema(con, table)
    return with_every_column(_read_rows(con, table, schema, history, dates, loads, leaderboard), schema)


def _read_rows(con, table: str, schema: dict, history: bool, dates=None, loads=None, leaderboard=None) -> pl.DataFrame:
    columns = list(schema)
    history_columns = _history_columns(table, schema)
    wanted = history_columns if history else columns
    order = history_columns if history else [*history_columns, *(c for c in columns if c not in history_columns)]
    # the wanted dates and loads as constants: the lake then skips every file whose values lie
    # elsewhere (a list parameter is not pushed down: reading one load scanned every file)
    where, params = [], []
    for column, values in (("snapshot_date", dates), ("load_id", loads)):
        if values is not None:
            where.append(f"{column} IN ({', '.join('?' for _ in values)})" if values else "false")
            params += list(values)
    if leaderboard is not None and "leaderboard" in schema:  # one of the boards sharing the table
        where.append("leaderboard = ?")
        params.append(leaderboard)
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    return connection.read_table(
        con, f"SELECT {', '.join(wanted)} FROM {table}{condition} ORDER BY {', '.join(order)}", params
    )


def with_every_column(frame: pl.DataFrame, schema: dict) -> pl.DataFrame:
    """`frame` with the columns of `schema` it lacks added, NULL (after its own)."""
    return frame.with_columns(
        pl.lit(None, dtype=dtype).alias(c) for c, dtype in schema.items() if c not in frame.columns
    )


# --- the local copy of history -----------------------------------------------------------------------------
#
# An incremental refresh needs every snapshot's history columns; read from the lake, that read grows
# with history (1.1 s of a +1 at 500 snapshots). So the history read is kept next to the warehouse
# (common.settings.cache_dir, `history/`), one Parquet file per core table, and a refresh reads from
# the lake only the loads published since. It is exact, not a guess: a published load's rows never
# change while it is published (superseding deletes them all, with the load), so the copy's rows
# of a load ARE the lake's. Each use checks it against the lake's row count per load (counted by
# `published_loads` anyway); a load that differs or is missing is read from the lake, a load no
# longer published is dropped. The copy is keyed by the warehouse (its path and catalog), the
# table's columns and types, the latest migration and the polars version, and a full rebuild never
# reads it (it reads the lake and writes the copy anew). The copy's own order is read_core's,
# load_id first, so adding the new loads' rows (read in that order) is a merge on load_id, and the
# result is row for row what read_core(history=True) returns. Deleting the folder costs the next
# refresh time, never data.
HISTORY_COPY_FORMAT = 1


def history_copy_path(warehouse: Path, table: str, columns: dict) -> Path:
    key = cache_files.key(
        "history copy", HISTORY_COPY_FORMAT, table, [(c, str(t)) for c, t in columns.items()],
        contracts_digest(), cache_files.versions("polars"),
        # whose copy: two warehouses in one folder, or one path on another catalog, never share it
        str(warehouse.resolve()), settings.catalog() or "",
    )  # fmt: skip
    return cache_dir(warehouse) / "history" / f"{table}-{key[:16]}.parquet"


def read_history_copy(path: Path) -> pl.DataFrame | None:
    content = cache_files.read(path)
    if content is None:
        return None
    try:
        return pl.read_parquet(io.BytesIO(content))
    except Exception:  # unreadable though its checksum holds (another polars wrote it): rebuilt
        return None


def write_history_copy(path: Path, frame: pl.DataFrame) -> None:
    out = io.BytesIO()
    frame.write_parquet(out, compression="lz4", statistics=False)
    cache_files.write(path, out.getvalue())
    cache_files.prune(path.parent, f"{path.name.rsplit('-', 1)[0]}-*.parquet", keep=1, spare=path)


def read_history_rows(
    con, table: str, published: pl.DataFrame, warehouse: Path | None, trust_copy: bool = True
) -> pl.DataFrame:
    """read_core(con, table, history=True), taking from the local copy every published load it holds
    whole (`published`: published_loads' rows of this table). `trust_copy` False (a full rebuild):
    read the lake only, and write the copy anew. No `warehouse`: the lake only, no copy."""
    schema = core_schema(con, table)
    columns = _history_columns(table, schema)
    if warehouse is None or table not in HISTORY_COLUMNS or columns[0] != "load_id":
        return with_every_column(_read_rows(con, table, schema, history=True), schema)
    path = history_copy_path(warehouse, table, schema)
    copy = read_history_copy(path) if trust_copy else None
    if copy is None or copy.columns != columns:
        rows = _read_rows(con, table, schema, history=True)
        write_history_copy(path, rows)
        return with_every_column(rows, schema)
    counts = published.select("load_id", pl.col("rows").cast(pl.Int64))
    held = copy.group_by("load_id").len().select("load_id", pl.col("len").cast(pl.Int64).alias("rows"))
    whole = counts.join(held, on=["load_id", "rows"], how="semi")["load_id"]
    missing = counts.join(held, on=["load_id", "rows"], how="anti")["load_id"].to_list()
    rows = copy.filter(pl.col("load_id").is_in(whole.implode()))
    if missing:
        new = _read_rows(con, table, schema, history=True, loads=missing)
        rows = rows.merge_sorted(new.cast(dict(rows.schema)), key="load_id")
    if missing or len(rows) != len(copy):
        write_history_copy(path, rows)
    return with_every_column(rows, schema)


def read_inputs(warehouse: Path) -> MartInputs:
    """Every core table the marts read, whole (a full rebuild's inputs in one frame each)."""
    with connection.connect(warehouse, read_only=True) as con:
        core = {table: read_core(con, table) for table in CORE_TABLES}
    return MartInputs(core=core, registry=load_registry())


def _stored(con, table: str, where: str = "", params: list | None = None, order: list[str] | None = None):
    sql = f"SELECT {', '.join(MART_COLUMNS[table])} FROM {table}{where}"
    return connection.read_table(con, sql + (f" ORDER BY {', '.join(order)}" if order else ""), params)


# --- computing ---------------------------------------------------------------------------------------------


@dataclass
class Update:
    """Recomputed rows and what they replace."""

    parts: dict[str, list[pl.DataFrame]] = field(default_factory=dict)
    snapshots: list[tuple[str, object]] = field(default_factory=list)  # (leaderboard, date) in SNAPSHOT_MARTS
    leaderboards: dict[str, list[str]] = field(default_factory=dict)  # SERIES_MARTS table -> leaderboards
    whole: list[str] = field(default_factory=list)  # tables replaced whole
    recomputed: list[str] = field(default_factory=list)  # leaderboards whose snapshots were recomputed

    def add(self, table: str, frame: pl.DataFrame | None) -> None:
        if frame is not None and not frame.is_empty():
            self.parts.setdefault(table, []).append(frame.select(MART_COLUMNS[table]))

    def frame(self, table: str) -> pl.DataFrame:
        parts = self.parts.get(table)
        if not parts:
            return _empty(table)
        if len(parts) > 1:
            self.parts[table] = [pl.concat(parts, how="vertical_relaxed", rechunk=False)]
        return self.parts[table][0]

    def drop(self, table: str) -> None:
        self.parts.pop(table, None)

    @property
    def frames(self) -> dict[str, pl.DataFrame]:
        return {table: self.frame(table) for table in self.parts}


def _empty(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.Null for c in MART_COLUMNS[table]})


def _same(new: pl.DataFrame | None, stored: pl.DataFrame) -> bool:
    """Whether a recomputed frame holds exactly the stored rows (then it is neither gated nor written)."""
    new = pl.DataFrame() if new is None else new
    if len(new) != len(stored):
        return False
    if new.is_empty():
        return True
    new = new.select(stored.columns)
    try:
        new = new.cast(dict(stored.schema))
    except Exception:
        return False
    return new.sort(new.columns, nulls_last=True).equals(stored.sort(stored.columns, nulls_last=True))


@dataclass(frozen=True)
class History:
    """Every board over its whole history (HISTORY_COLUMNS only), and what is derived from all of it."""

    core: dict[str, pl.DataFrame]  # the other tables boards read whole (BOARD_READS)
    boards: dict[str, pl.DataFrame]  # leaderboard -> its board
    tables: dict[str, str]  # leaderboard -> its core table (the Arena's boards share one)
    facts: dict[str, pl.DataFrame]
    lineage: pl.DataFrame | None
    attributions: dict[str, pl.DataFrame]


def read_history(con, inputs: MartInputs, published: pl.DataFrame, warehouse: Path, trust_copy: bool) -> History:
    """Every board's history, through the local copy of history (read_history_rows)."""
    core = {
        table: read_history_rows(con, table, published.filter(pl.col("core_table") == table), warehouse, trust_copy)
        for table in [*BOARDS, *BOARD_READS_ALL]
    }
    boards, tables = {}, {}
    for table in BOARDS:
        if not core[table].is_empty():
            for name, board in per_leaderboard(make_board(table, core[table], core)).items():
                boards[name], tables[name] = board, table
    facts = {name: model_facts(board) for name, board in boards.items()}
    lineage = model_lineage(list(boards.values()), list(facts.values()), inputs.registry) if boards else None
    attributions = {n: attribute_models(board, inputs.registry, lineage, facts[n]) for n, board in boards.items()}
    read_whole = {table: core[table] for table in BOARD_READS_ALL}
    return History(read_whole, boards, tables, facts, lineage, attributions)


def changed_models(attribution: pl.DataFrame, stored: pl.DataFrame) -> pl.Series:
    """Models whose attribution, as the snapshot marts read it, differs from the stored one."""
    now, before = attribution.select(ATTRIBUTION_READ), stored.select(ATTRIBUTION_READ)
    return pl.concat(
        [
            now.join(before, on=ATTRIBUTION_READ, how="anti", nulls_equal=True)["model_id"],
            before.join(now, on=ATTRIBUTION_READ, how="anti", nulls_equal=True)["model_id"],
        ]
    )


def snapshots_to_recompute(
    core_table: str, board: pl.DataFrame, the_plan: Plan, gone: pl.DataFrame, models: pl.Series
) -> list:
    """The board's snapshots whose rows change: those of loads published or superseded since the last
    refresh, those holding a model whose attribution changed; all of them on a full rebuild or when
    another table the board reads whole changed."""
    if the_plan.mode == "full" or the_plan.changed_tables & set(BOARD_READS.get(core_table, [])):
        return sorted(set(board["snapshot_date"]))
    leaderboard = board["leaderboard"][0]
    return sorted(
        set(board.filter(pl.col("load_id").is_in(the_plan.added["load_id"].implode()))["snapshot_date"])
        | set(gone.filter(pl.col("leaderboard") == leaderboard)["snapshot_date"])
        | set(board.filter(pl.col("model_id").is_in(models.implode()))["snapshot_date"])
    )


def compute(warehouse: Path, the_plan: Plan) -> Update:
    """Recompute what `the_plan` says changed; unchanged whole tables and series are left out."""
    inputs = MartInputs(core={}, registry=load_registry())
    with connection.connect(warehouse, read_only=True) as con:  # closed after: DuckDB frees what the read held
        history = read_history(con, inputs, the_plan.current, warehouse, trust_copy=the_plan.mode != "full")
    with connection.connect(warehouse, read_only=True) as con:
        return _recompute(con, the_plan, inputs, history)


def _recompute(con, the_plan: Plan, inputs: MartInputs, history: History) -> Update:
    full = the_plan.mode == "full"
    update = Update()
    update.add("core.model_lineage", history.lineage)
    for attribution in history.attributions.values():
        update.add("core.model_attribution", attribution)
    stored_attribution = _stored(con, "core.model_attribution")

    removed = the_plan.removed["load_id"].to_list()
    gone = _stored(con, "marts.model_scores", " WHERE list_contains(?, load_id)", [removed]).select(
        "leaderboard", "snapshot_date"
    ).unique()  # fmt: skip
    for leaderboard, board in history.boards.items():
        core_table, attribution = history.tables[leaderboard], history.attributions[leaderboard]
        models = changed_models(attribution, stored_attribution.filter(pl.col("leaderboard") == leaderboard))
        dates = snapshots_to_recompute(core_table, board, the_plan, gone, models)
        if not dates:
            continue
        update.snapshots += [(leaderboard, d) for d in dates]
        update.recomputed.append(leaderboard)
        for chunk in range(0, len(dates), SNAPSHOTS_AT_ONCE):  # a full rebuild's memory stays that of a few
            entries = read_core(con, core_table, dates[chunk : chunk + SNAPSHOTS_AT_ONCE], leaderboard=leaderboard)
            if not entries.is_empty() and not (subset := make_board(core_table, entries, history.core)).is_empty():
                for table, frame in snapshot_marts(subset, inputs, attribution).items():
                    update.add(table, frame)
        frontier = pl.concat(
            [
                _stored(con, "marts.country_frontier", " WHERE leaderboard = ? AND NOT list_contains(?, snapshot_date)",
                        [leaderboard, dates]),
                update.frame("marts.country_frontier").filter(pl.col("leaderboard") == leaderboard),
            ],
            how="vertical_relaxed",
        ).sort(FRONTIER_KEYS)  # fmt: skip
        for table, frame in series_marts(board, frontier, inputs, attribution, history.facts[leaderboard]).items():
            if full or not _same(frame, _stored(con, table, " WHERE leaderboard = ?", [leaderboard])):
                update.add(table, frame)
                update.leaderboards.setdefault(table, []).append(leaderboard)
    # a leaderboard whose every snapshot was superseded away keeps nothing
    vanished = sorted(set(gone["leaderboard"]) - set(history.boards))
    update.snapshots += [row for row in gone.rows() if row[0] in vanished]
    for table in SERIES_MARTS:
        update.leaderboards.setdefault(table, []).extend(vanished)

    # funding marts: small, recomputed whole when funding changed or a gap next to it (race_by_year)
    whole = ["core.model_lineage", "core.model_attribution"]
    if full or FUNDING_TABLE in the_plan.changed_tables or update.leaderboards.get("marts.gap"):
        gap = _all_gaps(con, update, list(history.boards))
        funding = MartInputs(core={FUNDING_TABLE: read_core(con, FUNDING_TABLE)}, registry=inputs.registry)
        for table, frame in funding_marts(funding, {"marts.gap": gap}).items():
            update.add(table, frame)
            whole.append(table)
    # LMArena dataset marts: small, recomputed whole when its core table changed
    if full or LMARENA_TABLE in the_plan.changed_tables:
        lmarena = MartInputs(core={LMARENA_TABLE: read_core(con, LMARENA_TABLE)}, registry=inputs.registry)
        for table, frame in lmarena_marts(lmarena, {}).items():
            update.add(table, frame)
            whole.append(table)
    # capability marts: small, recomputed whole when an edition was published or superseded; the
    # source's rows of marts.unattributed are replaced as one leaderboard's
    if full or CAPABILITY_TABLE in the_plan.changed_tables:
        entries = read_core(con, CAPABILITY_TABLE)
        frames = capability_marts(entries, inputs.registry, inputs.pairs) if len(entries) else {}
        for table in CAPABILITY_MART_COLUMNS:
            update.add(table, frames.get(table))
            whole.append(table)
        curation = frames.get("marts.unattributed")
        if full or not _same(
            curation, _stored(con, "marts.unattributed", " WHERE leaderboard = ?", [CAPABILITY_BOARD])
        ):
            update.add("marts.unattributed", curation)
            update.leaderboards.setdefault("marts.unattributed", []).append(CAPABILITY_BOARD)
    # whole tables: written (and gated) only when they changed
    for table in whole:
        if full or not _same(update.frame(table), _stored(con, table)):
            update.whole.append(table)
        else:
            update.drop(table)
    return update


def _all_gaps(con, update: Update, order: list[str]) -> pl.DataFrame:
    """marts.gap as a full build holds it: per leaderboard in board order, recomputed or stored."""
    recomputed = update.frame("marts.gap")
    parts = []
    for leaderboard in order:
        if leaderboard in update.leaderboards.get("marts.gap", []):
            parts.append(recomputed.filter(pl.col("leaderboard") == leaderboard))
        else:
            parts.append(_stored(con, "marts.gap", " WHERE leaderboard = ?", [leaderboard], GAP_ORDER))
    return pl.concat(parts, how="vertical_relaxed") if parts else _empty("marts.gap")


# --- the refresh -------------------------------------------------------------------------------------------


def _counts(con) -> dict[str, int]:
    """Every mart's row count, in one query (a query per mart cost a catalog round trip each)."""
    counts = " UNION ALL ".join(f"SELECT '{table}', count(*) FROM {table}" for table in MART_COLUMNS)
    found = dict(con.execute(counts).fetchall())
    return {table: found[table] for table in MART_COLUMNS}


def refresh_marts(warehouse: Path, full: bool = False) -> MartsOutcome:
    """Recompute what changed since the last refresh (everything with `full`, or when an input
    changed), gate it and write it with the marts' state in one transaction."""
    log = _log()
    digests = input_digests()
    print_fp = fingerprint(digests)
    with connection.connect(warehouse, read_only=True) as con:
        the_plan = plan(con, digests, full)
        log.info("%s", the_plan.reason)
        if the_plan.mode == "unchanged":
            return MartsOutcome(True, _counts(con), mode="unchanged", note=the_plan.reason, fingerprint=print_fp,
                                inputs=digests)  # fmt: skip
    started = time.perf_counter()
    update = compute(warehouse, the_plan)
    computed = time.perf_counter()
    reports = {table: validate_mart(table, frame) for table, frame in update.frames.items()}
    gated = time.perf_counter()
    failed = [r for r in reports.values() if not r.success]
    if failed:
        return MartsOutcome(False, reasons=[r.summary() for r in failed], mode=the_plan.mode, note=the_plan.reason,
                            fingerprint=print_fp, inputs=digests)  # fmt: skip
    snapshots = len(update.snapshots)
    note = f"{the_plan.reason}; recomputed {snapshots} snapshot(s) of {', '.join(update.recomputed) or 'no board'}"
    with connection.connect(warehouse) as con:
        written = publishing.replace_parts(con, _writes(update), _state_writer(the_plan, digests, print_fp, update))
        rows = _counts(con)
    timing = (
        f"computed in {computed - started:.1f} s, {len(reports)} mart gate(s) in {gated - computed:.1f} s, "
        f"written in {time.perf_counter() - gated:.1f} s"
    )
    log.info("%s; %s; wrote %s", note, timing, ", ".join(f"{t} {n}" for t, n in written.items()) or "no rows")
    return MartsOutcome(True, rows, mode=the_plan.mode, note=note, fingerprint=print_fp, inputs=digests,
                        written=written)  # fmt: skip


def _writes(update: Update) -> list[publishing.Replacement]:
    snapshots = pl.DataFrame(update.snapshots, schema=["leaderboard", "snapshot_date"], orient="row")
    snapshots = snapshots.cast({"leaderboard": pl.Utf8, "snapshot_date": pl.Date})
    writes = []
    for table in SNAPSHOT_MARTS:
        if len(snapshots):
            writes.append(publishing.Replacement(table, update.frame(table), snapshots))
    for table in SERIES_MARTS:
        if leaderboards := update.leaderboards.get(table):
            keys = pl.DataFrame({"leaderboard": leaderboards}, schema={"leaderboard": pl.Utf8})
            writes.append(publishing.Replacement(table, update.frame(table), keys))
    for table in update.whole:
        writes.append(publishing.Replacement(table, update.frame(table), None))
    return writes


def _state_writer(the_plan: Plan, digests: dict[str, str], print_fp: str, update: Update):
    def write_state(con, written: dict[str, int]) -> None:
        con.execute("DELETE FROM meta.marts_loads")
        con.register("marts_loads_frame", the_plan.current.to_arrow())
        con.execute("INSERT INTO meta.marts_loads SELECT load_id, core_table FROM marts_loads_frame")
        con.unregister("marts_loads_frame")
        con.execute(
            "INSERT INTO meta.marts_refreshes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [connection.utcnow(), the_plan.mode, the_plan.reason, print_fp, json.dumps(digests, sort_keys=True),
             len(the_plan.added), len(the_plan.removed), len(update.snapshots), json.dumps(written)],
        )  # fmt: skip

    return write_state
