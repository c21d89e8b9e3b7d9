"""Attribute every model to an organisation and a country, in three modes. Pure functions.

Output (the shape of core.model_attribution), one row per leaderboard, model and mode:
leaderboard, model_id, mode, org_id, organisation, country, method, evidence.
`country` is null when unknown: marts count such models as `unattributed`, never a guess.

Modes
- publisher: the organisation that published the model (its Hugging Face namespace, or the Arena
  organisation), through the registry aliases.
- lineage: the developer of the model's root base model, from one model graph over every board
  (attribution/lineage.py, core.model_lineage): the same answer on every board. The family never
  stands in for it; only an architecture whose weights come from one developer alone may, and the
  method says so (`exclusive architecture`).
- family: the organisation that created the model's architecture / family (`Qwen2ForCausalLM` ->
  Alibaba). Generic classes (GPT2LMHeadModel, ...) say nothing reliable and stay unattributed.
Leaderboards without architecture data (Arena) use the publisher for the family mode, and say so
in `method`.
"""

from __future__ import annotations

import polars as pl

from attribution.lineage import UNRESOLVED, model_key
from attribution.registry import Registry

UNATTRIBUTED = "unattributed"
MODES = ("publisher", "lineage", "family")
ATTRIBUTION_COLUMNS = ["leaderboard", "model_id", "mode", "org_id", "organisation", "country", "method", "evidence"]
ATTRIBUTION_SCHEMA = {column: pl.Utf8 for column in ATTRIBUTION_COLUMNS}


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
        if org is None and fact["publisher"] is None:
            method, evidence = f"no {key[0]}", f"the row names no {key[0]}"
            org = {"org_id": None, "organisation": None, "country": None}
        elif org is None:
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


def attribute_lineage(facts: pl.DataFrame, lineage: pl.DataFrame) -> pl.DataFrame:
    """Each model's lineage on this board: its row of core.model_lineage (resolved once for every
    board, attribution/lineage.py), so a model has the same lineage wherever it appears."""
    resolved = facts.select("leaderboard", "model_id", model_key(pl.col("model_id")).alias("model_key")).join(
        lineage.select("model_key", "org_id", "organisation", "country", "method", "evidence"),
        on="model_key",
        how="left",
    )
    return resolved.select(
        "leaderboard",
        "model_id",
        pl.lit("lineage").alias("mode"),
        "org_id",
        "organisation",
        "country",
        pl.col("method").fill_null(UNRESOLVED),
        pl.col("evidence").fill_null("not in core.model_lineage"),
    )


def attribute_models(
    board: pl.DataFrame, registry: Registry, lineage: pl.DataFrame, facts: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Every model of a board in all three modes (core.model_attribution); `lineage` is
    core.model_lineage (attribution/lineage.py), resolved over every board."""
    facts = model_facts(board) if facts is None else facts
    publisher = attribute_publisher(facts, registry)
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
    return pl.concat([publisher, attribute_lineage(facts, lineage), family]).sort("leaderboard", "model_id", "mode")
