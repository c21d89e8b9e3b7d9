"""Artificial Analysis model data (API v2 `/data/llms/models`, as a collector saved it) -> core rows.

A file is `{meta: {snapshot_date, fetched_at, source_url, n_models, ...}, models: [{id, name, slug,
creator_slug, creator_name, release_date, evaluations: {...}, pricing: {...}, speed: {...}, ranks}]}`.

Each file is an EDITION: Artificial Analysis recomputes every model's index in every snapshot (492 of
the 544 Intelligence Index values of 2026-06-30 differ on 2026-08-15), so a value belongs to its
edition and the marts never put two editions' values in one series (datasets/artificial_analysis/marts.py).

The reasoning-setting rule (`model_key`, `setting`): Artificial Analysis lists one model once per
reasoning setting (`GPT-5.6 Sol (max)`, `(xhigh)`, `(high)` ...; `Claude Opus 5 (Adaptive Reasoning,
Max Effort)`; `DeepSeek V3.2 (Reasoning)` / `(Non-reasoning)`), each with its own slug. A setting is
how the same weights are run, not another model: a model is its creator and its name without the
trailing setting, and where its settings were released on different dates each date is a release of
its own (Gemini 2.5 Flash-Lite Preview (Sep '25): reasoning 2025-09-08, non-reasoning 2025-09-25).
The marts count each such model once per edition, with its best setting. The frontier by release
date is the same under this rule as with every setting an entry (a maximum over the same dates);
what the rule changes is the number of models a country is credited with (OpenAI's GPT-5.6 Sol alone
is five settings).

`_summary.json`, which the collector writes next to each `llms.json`, is not read: it is the
collector's own top-10 digest of the same file (no value that is not in `llms.json`), so loading it
would publish every top value twice under another source's name.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from common.contracts import LOAD_COLUMNS
from common.errors import SnapshotRejected
from common.textio import read_json
from datasets.artificial_analysis.contract import CAPABILITY_ENTRIES

SOURCE_URL = "https://artificialanalysis.ai/api/v2/data/llms/models"
LEADERBOARD = "artificial-analysis"  # the name its marts rows carry (marts.unattributed)

# The model fields read, and each evaluation, price and speed figure: (core column, where in the model).
MODEL_FIELDS = ("id", "name", "slug", "creator_slug", "creator_name", "release_date", "evaluations")
# 0-100 indices Artificial Analysis computes from its evaluations
INDICES = {
    "intelligence_index": "artificial_analysis_intelligence_index",
    "coding_index": "artificial_analysis_coding_index",
    "math_index": "artificial_analysis_math_index",
}
# benchmark scores, fractions in [0, 1]
BENCHMARKS = (
    "mmlu_pro", "gpqa", "hle", "livecodebench", "scicode", "math_500", "aime", "aime_25", "ifbench", "lcr",
    "terminalbench_hard", "terminalbench_v2_1", "tau2", "tau_banking",
)  # fmt: skip
FIGURES = {
    "price_1m_blended": ("pricing", "price_1m_blended_3_to_1"),
    "price_1m_input": ("pricing", "price_1m_input_tokens"),
    "price_1m_output": ("pricing", "price_1m_output_tokens"),
    "output_tokens_per_second": ("speed", "output_tokens_per_second"),
    "ttft_seconds": ("speed", "ttft_seconds"),
}

# The parser's columns, in order: the contract's without the load's (the adapter adds snapshot_date).
SCHEMA = CAPABILITY_ENTRIES.polars_schema(without=LOAD_COLUMNS)
MODEL_COLUMNS = ("model_uid", "model", "slug", "model_key", "setting", "creator_slug", "creator_name", "release_date")
if list(SCHEMA) != [*MODEL_COLUMNS, *INDICES, *BENCHMARKS, *FIGURES]:  # every figure read has its column
    raise RuntimeError("datasets/artificial_analysis: parse.py's fields and contract.py's columns differ")

# A trailing reasoning setting: an effort level, or a (adaptive) reasoning / non-reasoning mode with
# an optional effort and note ("Adaptive Reasoning, Max Effort, Opus 4.8 Fallback").
SETTING = re.compile(
    r"\s*\((?P<setting>(?:Adaptive )?Reasoning(?:,[^()]*)?|Non-[Rr]easoning(?:,[^()]*)?|minimal|low|medium|high|xhigh|max)\)\s*$"
)


def split_setting(name: str) -> tuple[str, str | None]:
    """`GPT-5.6 Sol (max)` -> (`GPT-5.6 Sol`, `max`); a name without a trailing setting -> (name, None)."""
    found = SETTING.search(name)
    if found is None:
        return name.strip(), None
    return name[: found.start()].strip(), found.group("setting")


def _number(value, where: str) -> float | None:
    """A JSON number as a float; a number written as text or anything else rejects the file."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SnapshotRejected(
            [{"check": "number_format", "reason": f"{where} is {str(value)[:40]!r}, not a JSON number"}]
        )
    return float(value)


