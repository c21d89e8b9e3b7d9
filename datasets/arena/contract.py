"""The Chatbot Arena's core tables. (common/contracts.py)."""

from __future__ import annotations

from common.contracts import BOARD_IDENTITY, Column, Table

ARENA_ENTRIES = Table(
    "core.arena_entries",
    "core",
    "Chatbot Arena (LMSYS / LMArena, now arena.ai) leaderboards: one row per model per board per published snapshot (the text board's scraped tables and the Space's 2023 tables with Elo; every board of the daily JSON feed). Every layout normalised by datasets/arena/parse.py. One snapshot is one board on one date: (leaderboard, snapshot_date) is what a load reports.",
    (
        Column("load_id", "VARCHAR", nullable=False),
        Column("source", "VARCHAR", nullable=False),
        Column("snapshot_key", "VARCHAR", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column(
            "leaderboard",
            "VARCHAR",
            nullable=False,
            doc="arena-<board>: arena-text for the text board (every archive table, and the feed's text.json), arena-vision, arena-code-webdev, arena-text-to-video ... for the daily feed's other boards (declared in datasets/arena/board.py).",
        ),
        Column("model", "VARCHAR", nullable=False, doc="Model name exactly as published on that date."),
        Column(
            "model_key",
            "VARCHAR",
            nullable=False,
            doc="One key per model across name drift: the name trimmed, lower-cased, inner whitespace collapsed (GPT-4o-2024-05-13 and gpt-4o-2024-05-13 are one model).",
        ),
        Column(
            "organization",
            "VARCHAR",
            doc="Organisation as published (drifts: DeepSeek / DeepSeek AI, Nvidia / NVIDIA ...); the registry's arena_organization aliases map it. NULL in the Space's 2023 tables.",
        ),
        Column("license", "VARCHAR"),
        Column(
            "open_weights",
            "BOOLEAN",
            doc="Weights published, derived from the licence: Proprietary (and the typo Propretary) -> false; empty, -, N/A -> NULL (unknown); any named licence, non-commercial ones included -> true. Known misreports are corrected in the marts (data/arena/model_overrides.csv), not here.",
        ),
        Column(
            "score",
            "DOUBLE",
            doc="Arena score (Elo scale; published as arena_elo, arena_score, Arena Elo rating or score). NULL where the feed lists a model unrated: the agent board (rated by signals, no score from mid-June 2026) and a listed model with no rank and no votes (text, 2026-08). Such rows never enter a frontier.",
        ),
        Column(
            "ci",
            "VARCHAR",
            doc="The 95% confidence interval as published: +plus/-minus text, or the JSON feed's single +/- number.",
        ),
        Column("ci_plus", "DOUBLE", doc="Upper half-width of the 95% CI, parsed from ci."),
        Column("ci_minus", "DOUBLE", doc="Lower half-width of the 95% CI, parsed from ci."),
        Column("votes", "BIGINT"),
        Column("rank", "BIGINT", doc="Rank as published; see rank_style for what it means."),
        Column(
            "rank_style",
            "VARCHAR",
            doc="ties = 1 + the number of models statistically better (LMSYS table, ties share a rank); position = the row position (2025 lmarena table, daily JSON feed); NULL = no rank published.",
        ),
        Column(
            "rank_stylectrl",
            "BIGINT",
            doc="Rank with style control, as published from 2024-10-16 (no style-controlled score is published).",
        ),
        Column("knowledge_cutoff", "VARCHAR"),
        Column("url", "VARCHAR", doc="The model's link as published (the feed's model_url from 2026-07-16)."),
        Column(
            "preliminary",
            "BOOLEAN",
            doc="The Arena marks the rating preliminary (few votes yet); published from 2026-07-16, NULL before. Kept, and excluded from every frontier, gap, lag and share (datasets/arena/board.py states the rule).",
        ),
        Column(
            "rank_spread_low",
            "BIGINT",
            doc="Best rank the model's interval allows (feed's rank_spread, from 2026-07-16).",
        ),
        Column(
            "rank_spread_high",
            "BIGINT",
            doc="Worst rank the model's interval allows (feed's rank_spread, from 2026-07-16).",
        ),
        Column(
            "price_prompt",
            "DOUBLE",
            doc="Input price as the feed publishes it (from 2026-07-16; the feed states no unit).",
        ),
        Column(
            "price_completion",
            "DOUBLE",
            doc="Output price as the feed publishes it (from 2026-07-16; the feed states no unit).",
        ),
        Column("context_length", "BIGINT", doc="Context length in tokens, as published (from 2026-07-16)."),
        Column(
            "signals",
            "VARCHAR",
            doc="The agent board's per-signal ratings as published, JSON ({signal: {value, ci}}: net_improvement, confirmed_success, praise_vs_complaint, steerability, bash_recovery, tool_hallucination, where lower is better); NULL elsewhere.",
        ),
        Column(
            "listed",
            "BIGINT",
            doc="How many models the snapshot lists (its rows as published, this one included): a truncated list's N.",
        ),
        Column(
            "list_truncated",
            "BOOLEAN",
            doc="True when the snapshot lists only the board's top `listed` models (the daily feed until 2026-07-15): a model not listed scored below the last listed score. False for the feed's full lists (2026-07-16 on). NULL for the archive's tables, which are the leaderboards' whole tables as published.",
        ),
    ),
    identity=("leaderboard", "snapshot_date"),
)

ARENA_MODELS = Table(
    "core.arena_models",
    "core",
    "The Arena Space's model metadata (leaderboard_table_YYYYMMDD.csv from 2024 on): organisation, licence, MT-bench, MMLU per model and date. These tables carry NO Arena score (it lives in elo_results_*.pkl, which aigap never opens): they are used only to fill a missing organisation or licence of core.arena_entries rows, never as scores.",
    (
        Column("load_id", "VARCHAR", nullable=False),
        Column("source", "VARCHAR", nullable=False),
        Column("snapshot_key", "VARCHAR", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column(
            "arena_key",
            "VARCHAR",
            nullable=False,
            doc="The Arena's own internal model key (e.g. claude-3-5-sonnet-20240620), unique per table.",
        ),
        Column("model", "VARCHAR", nullable=False),
        Column(
            "model_key",
            "VARCHAR",
            nullable=False,
            doc="The display name normalised like core.arena_entries.model_key, to join the two.",
        ),
        Column("organization", "VARCHAR"),
        Column("license", "VARCHAR"),
        Column("open_weights", "BOOLEAN"),
        Column("mt_bench", "DOUBLE", doc="MT-bench score, 0-10 (NULL where the table says -)."),
        Column("mmlu", "DOUBLE"),
        Column("knowledge_cutoff", "VARCHAR"),
        Column("url", "VARCHAR"),
    ),
    identity=BOARD_IDENTITY,
)

CONTRACTS = (
    ARENA_ENTRIES,
    ARENA_MODELS,
)
