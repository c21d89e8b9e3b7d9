"""The leaderboard marts, by how they are recomputed: per snapshot, per series. (common/contracts.py)."""

from __future__ import annotations

from common.contracts import Column, Table, View

MODEL_SCORES = Table(
    "marts.model_scores",
    "per snapshot",
    "Every leaderboard as one row per model per snapshot (the input of every gap mart): its score, filter flags, size, publisher, its country in each attribution mode (NULL = unknown) and the load it came from. Precisions/revisions of one model count once, with their best score.",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column("model_id", "VARCHAR", nullable=False),
        Column("score", "DOUBLE", nullable=False),
        Column("params_b", "DOUBLE"),
        Column("official_provider", "BOOLEAN"),
        Column("merged", "BOOLEAN"),
        Column("flagged", "BOOLEAN"),
        Column("open_weights", "BOOLEAN"),
        Column(
            "preliminary",
            "BOOLEAN",
            doc="The Arena marks the rating preliminary: listed here, left out of every frontier, gap, lag, share and coverage (datasets/arena/board.py). NULL where a leaderboard has no such mark.",
        ),
        Column("publisher", "VARCHAR"),
        Column("country_publisher", "VARCHAR"),
        Column("country_lineage", "VARCHAR"),
        Column("country_family", "VARCHAR"),
        Column("load_id", "VARCHAR", nullable=False),
    ),
)

COUNTRY_FRONTIER = Table(
    "marts.country_frontier",
    "per snapshot",
    "Per leaderboard, snapshot, attribution mode and scope: each country's best score, the model holding it (ties: alphabetical) and its number of distinct models. country = 'unattributed' gathers models of unknown country. One row per model per snapshot: precisions/revisions count once, with their best score.",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column(
            "attribution", "VARCHAR", nullable=False, doc="publisher, lineage or family (see core.model_attribution)."
        ),
        Column(
            "scope",
            "VARCHAR",
            nullable=False,
            doc="all = every model; unflagged = flagged models excluded; official = official providers only (unflagged); no_merges = merges excluded (unflagged); open_weights / proprietary = by licence (Arena). A leaderboard has the scopes its data supports.",
        ),
        Column("country", "VARCHAR", nullable=False),
        Column("best_score", "DOUBLE", nullable=False),
        Column("best_model", "VARCHAR", nullable=False),
        Column("models", "BIGINT", nullable=False),
    ),
)

TOPN_SHARE = Table(
    "marts.topn_share",
    "per snapshot",
    "How many of the top 10 / 50 / 100 models (by score, ties alphabetical) each country holds; share = models / top_n (shares of one top_n sum to models_in_top / top_n <= 1).",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column("attribution", "VARCHAR", nullable=False),
        Column("scope", "VARCHAR", nullable=False),
        Column("top_n", "INTEGER", nullable=False),
        Column("country", "VARCHAR", nullable=False),
        Column("models", "BIGINT", nullable=False),
        Column(
            "share",
            "DOUBLE",
            doc="models / top_n; NULL when the scope holds fewer than top_n ranked models on the list (see share_null_reason): a share of a top 100 that lists 30 models is not a share of a top 100.",
        ),
        Column("models_in_top", "BIGINT", nullable=False),
        Column(
            "share_null_reason",
            "VARCHAR",
            doc="Why share is NULL: the list is truncated above top_n (the Arena's daily feed until 2026-07-15), or the board has fewer ranked models in scope than top_n.",
        ),
    ),
)

SNAPSHOT_LISTS = Table(
    "marts.snapshot_lists",
    "per snapshot",
    "What each snapshot's list holds: how many models it lists, how many are ranked (not preliminary), its last listed score and whether it is truncated (the Arena's daily feed lists each board's top N until 2026-07-15). A country with no model in a truncated list has a frontier below last_listed_score that day, not none (marts.gap follower_censored).",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column(
            "listed",
            "BIGINT",
            nullable=False,
            doc="Models the snapshot lists, as published (rows without a score and names listed twice included: the N of a top-N list).",
        ),
        Column("ranked", "BIGINT", nullable=False, doc="Of them, the models whose rating is not preliminary."),
        Column(
            "last_listed_score",
            "DOUBLE",
            nullable=False,
            doc="The lowest listed score: the bound below which every unlisted model lies on a truncated list.",
        ),
        Column("list_truncated", "BOOLEAN", nullable=False, doc="True when the list is the board's top `listed` only."),
    ),
)

