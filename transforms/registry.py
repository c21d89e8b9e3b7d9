"""The organisation registry (data/registry/*.csv), loaded as frames.

- organisations.csv: org_id, name, country (ISO-3166 alpha-2, empty = unknown), kind, country_source, notes
- aliases.csv: alias, alias_type (hf_namespace | arena_organization), org_id
- architectures.csv: architecture (HF model class), family, org_id (empty = says nothing reliable), notes
- lineage.csv: model_id, base_model, source, notes: curated base-model facts that override or
  extend what the leaderboard reports (each with its source)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from aigap.config import REGISTRY_DIR


@dataclass(frozen=True)
class Registry:
    organisations: pl.DataFrame
    aliases: pl.DataFrame
    architectures: pl.DataFrame
    lineage: pl.DataFrame

    def alias_table(self, alias_type: str) -> pl.DataFrame:
        """alias_key (lower-cased alias) -> org_id, organisation, country for one alias type."""
        return (
            self.aliases.filter(pl.col("alias_type") == alias_type)
            .join(self.organisations, on="org_id", how="left")
            .select(
                pl.col("alias").str.to_lowercase().alias("alias_key"),
                "org_id",
                pl.col("name").alias("organisation"),
                "country",
            )
            .unique("alias_key", keep="first")
        )


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema_length=0).with_columns(pl.all().str.strip_chars().replace("", None))


def load_registry(directory: Path = REGISTRY_DIR) -> Registry:
    return Registry(
        organisations=_read(directory / "organisations.csv"),
        aliases=_read(directory / "aliases.csv"),
        architectures=_read(directory / "architectures.csv"),
        lineage=_read(directory / "lineage.csv"),
    )
