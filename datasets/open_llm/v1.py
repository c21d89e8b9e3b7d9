"""Open LLM Leaderboard v1 (ARC, HellaSwag, MMLU, TruthfulQA, Winogrande, GSM8K): every known
layout into one schema, and the board the gap marts read. Pure polars functions.

| variant      | where                                  | booleans                                     |
|--------------|----------------------------------------|----------------------------------------------|
| scraped-2024 | the daily scrape (2024-06-19, 07-07)   | `merged`, `flagged`, `moe` inverted           |
| hub          | Hub dataset `open-llm-leaderboard-old/contents` (`Average ⬆️`, `ARC`, ..., `Merged`, `Flagged`, `MoE`) | as published |

Evidence for the scraped inversion (tests/datasets/open_llm/test_open_llm_v1.py, on the bundled files): 6,960 of
7,065 rows say `flagged`, 2,505 of 2,571 `LlamaForCausalLM` rows say `moe`, and 724 of 997 rows of
type "base merges and moerges" say `merged` = FALSE. The same scraper inverts the same columns of
v2 (datasets/open_llm/v2.py). The Hub parquet is read as published; its gate refuses a snapshot
where most rows are flagged (datasets/open_llm/hub_checks.py), so an inverted encoding is quarantined
with that reason instead of being published upside down.

Other quirks: `params_b` = 0 means unknown (the v1 table writes 0, v2 writes -1) and becomes null;
`hub_license` is sometimes empty; `date` is the submission timestamp.
"""

from __future__ import annotations

import polars as pl

from common.contracts import LOAD_COLUMNS
from common.numbers import reject_comma_numbers
from datasets.open_llm.columns import boolean_column, date_column, model_type_column
from datasets.open_llm.contract import OPEN_LLM_V1_ENTRIES
from datasets.open_llm.v2 import Variant, detect_variant

LEADERBOARD = "open-llm-v1"
BENCHMARKS = ("arc", "hellaswag", "mmlu", "truthfulqa", "winogrande", "gsm8k")

SCHEMA = OPEN_LLM_V1_ENTRIES.polars_schema(without=LOAD_COLUMNS)

_SCRAPED = {
    "fullname": "model_id",
    "average": "average",
    **{b: b for b in BENCHMARKS},
    "type": "model_type",
    "architecture": "architecture",
    "weight_type": "weight_type",
    "precision": "precision",
    "merged": "merged",
    "hub_license": "license",
    "params_b": "params_b",
    "hub_hearts": "hub_likes",
    "available_on_the_hub": "available_on_hub",
    "model_sha": "revision_sha",
    "flagged": "flagged",
    "moe": "moe",
    "date": "submission_date",
}

HUB_COLUMNS = {
    "fullname": "model_id",
    "Average ⬆️": "average",
    "ARC": "arc",
    "HellaSwag": "hellaswag",
    "MMLU": "mmlu",
    "TruthfulQA": "truthfulqa",
    "Winogrande": "winogrande",
    "GSM8K": "gsm8k",
    "Type": "model_type",
    "Architecture": "architecture",
    "Weight type": "weight_type",
    "Precision": "precision",
    "Merged": "merged",
    "Hub License": "license",
    "#Params (B)": "params_b",
    "Hub ❤️": "hub_likes",
    "Available on the hub": "available_on_hub",
    "Model sha": "revision_sha",
    "Flagged": "flagged",
    "MoE": "moe",
    "date": "submission_date",
}

VARIANTS: tuple[Variant, ...] = (
    Variant("scraped-2024", _SCRAPED, frozenset({"merged", "flagged", "moe"})),
    Variant("hub", HUB_COLUMNS),
)


def normalise(raw: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Map an all-text frame of a known v1 layout onto SCHEMA (unparseable values become null)."""
    variant = detect_variant(raw.columns, VARIANTS, "Open LLM v1")
    frame = raw.select([pl.col(src).alias(dst) for src, dst in variant.columns.items()])
    reject_comma_numbers(frame, [n for n, t in SCHEMA.items() if t in (pl.Float64, pl.Int64)])
    casts = []
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
            casts.append(pl.col(name).str.strip_chars().cast(pl.Float64, strict=False).cast(dtype, strict=False))
    frame = frame.with_columns(casts).with_columns(
        pl.col("model_id").str.split("/").list.first().alias("namespace"),
        pl.when(pl.col("params_b") <= 0).then(None).otherwise(pl.col("params_b")).alias("params_b"),
    )
    ignored = sorted(set(raw.columns) - variant.required)
    return frame.select(list(SCHEMA)), {"header_variant": variant.name, "ignored_columns": ignored}