BENCHMARK_GAP = Table(
    "marts.benchmark_gap",
    "per snapshot",
    "The pair gap on each benchmark separately (Open LLM v2: ifeval, bbh, math_lvl5, gpqa, musr, mmlu_pro, normalised 0-100): each country's best model on that benchmark, which may differ from its best overall model.",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column("attribution", "VARCHAR", nullable=False),
        Column("scope", "VARCHAR", nullable=False),
        Column("benchmark", "VARCHAR", nullable=False),
        Column("pair", "VARCHAR", nullable=False),
        Column("leader", "VARCHAR", nullable=False),
        Column("follower", "VARCHAR", nullable=False),
        Column("leader_score", "DOUBLE", nullable=False),
        Column("follower_score", "DOUBLE", nullable=False),
        Column("gap", "DOUBLE", nullable=False),
        Column("relative_gap", "DOUBLE", nullable=False),
        Column("leader_model", "VARCHAR", nullable=False),
        Column("follower_model", "VARCHAR", nullable=False),
    ),
)

SIZE_GAP = Table(
    "marts.size_gap",
    "per snapshot",
    "The pair gap within parameter buckets (<10B, 10-40B, >40B; models of unknown size left out): do constrained labs win at small sizes?",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column("attribution", "VARCHAR", nullable=False),
        Column("scope", "VARCHAR", nullable=False),
        Column("size_bucket", "VARCHAR", nullable=False),
        Column("pair", "VARCHAR", nullable=False),
        Column("leader", "VARCHAR", nullable=False),
        Column("follower", "VARCHAR", nullable=False),
        Column("leader_score", "DOUBLE", nullable=False),
        Column("follower_score", "DOUBLE", nullable=False),
        Column("gap", "DOUBLE", nullable=False),
        Column("relative_gap", "DOUBLE", nullable=False),
        Column("leader_model", "VARCHAR", nullable=False),
        Column("follower_model", "VARCHAR", nullable=False),
        Column("leader_models", "BIGINT", nullable=False),
        Column("follower_models", "BIGINT", nullable=False),
    ),
)

ATTRIBUTION_COVERAGE = Table(
    "marts.attribution_coverage",
    "per snapshot",
    "Coverage is a metric in its own right: per snapshot and mode, the share of models (rows_share) and of the top 100 (top100_share) whose COUNTRY is known, and the shares whose ORGANISATION is known (org_*), which include individuals of unknown location.",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column("mode", "VARCHAR", nullable=False),
        Column("models", "BIGINT", nullable=False),
        Column("rows_share", "DOUBLE", nullable=False),
        Column("top100_share", "DOUBLE"),
        Column("org_rows_share", "DOUBLE", nullable=False),
        Column("org_top100_share", "DOUBLE"),
        Column(
            "top100_chain_share",
            "DOUBLE",
            doc="Lineage mode only (NULL otherwise): share of the top 100 whose lineage country was found through the model graph (method root, base model chain or curated edge).",
        ),
        Column(
            "top100_curated_share",
            "DOUBLE",
            doc="Lineage mode only: the part of top100_chain_share that needed a curated edge (data/registry/lineage.csv).",
        ),
        Column(
            "top100_architecture_share",
            "DOUBLE",
            doc="Lineage mode only: share of the top 100 whose lineage country comes from an exclusive architecture (no usable chain). top100_share = top100_chain_share + top100_architecture_share.",
        ),
        Column(
            "top100_null_reason",
            "VARCHAR",
            doc="Why the top-100 shares are NULL: the list is truncated below 100 models (the Arena's daily feed until 2026-07-15), or the board ranks fewer than 100 models.",
        ),
    ),
)