def _day(value, where: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    raise SnapshotRejected([{"check": "release_date", "reason": f"{where} is {str(value)[:40]!r}, not YYYY-MM-DD"}])


def normalise(raw: bytes) -> tuple[pl.DataFrame, dict]:
    """The file -> one row per model as published (one per reasoning setting), and the file's meta.

    Every way the document can differ from the shape above is a rejection with a reason: not JSON or
    cut short, no `models` list, fewer models than `meta.n_models`, a model field renamed or missing,
    `evaluations` not an object, a figure that is not a number."""
    document = read_json(raw)
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        raise SnapshotRejected("JSON is not an Artificial Analysis models file ({meta, models: [...]})")
    meta = document.get("meta") or {}
    if not isinstance(meta, dict):
        raise SnapshotRejected(f"`meta` is {type(meta).__name__}, expected an object")
    models = document["models"]
    if not models:
        raise SnapshotRejected("the file lists no models")
    if any(not isinstance(m, dict) for m in models):
        raise SnapshotRejected("entries of `models` are not objects")
    declared = meta.get("n_models")
    if isinstance(declared, int) and declared != len(models):
        raise SnapshotRejected(f"meta.n_models says {declared} models but the file lists {len(models)}: cut short?")
    missing = sorted({f for m in models for f in MODEL_FIELDS if f not in m})
    if missing:
        raise SnapshotRejected(
            [{"check": "header", "reason": f"models lack field(s) {missing} (renamed?)", "missing_columns": missing}]
        )
    rows = []
    for i, m in enumerate(models):
        where = f"models[{i}]"
        evaluations = m["evaluations"]
        if not isinstance(evaluations, dict):
            raise SnapshotRejected(f"{where}.evaluations is {type(evaluations).__name__}, expected an object")
        gone = [published for published in INDICES.values() if published not in evaluations]
        if gone:
            raise SnapshotRejected(
                [{"check": "header", "reason": f"{where}.evaluations lacks {gone} (renamed?)", "missing_columns": gone}]
            )
        text = {f: m[f] for f in ("id", "name", "slug", "creator_slug", "creator_name")}
        if any(v is not None and not isinstance(v, str) for v in text.values()):
            raise SnapshotRejected(f"{where}: id, name, slug and creator fields must be text")
        base, setting = split_setting(m["name"] or "")
        row = {
            "model_uid": m["id"], "model": m["name"], "slug": m["slug"],
            "model_key": f"{m['creator_slug']}/{base.lower()}" if m["creator_slug"] and base else None,
            "setting": setting, "creator_slug": m["creator_slug"], "creator_name": m["creator_name"],
            "release_date": _day(m["release_date"], f"{where}.release_date"),
        }  # fmt: skip
        for column, published in INDICES.items():
            row[column] = _number(evaluations.get(published), f"{where}.evaluations.{published}")
        for column in BENCHMARKS:
            row[column] = _number(evaluations.get(column), f"{where}.evaluations.{column}")
        for column, (group, name) in FIGURES.items():
            part = m.get(group) or {}
            row[column] = _number(part.get(name) if isinstance(part, dict) else None, f"{where}.{group}.{name}")
        rows.append(row)
    frame = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    details = {
        "layout": "aa-llms-v2",
        **{k: meta.get(k) if isinstance(meta.get(k), str | None) else str(meta.get(k))
           for k in ("snapshot_date", "fetched_at", "source_url")},
        "models": len(frame),
        "with_intelligence_index": int(frame["intelligence_index"].is_not_null().sum()),
    }  # fmt: skip
    return frame, details
