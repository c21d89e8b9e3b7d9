"""Hub repos for the local stand-in Hub, built from the bundled real snapshots.

The Open LLM v2 dataset's parquet is rebuilt from the flat scrapes (2024-12-11 on), which are the
leaderboard backend's JSON: the backend copies each parquet column into one JSON field unchanged
(`fullname` -> model.name, `Flagged` -> features.is_flagged, `Available on the hub` ->
features.is_not_available_on_hub ...), so mapping the fields back gives the parquet's columns and
values, typed as the Hub dataset types them. v1's parquet is rebuilt from the v1 scrape with its
inverted booleans turned back. The Space's files are the bundled `leaderboard_table_*.csv`, byte
for byte, plus booby-trapped pickles that would create a marker directory if ever unpickled.
"""

from __future__ import annotations

import io
import os
import pickle
from datetime import datetime
from functools import cache
from pathlib import Path

import polars as pl
from localhub import LocalHub

ROOT = Path(__file__).resolve().parents[1]
V2 = ROOT / "data" / "leaderboards" / "open_llm_v2_archive" / "scraped"
V1 = ROOT / "data" / "leaderboards" / "open_llm_v1_archive"
SPACE = ROOT / "data" / "leaderboards" / "arena_archive" / "hf_space"

V2_REPO = "open-llm-leaderboard/contents"
V1_REPO = "open-llm-leaderboard-old/contents"
SPACE_REPO = "lmarena-ai/chatbot-arena-leaderboard"

# flat scrape field -> Hub parquet column (the backend's LeaderboardService.transform_data, reversed)
FLAT_TO_HUB = {
    "model_name": "fullname",
    "model_sha": "Model sha",
    "model_precision": "Precision",
    "model_type": "Type",
    "model_weight_type": "Weight type",
    "model_architecture": "Architecture",
    "model_average_score": "Average ⬆️",
    "model_has_chat_template": "Chat Template",
    "evaluations_ifeval_value": "IFEval Raw",
    "evaluations_ifeval_normalized_score": "IFEval",
    "evaluations_bbh_value": "BBH Raw",
    "evaluations_bbh_normalized_score": "BBH",
    "evaluations_math_value": "MATH Lvl 5 Raw",
    "evaluations_math_normalized_score": "MATH Lvl 5",
    "evaluations_gpqa_value": "GPQA Raw",
    "evaluations_gpqa_normalized_score": "GPQA",
    "evaluations_musr_value": "MUSR Raw",
    "evaluations_musr_normalized_score": "MUSR",
    "evaluations_mmlu_pro_value": "MMLU-PRO Raw",
    "evaluations_mmlu_pro_normalized_score": "MMLU-PRO",
    "features_is_not_available_on_hub": "Available on the hub",
    "features_is_merged": "Merged",
    "features_is_moe": "MoE",
    "features_is_flagged": "Flagged",
    "features_is_highlighted_by_maintainer": "Maintainer's Highlight",
    "features_is_official_provider": "Official Providers",
    "metadata_upload_date": "Upload To Hub Date",
    "metadata_submission_date": "Submission Date",
    "metadata_generation": "Generation",
    "metadata_base_model": "Base Model",
    "metadata_hub_license": "Hub License",
    "metadata_hub_hearts": "Hub ❤️",
    "metadata_params_billions": "#Params (B)",
    "metadata_co2_cost": "CO₂ cost (kg)",
}
BOOLEAN = {
    "Available on the hub",
    "Merged",
    "MoE",
    "Flagged",
    "Chat Template",
    "Maintainer's Highlight",
    "Official Providers",
    "Maintainers Choice",
}
INTEGER = {"Hub ❤️", "Generation"}
TEXT = {"fullname", "Model sha", "Precision", "Type", "Weight type", "Architecture", "Hub License", "Base Model",
        "Upload To Hub Date", "Submission Date", "date", "eval_name", "Model", "T"}  # fmt: skip


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    casts = []
    for name in frame.columns:
        if name in BOOLEAN:
            casts.append(pl.col(name).str.to_lowercase().replace_strict({"true": True, "false": False}, default=None))
        elif name in INTEGER:
            casts.append(pl.col(name).cast(pl.Float64).cast(pl.Int64))
        elif name not in TEXT:
            casts.append(pl.col(name).cast(pl.Float64))
    return frame.with_columns(casts)


def _with_display_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """The parquet's presentation columns: eval_name, an HTML `Model` link, the type symbol `T`."""
    return frame.with_columns(
        pl.format("{}_{}", "fullname", "Precision").alias("eval_name"),
        pl.format('<a target="_blank" href="https://huggingface.co/{}">{}</a>', "fullname", "fullname").alias("Model"),
        pl.lit("💬").alias("T"),
    )


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


@cache
def v2_hub_frame(day: str) -> pl.DataFrame:
    """The Hub parquet's table for a flat scrape date (2024-12-11 or later)."""
    flat = pl.read_csv(V2 / f"{day}.csv", infer_schema_length=0)
    kept = {k: v for k, v in FLAT_TO_HUB.items() if k in flat.columns}
    return _with_display_columns(_typed(flat.select([pl.col(k).alias(v) for k, v in kept.items()])))


