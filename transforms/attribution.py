"""Attribute models to an organisation and a country. Pure functions: frames in, frames out.

Output rows (one per model and mode), the shape of core.model_attribution:
model_id, mode, org_id, organisation, country, method, evidence.
`country` is null when unknown: marts put such models in the `unattributed` bucket, never a guess.
"""

from __future__ import annotations

import polars as pl

from transforms.registry import Registry

UNATTRIBUTED = "unattributed"
ATTRIBUTION_COLUMNS = ["model_id", "mode", "org_id", "organisation", "country", "method", "evidence"]


def attribute_publisher(
    models: pl.DataFrame, registry: Registry, key: str = "namespace", alias_type: str = "hf_namespace"
) -> pl.DataFrame:
    """Publisher mode: the organisation that published the model (its HF namespace, or Arena organisation).

    `models` needs `model_id` and the `key` column.
    """
    aliases = registry.alias_table(alias_type)
    joined = (
        models.select("model_id", key)
        .unique("model_id")
        .with_columns(pl.col(key).str.to_lowercase().alias("alias_key"))
        .join(aliases, on="alias_key", how="left")
    )
    method = (
        pl.when(pl.col("org_id").is_null())
        .then(pl.lit(f"unknown {key}"))
        .when(pl.col("country").is_null())
        .then(pl.lit("organisation without known country"))
        .otherwise(pl.lit(f"registry alias ({alias_type})"))
    )
    evidence = pl.format(
        "{} '{}' -> {}",
        pl.lit(key),
        pl.col(key),
        pl.when(pl.col("org_id").is_null())
        .then(pl.lit("not in registry"))
        .otherwise(pl.format("{} ({})", pl.col("org_id"), pl.col("country").fill_null("country unknown"))),
    )
    return joined.with_columns(
        pl.lit("publisher").alias("mode"), method.alias("method"), evidence.alias("evidence")
    ).select(ATTRIBUTION_COLUMNS)
