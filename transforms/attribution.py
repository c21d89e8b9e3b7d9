"""Attribute every model to an organisation and a country, in three modes. Pure functions.

Output (the shape of core.model_attribution), one row per leaderboard, model and mode:
leaderboard, model_id, mode, org_id, organisation, country, method, evidence.
`country` is null when unknown: marts count such models as `unattributed`, never a guess.

Modes
- publisher: the organisation that published the model (its Hugging Face namespace, or the Arena
  organisation), through the registry aliases.
- lineage: the organisation of the root base model, following `base_model` through fine-tunes and
  merges (curated corrections in data/registry/lineage.csv first). The chain's root is trusted when
  it is a foundation-model developer (an organisation that created a model family in
  architectures.csv) or a model the leaderboard lists as pretrained. Otherwise (no usable base
  model: `Removed`, self-reference, ` (Merge)` of itself, a cycle, a root outside the registry or
  a root that is only a fine-tuner) lineage falls back to the family of the root's architecture.
- family: the organisation that created the model's architecture / family (`Qwen2ForCausalLM` ->
  Alibaba). Generic classes (GPT2LMHeadModel, ...) say nothing reliable and stay unattributed.
Leaderboards without lineage or architecture data (Arena) use the publisher for all three modes,
and say so in `method`.
"""

from __future__ import annotations

import polars as pl

from transforms.registry import Registry

UNATTRIBUTED = "unattributed"
MODES = ("publisher", "lineage", "family")
ATTRIBUTION_COLUMNS = ["leaderboard", "model_id", "mode", "org_id", "organisation", "country", "method", "evidence"]
ATTRIBUTION_SCHEMA = {column: pl.Utf8 for column in ATTRIBUTION_COLUMNS}
MAX_CHAIN = 50  # base-model chains are short; anything longer is a data error


UNINFORMATIVE_ARCHITECTURES = ["?", "Unknown"]  # placeholders the leaderboard shows when it could not tell


def model_facts(board: pl.DataFrame) -> pl.DataFrame:
    """One row per (leaderboard, model): the latest informative publisher, architecture, base model and type."""
    optional = ["architecture", "base_model", "model_type"]
    frame = board.with_columns(pl.lit(None, dtype=pl.Utf8).alias(c) for c in optional if c not in board.columns)
    # Facts rarely change between snapshots: reduce to distinct combinations (with when last seen) first.
    combinations = frame.group_by("leaderboard", "model_id", *optional).agg(
        pl.col("snapshot_date").max(), pl.col("publisher", "publisher_alias_type").first()
    )
    combinations = combinations.with_columns(
        pl.when(pl.col("architecture").is_in(UNINFORMATIVE_ARCHITECTURES))
        .then(None)
        .otherwise(pl.col("architecture"))
        .alias("architecture")
    )
    latest = combinations.sort(["snapshot_date", "model_id"], descending=[True, False], maintain_order=True)
    return latest.group_by("leaderboard", "model_id", maintain_order=True).agg(
        pl.col("publisher").drop_nulls().first(),
        pl.col("publisher_alias_type").first(),
        *(pl.col(c).drop_nulls().first() for c in optional),
    )


def _org_lookup(registry: Registry) -> dict[tuple[str, str], dict]:
    """(alias_type, lower-cased alias) -> {org_id, organisation, country}."""
    table = registry.aliases.join(registry.organisations, on="org_id", how="left")
    return {
        (row["alias_type"], row["alias"].lower()): {
            "org_id": row["org_id"],
            "organisation": row["name"],
            "country": row["country"],
        }
        for row in table.iter_rows(named=True)
    }


def attribute_publisher(facts: pl.DataFrame, registry: Registry) -> pl.DataFrame:
    lookup = _org_lookup(registry)
    rows = []
    for fact in facts.iter_rows(named=True):
        key = (fact["publisher_alias_type"], (fact["publisher"] or "").lower())
        org = lookup.get(key)
        if org is None:
            method, evidence = f"unknown {key[0]}", f"{key[0]} '{fact['publisher']}' is not in the registry"
            org = {"org_id": None, "organisation": None, "country": None}
        else:
            method = "registry alias" if org["country"] else "organisation without known country"
            evidence = f"{key[0]} '{fact['publisher']}' -> {org['org_id']} ({org['country'] or 'country unknown'})"
        rows.append((fact["leaderboard"], fact["model_id"], "publisher", *org.values(), method, evidence))
    return pl.DataFrame(rows, schema=ATTRIBUTION_SCHEMA, orient="row")


def _family_lookup(registry: Registry) -> dict[str, dict]:
    orgs = {r["org_id"]: r for r in registry.organisations.iter_rows(named=True)}
    families = {}
    for row in registry.architectures.iter_rows(named=True):
        org = orgs.get(row["org_id"]) if row["org_id"] else None
        families[row["architecture"]] = {
            "family": row["family"],
            "org_id": row["org_id"],
            "organisation": org["name"] if org else None,
            "country": org["country"] if org else None,
            "notes": row["notes"],
        }
    return families


def _family_row(architecture: str | None, families: dict) -> tuple[dict, str, str]:
    """(org, method, evidence) of an architecture's family."""
    empty = {"org_id": None, "organisation": None, "country": None}
    if not architecture:
        return empty, "no architecture", "the leaderboard gives no architecture"
    family = families.get(architecture)
    if family is None:
        return empty, "architecture not in registry", f"{architecture} is not in architectures.csv"
    if not family["org_id"]:
        return empty, "generic architecture", f"{architecture}: {family['notes'] or 'used by many organisations'}"
    org = {k: family[k] for k in ("org_id", "organisation", "country")}
    method = "architecture family" if org["country"] else "family organisation without known country"
    return (
        org,
        method,
        f"{architecture} -> {family['family']} -> {family['org_id']} ({org['country'] or 'country unknown'})",
    )


