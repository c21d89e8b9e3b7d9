"""Lineage over the whole bundled run: the rules of attribution/lineage.py hold on every board, the
curation covers every top 20, and coverage meets its targets (or falls short where stated)."""

from __future__ import annotations

import pytest
from conftest import query

# Models that have been in the top 20 of a bundled snapshot and whose lineage country is not known,
# with why. Everything else in any top 20 is resolved; a new unresolved top-20 model fails below.
UNRESOLVED_TOP20 = {
    # the developer is known, its country is not (EleutherAI and RWKV are distributed collectives)
    ("arena-text", "dolly-v2-12b"): "Pythia-12B fine-tune: EleutherAI",
    ("arena-text", "openassistant-pythia-12b"): "Pythia-12B fine-tune: EleutherAI",
    ("arena-text", "rwkv-4-raven-14b"): "RWKV's own model",
    # v1 reports no base model, these are not on v2, and no card at hand names a base model
    ("open-llm-v1", "Contamination/contaminated_proof_7b_v1.0"): "a deliberately contaminated test model",
    ("open-llm-v1", "Contamination/contaminated_proof_7b_v1.0_safetensor"): "the same, as safetensors",
    ("open-llm-v1", "SF-Foundation/Ein-70B-v2"): "base not stated in any source at hand",
    ("open-llm-v1", "SF-Foundation/Ein-72B-v0.11"): "base not stated in any source at hand",
    ("open-llm-v1", "SF-Foundation/Ein-72B-v0.12"): "base not stated in any source at hand",
    ("open-llm-v1", "SF-Foundation/Ein-72B-v0.13"): "base not stated in any source at hand",
    ("open-llm-v1", "abacusai/Smaug-70B-v0.1"): "base not stated in any source at hand",
    ("open-llm-v1", "binbi/Ein-72B-v0.1"): "base not stated in any source at hand",
    ("open-llm-v1", "ibivibiv/alpaca-dragon-72b-v1"): "base not stated in any source at hand",
    # v2 reports the model itself or a merge without parents, on a shared architecture (Llama)
    ("open-llm-v1", "MTSAIR/MultiVerse_70B"): "v2 base_model: itself",
    ("open-llm-v1", "paloalma/Le_Triomphant-ECE-TW3"): "v2 base_model: itself",
    ("open-llm-v2", "Triangle104/Set-70b"): "v2 base_model: a merge listing no parents",
    ("open-llm-v2", "dnhkng/RYS-Huge-bnb-4bit"): "v2 base_model: itself",
    # the daily feed's boards: Sonar is Perplexity's post-training of base models it does not cite
    ("arena-search", "ppl-sonar-pro-high"): "Sonar: base model not stated in any source at hand",
    ("arena-search", "ppl-sonar-reasoning-pro-high"): "Sonar: base model not stated in any source at hand",
    # trained by their developers, whose country is not established (data/registry/organisations.csv)
    ("arena-text-to-image", "ideogram-4.0-quality"): "Ideogram: country not established",
    ("arena-text-to-image", "recraft-v4.1-utility-pro"): "Recraft: country not established",
}

TOP20 = """
WITH ranked AS (
    SELECT leaderboard, snapshot_date, model_id,
           row_number() OVER (PARTITION BY leaderboard, snapshot_date ORDER BY score DESC, model_id) AS rank
    FROM marts.model_scores
)
SELECT DISTINCT r.leaderboard, r.model_id, l.method, l.org_id, l.country
FROM ranked r JOIN core.model_lineage l ON l.model_key = lower(r.model_id)
WHERE r.rank <= 20
"""


@pytest.fixture(scope="module")
def warehouse(bundled_run):
    return bundled_run[0]


def test_every_top_20_model_is_resolved_or_listed_with_its_reason(warehouse):
    rows = query(warehouse, TOP20)
    assert len(rows) > 250  # 21 on v1, 84 on v2, ~190 on the Arena
    unresolved = {(board, model) for board, model, _method, _org, country in rows if country is None}
    assert unresolved == set(UNRESOLVED_TOP20)
    # the Arena's three are resolved to a developer without a country, not left unattributed
    methods = {(board, model): (method, org) for board, model, method, org, _ in rows}
    assert methods[("arena-text", "dolly-v2-12b")] == ("curated edge", "eleutherai")
    assert methods[("arena-text", "rwkv-4-raven-14b")] == ("root", "rwkv")


@pytest.mark.parametrize("board", ["open-llm-v1", "open-llm-v2"])
def test_yi_and_smaug_are_chinese_by_lineage_on_both_boards(warehouse, board):
    yi = query(
        warehouse,
        f"SELECT DISTINCT country FROM core.model_attribution WHERE leaderboard = '{board}' AND mode = 'lineage' "
        "AND model_id LIKE '01-ai/Yi%'",
    )
    assert yi == [("CN",)]
    assert query(
        warehouse,
        "SELECT mode, country, method FROM core.model_attribution "
        f"WHERE leaderboard = '{board}' AND model_id = 'abacusai/Smaug-72B-v0.1' ORDER BY mode",
    ) == [
        ("family", "US", "architecture family"),
        ("lineage", "CN", "curated edge"),
        ("publisher", "US", "registry alias"),
    ]


