"""The organisation registry (data/registry/*.csv), loaded as frames.

- organisations.csv: org_id, name, country (ISO-3166 alpha-2, empty = unknown), kind, country_source,
  no_country (why an organisation has no country: `multinational`, `distributed collective`, or
  `not established` when one applies but no citable source was at hand), notes
- aliases.csv: alias, alias_type (hf_namespace | arena_organization | aa_creator: an Artificial Analysis
  creator slug), org_id
- architectures.csv: architecture (HF model class), family, org_id (empty = says nothing reliable),
  weights (`exclusive`: only that developer's weights exist in this class, so it may stand as
  lineage evidence; `shared`: it may not), weights_source (citation of an exclusive claim), notes
- foundation_developers.csv: org_id, base_model (one base model it pretrained), source, notes: the
  organisations whose own models are lineage roots (attribution/lineage.py)
- lineage.csv: model_id, base_model, base_publisher, source, notes: curated base-model edges that
  replace or extend what the boards report, each with its citation; model_id and base_model are
  Hub ids or Arena model keys; base_publisher (an org_id) only for a base on no board and not on
  the Hub (LLaMA 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from common.settings import REGISTRY_DIR


@dataclass(frozen=True)
class Registry:
    organisations: pl.DataFrame
    aliases: pl.DataFrame
    architectures: pl.DataFrame
    lineage: pl.DataFrame
    foundation_developers: pl.DataFrame

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
        foundation_developers=_read(directory / "foundation_developers.csv"),
    )
