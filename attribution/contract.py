"""Who a model belongs to: one lineage per model, and every model's attribution in three modes. (common/contracts.py)."""

from __future__ import annotations

from common.contracts import Column, Table

MODEL_LINEAGE = Table(
    "core.model_lineage",
    "whole",
    "One lineage per model, resolved once over one model graph of every leaderboard (attribution/lineage.py), so a model has the same lineage on every board: its base-model edges (a board's base_model, the most recent usable report; curated, cited edges in data/registry/lineage.csv replace them) are followed to a root, a model published by a foundation-model developer (data/registry/foundation_developers.csv). A self-referencing base_model is a root only for such a developer. Unresolved chains fall back only to an architecture whose weights come from one developer alone, else stay unattributed. core.model_attribution's lineage rows are these.",
    (
        Column(
            "model_key",
            "VARCHAR",
            nullable=False,
            doc="The model, case-insensitively: a Hugging Face id lower-cased, or an Arena model key.",
        ),
        Column(
            "model_id",
            "VARCHAR",
            nullable=False,
            doc="The model as a board lists it (the first spelling in sort order).",
        ),
        Column("leaderboards", "VARCHAR", nullable=False, doc="The boards the model is on, comma-separated."),
        Column(
            "publisher_org_id",
            "VARCHAR",
            doc="Who published the model itself (registry org_id; NULL when not in the registry).",
        ),
        Column(
            "root_model",
            "VARCHAR",
            doc="The root the chain ended at (NULL unless method is root, base model chain or curated edge).",
        ),
        Column(
            "org_id",
            "VARCHAR",
            doc="The lineage: the root's developer, or the developer of an exclusive architecture; NULL when unattributed.",
        ),
        Column("organisation", "VARCHAR"),
        Column(
            "country",
            "VARCHAR",
            doc="The lineage developer's country (ISO-3166 alpha-2); NULL when unknown (never guessed).",
        ),
        Column(
            "method",
            "VARCHAR",
            nullable=False,
            doc="root (the model is a foundation developer's own, with no edge to another model) | base model chain (reported edges led to a root) | curated edge (at least one edge on the way is curated, with a citation) | exclusive architecture (no usable chain; the architecture holds one developer's weights only, per data/registry/architectures.csv) | unattributed (no evidence; evidence says why).",
        ),
        Column("hops", "BIGINT", nullable=False, doc="Number of base-model edges followed."),
        Column(
            "curated_edges", "BIGINT", nullable=False, doc="How many of them are curated (data/registry/lineage.csv)."
        ),
        Column(
            "lineage_path",
            "VARCHAR",
            nullable=False,
            doc="The models followed, model -> base -> ... -> root (or to where the chain stops).",
        ),
        Column(
            "evidence",
            "VARCHAR",
            nullable=False,
            doc="Why: the root's publisher, where each edge comes from (board and date, or the curated citation), or why the chain stops and what the architecture says.",
        ),
    ),
)

MODEL_ATTRIBUTION = Table(
    "core.model_attribution",
    "whole",
    "Every model attributed to an organisation and a country in three modes: publisher (who published it: HF namespace or Arena organisation), lineage (its row of core.model_lineage: the same on every board; never the family, except an exclusive architecture, which method says), family (the creator of its architecture). country NULL = unknown (never guessed). Recomputed from data/registry on every run.",
    (
        Column("leaderboard", "VARCHAR", nullable=False),
        Column("model_id", "VARCHAR", nullable=False),
        Column("mode", "VARCHAR", nullable=False),
        Column("org_id", "VARCHAR"),
        Column("organisation", "VARCHAR"),
        Column("country", "VARCHAR"),
        Column(
            "method",
            "VARCHAR",
            nullable=False,
            doc="How the attribution was made: publisher mode registry alias / unknown ...; lineage mode root, base model chain, curated edge, exclusive architecture or unattributed (see core.model_lineage.method); family mode architecture family / generic architecture ...",
        ),
        Column(
            "evidence",
            "VARCHAR",
            nullable=False,
            doc="The trail behind it, e.g. abacusai/Smaug-72B-v0.1 -> moreh/MoMo-72B-lora-1.8.7-DPO -> Qwen/Qwen-72B: published by alibaba (CN), a foundation-model developer; edges: ... (open-llm-v2 base_model, 2025-03-21); ... (curated: https://huggingface.co/abacusai/Smaug-72B-v0.1).",
        ),
    ),
)

CONTRACTS = (
    MODEL_LINEAGE,
    MODEL_ATTRIBUTION,
)