GAP = Table(
    "marts.gap",
    "per series",
    "The frontier gap between pairs of countries (pair = 'US-CN' by default; configure with AIGAP_GAP_PAIRS), per leaderboard, snapshot, attribution mode and scope, where both countries are on the board, or where one is on a truncated list and the other is not (follower_censored: the follower's frontier is only known to be below follower_below; gap, follower_score and the lag are NULL). gap = leader_score - follower_score in the leaderboard's own points; relative_gap = gap / leader_score.",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column("attribution", "VARCHAR", nullable=False),
        Column("scope", "VARCHAR", nullable=False),
        Column("pair", "VARCHAR", nullable=False),
        Column("leader", "VARCHAR", nullable=False),
        Column("follower", "VARCHAR", nullable=False),
        Column("leader_score", "DOUBLE", nullable=False),
        Column("follower_score", "DOUBLE", doc="NULL when follower_censored (not on a truncated list)."),
        Column(
            "gap", "DOUBLE", doc="NULL when follower_censored: the gap is then only known to be more than gap_at_least."
        ),
        Column("relative_gap", "DOUBLE"),
        Column(
            "lag_days",
            "BIGINT",
            doc='How many days before this snapshot the leader first reached the follower\'s current frontier ("the follower is N days behind"), in the same leaderboard, attribution mode and scope. NULL when censored (see lag_censored): never 0 for "unknown".',
        ),
        Column("leader_model", "VARCHAR", nullable=False),
        Column("follower_model", "VARCHAR"),
        Column(
            "lag_censored",
            "BOOLEAN",
            doc="True when the leader was already at the follower's level on the first snapshot of the series: the recorded history does not reach back to when it got there, so the lag is only known to be at least lag_days_at_least.",
        ),
        Column(
            "lag_days_at_least",
            "BIGINT",
            doc='A lower bound on the lag: days since the series starts when lag_censored, else equal to lag_days. Print "at least N days" for censored rows. NULL when follower_censored (the follower\'s level is unknown).',
        ),
        Column(
            "days_since_previous",
            "BIGINT",
            doc="Days since the previous row of the same series (leaderboard, attribution, scope, pair); NULL on its first row.",
        ),
        Column(
            "after_hole",
            "BOOLEAN",
            doc="True when the previous row of the series is more than 45 days earlier (a hole in the record, see marts.snapshot_holes): a chart breaks its line before this row.",
        ),
        Column(
            "follower_censored",
            "BOOLEAN",
            nullable=False,
            doc="True when the follower has no model on a truncated list (marts.snapshot_lists): its frontier is censored, below follower_below, and the gap unknown (more than gap_at_least).",
        ),
        Column("follower_below", "DOUBLE", doc="The censored follower's bound: the snapshot's last listed score."),
        Column(
            "gap_at_least",
            "DOUBLE",
            nullable=False,
            doc="A lower bound on the gap: leader_score - follower_below when follower_censored, else the gap itself.",
        ),
    ),
)

GAP_TREND = Table(
    "marts.gap_trend",
    "per series",
    "The pair gap now against the snapshot nearest to 30 and to 90 days earlier (window_days), by calendar time: compared_with is the snapshot nearest to target_date = snapshot_date - window_days within +/- tolerance_days (7 for 30 days, 21 for 90; a tie goes to the earlier); when there is none (a hole, or the series is younger), compared_with, gap_then and trend are NULL. gap_a_minus_b > 0: country_a leads. trend: closing / widening (the absolute gap shrank / grew by more than 0.5% of the leader's score), flat, or leader changed.",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("snapshot_date", "DATE", nullable=False),
        Column("attribution", "VARCHAR", nullable=False),
        Column("scope", "VARCHAR", nullable=False),
        Column("pair", "VARCHAR", nullable=False),
        Column("window_days", "INTEGER", nullable=False),
        Column("country_a", "VARCHAR", nullable=False),
        Column("country_b", "VARCHAR", nullable=False),
        Column("leader", "VARCHAR", nullable=False),
        Column("gap_a_minus_b", "DOUBLE", nullable=False),
        Column("target_date", "DATE", nullable=False),
        Column("tolerance_days", "INTEGER", nullable=False),
        Column("compared_with", "DATE"),
        Column(
            "days_apart",
            "BIGINT",
            doc="snapshot_date - compared_with, in days (within window_days +/- tolerance_days).",
        ),
        Column("gap_then", "DOUBLE"),
        Column("abs_gap_change", "DOUBLE"),
        Column("trend", "VARCHAR"),
    ),
)

