"""The Artificial Analysis index's core table and the capability marts, every mart row inside one
edition. (common/contracts.py)."""

from __future__ import annotations

from common.contracts import BOARD_IDENTITY, Column, Table

CAPABILITY_ENTRIES = Table(
    "core.capability_entries",
    "core",
    "Artificial Analysis model data (API v2 /data/llms/models), one row per listed model (one per reasoning setting) per edition. Each snapshot is an EDITION: Artificial Analysis recomputes every value in every snapshot, so values of two editions are never one series (marts.capability_revisions reports what changed).",
    (
        Column(
            "load_id",
            "VARCHAR",
            nullable=False,
            doc="The meta.loads row this row came from (source, snapshot key, content hash).",
        ),
        Column("source", "VARCHAR", nullable=False),
        Column("snapshot_key", "VARCHAR", nullable=False),
        Column(
            "snapshot_date",
            "DATE",
            nullable=False,
            doc="The edition: the date of the collector's folder (<YYYY-MM-DD>/llms.json), which the file's meta.snapshot_date confirms.",
        ),
        Column(
            "model_uid",
            "VARCHAR",
            nullable=False,
            doc="Artificial Analysis' model id: stable across editions (slugs are not always).",
        ),
        Column("model", "VARCHAR", nullable=False),
        Column("slug", "VARCHAR", nullable=False),
        Column(
            "model_key",
            "VARCHAR",
            nullable=False,
            doc="The model without its reasoning setting: creator slug / name without the trailing (high), (max), (Reasoning) ... lower-cased. With release_date it is what the marts count once (its best setting).",
        ),
        Column(
            "setting",
            "VARCHAR",
            doc="The trailing reasoning setting of the name (max, xhigh, Adaptive Reasoning, Max Effort, Non-reasoning ...); NULL when the name has none.",
        ),
        Column(
            "creator_slug",
            "VARCHAR",
            nullable=False,
            doc="The creator as Artificial Analysis keys it (kimi, zai, xai ...): looked up through the registry's aa_creator aliases.",
        ),
        Column(
            "creator_name",
            "VARCHAR",
            doc="The creator as Artificial Analysis names it (Kimi for Moonshot AI, Z AI for Zhipu, SpaceXAI for xAI).",
        ),
        Column("release_date", "DATE"),
        Column(
            "intelligence_index",
            "DOUBLE",
            doc="Artificial Analysis Intelligence Index, 0-100, as this edition computes it.",
        ),
        Column("coding_index", "DOUBLE"),
        Column("math_index", "DOUBLE"),
        Column(
            "mmlu_pro",
            "DOUBLE",
            doc="Benchmark scores (mmlu_pro ... tau_banking) are fractions in [0, 1], as published.",
        ),
        Column("gpqa", "DOUBLE"),
        Column("hle", "DOUBLE"),
        Column("livecodebench", "DOUBLE"),
        Column("scicode", "DOUBLE"),
        Column("math_500", "DOUBLE"),
        Column("aime", "DOUBLE"),
        Column("aime_25", "DOUBLE"),
        Column("ifbench", "DOUBLE"),
        Column("lcr", "DOUBLE"),
        Column("terminalbench_hard", "DOUBLE"),
        Column("terminalbench_v2_1", "DOUBLE"),
        Column("tau2", "DOUBLE"),
        Column("tau_banking", "DOUBLE"),
        Column("price_1m_blended", "DOUBLE", doc="US$ per million tokens, 3:1 input:output blend."),
        Column("price_1m_input", "DOUBLE"),
        Column("price_1m_output", "DOUBLE"),
        Column("output_tokens_per_second", "DOUBLE"),
        Column("ttft_seconds", "DOUBLE"),
    ),
    # one edition per date: a corrected file for a date replaces the earlier one; editions of other
    # dates stay published next to it
    identity=BOARD_IDENTITY,
)

CAPABILITY_MODELS = Table(
    "marts.capability_models",
    "whole",
    "Per Artificial Analysis edition and index (intelligence_index, coding_index, math_index), one row per model: creator and name without the reasoning setting, and release date (settings released on different dates are separate releases). The best setting counts (model, setting, value); settings = how many the edition lists with a value. The creator is placed through the registry (aa_creator aliases); country NULL = not placed, unplaced_reason says why.",
    (
        Column("edition", "DATE", nullable=False),
        Column("index_name", "VARCHAR", nullable=False),
        Column("model_key", "VARCHAR", nullable=False),
        Column("release_date", "DATE"),
        Column("model", "VARCHAR", nullable=False),
        Column("model_uid", "VARCHAR", nullable=False),
        Column("setting", "VARCHAR"),
        Column("settings", "BIGINT", nullable=False),
        Column("value", "DOUBLE", nullable=False),
        Column("creator_slug", "VARCHAR", nullable=False),
        Column("creator_name", "VARCHAR"),
        Column("org_id", "VARCHAR"),
        Column("organisation", "VARCHAR"),
        Column("country", "VARCHAR"),
        Column("unplaced_reason", "VARCHAR"),
        Column("load_id", "VARCHAR", nullable=False),
    ),
)

