"""Which load counts, and publishing: a snapshot's rows, its ledger row and what it supersedes in one transaction; the marts replaced as a whole or by parts."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from common.contracts import BOARD_IDENTITY
from warehouse import ledger, schema
from warehouse.connection import in_transaction, utcnow
from warehouse.ledger import LedgerRow, LoadedConcurrently, guard_ledger


class PublishMismatch(RuntimeError):
    """Rows written differ from rows validated; the transaction was rolled back."""


# --- which load counts ----------------------------------------------------------------------------
#
# The rule, for every source (docs/data-quality.md, "When data changes"):
# - Every core row reports an identity: a leaderboard table holds one board per snapshot date, so
#   its identity is the snapshot date (core.arena_entries, whose boards share the table: the
#   leaderboard and the date, so a vision snapshot never supersedes the text one of its day);
#   core.funding_observations holds figures, identified by
#   (source, series, edition, period, region, metric, segment). Each core table's contract declares it.
# - The published content for an identity is the latest accepted content for it. Publishing a load
#   supersedes every published load that reports any identity it reports (whichever source wrote
#   it), and the earlier content under its own key (source, snapshot_key) unless the source keeps
#   editions. Loads are published in fetch order, so the one fetched last counts (several published
#   in one transaction count exactly as if one after another: `publish_many`); a revert (earlier
#   bytes back under a key) is new content for the key and is published again (SourceLedger.known).
# - Superseding removes the old load's rows from EVERY core table (a Space file that turned from a
#   catalog into scores leaves nothing behind in core.arena_models) and marks it `superseded`,
#   pointing to its successor, in the same transaction that inserts the new rows. So no identity
#   is ever published twice, and the marts never choose between copies.
# Two contents claiming one identity in one run are not ordered by anything: the run holds both
# back (engine/load.py, `settle`), it never picks one.


def identity_columns(table: str) -> tuple[str, ...]:
    """What a row of core `table` reports: its contract's identity (a core table made without a
    contract, as tests do, is a leaderboard's: one board per date)."""
    contract = schema.tables().get(table)
    return contract.identity if contract is not None else BOARD_IDENTITY


def identities(table: str, frame: pl.DataFrame) -> set[tuple]:
    """What the rows of `frame` report, in `table`'s identity."""
    return {(table, *key) for key in frame.select(identity_columns(table)).unique().rows()}