SNAPSHOT_HOLES = Table(
    "marts.snapshot_holes",
    "per series",
    "Holes in each leaderboard's record: stretches of more than hole_days_threshold (45) days without a published snapshot, between last_snapshot_before and first_snapshot_after. Nothing is known about the gap inside a hole; charts break their lines there (marts.gap.after_hole).",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("last_snapshot_before", "DATE", nullable=False),
        Column("first_snapshot_after", "DATE", nullable=False),
        Column("days_between", "BIGINT", nullable=False),
        Column("hole_days_threshold", "INTEGER", nullable=False),
    ),
)

UNATTRIBUTED = Table(
    "marts.unattributed",
    "per series",
    "The curation queue: publishers (publisher mode) and architectures (family mode) whose country is unknown, ranked by how much they matter (appearances in a top 100, then best score). Add them to data/registry to attribute them.",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("attribution", "VARCHAR", nullable=False),
        Column("priority", "BIGINT", nullable=False),
        Column("name", "VARCHAR", nullable=False),
        Column("org_id", "VARCHAR"),
        Column("reason", "VARCHAR", nullable=False),
        Column("top100_appearances", "BIGINT", nullable=False),
        Column("best_score", "DOUBLE", nullable=False),
        Column("best_model", "VARCHAR", nullable=False),
        Column("models", "BIGINT", nullable=False),
        Column("snapshots", "BIGINT", nullable=False),
        Column("last_seen", "DATE", nullable=False),
    ),
)

LATEST_GAP = View(
    "marts.latest_gap",
    "marts.gap on the latest snapshot of each leaderboard, per attribution mode, scope and pair.",
    """
SELECT * FROM marts.gap
QUALIFY snapshot_date = max(snapshot_date) OVER (PARTITION BY leaderboard, attribution, scope, pair)
""",
)

OPEN_WEIGHTS_GAP = View(
    "marts.open_weights_gap",
    "The frontier gap within each class of weights (marts.gap in scopes open_weights / proprietary), per leaderboard (arena-text), snapshot, attribution mode and pair: the best open-weights US model vs the best open-weights Chinese model, and the same for proprietary models. weights: open = weights published under a named licence (non-commercial included), proprietary = API or app only, from the licence with curated corrections (data/arena/model_overrides.csv); models of unknown licence are in neither. A row exists only where both countries have a model of that class. Lags are censored as in marts.gap.",
    """
SELECT leaderboard, snapshot_date, attribution,
       CASE scope WHEN 'open_weights' THEN 'open' ELSE 'proprietary' END AS weights,
       pair, leader, follower, leader_score, follower_score, gap, relative_gap, lag_days, lag_censored,
       lag_days_at_least, leader_model, follower_model, days_since_previous, after_hole, follower_censored,
       follower_below, gap_at_least
FROM marts.gap
WHERE scope IN ('open_weights', 'proprietary')
""",
)

CONTRACTS = (
    MODEL_SCORES,
    COUNTRY_FRONTIER,
    TOPN_SHARE,
    SNAPSHOT_LISTS,
    BENCHMARK_GAP,
    SIZE_GAP,
    ATTRIBUTION_COVERAGE,
    GAP,
    GAP_TREND,
    SNAPSHOT_HOLES,
    UNATTRIBUTED,
    LATEST_GAP,
    OPEN_WEIGHTS_GAP,
)
