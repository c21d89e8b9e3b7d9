"""The Arena's boards: what a score means on each, and how core.arena_entries becomes one row per
model per board per snapshot (datasets/arena/parse.py `arena_board`).

Every board of the daily feed is its own leaderboard, `arena-<board>` (datasets/arena/parse.py
`board_leaderboard`); `arena-text` is also the name of the archive's text series (2023 on).

The preliminary rule: a rating the Arena marks `preliminary` (few votes yet; marked from
2026-07-16) is kept in core.arena_entries and marts.model_scores (`preliminary` true), and left out
of every headline number: frontiers, gaps, lags, top-N shares and coverage. A model's first days on
a board move by tens of points; a frontier set by one would be a guess.
"""

from __future__ import annotations

import polars as pl

from common.boards import Board, Leaderboard
from datasets.arena.parse import arena_board, board_leaderboard, load_model_overrides


def _elo(title: str) -> Leaderboard:
    # Arena scores are Elo-like ratings (Bradley-Terry, scaled): only differences within one board mean
    # something; a text Elo and a video Elo are not one scale
    return Leaderboard(f"Arena {title}", "Elo", f"Arena {title} score (Elo)", 0)


# the feed's board name -> its leaderboard's facts, in the order reports list them
ARENA_BOARDS = {
    "text": Leaderboard("Chatbot Arena (text)", "Elo", "Arena score (Elo)", 0),
    "vision": _elo("vision"),
    "document": _elo("document"),
    "search": _elo("search"),
    # the coding board until 2026-07-16, a series of its own: arena-code-webdev is another board
    # (another prompt set and model list), not its continuation
    "code": _elo("code (WebDev, until 2026-07-16)"),
    "code-webdev": _elo("code: WebDev (from 2026-07-16)"),
    "code-image-to-webdev": _elo("code: image to WebDev (from 2026-07-16)"),
    "text-to-image": _elo("text to image"),
    "image-edit": _elo("image edit"),
    "text-to-video": _elo("text to video"),
    "image-to-video": _elo("image to video"),
    "video-edit": _elo("video edit"),
    "agent": Leaderboard(
        "Arena agent",
        "signal points",
        "Arena agent signals (no single score)",
        2,
        unranked=(
            "rated by several signals (net_improvement, confirmed_success, praise_vs_complaint, steerability, "
            "bash_recovery, tool_hallucination where lower is better), each on its own scale, and from "
            "2026-06-17 with no `score` at all: no single number ranks its models, so no frontier or gap"
        ),
    ),  # fmt: skip
}

LEADERBOARDS = {board_leaderboard(board): facts for board, facts in ARENA_BOARDS.items()}

UNRANKED = sorted(name for name, facts in LEADERBOARDS.items() if facts.unranked)


def ranked_board(entries, core):
    """The board of every ranked leaderboard (an unranked one's rows stay in core, listed, unranked)."""
    ranked = entries.filter(~pl.col("leaderboard").is_in(UNRANKED))
    return arena_board(ranked, core["core.arena_models"], load_model_overrides())


BOARDS = {
    # the Space's catalog fills a missing organisation or licence; the Arena's tables are small, read whole
    "core.arena_entries": Board(ranked_board, reads=("core.arena_models",)),
}
