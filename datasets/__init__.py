"""The datasets aigap reads, one folder per source family, and the registry that lists them.

Adding a source: a folder `datasets/<family>/` (its adapter, parser, checks, board, README), its
family in FAMILIES, and its adapters in `registry()` below (CONTRIBUTING.md walks through it).
"""

from __future__ import annotations

import importlib
from functools import cache

from common.boards import Board, Leaderboard, undeclared
from datasets.base import Source

# Families with a board.py (LEADERBOARDS, BOARDS), in the order reports list their leaderboards.
FAMILIES = ("arena", "open_llm")


@cache
def registry() -> dict[str, Source]:
    """Every source by the name users pass to `aigap run --source NAME=LOCATION` / `--only NAME`, in
    the order a full run processes them. Adapters hold no state: one registry serves the process."""
    from datasets.arena.archive import ArenaArchive
    from datasets.arena.daily import ArenaDaily
    from datasets.arena.space import ArenaSpace
    from datasets.artificial_analysis.sources import ArtificialAnalysis
    from datasets.funding.sources import funding_sources
    from datasets.lmarena.sources import LMArenaDataset, LMArenaHub
    from datasets.open_llm.hub import OpenLLMv1Hub, OpenLLMv2Hub
    from datasets.open_llm.v1_archive import OpenLLMv1Archive
    from datasets.open_llm.v2_archive import OpenLLMv2Archive

    adapters: list[Source] = [
        OpenLLMv2Archive(),
        OpenLLMv1Archive(),
        ArenaArchive(),
        ArenaDaily(),
        LMArenaDataset(),
        ArtificialAnalysis(),
        # Hub sources: online only, not in a plain run (see datasets/open_llm/hub.py).
        OpenLLMv2Hub(),
        OpenLLMv1Hub(),
        ArenaSpace(),
        LMArenaHub(),
        *funding_sources(),
    ]
    return {adapter.name: adapter for adapter in adapters}


def _boards_modules():
    return [importlib.import_module(f"datasets.{family}.board") for family in FAMILIES]


@cache
def leaderboards() -> dict[str, Leaderboard]:
    """Every leaderboard a dataset declares (what its score means), in FAMILIES order."""
    return {name: facts for module in _boards_modules() for name, facts in module.LEADERBOARDS.items()}


def leaderboard(name: str) -> Leaderboard:
    """The declared facts of a leaderboard; one no dataset declares says so rather than guess a unit."""
    return leaderboards().get(name) or undeclared(name)


@cache
def boards() -> dict[str, Board]:
    """Core table of a leaderboard -> how it becomes a board for the marts."""
    return {table: board for module in _boards_modules() for table, board in module.BOARDS.items()}


def credit_line(source: str) -> str:
    """The credit of a source; a source without one says so instead of passing for uncredited data."""
    adapter = registry().get(source)
    return adapter.credit.line() if adapter else f"{source} (origin and licence not recorded: see data/README.md)"
