"""LMArena's own leaderboard dataset: its core table and its marts (who leads on each front). (common/contracts.py)."""

from __future__ import annotations

from common.contracts import Column, Table, View

LMARENA_ENTRIES = Table(
    "core.lmarena_entries",
    "core",
    "LMArena's leaderboard dataset (lmarena-ai/leaderboard-dataset on the Hub, CC BY 4.0): one row per listing of a model in a category of a subset, as LMArena published it on one date. One snapshot is one subset (and style control) on one leaderboard_publish_date, from the Hub's Parquet or a collector's JSON copy (datasets/lmarena/sources.py).",
    (
        Column("load_id", "VARCHAR", nullable=False),
        Column("source", "VARCHAR", nullable=False),
        Column("snapshot_key", "VARCHAR", nullable=False),
        Column(
            "snapshot_date",
            "DATE",
            nullable=False,
            doc="LMArena's leaderboard_publish_date: never the day a collector fetched the file.",
        ),
        Column(
            "subset",
            "VARCHAR",
            nullable=False,
            doc="The board: text, vision, webdev, search, document, text_to_image, image_edit, text_to_video, image_to_video, video_edit ... (the published subset name without its _style_control suffix).",
        ),
        Column(
            "style_control",
            "BOOLEAN",
            nullable=False,
            doc="True for the *_style_control subsets: ratings with the effect of answer style (length, markdown) modelled out.",
        ),
        Column(
            "category",
            "VARCHAR",
            nullable=False,
            doc="The prompt category: overall, chinese, english, coding, math, hard_prompts, languages, industries ... (text has 29).",
        ),
        Column("model", "VARCHAR", nullable=False),
        Column(
            "organization",
            "VARCHAR",
            doc="The publisher as LMArena spells it, a lower-case slug (anthropic, alibaba, zai, bfl ...); NULL where LMArena gives none (many older models). The registry's arena_organization aliases map it to an organisation and country.",
        ),
        Column("license", "VARCHAR"),
        Column("rating", "DOUBLE", nullable=False, doc="Arena rating (Elo scale) of the model in this category."),
        Column("rating_lower", "DOUBLE", doc="Lower bound of the rating's 95% confidence interval, as published."),
        Column("rating_upper", "DOUBLE", doc="Upper bound of the rating's 95% confidence interval, as published."),
        Column("variance", "DOUBLE", doc="Variance of the rating estimate, as published."),
        Column("vote_count", "BIGINT"),
        Column(
            "rank",
            "BIGINT",
            doc="Rank as published (1 + the number of models statistically better: ties share a rank).",
        ),
        Column(
            "listings",
            "BIGINT",
            nullable=False,
            doc="How many rows this model has in this category of this snapshot: 1, or more where LMArena listed it several times with different ratings (a real quirk; the marts then call its frontier ambiguous).",
        ),
    ),
    # one publish of one subset (datasets/lmarena/sources.py): several subsets share a date
    identity=("subset", "style_control", "snapshot_date"),
)

LMARENA_FRONTIER = Table(
    "marts.lmarena_frontier",
    "whole",
    "Each country's best model per LMArena front (subset, category, style_control) and publish date, by publisher (the LMArena organisation via the registry), with the rating's published 95% bounds; models of no known country under country = unattributed.",
    (
        Column("subset", "VARCHAR", nullable=False),
        Column("category", "VARCHAR", nullable=False),
        Column("style_control", "BOOLEAN", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column("country", "VARCHAR", nullable=False),
        Column("best_model", "VARCHAR", nullable=False),
        Column("organisation", "VARCHAR"),
        Column("rating", "DOUBLE", nullable=False),
        Column("rating_lower", "DOUBLE"),
        Column("rating_upper", "DOUBLE"),
        Column("vote_count", "BIGINT"),
        Column(
            "listings",
            "BIGINT",
            nullable=False,
            doc="Listings of the best model in this front that day: more than 1 means LMArena published several ratings for it, and the rating shown is the highest (the gap mart then says ambiguous).",
        ),
        Column("models", "BIGINT", nullable=False, doc="Distinct models of this country in this front that day."),
        Column("load_id", "VARCHAR", nullable=False),
    ),
)

LMARENA_GAP = Table(
    "marts.lmarena_gap",
    "whole",
    "The gap between two countries' frontiers (pair A-B, US-CN by default) on each LMArena front (subset, category, style_control) and publish date, with bounds and a tie flag. Elo points: only differences mean something, and never compare them across subsets.",
    (
        Column("subset", "VARCHAR", nullable=False),
        Column("category", "VARCHAR", nullable=False),
        Column("style_control", "BOOLEAN", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column("pair", "VARCHAR", nullable=False),
        Column("country_a", "VARCHAR", nullable=False),
        Column("country_b", "VARCHAR", nullable=False),
        Column("model_a", "VARCHAR", nullable=False),
        Column("rating_a", "DOUBLE", nullable=False),
        Column("rating_a_lower", "DOUBLE"),
        Column("rating_a_upper", "DOUBLE"),
        Column("model_b", "VARCHAR", nullable=False),
        Column("rating_b", "DOUBLE", nullable=False),
        Column("rating_b_lower", "DOUBLE"),
        Column("rating_b_upper", "DOUBLE"),
        Column(
            "gap_a_minus_b",
            "DOUBLE",
            doc="rating_a - rating_b: positive when A's best model leads. NULL when status = ambiguous.",
        ),
        Column(
            "gap_a_minus_b_lower",
            "DOUBLE",
            doc="rating_a_lower - rating_b_upper: the gap's lower bound from the two published 95% intervals (interval arithmetic, conservative).",
        ),
        Column(
            "gap_a_minus_b_upper",
            "DOUBLE",
            doc="rating_a_upper - rating_b_lower: the gap's upper bound from the two published 95% intervals.",
        ),
        Column("leader", "VARCHAR"),
        Column("follower", "VARCHAR"),
        Column("gap", "DOUBLE"),
        Column(
            "tied",
            "BOOLEAN",
            doc="True when the two frontiers' 95% intervals overlap (the bounds straddle 0): the lead is within LMArena's own uncertainty. Overlap does not prove equality. NULL when a bound is missing or the frontier is ambiguous.",
        ),
        Column(
            "status",
            "VARCHAR",
            nullable=False,
            doc="lead (intervals apart), tie (intervals overlap), ambiguous (a frontier model is listed more than once with different ratings: gap, leader and tie left NULL), no bounds (a bound is missing).",
        ),
        Column(
            "unattributed_above",
            "BIGINT",
            nullable=False,
            doc="Models of no known country rated above the lower of the two frontiers: when not 0, a frontier may not be its country's best.",
        ),
        Column("models", "BIGINT", nullable=False),
        Column(
            "load_id",
            "VARCHAR",
            nullable=False,
            doc="The load (meta.loads) of this front's subset that day: names the raw file.",
        ),
    ),
)

LMARENA_LATEST_GAP = View(
    "marts.lmarena_latest_gap",
    "marts.lmarena_gap at the latest publish of each front.",
    """
SELECT g.* FROM marts.lmarena_gap g
JOIN (SELECT subset, category, style_control, max(snapshot_date) AS snapshot_date
      FROM marts.lmarena_gap GROUP BY ALL) latest USING (subset, category, style_control, snapshot_date)
""",
)

CONTRACTS = (
    LMARENA_ENTRIES,
    LMARENA_FRONTIER,
    LMARENA_GAP,
    LMARENA_LATEST_GAP,
)
