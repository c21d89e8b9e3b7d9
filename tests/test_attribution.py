"""Attribution and the model graph on real bundled snapshots (v1, v2 and an Arena table at once),
checked by reading the files, data/registry and the model cards cited there.

One graph over several boards is the point: a model has the same lineage wherever it appears.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from attribution.attribute import attribute_models, model_facts
from attribution.lineage import base_model_edge, reported_edges, resolve_lineage
from attribution.registry import load_registry
from common.csvio import read_csv_text
from datasets.arena.archive import ArenaArchive
from datasets.arena.parse import CATALOG_SCHEMA, arena_board, load_model_overrides
from datasets.open_llm.board import open_llm_v1_board, open_llm_v2_board
from datasets.open_llm.v1 import normalise as normalise_v1
from datasets.open_llm.v2 import normalise
from marts.build import model_lineage

LEADERBOARDS = Path(__file__).resolve().parents[1] / "data" / "leaderboards"
REGISTRY = load_registry()


def entries(relative: str, normaliser=normalise) -> pl.DataFrame:
    frame, _ = normaliser(read_csv_text((LEADERBOARDS / relative).read_bytes()))
    day = date.fromisoformat(Path(relative).stem)
    return frame.with_columns(pl.lit(day).alias("snapshot_date"), pl.lit(relative).alias("load_id"))


def arena(relative: str) -> pl.DataFrame:
    source = ArenaArchive()
    [ref] = [r for r in source.discover(str(LEADERBOARDS / "arena_archive")) if r.key == relative]
    parsed = source.parse((LEADERBOARDS / "arena_archive" / relative).read_bytes(), ref).frame
    catalog = pl.DataFrame(schema={**CATALOG_SCHEMA, "snapshot_date": pl.Date})
    return arena_board(parsed.with_columns(pl.lit(relative).alias("load_id")), catalog, load_model_overrides())


@pytest.fixture(scope="module")
def boards() -> list[pl.DataFrame]:
    v2 = open_llm_v2_board(
        pl.concat([entries(f"open_llm_v2_archive/scraped/{d}.csv") for d in ("2024-12-05", "2025-02-01", "2025-03-21")])
    )
    v1 = open_llm_v1_board(entries("open_llm_v1_archive/2024-07-07.csv", normalise_v1))
    return [v2, v1, arena("scraped/2024-12-03.csv")]


@pytest.fixture(scope="module")
def lineage(boards) -> pl.DataFrame:
    return model_lineage(boards, [model_facts(b) for b in boards], REGISTRY)


@pytest.fixture(scope="module")
def attribution(boards, lineage) -> pl.DataFrame:
    return pl.concat([attribute_models(b, REGISTRY, lineage) for b in boards])


def attributed(attribution, model_id: str, board: str = "open-llm-v2") -> dict[str, tuple]:
    rows = attribution.filter((pl.col("model_id") == model_id) & (pl.col("leaderboard") == board))
    assert len(rows) == 3, (model_id, board)
    return {r["mode"]: (r["org_id"], r["country"], r["method"]) for r in rows.iter_rows(named=True)}


def lineage_of(lineage, model_id: str) -> dict:
    return lineage.filter(pl.col("model_key") == model_id.lower()).row(0, named=True)


@pytest.mark.parametrize("board", ["open-llm-v2", "open-llm-v1"])
def test_smaug_72b_is_a_us_publisher_on_a_chinese_lineage_on_both_boards(attribution, board):
    # v2 files: base_model moreh/MoMo-72B-lora-1.8.7-DPO; v1 gives no base model at all, yet the model
    # graph is one: data/registry/lineage.csv records that MoMo-72B is built on Qwen-72B (Smaug's card).
    smaug = attributed(attribution, "abacusai/Smaug-72B-v0.1", board)
    assert smaug["publisher"][:2] == ("abacus-ai", "US")
    assert smaug["lineage"] == ("alibaba", "CN", "curated edge")
    assert smaug["family"][:2] == ("meta", "US")  # the files say LlamaForCausalLM (a "llamafied" Qwen)


def test_smaugs_evidence_names_every_edge_and_where_it_comes_from(lineage):
    smaug = lineage_of(lineage, "abacusai/Smaug-72B-v0.1")
    assert smaug["lineage_path"] == "abacusai/Smaug-72B-v0.1 -> moreh/MoMo-72B-lora-1.8.7-DPO -> Qwen/Qwen-72B"
    assert "open-llm-v2 base_model, 2025-03-21" in smaug["evidence"]
    assert "curated: https://huggingface.co/abacusai/Smaug-72B-v0.1" in smaug["evidence"]
    assert (smaug["hops"], smaug["curated_edges"], smaug["root_model"]) == (2, 1, "Qwen/Qwen-72B")


@pytest.mark.parametrize("board", ["open-llm-v2", "open-llm-v1"])
def test_every_yi_model_is_chinese_by_lineage_on_both_boards(attribution, board):
    # v2: the Chat models' base_model points to themselves; v1 gives none. 01.AI is a foundation-model
    # developer (Yi is pretrained from scratch on the Llama architecture), so they are roots: CN.
    yi = attribution.filter(
        (pl.col("leaderboard") == board) & pl.col("model_id").str.starts_with("01-ai/") & (pl.col("mode") == "lineage")
    )
    assert len(yi) >= 10
    assert set(yi["country"]) == {"CN"} and set(yi["org_id"]) == {"01-ai"}
    chat = attributed(attribution, "01-ai/Yi-1.5-34B-Chat", board)
    assert chat["lineage"] == ("01-ai", "CN", "root") and chat["family"][:2] == ("meta", "US")


def test_a_model_has_one_lineage_on_every_board(attribution):
    lineage_rows = attribution.filter(pl.col("mode") == "lineage").with_columns(
        pl.col("model_id").str.to_lowercase().alias("key")
    )
    per_model = lineage_rows.group_by("key").agg(
        pl.col("leaderboard").n_unique().alias("boards"),
        pl.struct("org_id", "country", "method", "evidence").n_unique().alias("answers"),
    )
    shared = per_model.filter(pl.col("boards") > 1)
    assert len(shared) > 100  # models listed on both Open LLM boards
    assert shared["answers"].max() == 1


def test_a_self_reference_is_a_root_only_for_a_foundation_developer(lineage):
    # v2 2025-03-21: MTSAIR/MultiVerse_70B's base_model is itself; MTS AI (RU) published no base model
    # of its own, and LlamaForCausalLM holds many developers' weights: unattributed, with the reason.
    multiverse = lineage_of(lineage, "MTSAIR/MultiVerse_70B")
    assert (multiverse["method"], multiverse["country"]) == ("unattributed", None)
    assert "base model points to itself" in multiverse["evidence"]
    assert "mts-ai (RU) is not a foundation-model developer" in multiverse["evidence"]
    assert "LlamaForCausalLM is a shared architecture" in multiverse["evidence"]
    # 01-ai/Yi-1.5-9B-Chat points to itself too, and 01.AI pretrains its own models: a root
    assert lineage_of(lineage, "01-ai/Yi-1.5-9B-Chat")["method"] == "root"


def test_a_foundation_developers_release_on_another_developers_base_follows_the_edge(lineage):
    # reported: Skywork (CN, pretrains Skywork-13B) fine-tuned Llama 3.1 8B (the v2 file's base_model)
    skywork = lineage_of(lineage, "Skywork/Skywork-o1-Open-Llama-3.1-8B")
    assert (skywork["publisher_org_id"], skywork["org_id"], skywork["country"]) == ("skywork", "meta", "US")
    assert skywork["method"] == "base model chain"
    # curated: the card of DeepSeek-R1-Distill-Llama-70B names Llama-3.3-70B-Instruct as its base
    distill = lineage_of(lineage, "deepseek-ai/DeepSeek-R1-Distill-Llama-70B")
    assert (distill["publisher_org_id"], distill["org_id"], distill["method"]) == ("deepseek", "meta", "curated edge")
    qwen_distill = lineage_of(lineage, "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B")
    assert (qwen_distill["org_id"], qwen_distill["root_model"]) == ("alibaba", "Qwen/Qwen2.5-32B")


def test_an_arena_model_and_a_hub_model_share_one_graph(lineage, attribution):
    # the Arena table names no base model; the curated edge (Athene-V2-Chat's card) points to a Hub id
    # that is on the v2 board, whose own reported edge leads to Qwen/Qwen2.5-72B
    athene = lineage_of(lineage, "athene-v2-chat-72b")
    assert athene["lineage_path"] == "athene-v2-chat-72b -> Qwen/Qwen2.5-72B-Instruct -> Qwen/Qwen2.5-72B"
    assert (athene["org_id"], athene["country"], athene["method"]) == ("alibaba", "CN", "curated edge")
    assert attributed(attribution, "athene-v2-chat-72b", "arena-text")["publisher"][:2] == ("nexusflow", "US")
    # a foundation developer's Arena model with no edge is its own root
    assert attributed(attribution, "gpt-4o-2024-05-13", "arena-text")["lineage"] == ("openai", "US", "root")


def test_an_exclusive_architecture_may_stand_in_and_says_so(lineage):
    # MaziyarPanahi/calme-3.2-instruct-78b: base_model 'Removed' (2024-12-05) or itself; Qwen2ForCausalLM
    # holds only Alibaba's weights (architectures.csv, with its citation)
    calme = lineage_of(lineage, "MaziyarPanahi/calme-3.2-instruct-78b")
    assert (calme["org_id"], calme["country"], calme["method"]) == ("alibaba", "CN", "exclusive architecture")
    assert "Qwen2ForCausalLM holds only alibaba (CN)'s weights" in calme["evidence"]


def test_a_shared_architecture_never_stands_in_for_lineage(lineage, boards):
    facts = pl.concat([model_facts(b) for b in boards], how="diagonal_relaxed").select(
        pl.col("model_id").str.to_lowercase().alias("model_key"), "architecture"
    )
    weights = REGISTRY.architectures.select("architecture", "weights")
    by_architecture = (
        lineage.filter(pl.col("method") == "exclusive architecture")
        .join(facts.unique("model_key"), on="model_key")
        .join(weights, on="architecture", how="left")
    )
    assert len(by_architecture) > 100 and set(by_architecture["weights"]) == {"exclusive"}
    # no lineage anywhere is a family fallback
    assert lineage["method"].is_in(["root", "base model chain", "curated edge", "exclusive architecture",
                                    "unattributed"]).all()  # fmt: skip


@pytest.mark.parametrize(
    ("model", "base", "parent", "reason"),
    [
        ("a/x", None, None, "no base model reported"),
        ("a/x", "Removed", None, "base model 'Removed'"),
        ("a/x", "a/x", None, "base model points to itself"),
        ("a/x", "A/X", None, "base model points to itself"),
        ("a/x", "a/x (Merge)", None, "a merge whose parents are not listed"),
        ("a/x", "b/y (Merge)", "b/y", "reported base model"),
        ("a/x", "Qwen/Qwen2-72B", "Qwen/Qwen2-72B", "reported base model"),
    ],
)
def test_base_model_edges(model, base, parent, reason):
    assert base_model_edge(model, base) == (parent, reason)


def hand_board(rows: list[tuple]) -> pl.DataFrame:
    """A small v2-like board: (snapshot_date, model_id, publisher, architecture, base_model)."""
    frame = pl.DataFrame(
        rows, schema=["snapshot_date", "model_id", "publisher", "architecture", "base_model"], orient="row"
    )
    return frame.with_columns(
        pl.lit("open-llm-v2").alias("leaderboard"), pl.lit("t").alias("load_id"), pl.lit(1.0).alias("score"),
        pl.lit("hf_namespace").alias("publisher_alias_type"), pl.lit("fine_tuned").alias("model_type"),
    )  # fmt: skip


def test_cycles_are_unresolved_and_unknown_roots_never_guessed():
    day = date(2025, 1, 1)
    board = hand_board(
        [
            (day, "someone/a", "someone", "Qwen2ForCausalLM", "someone/b"),
            (day, "someone/b", "someone", "Qwen2ForCausalLM", "someone/a"),
            (day, "nobody-knows/c", "nobody-knows", "GPT2LMHeadModel", "nobody-knows/root"),
            (day, "someone/d", "someone", "LlamaForCausalLM", "someone/b"),
        ]
    )
    lineage = resolve_lineage(model_facts(board), reported_edges([board]), REGISTRY)
    a = lineage_of(lineage, "someone/a")
    # a cycle is no chain; the exclusive architecture may still stand in, and the evidence says both
    assert (a["country"], a["method"]) == ("CN", "exclusive architecture") and "cycle at someone/a" in a["evidence"]
    d = lineage_of(lineage, "someone/d")
    assert (d["country"], d["method"]) == (None, "unattributed") and "cycle" in d["evidence"]
    c = lineage_of(lineage, "nobody-knows/c")
    assert (c["org_id"], c["method"]) == (None, "unattributed")
    assert "whose publisher is not in the registry" in c["evidence"]


def test_the_most_recent_usable_report_wins():
    # a later snapshot says 'Removed': the earlier real base model is still evidence
    board = hand_board(
        [
            (date(2024, 12, 1), "someone/x", "someone", "LlamaForCausalLM", "meta-llama/Meta-Llama-3-8B"),
            (date(2025, 1, 1), "someone/x", "someone", "LlamaForCausalLM", "Removed"),
        ]
    )
    edges = reported_edges([board])
    assert edges.select("base_model", "reported_on").row(0) == ("meta-llama/Meta-Llama-3-8B", date(2024, 12, 1))
    lineage = resolve_lineage(model_facts(board), edges, REGISTRY)
    assert lineage_of(lineage, "someone/x")["org_id"] == "meta"
