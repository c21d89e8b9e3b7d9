"""The organisation registry is data reviewed like code: these checks keep it honest."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pycountry
import pytest

from attribution.registry import load_registry
from common.csvio import read_csv_text
from datasets.open_llm.v2 import normalise

REGISTRY = load_registry()
ARCHIVE = Path(__file__).resolve().parents[1] / "data" / "leaderboards" / "open_llm_v2_archive"
KINDS = {"company", "lab", "university", "community", "individual"}


def test_org_ids_are_unique_and_kinds_known():
    orgs = REGISTRY.organisations
    assert orgs["org_id"].is_duplicated().sum() == 0
    assert set(orgs["kind"].unique()) <= KINDS


def test_every_country_is_a_valid_iso_3166_alpha_2_code():
    codes = {c.alpha_2 for c in pycountry.countries}
    used = set(REGISTRY.organisations["country"].drop_nulls())
    assert used <= codes, used - codes


def test_every_entry_has_a_source():
    sources = REGISTRY.organisations["country_source"]
    assert sources.null_count() == 0
    assert sources.str.starts_with("http").all()


def test_no_alias_maps_to_two_organisations():
    per_alias = REGISTRY.aliases.group_by(pl.col("alias").str.to_lowercase()).agg(pl.col("org_id").n_unique())
    assert per_alias.filter(pl.col("org_id") > 1).is_empty(), per_alias.filter(pl.col("org_id") > 1)


def test_every_alias_points_to_a_known_organisation():
    unknown = REGISTRY.aliases.join(REGISTRY.organisations, on="org_id", how="anti")
    assert unknown.is_empty(), unknown
    assert set(REGISTRY.aliases["alias_type"].unique()) <= {"hf_namespace", "arena_organization", "aa_creator"}


HF_NAMESPACES = set(REGISTRY.aliases.filter(pl.col("alias_type") == "hf_namespace")["alias"].str.to_lowercase())


@pytest.mark.parametrize("snapshot", sorted(p.relative_to(ARCHIVE).as_posix() for p in ARCHIVE.rglob("*.csv")))
def test_registry_covers_the_top_500_and_the_base_models_they_point_to(snapshot):
    frame, _ = normalise(read_csv_text((ARCHIVE / snapshot).read_bytes()))
    top = frame.sort("average", descending=True).head(500)
    namespaces = set(top["namespace"].str.to_lowercase())
    assert namespaces <= HF_NAMESPACES, sorted(namespaces - HF_NAMESPACES)
    bases = top.select(pl.col("base_model").drop_nulls().str.replace(r" \(Merge\)$", "")).to_series()
    base_namespaces = {b.split("/")[0].lower() for b in bases if "/" in b}
    assert base_namespaces <= HF_NAMESPACES, sorted(base_namespaces - HF_NAMESPACES)


V1_ARCHIVE = ARCHIVE.parent / "open_llm_v1_archive"


@pytest.mark.parametrize("snapshot", sorted(p.name for p in V1_ARCHIVE.glob("*.csv")))
def test_registry_covers_the_top_500_of_the_v1_leaderboard(snapshot):
    from datasets.open_llm.v1 import normalise as normalise_v1

    frame, _ = normalise_v1(read_csv_text((V1_ARCHIVE / snapshot).read_bytes()))
    namespaces = set(frame.sort("average", descending=True).head(500)["namespace"].str.to_lowercase())
    assert namespaces <= HF_NAMESPACES, sorted(namespaces - HF_NAMESPACES)


def test_curated_lineage_edges_are_cited_and_resolvable():
    lineage = REGISTRY.lineage
    assert lineage["source"].str.starts_with("http").all()
    assert lineage["base_model"].null_count() == 0 and lineage["model_id"].null_count() == 0
    assert lineage["model_id"].str.to_lowercase().is_duplicated().sum() == 0
    assert (lineage["model_id"].str.to_lowercase() != lineage["base_model"].str.to_lowercase()).all()
    # a base on no board and not on the Hub (LLaMA 1) names its developer, which must be in the registry
    declared = lineage.filter(pl.col("base_publisher").is_not_null())
    assert set(declared["base_publisher"]) <= set(REGISTRY.organisations["org_id"])
    assert (~declared["base_model"].str.contains("/")).all()
    # every Hub base namespace is in the registry (so its publisher can be looked up)
    namespaces = {b.split("/")[0].lower() for b in lineage["base_model"] if "/" in b}
    assert namespaces <= HF_NAMESPACES, sorted(namespaces - HF_NAMESPACES)


def test_every_foundation_developer_is_cited():
    founders = REGISTRY.foundation_developers
    assert founders["org_id"].is_duplicated().sum() == 0
    assert set(founders["org_id"]) <= set(REGISTRY.organisations["org_id"])
    assert founders["source"].str.starts_with("http").all() and founders["base_model"].null_count() == 0


def test_an_exclusive_architecture_names_its_developer_and_a_citation():
    architectures = REGISTRY.architectures
    assert set(architectures["weights"]) == {"exclusive", "shared"}
    exclusive = architectures.filter(pl.col("weights") == "exclusive")
    assert exclusive["org_id"].null_count() == 0
    assert exclusive["weights_source"].str.starts_with("http").all()
    # the architectures the issue names: Qwen2 is one developer's weights, Llama and Mistral are not
    weights = dict(architectures.select("architecture", "weights").iter_rows())
    assert weights["Qwen2ForCausalLM"] == "exclusive"
    assert {weights[a] for a in ("LlamaForCausalLM", "MistralForCausalLM", "MixtralForCausalLM")} == {"shared"}


NO_COUNTRY = {"multinational", "distributed collective", "not established"}


def test_every_organisation_has_a_cited_country_or_says_why_not():
    orgs = REGISTRY.organisations
    with_country = orgs.filter(pl.col("country").is_not_null())
    assert with_country["country_source"].str.starts_with("http").all()
    assert with_country["no_country"].null_count() == len(with_country)
    without = orgs.filter(pl.col("country").is_null())
    assert set(without["no_country"]) <= NO_COUNTRY, set(without["no_country"])
    assert without["notes"].null_count() == 0
    # organisations (not individuals) without a country: the reason is one that applies, or the
    # registry says plainly that it was not established (curated offline)
    organisations = without.filter(pl.col("kind") != "individual")
    assert organisations["no_country"].null_count() == 0
    assert set(organisations.filter(pl.col("no_country") != "not established")["org_id"]) == {
        "bigscience", "bigcode", "llava", "eleutherai", "rwkv", "mergekit-community", "mlx-community",
        "mistral-community", "open-orca", "anthracite-org", "allura-org",
    }  # fmt: skip
