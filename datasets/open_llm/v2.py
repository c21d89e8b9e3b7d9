"""Open LLM Leaderboard v2: every known header variant into one normalised schema.

Variants (all seen in the bundled files):

| variant              | first seen  | what changed                                                         |
|----------------------|-------------|----------------------------------------------------------------------|
| scraped-2024-07      | 2024-07-13  | the scraper's snake_case copy of the leaderboard table                |
| scraped-2024-08      | 2024-08-30  | + `generation`, `base_model`                                          |
| scraped-2024-11      | 2024-11-15  | + `co_cost_kg`                                                        |
| scraped-2024-12-05   | 2024-12-05  | `maintainers_highlight` renamed `official_providers`                  |
| flat-2024-12-11      | 2024-12-11  | new JSON-flattened layout: `evaluations_*`, `features_*`, `metadata_*` |
| flat-2025-01-09      | 2025-01-09  | `features_is_official_provider`; the `id` format changes (unused)     |
| official             | (API)       | the leaderboard's display table (`Average ⬆️`, `IFEval Raw`, `Not_Merged`) |
| hub-2024-11          | (Hub)       | the Hub dataset's parquet: `Merged`, `Maintainer's Highlight`, `CO₂ cost (kg)` |
| hub-2024-12          | (Hub)       | the same with `Official Providers` (renamed like the scrape on 2024-12-05) |

Boolean quirks, corrected here (evidence in tests/datasets/open_llm/test_open_llm_v2.py):
- In every variant before the flat layout, *and* in the leaderboard's own display table, `flagged`
  and `moe` are inverted: every row says flagged, and Mixtral-8x7B says "not MoE" while
  Qwen2.5-72B says "MoE". `not_merged` is not inverted (its count of merges matches the flat
  files' `features_is_merged`).
- In the flat layout, `features_is_not_available_on_hub` holds "available on the hub".
- The Hub dataset's parquet (`open-llm-leaderboard/contents`, variants `hub-*`) is read as
  published, NOT inverted: the flat layout is the leaderboard backend's JSON, built by copying the
  parquet's `Flagged`, `MoE`, `Merged` and `Available on the hub` unchanged (the backend's
  `LeaderboardService.transform_data`), and in the flat files 1 of 2,209 rows is flagged and no
  `LlamaForCausalLM` row is MoE, where the display table says all 1,793 rows are flagged and 744
  of 745 Llama rows are MoE. The inversion is the display table's, not the dataset's. Because
  older Hub revisions cannot be checked from bundled data, the Hub gate refuses (quarantines) a
  parquet where most rows are flagged rather than guess (datasets/open_llm/hub_checks.py).
- `params_b = -1` is the leaderboard's "unknown size" and becomes null.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from common.contracts import LOAD_COLUMNS
from common.errors import SnapshotRejected
from common.numbers import reject_comma_numbers
from datasets.open_llm.columns import boolean_column, date_column, model_type_column
from datasets.open_llm.contract import OPEN_LLM_V2_ENTRIES

BENCHMARKS = ("ifeval", "bbh", "math_lvl5", "gpqa", "musr", "mmlu_pro")

# The normalised schema every variant is mapped onto (column -> dtype), in published order.
SCHEMA = OPEN_LLM_V2_ENTRIES.polars_schema(without=LOAD_COLUMNS)


@dataclass(frozen=True)
class Variant:
    name: str
    columns: dict[str, str]  # source column -> normalised column
    inverted: frozenset[str] = field(default_factory=frozenset)  # normalised booleans stored negated

    @property
    def required(self) -> set[str]:
        return set(self.columns)


_SCRAPED_BASE = {
    "fullname": "model_id",
    "average": "average",
    "ifeval": "ifeval",
    "ifeval_raw": "ifeval_raw",
    "bbh": "bbh",
    "bbh_raw": "bbh_raw",
    "math_lvl_5": "math_lvl5",
    "math_lvl_5_raw": "math_lvl5_raw",
    "gpqa": "gpqa",
    "gpqa_raw": "gpqa_raw",
    "musr": "musr",
    "musr_raw": "musr_raw",
    "mmlupro": "mmlu_pro",
    "mmlupro_raw": "mmlu_pro_raw",
    "type": "model_type",
    "architecture": "architecture",
    "weight_type": "weight_type",
    "precision": "precision",
    "not_merged": "merged",
    "hub_license": "license",
    "params_b": "params_b",
    "hub_hearts": "hub_likes",
    "available_on_the_hub": "available_on_hub",
    "model_sha": "revision_sha",
    "flagged": "flagged",
    "moe": "moe",
    "submission_date": "submission_date",
    "upload_to_hub_date": "upload_date",
    "chat_template": "chat_template",
    "maintainers_highlight": "official_provider",
}
_SCRAPED_INVERTED = frozenset({"flagged", "moe", "merged"})  # `merged` comes from `not_merged`
_WITH_LINEAGE = {**_SCRAPED_BASE, "generation": "generation", "base_model": "base_model"}
_WITH_CO2 = {**_WITH_LINEAGE, "co_cost_kg": "co2_kg"}
_OFFICIAL_PROVIDERS = {
    **{k: v for k, v in _WITH_CO2.items() if k != "maintainers_highlight"},
    "official_providers": "official_provider",
}

_FLAT_2024_12_11 = {
    "model_name": "model_id",
    "model_sha": "revision_sha",
    "model_precision": "precision",
    "model_type": "model_type",
    "model_weight_type": "weight_type",
    "model_architecture": "architecture",
    "model_average_score": "average",
    "model_has_chat_template": "chat_template",
    "evaluations_ifeval_value": "ifeval_raw",
    "evaluations_ifeval_normalized_score": "ifeval",
    "evaluations_bbh_value": "bbh_raw",
    "evaluations_bbh_normalized_score": "bbh",
    "evaluations_math_value": "math_lvl5_raw",
    "evaluations_math_normalized_score": "math_lvl5",
    "evaluations_gpqa_value": "gpqa_raw",
    "evaluations_gpqa_normalized_score": "gpqa",
    "evaluations_musr_value": "musr_raw",
    "evaluations_musr_normalized_score": "musr",
    "evaluations_mmlu_pro_value": "mmlu_pro_raw",
    "evaluations_mmlu_pro_normalized_score": "mmlu_pro",
    "features_is_not_available_on_hub": "available_on_hub",  # misnamed: holds "available"
    "features_is_merged": "merged",
    "features_is_moe": "moe",
    "features_is_flagged": "flagged",
    "features_is_highlighted_by_maintainer": "official_provider",
    "metadata_upload_date": "upload_date",
    "metadata_submission_date": "submission_date",
    "metadata_generation": "generation",
    "metadata_base_model": "base_model",
    "metadata_hub_license": "license",
    "metadata_hub_hearts": "hub_likes",
    "metadata_params_billions": "params_b",
    "metadata_co2_cost": "co2_kg",
}
_FLAT_2025_01_09 = {
    **{k: v for k, v in _FLAT_2024_12_11.items() if k != "features_is_highlighted_by_maintainer"},
    "features_is_official_provider": "official_provider",
}

OFFICIAL_COLUMNS = {
    "fullname": "model_id",
    "Average ⬆️": "average",
    "IFEval": "ifeval",
    "IFEval Raw": "ifeval_raw",
    "BBH": "bbh",
    "BBH Raw": "bbh_raw",
    "MATH Lvl 5": "math_lvl5",
    "MATH Lvl 5 Raw": "math_lvl5_raw",
    "GPQA": "gpqa",
    "GPQA Raw": "gpqa_raw",
    "MUSR": "musr",
    "MUSR Raw": "musr_raw",
    "MMLU-PRO": "mmlu_pro",
    "MMLU-PRO Raw": "mmlu_pro_raw",
    "Type": "model_type",
    "Architecture": "architecture",
    "Weight type": "weight_type",
    "Precision": "precision",
    "Not_Merged": "merged",
    "Hub License": "license",
    "#Params (B)": "params_b",
    "Hub ❤️": "hub_likes",
    "Available on the hub": "available_on_hub",
    "Model sha": "revision_sha",
    "Flagged": "flagged",
    "MoE": "moe",
    "Submission Date": "submission_date",
    "Upload To Hub Date": "upload_date",
    "Chat Template": "chat_template",
    "Maintainer's Highlight": "official_provider",
    "Generation": "generation",
    "Base Model": "base_model",
}

# The Hub dataset's parquet: the official names with `Merged` (not `Not_Merged`) and the CO2 column.
HUB_COLUMNS = {
    **{k: v for k, v in OFFICIAL_COLUMNS.items() if k != "Not_Merged"},
    "Merged": "merged",
    "CO₂ cost (kg)": "co2_kg",
}
_HUB_OFFICIAL_PROVIDERS = {
    **{k: v for k, v in HUB_COLUMNS.items() if k != "Maintainer's Highlight"},
    "Official Providers": "official_provider",
}

VARIANTS: tuple[Variant, ...] = (
    Variant("scraped-2024-07", _SCRAPED_BASE, _SCRAPED_INVERTED),
    Variant("scraped-2024-08", _WITH_LINEAGE, _SCRAPED_INVERTED),
    Variant("scraped-2024-11", _WITH_CO2, _SCRAPED_INVERTED),
    Variant("scraped-2024-12-05", _OFFICIAL_PROVIDERS, _SCRAPED_INVERTED),
    Variant("flat-2024-12-11", _FLAT_2024_12_11),
    Variant("flat-2025-01-09", _FLAT_2025_01_09),
    Variant("official", OFFICIAL_COLUMNS, _SCRAPED_INVERTED),
    Variant("hub-2024-11", HUB_COLUMNS),
    Variant("hub-2024-12", _HUB_OFFICIAL_PROVIDERS),
)

# Columns known to carry nothing aigap needs (an HTML link, a type symbol, ids): never "unknown".
PRESENTATION_COLUMNS = frozenset({"eval_name", "T", "Model", "t", "model", "url", "id"})


def detect_variant(columns: list[str], variants: tuple[Variant, ...] = VARIANTS, label: str = "Open LLM v2") -> Variant:
    """The most specific known variant whose columns are all present, or a rejection naming what is missing."""
    present = set(columns)
    matches = [v for v in variants if v.required <= present]
    if matches:
        return max(matches, key=lambda v: len(v.required))
    # closest: fewest columns missing, then most columns matched
    closest = min(variants, key=lambda v: (len(v.required - present), -len(v.required & present)))
    missing = sorted(closest.required - present)
    unexpected = sorted(present - set().union(*(v.required for v in variants)) - PRESENTATION_COLUMNS)
    reason = f"header matches no known {label} layout; closest is '{closest.name}', missing {missing}"
    if unexpected:
        reason += f", unknown columns {unexpected[:10]} (renamed?)"
    raise SnapshotRejected([{"check": "header", "reason": reason, "missing_columns": missing}])


def normalise(raw: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Map an all-text frame of any known variant onto SCHEMA.

    Values that do not parse become null, so the quality gate (not this function) decides whether
    the snapshot is acceptable and can show the offending rows.
    Returns the frame and a small description (variant, ignored columns) for the load ledger.
    """
    variant = detect_variant(raw.columns)
    source_of = {dst: src for src, dst in variant.columns.items()}
    frame = raw.select(
        pl.col(source_of[name]).alias(name) if name in source_of else pl.lit(None, dtype=pl.Utf8).alias(name)
        for name in SCHEMA
        if name != "namespace"
    )
    reject_comma_numbers(frame, [n for n, t in SCHEMA.items() if t in (pl.Float64, pl.Int64)])
    casts = [pl.col("model_id").str.strip_chars().str.split("/").list.first().alias("namespace")]
    for name, dtype in SCHEMA.items():
        if name == "namespace":
            continue
        if dtype == pl.Boolean:
            casts.append(boolean_column(name, name in variant.inverted))
        elif dtype == pl.Date:
            casts.append(date_column(name))
        elif name == "model_type":
            casts.append(model_type_column(name))
        elif dtype == pl.Utf8:
            casts.append(pl.col(name).str.strip_chars())
        else:
            number = pl.col(name).str.strip_chars().cast(pl.Float64, strict=False).cast(dtype, strict=False)
            if name == "params_b":  # -1 is the leaderboard's "unknown size"
                number = pl.when(number < 0).then(None).otherwise(number)
            casts.append(number.alias(name))
    frame = frame.select(casts)
    ignored = sorted(set(raw.columns) - variant.required)
    return frame.select(list(SCHEMA)), {"header_variant": variant.name, "ignored_columns": ignored}