@cache
def v1_hub_frame(day: str) -> pl.DataFrame:
    """The v1 Hub parquet's table from a v1 scrape, its inverted booleans turned back."""
    scraped = pl.read_csv(V1 / f"{day}.csv", infer_schema_length=0)
    flip = {"TRUE": "false", "FALSE": "true"}
    frame = scraped.select(
        pl.col("fullname"), pl.col("precision").alias("Precision"), pl.col("type").alias("Type"),
        pl.col("weight_type").alias("Weight type"), pl.col("architecture").alias("Architecture"),
        pl.col("model_sha").alias("Model sha"), pl.col("average").alias("Average ⬆️"),
        pl.col("hub_license").alias("Hub License"), pl.col("hub_hearts").alias("Hub ❤️"),
        pl.col("params_b").alias("#Params (B)"), pl.col("available_on_the_hub").alias("Available on the hub"),
        pl.col("merged").replace_strict(flip).alias("Merged"), pl.col("moe").replace_strict(flip).alias("MoE"),
        pl.col("flagged").replace_strict(flip).alias("Flagged"), pl.col("date"),
        pl.lit("false").alias("Chat Template"), pl.col("arc").alias("ARC"), pl.col("hellaswag").alias("HellaSwag"),
        pl.col("mmlu").alias("MMLU"), pl.col("truthfulqa").alias("TruthfulQA"),
        pl.col("winogrande").alias("Winogrande"), pl.col("gsm8k").alias("GSM8K"),
        pl.lit("false").alias("Maintainers Choice"),
    )  # fmt: skip
    return _with_display_columns(_typed(frame))


class Trap:
    """Unpickling this creates the marker directory: proof that a pickle was opened."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def build_hub(marker: Path) -> tuple[LocalHub, dict[str, str]]:
    """The stand-in Hub: v2 dataset (5 revisions), v1 dataset (2), Arena Space (2). Returns the hub
    and a name -> revision sha map for the v2 history."""
    hub = LocalHub()
    v2 = {}
    readme = {"README.md": b"---\nlicense: apache-2.0\n---\n", ".gitattributes": b"*.parquet filter=lfs\n"}
    v2["init"] = hub.commit("dataset", V2_REPO, datetime(2024, 12, 1, 9), "Initial commit", readme)
    v2["2024-12-11"] = hub.commit(
        "dataset", V2_REPO, datetime(2024, 12, 11, 18, 30), "Upload dataset",
        {"data/train-00000-of-00001-1f3b6c0e.parquet": parquet_bytes(v2_hub_frame("2024-12-11"))},
    )  # fmt: skip
    v2["readme"] = hub.commit(
        "dataset", V2_REPO, datetime(2024, 12, 20, 8), "Update README.md", {"README.md": b"---\nlicense: apache-2.0\n---\n# Contents\n"}
    )  # fmt: skip
    v2["2025-01-09"] = hub.commit(
        "dataset", V2_REPO, datetime(2025, 1, 9, 12), "Upload dataset",
        {"data/train-00000-of-00001-7a9d2c41.parquet": parquet_bytes(v2_hub_frame("2025-01-09"))},
        remove=["data/train-00000-of-00001-1f3b6c0e.parquet"],
    )  # fmt: skip
    v2["no-ifeval-raw"] = hub.commit(
        "dataset", V2_REPO, datetime(2025, 2, 1, 12), "Upload dataset",
        {"data/train-00000-of-00001-c0ffee00.parquet": parquet_bytes(v2_hub_frame("2025-02-01").drop("IFEval Raw"))},
        remove=["data/train-00000-of-00001-7a9d2c41.parquet"],
    )  # fmt: skip
    v2["2025-03-21"] = hub.commit(
        "dataset", V2_REPO, datetime(2025, 3, 21, 7), "Upload dataset",
        {"data/train-00000-of-00001-5e5e5e5e.parquet": parquet_bytes(v2_hub_frame("2025-03-21"))},
        remove=["data/train-00000-of-00001-c0ffee00.parquet"],
    )  # fmt: skip

    hub.commit(
        "dataset", V1_REPO, datetime(2024, 6, 19, 10), "Upload dataset",
        {**readme, "data/train-00000-of-00001-96886cb34a7bc800.parquet": parquet_bytes(v1_hub_frame("2024-06-19"))},
    )  # fmt: skip
    hub.commit(
        "dataset", V1_REPO, datetime(2024, 7, 7, 10), "Upload dataset",
        {"data/train-00000-of-00001-2b1c7d5e9f0a1b2c.parquet": parquet_bytes(v1_hub_frame("2024-07-07"))},
        remove=["data/train-00000-of-00001-96886cb34a7bc800.parquet"],
    )  # fmt: skip

    def table(day: str) -> dict[str, bytes]:
        return {f"leaderboard_table_{day}.csv": (SPACE / f"leaderboard_table_{day}.csv").read_bytes()}

    def trap(day: str) -> dict[str, bytes]:
        return {f"elo_results_{day}.pkl": pickle.dumps(Trap(marker))}

    hub.commit(
        "space",
        SPACE_REPO,
        datetime(2023, 12, 20, 12),
        "update",
        {**table("20231220"), **trap("20231220"), "app.py": b"import gradio\n"},
    )
    hub.commit(
        "space",
        SPACE_REPO,
        datetime(2025, 5, 11, 12),
        "update",
        {**table("20240109"), **table("20250511"), **trap("20250511")},
    )
    return hub, v2
