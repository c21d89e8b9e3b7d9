"""From published core rows to every mart table. Pure: frames in, frames out.

Each domain contributes a builder `(inputs, built) -> {table: frame}`; builders run in order and
later ones may use tables built before them (`built`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from attribution import contract as attribution_contract
from attribution.attribute import attribute_models, model_facts
from attribution.lineage import reported_edges, resolve_lineage
from attribution.registry import Registry
from common.boards import one_load_per_snapshot
from common.cache import code_files
from common.contracts import Table
from common.settings import REGISTRY_DIR, gap_pairs
from datasets import boards, leaderboard
from datasets.arena.parse import OVERRIDES_PATH
from datasets.artificial_analysis.marts import CAPABILITY_MART_COLUMNS, CAPABILITY_TABLE, capability_builder
from datasets.funding.marts import (
    FUNDING_MART_COLUMNS,
    FUNDING_TABLE,
    PROVENANCE_PATH,
    funding_marts,
    load_provenance,
)
from datasets.lmarena.marts import LMARENA_MART_COLUMNS, lmarena_marts
from datasets.lmarena.parse import TABLE as LMARENA_TABLE
from marts import contract as marts_contract
from marts import gaps

# core table of a leaderboard -> its board (declared by its dataset: datasets/<family>/board.py)
BOARDS = boards()
# the other core tables a board reads whole (a change there changes every snapshot of the board)
BOARD_READS = {table: list(board.reads) for table, board in BOARDS.items() if board.reads}
BOARD_READS_ALL = sorted({table for tables in BOARD_READS.values() for table in tables})
# engine/marts.py reads these tables
CORE_TABLES = [*BOARDS, *BOARD_READS_ALL, FUNDING_TABLE, LMARENA_TABLE, CAPABILITY_TABLE]
# The columns of a board's core table that its history needs; a table not named here is read whole.
HISTORY_COLUMNS = {table: list(board.history_columns) for table, board in BOARDS.items() if board.history_columns}

# Derived table -> the columns it publishes, in order: from its contract (attribution/contract.py,
# marts/contract.py, datasets/funding/contract.py, datasets/lmarena/contract.py,
# datasets/artificial_analysis/contract.py).
MART_CONTRACTS = [*attribution_contract.CONTRACTS, *(c for c in marts_contract.CONTRACTS if isinstance(c, Table))]
# the marts of the datasets that are not leaderboards of one score per model per snapshot
DATASET_MART_COLUMNS = FUNDING_MART_COLUMNS | LMARENA_MART_COLUMNS | CAPABILITY_MART_COLUMNS
MART_COLUMNS = {c.name: c.column_names for c in MART_CONTRACTS} | DATASET_MART_COLUMNS


LEADERBOARD_TABLES = [t for t in MART_COLUMNS if t not in DATASET_MART_COLUMNS]
# What a snapshot mart reads of a model's attribution (not the evidence, which names the latest
# report): a model whose attribution changes here changes every snapshot it is in.
ATTRIBUTION_READ = ["leaderboard", "model_id", "mode", "org_id", "country", "method"]
# How a recompute replaces each table (engine/marts.py): the rows of the snapshots recomputed
# (one row depends on its own snapshot only); the rows of the leaderboards recomputed (lags, holes,
# trends and the curation list follow the whole history); or the whole table (one model graph over
# every board, and the small funding, LMArena and capability marts).
SNAPSHOT_MARTS = [c.name for c in MART_CONTRACTS if c.kind == "per snapshot"]
SERIES_MARTS = [c.name for c in MART_CONTRACTS if c.kind == "per series"]
WHOLE_TABLES = [c.name for c in MART_CONTRACTS if c.kind == "whole"] + list(DATASET_MART_COLUMNS)


# Every input of the marts besides the core tables, by kind: what a refresh fingerprints (a change
# means every mart is rebuilt). `code` is the source of what computes and gates them.
INPUT_FILES = {
    "registry": sorted(REGISTRY_DIR.glob("*.csv")),
    "arena model overrides": [OVERRIDES_PATH],
    "funding provenance": [PROVENANCE_PATH],
    # what computes and gates them: these modules and every project module they import
    "code": code_files("marts.build", "marts.checks", "engine.marts"),
}


@dataclass(frozen=True)
class MartInputs:
    core: dict[str, pl.DataFrame]  # core table name -> its published rows
    registry: Registry
    pairs: list[tuple[str, str]] = field(default_factory=gap_pairs)
    # what each funding series derives from (data/funding/crosswalk/provenance.csv)
    funding_provenance: pl.DataFrame = field(default_factory=load_provenance)


def model_lineage(boards: list[pl.DataFrame], facts: list[pl.DataFrame], registry: Registry) -> pl.DataFrame:
    """core.model_lineage: one model graph over every board, resolved once per model."""
    return resolve_lineage(pl.concat(facts, how="diagonal_relaxed"), reported_edges(boards), registry)


def headline(board: pl.DataFrame) -> pl.DataFrame:
    """The rows every headline number reads: a preliminary rating is listed, never ranked (the rule:
    datasets/arena/board.py)."""
    return board.filter(~pl.col("preliminary")) if "preliminary" in board.columns else board


def snapshot_marts(board: pl.DataFrame, inputs: MartInputs, attribution: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The marts of SNAPSHOT_MARTS for the snapshots in `board` (any subset of a leaderboard's
    snapshots: each row of these marts depends on its own snapshot and the models' attribution only).
    `attribution` covers every model of the leaderboard."""
    benchmarks = [b for b in leaderboard(board["leaderboard"][0]).benchmarks if b in board.columns]
    wide = gaps.wide_attribution(attribution)
    listed = gaps.attributed_board(board, wide)
    board = headline(board)
    scored = gaps.attributed_board(board, wide)
    scopes = gaps.scoped(board)
    fine = gaps.fine_groups(scored, wide, ["score", *benchmarks])
    top = gaps.ranked(board, scopes)
    return {
        "marts.model_scores": gaps.model_scores(listed, wide),
        "marts.snapshot_lists": gaps.snapshot_lists(listed),
        "marts.country_frontier": gaps.country_frontier(fine, wide, scopes),
        "marts.topn_share": gaps.topn_share(top, attribution),
        "marts.benchmark_gap": gaps.benchmark_gap(fine, wide, scopes, benchmarks, inputs.pairs) if benchmarks else None,
        "marts.size_gap": gaps.size_gap(fine, wide, scopes, inputs.pairs),
        "marts.attribution_coverage": gaps.attribution_coverage(fine, top, attribution),
    }


