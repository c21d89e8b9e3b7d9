"""Attribution modes on slices of the real snapshots, checked by reading the files and the registry."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from transforms.attribution import attribute_models, base_model_edge
from transforms.boards import open_llm_v2_board
from transforms.csvio import read_csv_text
from transforms.open_llm_v2 import normalise
from transforms.registry import load_registry

ARCHIVE = Path(__file__).resolve().parents[1] / "data" / "leaderboards" / "open_llm_v2_archive"
REGISTRY = load_registry()


def entries(relative: str) -> pl.DataFrame:
    frame, _ = normalise(read_csv_text((ARCHIVE / relative).read_bytes()))
    day = date.fromisoformat(Path(relative).stem)
    return frame.with_columns(pl.lit(day).alias("snapshot_date"), pl.lit(relative).alias("load_id"))


@pytest.fixture(scope="module")
def attribution() -> pl.DataFrame:
    board = open_llm_v2_board(pl.concat([entries("scraped/2024-12-05.csv"), entries("scraped/2025-03-21.csv")]))
    return attribute_models(board, REGISTRY, REGISTRY.lineage)


def attributed(attribution, model_id: str) -> dict[str, tuple]:
    rows = attribution.filter(pl.col("model_id") == model_id)
    return {r["mode"]: (r["org_id"], r["country"], r["method"]) for r in rows.iter_rows(named=True)}


def test_smaug_is_a_us_publisher_on_a_chinese_lineage(attribution):
    # base_model in the files: moreh/MoMo-72B-lora-1.8.7-DPO (not on the v2 board, moreh is Korean);
    # data/registry/lineage.csv records that MoMo-72B is built on Qwen-72B (Smaug's model card).
    smaug = attributed(attribution, "abacusai/Smaug-72B-v0.1")
    assert smaug["publisher"][:2] == ("abacus-ai", "US")
    assert smaug["lineage"][:2] == ("alibaba", "CN") and smaug["lineage"][2] == "base model chain"
    assert smaug["family"][:2] == ("meta", "US")  # the file says LlamaForCausalLM (a "llamafied" Qwen)
    evidence = attribution.filter((pl.col("model_id") == "abacusai/Smaug-72B-v0.1") & (pl.col("mode") == "lineage"))
    assert "moreh/MoMo-72B-lora-1.8.7-DPO -> Qwen/Qwen-72B" in evidence["evidence"][0]


def test_a_qwen_model_is_chinese_in_every_mode(attribution):
    qwen = attributed(attribution, "Qwen/Qwen2.5-72B-Instruct")
    assert {mode: v[1] for mode, v in qwen.items()} == {"publisher": "CN", "lineage": "CN", "family": "CN"}


def test_an_individuals_merge_is_unattributed_by_publisher_and_chinese_by_lineage(attribution):
    # MaziyarPanahi/calme-3.2-instruct-78b: base_model 'Removed' (2024-12-05), Qwen2ForCausalLM.
    calme = attributed(attribution, "MaziyarPanahi/calme-3.2-instruct-78b")
    assert calme["publisher"][1] is None and calme["publisher"][2] == "organisation without known country"
    assert calme["lineage"][1] == "CN" and calme["lineage"][2].startswith("family fallback")
    assert calme["family"][:2] == ("alibaba", "CN")


def test_a_chain_through_a_known_base_model(attribution):
    # MaziyarPanahi/calme-2.1-qwen2-72b -> Qwen/Qwen2-72B (base_model column)
    calme = attributed(attribution, "MaziyarPanahi/calme-2.1-qwen2-72b")
    assert calme["lineage"][:3] == ("alibaba", "CN", "base model chain")


def test_own_pretrained_model_on_a_borrowed_architecture(attribution):
    # 01-ai/Yi-1.5-34B: pretrained, base_model points to itself, LlamaForCausalLM
    yi = attributed(attribution, "01-ai/Yi-1.5-34B")
    assert yi["lineage"][:3] == ("01-ai", "CN", "own pretrained model")
    assert yi["family"][:2] == ("meta", "US")


@pytest.mark.parametrize(
    ("model", "base", "parent", "reason"),
    [
        ("a/x", None, None, "no base model reported"),
        ("a/x", "Removed", None, "base model 'Removed'"),
        ("a/x", "a/x", None, "base model points to itself"),
        ("a/x", "a/x (Merge)", None, "a merge whose parents are not listed"),
        ("a/x", "b/y (Merge)", "b/y", "reported base model"),
        ("a/x", "Qwen/Qwen2-72B", "Qwen/Qwen2-72B", "reported base model"),
    ],
)
def test_base_model_edges(model, base, parent, reason):
    assert base_model_edge(model, base) == (parent, reason)


def test_cycles_and_unknown_roots_fall_back_to_family():
    day = date(2025, 1, 1)
    board = pl.DataFrame(
        {
            "leaderboard": "open-llm-v2", "snapshot_date": day, "load_id": "t",
            "model_id": ["someone/a", "someone/b", "nobody-knows/c"], "score": [1.0, 2.0, 3.0],
            "publisher": ["someone", "someone", "nobody-knows"], "publisher_alias_type": "hf_namespace",
            "architecture": ["Qwen2ForCausalLM", "Qwen2ForCausalLM", "GPT2LMHeadModel"],
            "base_model": ["someone/b", "someone/a", "nobody-knows/root"], "model_type": "fine_tuned",
        }
    )  # fmt: skip
    result = attribute_models(board, REGISTRY, REGISTRY.lineage)
    a = result.filter((pl.col("model_id") == "someone/a") & (pl.col("mode") == "lineage")).row(0, named=True)
    assert a["country"] == "CN" and "cycle" in a["evidence"]
    c = result.filter(pl.col("model_id") == "nobody-knows/c")
    # unknown publisher, generic architecture: unattributed in every mode, never guessed
    assert c["country"].to_list() == [None, None, None]
    assert set(c["method"]) == {
        "unknown hf_namespace",
        "generic architecture",
        "family fallback (generic architecture)",
    }