def core_tables(con) -> list[str]:
    """Every core table that holds loaded rows (those with a load_id column)."""
    rows = con.execute(
        "SELECT DISTINCT table_schema || '.' || table_name FROM information_schema.columns "
        "WHERE table_schema = 'core' AND column_name = 'load_id' ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class Publication:
    """One snapshot to publish: its validated rows for `table` and its ledger row. `replaces_key`:
    False for sources that keep editions (a new edition under the same key is published next to the
    earlier ones; only the same identities replace)."""

    table: str
    frame: pl.DataFrame
    row: LedgerRow
    replaces_key: bool = True


@dataclass(frozen=True)
class Met:
    """What publishing a group meets in the warehouse (`met_by_publishing`)."""

    recorded: dict[str, str]  # load id of a member -> its status, where another run recorded it meanwhile
    reported_by: dict[str, list[int]]  # published load -> the members reporting an identity or key it has


def met_by_publishing(con, group: list[Publication]) -> Met:
    """In one query, for a whole group: which members' loads another run recorded meanwhile, and for
    every published load that shares an identity (or, for a member that replaces its key, the key)
    with a member, which members (by position) share it."""
    parts, params, registered = [], [], []
    for table in dict.fromkeys(p.table for p in group):
        columns = identity_columns(table)
        members = [(i, p.frame) for i, p in enumerate(group) if p.table == table and len(p.frame)]
        if not members:
            continue
        reported = pl.concat(
            [frame.select(columns).unique().with_columns(pl.lit(i, pl.Int64).alias("member")) for i, frame in members]
        )
        name = f"reported_{len(registered)}"
        con.register(name, reported.to_arrow())
        registered.append(name)
        if "snapshot_date" in columns and set(columns) <= {*BOARD_IDENTITY, "leaderboard"}:
            # a board per date (and per leaderboard, where boards share a table): the group's few dates
            # as constants, so the lake skips every file whose dates lie elsewhere and the cost stays
            # flat as history grows (a join alone would read every file's dates)
            dates = reported.get_column("snapshot_date").unique().drop_nulls().sort().to_list()
            if not dates:
                continue
            listed = ", ".join(columns)
            parts.append(
                f"SELECT t.load_id, s.member FROM (SELECT DISTINCT {listed}, load_id FROM {table} "
                f"WHERE snapshot_date IN ({', '.join('?' for _ in dates)})) t JOIN {name} s USING ({listed})"
            )
            params += dates
        else:
            on = " AND ".join(f"t.{c} IS NOT DISTINCT FROM s.{c}" for c in columns)
            parts.append(f"SELECT DISTINCT t.load_id, s.member FROM {table} t JOIN {name} s ON {on}")
    keys = [(p.row.source, p.row.snapshot_key, i) for i, p in enumerate(group) if p.replaces_key]
    if keys:
        frame = pl.DataFrame(keys, schema={"source": pl.Utf8, "snapshot_key": pl.Utf8, "member": pl.Int64},
                             orient="row")  # fmt: skip
        con.register("reported_keys", frame.to_arrow())
        registered.append("reported_keys")
        parts.append("SELECT l.load_id, k.member FROM meta.loads l JOIN reported_keys k USING (source, snapshot_key)")
    matched = (
        " UNION ALL ".join(parts) if parts else "SELECT NULL::VARCHAR AS load_id, NULL::BIGINT AS member WHERE false"
    )
    sql = (
        f"WITH matched(load_id, member) AS ({matched}) "
        "SELECT m.load_id, l.status, m.member FROM matched m JOIN meta.loads l USING (load_id) "
        "WHERE l.status = 'published' "
        "UNION ALL SELECT load_id, status, NULL FROM meta.loads WHERE list_contains(?, load_id)"
    )
    try:
        met = con.execute(sql, [*params, [p.row.load_id for p in group]]).fetchall()
    finally:
        for name in registered:
            con.unregister(name)
    recorded: dict[str, str] = {}
    reported_by: dict[str, list[int]] = {}
    for load_id, status, member in met:
        if member is None:
            recorded[load_id] = status
        else:
            reported_by.setdefault(load_id, []).append(member)
    return Met(recorded, {load_id: sorted(set(members)) for load_id, members in reported_by.items()})


def successors(group: list[Publication], met: Met) -> dict[str, int]:
    """{load to supersede: the member (by position) that supersedes it}, publishing the group's
    members in order, as if one after the other (the rule above): a published load is superseded by
    the first member reporting one of its identities (or its key), and a member by the first later
    member that reports one of its own; members another run recorded (`met.recorded`) publish nothing."""
    publishing = [i for i, p in enumerate(group) if p.row.load_id not in met.recorded]
    superseded_by: dict[str, int] = {}
    for load_id, members in met.reported_by.items():  # (a member's own load is published only if recorded)
        first = next((i for i in members if i in publishing), None)
        if first is not None:
            superseded_by[load_id] = first
    # within the group: what a member reports, and what a later member claims of it
    holders: dict[tuple, list[int]] = {}
    for j in publishing:
        p = group[j]
        key = ("key", p.row.source, p.row.snapshot_key)
        reports = identities(p.table, p.frame)
        for claim in reports | ({key} if p.replaces_key else set()):
            for i in holders.get(claim, []):
                superseded_by.setdefault(group[i].row.load_id, j)
        for claim in reports | {key}:
            holders.setdefault(claim, []).append(j)
    return superseded_by


def _retire(con, successor_of: dict[str, str]) -> None:
    """Remove superseded loads' rows from every core table and point their ledger rows to their
    successors ({superseded load: successor}): one statement per table, however many loads."""
    if not successor_of:
        return
    old, new = list(successor_of), list(successor_of.values())
    for table in core_tables(con):
        con.execute(f"DELETE FROM {table} WHERE list_contains(?, load_id)", [old])
    con.execute(
        "UPDATE meta.loads SET status = 'superseded', superseded_by = list_extract(?::VARCHAR[], "
        "list_position(?::VARCHAR[], load_id)), superseded_at = ? WHERE list_contains(?, load_id)",
        [new, old, utcnow(), old],
    )


@dataclass(frozen=True)
class Published:
    rows: int
    superseded: list[str]


def publish_many(con, group: list[Publication]) -> list[Published | LoadedConcurrently]:
    """Publish a group of snapshots in one transaction, as if one after the other in the group's order:
    each member's rows and ledger row are inserted and what it supersedes (the rule above) is retired,
    all or nothing. The statements are a fixed few per table, not per snapshot: one query for what the
    group meets, one INSERT per core table, the deletes of superseded rows, one ledger INSERT and one
    ledger UPDATE. For each member, in order: Published, or LoadedConcurrently when another run
    recorded that very load first (nothing of it written; the others publish).

    Raises PublishMismatch (and changes nothing) if the rows written are not the rows validated.
    The check-and-write touches the ledger guard: when another run commits a ledger write first, the
    whole transaction is run again on the new state."""

    def write() -> list[Published | LoadedConcurrently]:
        guard_ledger(con)
        met = met_by_publishing(con, group)
        publishing = [p for p in group if p.row.load_id not in met.recorded]
        for table in dict.fromkeys(p.table for p in publishing):
            into = [p for p in publishing if p.table == table]
            _insert_checked(con, table, into)
        superseded_by = successors(group, met)
        ledger.insert_ledger(con, [p.row for p in publishing])
        _retire(con, {old: group[j].row.load_id for old, j in superseded_by.items()})
        results: list[Published | LoadedConcurrently] = []
        for i, p in enumerate(group):
            if p.row.load_id in met.recorded:
                results.append(LoadedConcurrently(p.row.load_id, met.recorded[p.row.load_id]))
            else:
                replaced = sorted(old for old, j in superseded_by.items() if j == i)
                results.append(Published(len(p.frame), replaced))
        return results

    return in_transaction(con, write)


def _insert_checked(con, table: str, group: list[Publication]) -> None:
    """Insert the group's frames into `table` in one statement; PublishMismatch unless the rows written
    are the rows validated, and each member's ledger row says so."""
    frame = group[0].frame if len(group) == 1 else pl.concat([p.frame for p in group], how="diagonal_relaxed")
    con.register("staged_frame", frame.to_arrow())
    try:
        written = con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM staged_frame").fetchone()[0]
    finally:
        con.unregister("staged_frame")
    validated = sum(len(p.frame) for p in group)
    if written != validated or any(p.row.rows_published != len(p.frame) for p in group):
        what = group[0].row.load_id if len(group) == 1 else f"{len(group)} loads into {table}"
        wrong = [p.row.load_id for p in group if p.row.rows_published != len(p.frame)]
        ledger = f" ({', '.join(wrong)}: the ledger row says otherwise)" if wrong else ""
        raise PublishMismatch(f"{what}: wrote {written} rows, validated {validated}{ledger}; nothing was published")


def publish(con, table: str, frame: pl.DataFrame, row: LedgerRow, replaces_key: bool = True) -> Published:
    """Publish one snapshot in its own transaction (`publish_many` with a group of one); raises
    LoadedConcurrently when another run recorded this very load first (nothing written twice)."""
    [done] = publish_many(con, [Publication(table, frame, row, replaces_key)])
    if isinstance(done, LoadedConcurrently):
        raise done
    return done


def settle_published_overlaps(con) -> dict[str, str]:
    """Apply the rule to loads published before it existed: where two published loads report one
    identity, the later one (by finished_at) counts and the earlier is superseded. Returns
    {superseded load: successor}. Run once by the migration that introduced the rule."""
    retired: dict[str, str] = {}
    for table in core_tables(con):
        columns = ", ".join(identity_columns(table))
        partition = ", ".join(f"r.{c}" for c in identity_columns(table))
        pairs = con.execute(
            f"""
            WITH reported AS (SELECT DISTINCT {columns}, load_id FROM {table}),
            ranked AS (
                SELECT r.load_id,
                       first_value(r.load_id) OVER (PARTITION BY {partition} ORDER BY l.finished_at DESC, r.load_id DESC)
                           AS latest
                FROM reported r JOIN meta.loads l ON l.load_id = r.load_id WHERE l.status = 'published'
            )
            SELECT DISTINCT load_id, latest FROM ranked WHERE load_id <> latest ORDER BY 1
            """
        ).fetchall()
        for old, new in pairs:
            retired.setdefault(old, new)

    in_transaction(con, lambda: _retire(con, retired))
    return retired


def replace_tables(con, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Replace the full contents of several tables in one transaction (used for marts)."""

    def write() -> dict[str, int]:
        counts = {}
        for table, frame in frames.items():
            con.execute(f"DELETE FROM {table}")
            if len(frame):
                con.register("staged_frame", frame.to_arrow())
                try:
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM staged_frame")
                finally:
                    con.unregister("staged_frame")
            counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if counts[table] != len(frame):
                raise PublishMismatch(f"{table}: wrote {counts[table]} rows, validated {len(frame)}")
        return counts

    return in_transaction(con, write)


@dataclass(frozen=True)
class Replacement:
    """New rows for `table`, replacing the rows whose `keys` columns match a row of `keys` (all rows
    when `keys` is None)."""

    table: str
    frame: pl.DataFrame
    keys: pl.DataFrame | None


def replace_parts(con, replacements: list[Replacement], also=None) -> dict[str, int]:
    """Apply every replacement, then `also(con, written)`, in one transaction; checks that each
    table holds the rows validated for the replaced part (used for the incremental marts)."""
    written = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for r in replacements:
            where = ""
            if r.keys is not None:
                con.register("replaced_keys", r.keys.to_arrow())
                on = " AND ".join(f"k.{c} = t.{c}" for c in r.keys.columns)
                where = f" WHERE EXISTS (SELECT 1 FROM replaced_keys k WHERE {on})"
            con.execute(f"DELETE FROM {r.table} t{where}")
            if len(r.frame):
                con.register("staged_frame", r.frame.to_arrow())
                con.execute(f"INSERT INTO {r.table} BY NAME SELECT * FROM staged_frame")
                con.unregister("staged_frame")
            count = con.execute(f"SELECT count(*) FROM {r.table} t{where}").fetchone()[0]
            if r.keys is not None:
                con.unregister("replaced_keys")
            if count != len(r.frame):
                raise PublishMismatch(f"{r.table}: wrote {count} rows, validated {len(r.frame)}")
            written[r.table] = count
        if also is not None:
            also(con, written)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return written
