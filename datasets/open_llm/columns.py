"""How the Open LLM boards' text columns become typed values: booleans as words, dates, model types.
Shared by the v1 and v2 parsers (both leaderboards publish them the same way)."""

from __future__ import annotations

import polars as pl

_TYPE_LABELS = {
    "pretrained": "pretrained",
    "continuouslypretrained": "continuously_pretrained",
    "finetunedondomainspecificdatasets": "fine_tuned",
    "chatmodelsrlhfdpoift": "chat",
    "chatmodels": "chat",
    "basemergesandmoerges": "merge",
    "multimodal": "multimodal",
    "other": "other",
}

_BOOLEAN_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def boolean_column(col: str, inverted: bool) -> pl.Expr:
    words = {word: value != inverted for word, value in _BOOLEAN_WORDS.items()}
    text = pl.col(col).str.strip_chars().str.to_lowercase()
    return text.replace_strict(words, default=None, return_dtype=pl.Boolean).alias(col)


def date_column(col: str) -> pl.Expr:
    return pl.col(col).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).alias(col)


def model_type_column(col: str) -> pl.Expr:
    letters = pl.col(col).str.to_lowercase().str.replace_all(r"[^a-z]+", "")
    return letters.replace(_TYPE_LABELS).alias(col)  # a type not in the table is kept as its letters
