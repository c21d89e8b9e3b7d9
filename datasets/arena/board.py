"""The Chatbot Arena as a board: what a score means, and how core.arena_entries becomes one row per
model per snapshot (datasets/arena/parse.py `arena_board`)."""

from __future__ import annotations

from common.boards import Board, Leaderboard
from datasets.arena.parse import LEADERBOARD, arena_board, load_model_overrides

# Arena scores are Elo ratings: only differences mean something.
LEADERBOARDS = {LEADERBOARD: Leaderboard("Chatbot Arena (text)", "Elo", "Arena score (Elo)", 0)}

BOARDS = {
    # the Space's catalog fills a missing organisation or licence; the Arena's tables are small, read whole
    "core.arena_entries": Board(
        lambda entries, core: arena_board(entries, core["core.arena_models"], load_model_overrides()),
        reads=("core.arena_models",),
    ),
}