def attribute_family(facts: pl.DataFrame, registry: Registry) -> pl.DataFrame:
    families = _family_lookup(registry)
    rows = []
    for fact in facts.iter_rows(named=True):
        org, method, evidence = _family_row(fact["architecture"], families)
        rows.append((fact["leaderboard"], fact["model_id"], "family", *org.values(), method, evidence))
    return pl.DataFrame(rows, schema=ATTRIBUTION_SCHEMA, orient="row")


def base_model_edge(model_id: str, base_model: str | None) -> tuple[str | None, str]:
    """The parent a reported `base_model` points to, or None with the reason it is unusable."""
    if base_model is None or not base_model.strip():
        return None, "no base model reported"
    value = base_model.strip()
    if value == "Removed":
        return None, "base model 'Removed'"
    if value.endswith(" (Merge)"):
        value = value.removesuffix(" (Merge)").strip()
        if value.lower() == model_id.lower():
            return None, "a merge whose parents are not listed"
    if value.lower() == model_id.lower():
        return None, "base model points to itself"
    return value, "reported base model"


def attribute_lineage(
    facts: pl.DataFrame, registry: Registry, curated: pl.DataFrame, publisher: pl.DataFrame
) -> pl.DataFrame:
    """Follow base models to a trusted root; fall back to the family of the root's architecture."""
    lookup = _org_lookup(registry)
    families = _family_lookup(registry)
    family_makers = {f["org_id"] for f in families.values() if f["org_id"]}
    # Hub ids are case-insensitive but the leaderboard lists some models under two spellings:
    # look up the exact spelling first, then the first spelling in sort order.
    known = {(r["leaderboard"], r["model_id"]): r for r in facts.iter_rows(named=True)}
    for row in facts.sort("model_id").iter_rows(named=True):
        known.setdefault((row["leaderboard"], row["model_id"].lower()), row)
    corrections = {r["model_id"].lower(): (r["base_model"], r["source"]) for r in curated.iter_rows(named=True)}
    publisher_rows = {(r["leaderboard"], r["model_id"]): r for r in publisher.iter_rows(named=True)}

    def parent_of(board: str, model: str) -> tuple[str | None, str]:
        if model.lower() in corrections:
            base, source = corrections[model.lower()]
            return base, f"curated ({source})"
        fact = known.get((board, model)) or known.get((board, model.lower()))
        return base_model_edge(model, fact["base_model"]) if fact else (None, "not on the leaderboard")

    rows = []
    for fact in facts.iter_rows(named=True):
        board, model = fact["leaderboard"], fact["model_id"]
        if fact["publisher_alias_type"] != "hf_namespace":
            pub = publisher_rows[(board, model)]
            rows.append(
                (board, model, "lineage", pub["org_id"], pub["organisation"], pub["country"],
                 "no lineage data on this leaderboard: publisher", pub["evidence"])
            )  # fmt: skip
            continue
        chain, seen, stop = [model], {model.lower()}, ""
        while len(chain) <= MAX_CHAIN:
            parent, why = parent_of(board, chain[-1])
            if parent is None:
                stop = why
                break
            if parent.lower() in seen:
                stop = f"cycle at {parent}"
                break
            chain.append(f"{parent}")
            seen.add(parent.lower())
        root = chain[-1]
        root_fact = known.get((board, root)) or known.get((board, root.lower()))
        org = lookup.get(("hf_namespace", root.split("/")[0].lower())) if "/" in root else None
        pretrained = bool(root_fact and root_fact["model_type"] == "pretrained")
        path = " -> ".join(chain)
        if stop.startswith("cycle"):
            trusted = False
        else:
            trusted = bool(org and org["country"] and (org["org_id"] in family_makers or pretrained))
        if trusted:
            method = "own pretrained model" if len(chain) == 1 else "base model chain"
            rows.append(
                (board, model, "lineage", *org.values(), method, f"{path} = {org['org_id']} ({org['country']})")
            )
            continue
        architecture = (root_fact or {}).get("architecture") or fact["architecture"]
        family_org, family_method, family_evidence = _family_row(architecture, families)
        reason = stop if len(chain) == 1 else f"chain {path} ends at a root that is not a foundation-model developer"
        if stop.startswith("cycle"):
            reason = f"{stop} in {path}"
        rows.append(
            (board, model, "lineage", *family_org.values(), f"family fallback ({family_method})",
             f"{reason}; {family_evidence}")
        )  # fmt: skip
    return pl.DataFrame(rows, schema=ATTRIBUTION_SCHEMA, orient="row")


def attribute_models(
    board: pl.DataFrame, registry: Registry, curated_lineage: pl.DataFrame, facts: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Every model of a board in all three modes (core.model_attribution)."""
    facts = model_facts(board) if facts is None else facts
    publisher = attribute_publisher(facts, registry)
    lineage = attribute_lineage(facts, registry, curated_lineage, publisher)
    family = attribute_family(facts, registry)
    no_architecture = facts.filter(pl.col("publisher_alias_type") != "hf_namespace").select("leaderboard", "model_id")
    if len(no_architecture):
        # Arena-like boards carry no architecture: family follows the publisher, as lineage does.
        family = pl.concat(
            [
                family.join(no_architecture, on=["leaderboard", "model_id"], how="anti"),
                publisher.join(no_architecture, on=["leaderboard", "model_id"]).with_columns(
                    pl.lit("family").alias("mode"),
                    pl.lit("no architecture data on this leaderboard: publisher").alias("method"),
                ),
            ]
        )
    return pl.concat([publisher, lineage, family]).sort("leaderboard", "model_id", "mode")