CAPABILITY_FRONTIER = Table(
    "marts.capability_frontier",
    "whole",
    "Each country's frontier BY RELEASE DATE within one Artificial Analysis edition: one row per release date on which the country's best value (over its models released on or before that date) rose, a step series; it holds until the country's next row. Never compare best_value across editions.",
    (
        Column("edition", "DATE", nullable=False),
        Column("index_name", "VARCHAR", nullable=False),
        Column("country", "VARCHAR", nullable=False),
        Column("as_of", "DATE", nullable=False),
        Column("best_value", "DOUBLE", nullable=False),
        Column("best_model", "VARCHAR", nullable=False),
        Column("creator_name", "VARCHAR"),
        Column(
            "models_released",
            "BIGINT",
            nullable=False,
            doc="The country's models (one per reasoning-setting group) released on or before as_of that this edition lists with a value.",
        ),
        Column("load_id", "VARCHAR", nullable=False),
    ),
)

CAPABILITY_GAP = Table(
    "marts.capability_gap",
    "whole",
    "The gap between two countries' frontiers by release date, within one Artificial Analysis edition, on every release date where either frontier steps (from the first date both have a model). latest = the edition's last row of the pair and index: the gap as the edition stands.",
    (
        Column("edition", "DATE", nullable=False),
        Column("index_name", "VARCHAR", nullable=False),
        Column("pair", "VARCHAR", nullable=False),
        Column("as_of", "DATE", nullable=False),
        Column("leader", "VARCHAR", nullable=False),
        Column("follower", "VARCHAR", nullable=False),
        Column("leader_value", "DOUBLE", nullable=False),
        Column("follower_value", "DOUBLE", nullable=False),
        Column("gap", "DOUBLE", nullable=False),
        Column("relative_gap", "DOUBLE", doc="gap / leader_value."),
        Column("leader_model", "VARCHAR", nullable=False),
        Column("follower_model", "VARCHAR", nullable=False),
        Column("follower_reached_on", "DATE", nullable=False, doc="Release date of the follower's current best model."),
        Column(
            "leader_reached_on",
            "DATE",
            nullable=False,
            doc="Release date of the leader's first model at or above the follower's current best value (in this edition).",
        ),
        Column(
            "lag_days",
            "BIGINT",
            doc="follower_reached_on - leader_reached_on: the leader first released a model at the follower's current level this many days before the follower did (negative: the follower got there first and the leader overtook since). NULL when censored.",
        ),
        Column(
            "lag_censored",
            "BOOLEAN",
            nullable=False,
            doc="TRUE when the leader's first model at that level is its earliest model in the edition: the edition does not show when the leader first got there, the true lag is lag_days_at_least or more (a bound measured from the leader's first listed model; negative where even that came after the follower's).",
        ),
        Column("lag_days_at_least", "BIGINT", nullable=False),
        Column(
            "days_since_leader_reached",
            "BIGINT",
            nullable=False,
            doc='as_of - leader_reached_on: how long ago the leader was where the follower is now (the reading of Epoch AI\'s "months behind").',
        ),
        Column("latest", "BOOLEAN", nullable=False),
    ),
)

CAPABILITY_REVISIONS = Table(
    "marts.capability_revisions",
    "whole",
    "Each index value a newer Artificial Analysis edition changed, against the previous edition that listed the model with a value (by model_uid): the revisions between editions, as marts.funding_revisions reports funding editions.",
    (
        Column("index_name", "VARCHAR", nullable=False),
        Column("model_uid", "VARCHAR", nullable=False),
        Column("model", "VARCHAR", nullable=False),
        Column("creator_name", "VARCHAR"),
        Column("old_edition", "DATE", nullable=False),
        Column("new_edition", "DATE", nullable=False),
        Column("old_value", "DOUBLE", nullable=False),
        Column("new_value", "DOUBLE", nullable=False),
        Column("change", "DOUBLE", nullable=False),
        Column("change_pct", "DOUBLE"),
        Column("old_load_id", "VARCHAR", nullable=False),
        Column("new_load_id", "VARCHAR", nullable=False),
    ),
)

CAPABILITY_EDITIONS = Table(
    "marts.capability_editions",
    "whole",
    "One row per Artificial Analysis edition: entries (one per reasoning setting), models (settings counted once) with an Intelligence Index, the release dates it spans, the share of models (and of its top 100) whose creator has a country, and against the previous edition: entries compared with an Intelligence Index in both, how many it revised, new and dropped entries.",
    (
        Column("edition", "DATE", nullable=False),
        Column("load_id", "VARCHAR", nullable=False),
        Column("entries", "BIGINT", nullable=False),
        Column("models", "BIGINT"),
        Column("with_intelligence_index", "BIGINT", nullable=False),
        Column("earliest_release", "DATE"),
        Column("latest_release", "DATE"),
        Column("placed_share", "DOUBLE"),
        Column("top100_placed_share", "DOUBLE"),
        Column("previous_edition", "DATE"),
        Column("intelligence_compared", "BIGINT"),
        Column("intelligence_revised", "BIGINT"),
        Column("new_entries", "BIGINT"),
        Column("dropped_entries", "BIGINT"),
    ),
)

CONTRACTS = (
    CAPABILITY_ENTRIES,
    CAPABILITY_MODELS,
    CAPABILITY_FRONTIER,
    CAPABILITY_GAP,
    CAPABILITY_REVISIONS,
    CAPABILITY_EDITIONS,
)