def test_a_model_has_the_same_lineage_on_every_board(warehouse):
    disagreements = query(
        warehouse,
        "SELECT lower(model_id) FROM core.model_attribution WHERE mode = 'lineage' GROUP BY 1 "
        "HAVING count(DISTINCT leaderboard) > 1 AND count(DISTINCT (org_id, country, method, evidence)) > 1",
    )
    assert disagreements == []
    shared = query(
        warehouse,
        "SELECT count(*) FROM (SELECT lower(model_id) FROM core.model_attribution WHERE mode = 'lineage' "
        "GROUP BY 1 HAVING count(DISTINCT leaderboard) > 1)",
    )
    assert shared[0][0] > 300  # models listed on v1 and v2


# The board's architecture field is wrong for a few rows (google/gemma-2-2b is listed as InternLM2).
MISLABELLED = {"google/gemma-2-2b", "google/gemma-2-2b-it"}
ARCHITECTURES = """
SELECT lower(model_id) AS model_key, arg_max(architecture, snapshot_date) AS architecture
FROM (SELECT model_id, architecture, snapshot_date FROM core.open_llm_v2_entries
      UNION ALL SELECT model_id, architecture, snapshot_date FROM core.open_llm_v1_entries)
WHERE architecture IS NOT NULL AND architecture NOT IN ('?', 'Unknown')
GROUP BY 1
"""


def test_no_lineage_comes_from_a_shared_architecture(warehouse):
    from attribution.registry import load_registry

    weights = dict(load_registry().architectures.select("architecture", "weights").iter_rows())
    by_architecture = query(
        warehouse,
        f"SELECT a.architecture, count(*) FROM core.model_lineage l JOIN ({ARCHITECTURES}) a USING (model_key) "
        "WHERE l.method = 'exclusive architecture' GROUP BY 1",
    )
    assert by_architecture and {weights[a] for a, _ in by_architecture} == {"exclusive"}
    assert query(warehouse, "SELECT count(*) FROM core.model_attribution WHERE method LIKE 'family fallback%'") == [
        (0,)
    ]


def test_every_exclusive_architecture_claim_holds_against_the_chains(warehouse):
    # where a chain reaches a root, a model whose class is declared exclusive to one developer must
    # be that developer's: otherwise the declaration (data/registry/architectures.csv) is wrong
    from attribution.registry import load_registry

    declared = {
        r["architecture"]: r["org_id"]
        for r in load_registry().architectures.iter_rows(named=True)
        if r["weights"] == "exclusive"
    }
    chains = query(
        warehouse,
        f"SELECT l.model_key, a.architecture, l.org_id FROM core.model_lineage l JOIN ({ARCHITECTURES}) a "
        "USING (model_key) WHERE l.method IN ('root', 'base model chain', 'curated edge')",
    )
    checked = [(key, arch, org) for key, arch, org in chains if arch in declared]
    assert len(checked) > 300
    contradictions = {key for key, arch, org in checked if org != declared[arch]}
    assert contradictions == MISLABELLED


def test_lineage_coverage_of_the_top_100(warehouse):
    rows = query(
        warehouse,
        "SELECT leaderboard, min(top100_share), max(top100_share), "
        "max(abs(top100_chain_share + top100_architecture_share - top100_share)) "
        "FROM marts.attribution_coverage WHERE mode = 'lineage' GROUP BY 1 ORDER BY 1",
    )
    coverage = {board: (low, high, split_error) for board, low, high, split_error in rows}
    assert coverage["open-llm-v2"][0] >= 0.90  # the target, met on every v2 snapshot
    # v1 falls short (docs/methodology.md, Attribution): no base model on v1, merges on shared architectures
    assert coverage["open-llm-v1"][:2] == (0.28, 0.28)
    assert coverage["arena-text"][0] >= 0.85  # 2023: EleutherAI- and RWKV-based models (no country)
    # a board that never lists 100 ranked models has no top-100 figure at all, not a partial one
    short = {board for board, (low, high, error) in coverage.items() if error is None}
    assert all(coverage[board][:2] == (None, None) for board in short)
    assert short >= {"arena-document", "arena-image-edit", "arena-search", "arena-text-to-video"}
    assert all(error < 1e-9 for board, (_, _, error) in coverage.items() if board not in short)
    assert query(
        warehouse,
        "SELECT count(*) FROM marts.attribution_coverage WHERE top100_share IS NULL "
        "AND top100_null_reason NOT LIKE 'only % ranked models: fewer than 100' "
        "AND top100_null_reason NOT LIKE 'the list shows only the top % models: its top 100 is not known'",
    ) == [(0,)]
    assert query(
        warehouse,
        "SELECT count(*) FROM marts.attribution_coverage WHERE mode <> 'lineage' AND top100_chain_share IS NOT NULL",
    ) == [(0,)]