def series_marts(
    history: pl.DataFrame, frontier: pl.DataFrame, inputs: MartInputs, attribution: pl.DataFrame, facts: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """The marts of SERIES_MARTS for one leaderboard: they follow its whole history. `history` is
    its board over every snapshot (the HISTORY_COLUMNS suffice), `frontier` its whole
    marts.country_frontier."""
    wide = gaps.wide_attribution(attribution)
    gap = gaps.gaps_with_lag(frontier, inputs.pairs, gaps.snapshot_lists(history))
    history = headline(history)
    top = gaps.ranked(history, ["all"])
    return {
        "marts.gap": gap,
        "marts.gap_trend": gaps.gap_trend(gap),
        "marts.snapshot_holes": gaps.snapshot_holes(history),
        "marts.unattributed": gaps.unattributed(gaps.attributed_board(history, wide), top, attribution, facts),
    }


def board_marts(
    board: pl.DataFrame, inputs: MartInputs, lineage: pl.DataFrame, facts: pl.DataFrame | None = None
) -> dict[str, pl.DataFrame]:
    """Every leaderboard mart of one board (one leaderboard); `lineage` is core.model_lineage."""
    facts = model_facts(board) if facts is None else facts
    attribution = attribute_models(board, inputs.registry, lineage, facts)
    per_snapshot = snapshot_marts(board, inputs, attribution)
    series = series_marts(board, per_snapshot["marts.country_frontier"], inputs, attribution, facts)
    return {"core.model_attribution": attribution, **per_snapshot, **series}


def make_board(core_table: str, entries: pl.DataFrame, core: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The board of `core_table`'s published rows `entries` (all of them, or a few snapshots': a
    board row depends on its own snapshot and, for the Arena, on the whole catalog in `core`)."""
    if "leaderboard" not in entries.columns:
        entries = entries.with_columns(pl.lit(core_table).alias("leaderboard"))  # one load per date
    return BOARDS[core_table].build(one_load_per_snapshot(entries), core)


def per_leaderboard(board: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """A board split by leaderboard (the Arena's boards share one core table), in first-seen order:
    every mart is computed per leaderboard."""
    if board.is_empty():
        return {}
    names = board["leaderboard"].unique(maintain_order=True).to_list()
    if len(names) == 1:
        return {names[0]: board}
    return {
        name: part for (name,), part in board.partition_by("leaderboard", as_dict=True, maintain_order=True).items()
    }


def leaderboard_marts(inputs: MartInputs, built: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    per_table: dict[str, list[pl.DataFrame]] = {table: [] for table in LEADERBOARD_TABLES}
    boards = [
        board
        for core_table in BOARDS
        if (entries := inputs.core.get(core_table)) is not None and not entries.is_empty()
        for board in per_leaderboard(make_board(core_table, entries, inputs.core)).values()
    ]
    facts = [model_facts(board) for board in boards]
    if boards:
        per_table["core.model_lineage"].append(lineage := model_lineage(boards, facts, inputs.registry))
    for board, board_facts in zip(boards, facts, strict=True):
        for table, frame in board_marts(board, inputs, lineage, board_facts).items():
            if frame is not None and not frame.is_empty():
                per_table[table].append(frame.select(MART_COLUMNS[table]))
    return {
        table: pl.concat(frames, how="vertical_relaxed") if frames else _empty(table)
        for table, frames in per_table.items()
    }


def _empty(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.Null for c in MART_COLUMNS[table]})


MART_BUILDERS: list[Callable[[MartInputs, dict[str, pl.DataFrame]], dict[str, pl.DataFrame]]] = [
    leaderboard_marts,
    funding_marts,  # after the leaderboard marts: marts.race_by_year reads marts.gap
    lmarena_marts,  # the LMArena dataset's fronts: its own table, read whole (small marts)
    capability_builder,  # after the leaderboard marts: its curation rows join marts.unattributed
]


def build_marts(inputs: MartInputs) -> dict[str, pl.DataFrame]:
    built: dict[str, pl.DataFrame] = {}
    for builder in MART_BUILDERS:
        built.update(builder(inputs, built))
    return {table: frame.select(MART_COLUMNS[table]) for table, frame in built.items()}
