"""Chatbot Arena (LMSYS / LMArena) text leaderboard: every published layout into one schema, and
the board the gap marts read. Pure polars functions.

Two kinds of table come out of the Arena's files:

- **entries** (core.arena_entries): a model with an Arena score on a snapshot date;
- **catalog** (core.arena_models): the Space's model metadata (organisation, licence, MT-bench,
  MMLU) from the `leaderboard_table_*.csv` files of 2024-2025, which carry **no Arena score** (the
  scores moved into `elo_results_*.pkl`, which aigap never opens). They are used only to fill a
  missing organisation or licence; they never produce a score.

Layouts (all seen in the bundled files):

| variant             | kind    | first seen | what it holds                                                   |
|---------------------|---------|------------|-----------------------------------------------------------------|
| lmsys-2024-06       | entries | 2024-06-19 | rank, model, `arena_elo`, `95_pct_ci`, votes, organization ...  |
| lmsys-2024-07       | entries | 2024-07-07 | the score column renamed `arena_score`                           |
| lmsys-2024-10       | entries | 2024-10-16 | + `rank_stylectrl` (also the layout of the 2025 lmarena text table) |
| space-2023-06       | entries | 2023-06-19 | the Space's own table: Model, `Arena Elo rating`, License, no organisation |
| space-2023-07       | entries | 2023-07-17 | the same without `MT-bench (win rate %)`                          |
| space-2024-01       | catalog | 2024-01-09 | key, Model, MT-bench, MMLU, License, Organization, Link: no score |
| space-2024-01-25    | catalog | 2024-01-25 | + `Knowledge cutoff date`                                         |
| daily-json          | entries | 2026-03-19 | `{meta, models[rank, model, vendor, license, score, ci, votes]}`  |

Quirks handled here (tests/datasets/arena/test_arena.py shows each on the real files):
- `rank` means two different things: in the LMSYS table it is 1 + the number of models
  statistically better (ties share a rank, e.g. `1,1,1,4`); in the 2025 lmarena text table and the
  daily JSON it is the row position. `rank_style` says which (`ties` / `position`), detected from
  the ranks themselves (a permutation of 1..N is a position).
- The CI is published as text `+3/-4` (plus / minus, asymmetric) or, in the JSON feed, as one
  number meaning ±. Both are parsed into `ci_plus` / `ci_minus`; the text is kept in `ci`.
- In the 2023 Space tables, models evaluated on MT-bench only have `Arena Elo rating` = `-`:
  they have no Arena score and are left out of the entries (counted in the load details).
- The 2025 lmarena text table repeats one row verbatim except for its position (`Yi-34B-Chat` at
  positions 194 and 195), and the Space tables from 2024-06-02 on list `Yi-34B-Chat` twice: exact
  repeats are dropped (counted in the load details).
- In the Space catalog one display name can carry two Arena keys (`Gemini-1.5-Pro-001` is both
  `gemini-1.5-pro-api-0514` and `gemini-1.5-pro-001`); the Arena key (`arena_key`) is unique per
  table, the display name is not.
- Model names drift in case (`GPT-4o-2024-05-13` / `gpt-4o-2024-05-13`, `Llama-3-70b-Instruct` /
  `Llama-3-70B-Instruct`) and carry stray spaces (`Mistral-Small-24B-Instruct-2501 `):
  `model_key` = the name trimmed, lower-cased, inner whitespace collapsed. One key, one model.
- Organisation names drift (`DeepSeek` / `DeepSeek AI`, `NexusFlow` / `Nexusflow`, `Ai2` / `AI2` /
  `Allen AI`, `NVIDIA` / `Nvidia`, the typo `Aliaba`): kept as published; the registry's
  `arena_organization` aliases map them (attribution/attribute.py).
- Licences: `open_weights` is derived from the licence (see `open_weights_expr`), with the typo
  `Propretary` read as proprietary and `''`, `-`, `N/A` as unknown. Known misreports are corrected
  in the board from data/arena/model_overrides.csv (e.g. `Qwen-Max-0919`, API-only, is listed
  under the licence `Qwen`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from common.boards import one_row_per_model
from common.contracts import LOAD_COLUMNS
from common.errors import SnapshotRejected
from common.numbers import reject_comma_numbers
from common.settings import DATA_DIR
from common.textio import read_json
from datasets.arena.contract import ARENA_ENTRIES, ARENA_MODELS

LEADERBOARD = "arena-text"
OVERRIDES_PATH = DATA_DIR / "arena" / "model_overrides.csv"

# core.arena_entries without the load columns (load_id, source, snapshot_key, snapshot_date).
ENTRY_SCHEMA = ARENA_ENTRIES.polars_schema(without=LOAD_COLUMNS)

# core.arena_models without the load columns.
CATALOG_SCHEMA = ARENA_MODELS.polars_schema(without=LOAD_COLUMNS)

ENTRIES, CATALOG = "entries", "catalog"

# Licence texts that mean "no weights published" / "unknown" (compared lower-cased).
PROPRIETARY_LICENCES = ("proprietary", "propretary")
UNKNOWN_LICENCES = ("", "-", "n/a", "unknown")


@dataclass(frozen=True)
class Layout:
    name: str
    kind: str
    columns: dict[str, str]  # published column -> normalised column

    @property
    def required(self) -> set[str]:
        return set(self.columns)


_LMSYS = {
    "rank": "rank",
    "model": "model",
    "arena_elo": "score",
    "95_pct_ci": "ci",
    "votes": "votes",
    "organization": "organization",
    "license": "license",
    "knowledge_cutoff": "knowledge_cutoff",
    "url": "url",
}
_LMSYS_SCORE = {("arena_score" if k == "arena_elo" else k): v for k, v in _LMSYS.items()}
_SPACE_2023 = {"Model": "model", "Arena Elo rating": "score", "License": "license", "Link": "url"}
_SPACE_2024 = {
    "key": "arena_key",
    "Model": "model",
    "MT-bench (score)": "mt_bench",
    "MMLU": "mmlu",
    "License": "license",
    "Organization": "organization",
    "Link": "url",
}

LAYOUTS: tuple[Layout, ...] = (
    Layout("lmsys-2024-06", ENTRIES, _LMSYS),
    Layout("lmsys-2024-07", ENTRIES, _LMSYS_SCORE),
    Layout("lmsys-2024-10", ENTRIES, {**_LMSYS_SCORE, "rank_stylectrl": "rank_stylectrl"}),
    Layout("space-2023-06", ENTRIES, {**_SPACE_2023, "MT-bench (win rate %)": "mt_bench_win_rate"}),
    Layout("space-2023-07", ENTRIES, _SPACE_2023),
    Layout("space-2024-01", CATALOG, _SPACE_2024),
    Layout("space-2024-01-25", CATALOG, {**_SPACE_2024, "Knowledge cutoff date": "knowledge_cutoff"}),
)


def detect_layout(columns: list[str]) -> Layout:
    """The most specific known layout whose columns are all present, or a rejection naming what is missing."""
    present = {c.strip() for c in columns}
    matches = [layout for layout in LAYOUTS if layout.required <= present]
    if matches:
        return max(matches, key=lambda layout: len(layout.required))
    # closest: fewest columns missing, then most columns matched
    closest = min(LAYOUTS, key=lambda layout: (len(layout.required - present), -len(layout.required & present)))
    missing = sorted(closest.required - present)
    unexpected = sorted(present - set().union(*(layout.required for layout in LAYOUTS)))
    reason = f"header matches no known Arena layout; closest is '{closest.name}', missing {missing}"
    if unexpected:
        reason += f", unknown columns {unexpected[:10]} (renamed?)"
    raise SnapshotRejected([{"check": "header", "reason": reason, "missing_columns": missing}])


def model_key_expr(column: str = "model") -> pl.Expr:
    """One key per model across case and spacing drift: trimmed, lower-cased, inner whitespace collapsed."""
    return pl.col(column).str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ").alias("model_key")


def open_weights_expr(column: str = "license") -> pl.Expr:
    """Weights published? From the licence: proprietary -> False; empty, '-', 'N/A' -> unknown (null);
    any named licence (Apache 2.0, MIT, Llama 3.1, CC-BY-NC-4.0, Non-commercial, Qwen, 'open' ...) -> True,
    non-commercial licences included: the weights are downloadable, which is what the open race is about."""
    text = pl.col(column).str.strip_chars().str.to_lowercase().fill_null("")
    return (
        pl.when(text.is_in(UNKNOWN_LICENCES))
        .then(None)
        .when(text.is_in(PROPRIETARY_LICENCES))
        .then(False)
        .otherwise(True)
    )


def _number(column: str, dtype: pl.DataType = pl.Float64) -> pl.Expr:
    text = pl.col(column).cast(pl.Utf8).str.strip_chars().str.strip_suffix("%")
    return text.cast(pl.Float64, strict=False).cast(dtype, strict=False)


def _ci_parts(column: str = "ci") -> list[pl.Expr]:
    """`+3/-4` -> (3, 4); a bare number n (the JSON feed's ±n) -> (n, n); anything else -> nulls."""
    text = pl.col(column).cast(pl.Utf8).str.strip_chars()
    pair = text.str.extract_groups(r"^\+\s*(\d+(?:\.\d+)?)\s*/\s*-\s*(\d+(?:\.\d+)?)$")
    single = text.str.extract(r"^±?\s*(\d+(?:\.\d+)?)$", 1).cast(pl.Float64, strict=False)
    plus = pair.struct.field("1").cast(pl.Float64, strict=False)
    minus = pair.struct.field("2").cast(pl.Float64, strict=False)
    return [plus.fill_null(single).alias("ci_plus"), minus.fill_null(single).alias("ci_minus")]


def rank_style(ranks: pl.Series) -> str | None:
    """'position' when the ranks are exactly 1..N (row positions), 'ties' otherwise (shared ranks)."""
    present = ranks.drop_nulls()
    if present.is_empty():
        return None
    return "position" if present.sort().to_list() == list(range(1, len(present) + 1)) else "ties"


def _finish(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    missing = [pl.lit(None, dtype=dtype).alias(name) for name, dtype in schema.items() if name not in frame.columns]
    return frame.with_columns(missing).select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


def normalise_table(raw: pl.DataFrame) -> tuple[str, pl.DataFrame, dict]:
    """An all-text frame of any known CSV layout -> (kind, normalised frame, details for the ledger).

    Values that do not parse become null so that the quality gate (not this function) decides and
    shows the offending rows.
    """
    layout = detect_layout(raw.columns)
    raw = raw.rename({c: c.strip() for c in raw.columns})
    frame = raw.select([pl.col(src).alias(dst) for src, dst in layout.columns.items()]).with_columns(
        pl.col(pl.Utf8).str.strip_chars()
    )
    reject_comma_numbers(frame, ["score", "votes", "rank", "rank_stylectrl", "mt_bench", "mmlu"])
    details: dict = {"layout": layout.name, "kind": layout.kind}
    ignored = sorted(set(raw.columns) - layout.required)
    if ignored:
        details["ignored_columns"] = ignored
    if layout.kind == CATALOG:
        frame = frame.with_columns(
            model_key_expr(),
            open_weights_expr().alias("open_weights"),
            _number("mt_bench"),
            _number("mmlu"),
        ).with_columns(
            pl.col(c).replace("-", None) for c in ("license", "organization", "knowledge_cutoff") if c in frame.columns
        )
        return CATALOG, _finish(_drop_exact_repeats(frame, details), CATALOG_SCHEMA), details
    return ENTRIES, _entries(frame, details), details


def _entries(frame: pl.DataFrame, details: dict, leaderboard: str = LEADERBOARD) -> pl.DataFrame:
    """Typed entries; rows without a score (the Space's `-`) are left out, exact repeats dropped."""
    frame = frame.with_columns(
        pl.lit(leaderboard).alias("leaderboard"),
        model_key_expr(),
        open_weights_expr().alias("open_weights"),
        *(_number(c, pl.Int64) for c in ("rank", "votes", "rank_stylectrl") if c in frame.columns),
        *(_ci_parts() if "ci" in frame.columns else []),
    )
    # Only the Space's explicit `-` means "no Arena score"; an empty or garbled score stays and fails the gate.
    unscored = pl.col("score").fill_null("") == "-"
    if n_unscored := frame.select(unscored.sum()).item():
        details["rows_without_arena_score"] = n_unscored
        frame = frame.filter(~unscored)
    frame = frame.with_columns(_number("score"))
    if "rank" in frame.columns:
        frame = frame.with_columns(pl.lit(rank_style(frame["rank"])).alias("rank_style"))
    frame = _drop_exact_repeats(frame, details)
    return _finish(frame, ENTRY_SCHEMA)


def _drop_exact_repeats(frame: pl.DataFrame, details: dict) -> pl.DataFrame:
    """A row repeated verbatim except for its position is one row (the first position is kept)."""
    same = [c for c in frame.columns if c != "rank"]
    deduped = frame.unique(same, keep="first", maintain_order=True)
    if len(deduped) < len(frame):
        details["repeated_rows_dropped"] = len(frame) - len(deduped)
    return deduped


# --- the daily JSON feed -------------------------------------------------------------------------
#
# One file per board per day, `<date>/<board>.json`, each `{meta: {leaderboard, source_url, fetched_at,
# last_updated, model_count}, models: [...]}`. Two row layouts (tests/test_arena.py, on the real files):
# - `daily-json` (2026-03-19 -> 07-15): rank, model, vendor, license, score, ci (one number: ±), votes.
#   The page showed each board's top N only (N varies by day: 10 to 71 on text): the list is
#   TRUNCATED, so a model not listed scored below the last listed one (`list_truncated` true).
# - `daily-json-2026-07-16` (2026-07-16 on): the full board, and the rows gain rank_spread [low, high],
#   model_url, ci_low / ci_high (the two half-widths, replacing ci), preliminary, price_prompt,
#   price_completion, context_length and signals (the agent board's per-signal ratings, kept as JSON).
# A row may have a null vendor (unattributed), or a null score: the agent board rates by signals and
# from mid-June publishes no `score` at all; on text `inkling-small Thinky` is listed unrated (no
# rank, no votes). Such rows are kept (the gate allows a null score only without a rank, or on a
# board declared unranked) and never enter a board's frontier (arena_board drops them).

DAILY_LAYOUTS = {
    "daily-json": ("rank", "model", "vendor", "license", "score", "ci", "votes"),
    "daily-json-2026-07-16": (
        "rank", "rank_spread", "model", "vendor", "license", "votes", "score", "ci_low", "ci_high", "preliminary",
    ),
}  # fmt: skip
# optional in the later layout (absent fields are NULL)
DAILY_OPTIONAL = ("model_url", "price_prompt", "price_completion", "context_length", "signals")
# the later layout is the full board; the first, the page's top N
TRUNCATED_LAYOUTS = {"daily-json"}
JSON_MODEL_FIELDS = DAILY_LAYOUTS["daily-json"]


def board_leaderboard(board: str) -> str:
    """The feed's board name -> aigap's leaderboard: `text` -> `arena-text`, `code-webdev` -> `arena-code-webdev`."""
    return f"arena-{board}"


def _whole_number(value) -> int | None:
    """A count as the feed writes it: 30, or the text "30"; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _daily_layout(models: list[dict]) -> str:
    """The row layout: the later one as soon as a row carries its CI halves."""
    return "daily-json-2026-07-16" if any("ci_low" in m or "rank_spread" in m for m in models) else "daily-json"


def _plain(value) -> str | None:
    return None if value is None else str(value)


def _spread(value, i: int) -> str | None:
    if isinstance(value, list) and len(value) == 2 and all(_whole_number(v) is not None for v in value):
        return str(value[i])
    return None if value is None else "unparsed"


def normalise_daily_json(raw: bytes, board: str | None = "text") -> tuple[pl.DataFrame, dict]:
    """One board's daily file -> entries of leaderboard `arena-<board>`.

    Every way the document can differ from the shapes above is a rejection with a reason (never a
    parser crash): not JSON, nested too deep, `meta` not an object, `meta.leaderboard` another board,
    `models` not a list of objects, a field missing or (but `rank_spread`, `signals`) holding a list
    or an object, fewer models than its own `meta.model_count` (a file cut short).
    """
    document = read_json(raw)
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        kind = type(document).__name__ if not isinstance(document, dict) else "an object without a `models` list"
        raise SnapshotRejected(f"JSON is {kind}, not an Arena leaderboard feed ({{meta, models: [...]}})")
    meta = document.get("meta")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise SnapshotRejected(f"`meta` is {type(meta).__name__} {str(meta)[:40]!r}, expected an object")
    if board is None:  # a file not named for its board: the feed's own meta names it, else text
        board = meta.get("leaderboard") if isinstance(meta.get("leaderboard"), str) else "text"
    if meta.get("leaderboard") not in (None, board):
        raise SnapshotRejected(f"feed is the {str(meta.get('leaderboard'))[:40]!r} leaderboard, expected {board!r}")
    models = document["models"]
    if not models:
        raise SnapshotRejected("feed lists no models")
    not_objects = [i for i, m in enumerate(models) if not isinstance(m, dict)]
    if not_objects:
        raise SnapshotRejected(
            f"{len(not_objects)} entries of `models` are not objects (first: entry {not_objects[0]})"
        )
    declared = meta.get("model_count")
    if declared is not None:
        count = _whole_number(declared)
        if count is None:
            raise SnapshotRejected(f"meta.model_count is {str(declared)[:40]!r}, not a whole number")
        if count != len(models):
            raise SnapshotRejected(f"feed declares {count} models but lists {len(models)}: cut short?")
    layout = _daily_layout(models)
    fields = DAILY_LAYOUTS[layout]
    missing = sorted({f for m in models for f in fields if f not in m})
    if missing:
        raise SnapshotRejected(
            [{"check": "header", "reason": f"models lack field(s) {missing} (renamed?)", "missing_columns": missing}]
        )
    structured = {"rank_spread", "signals"}
    nested = sorted(
        {
            f
            for m in models
            for f in (*fields, *DAILY_OPTIONAL)
            if f not in structured and isinstance(m.get(f), dict | list)
        }
    )
    if nested:
        raise SnapshotRejected(f"model field(s) {nested} hold lists or objects, expected plain values")
    columns: dict[str, list] = {
        f: [_plain(m[f]) for m in models] for f in fields if f not in structured | {"ci_low", "ci_high"}
    }
    if layout == "daily-json-2026-07-16":
        columns["rank_spread_low"] = [_spread(m["rank_spread"], 0) for m in models]
        columns["rank_spread_high"] = [_spread(m["rank_spread"], 1) for m in models]
        # the CI as the older rows write it, +plus/-minus: ci_high above the score, ci_low below
        columns["ci"] = [
            None if m["ci_low"] is None and m["ci_high"] is None else f"+{_plain(m['ci_high'])}/-{_plain(m['ci_low'])}"
            for m in models
        ]
        for f in DAILY_OPTIONAL:
            columns[f] = [
                None if m.get(f) is None else json.dumps(m[f], sort_keys=True) if f == "signals" else _plain(m[f])
                for m in models
            ]
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.Utf8)).rename(
        {"vendor": "organization", **({"model_url": "url"} if "model_url" in columns else {})}
    )
    details = {
        "layout": layout,
        "kind": ENTRIES,
        "board": board,
        **{k: meta.get(k) if isinstance(meta.get(k), str | None) else str(meta.get(k)) for k in
           ("fetched_at", "last_updated", "source_url")},
        "listed": len(models),
        "list_truncated": layout in TRUNCATED_LAYOUTS,
    }  # fmt: skip
    reject_comma_numbers(frame, ["score", "votes", "rank"])
    frame = frame.with_columns(pl.col(pl.Utf8).str.strip_chars())
    typed = frame.with_columns(
        *(_number(c, pl.Int64) for c in ("rank_spread_low", "rank_spread_high", "context_length") if c in frame.columns),
        *(_number(c) for c in ("price_prompt", "price_completion") if c in frame.columns),
        *(
            [pl.col("preliminary").replace_strict({"True": True, "False": False}, default=None, return_dtype=pl.Boolean)]
            if "preliminary" in frame.columns else []
        ),
        pl.lit(len(models), pl.Int64).alias("listed"),
        pl.lit(layout in TRUNCATED_LAYOUTS).alias("list_truncated"),
    )  # fmt: skip
    return _entries(typed, details, board_leaderboard(board)), details


# --- the board the marts read ---------------------------------------------------------------------

BOARD_COLUMNS = [
    "leaderboard", "snapshot_date", "load_id", "model_id", "model", "score", "publisher", "publisher_alias_type",
    "open_weights", "license", "votes", "preliminary", "listed", "list_truncated",
]  # fmt: skip


def latest_catalog(catalog: pl.DataFrame) -> pl.DataFrame:
    """Per model_key, the most recent non-empty organisation and licence the Space's tables give."""
    ordered = catalog.sort("snapshot_date")
    return ordered.group_by("model_key").agg(
        pl.col("organization").drop_nulls().last().alias("catalog_organization"),
        pl.col("license").drop_nulls().last().alias("catalog_license"),
        pl.col("open_weights").drop_nulls().last().alias("catalog_open_weights"),
    )


def arena_board(entries: pl.DataFrame, catalog: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    """One row per model per Arena snapshot, scored by the Arena score (common/boards.py contract).

    `entries` are published core.arena_entries rows of one load per board and snapshot date (any
    boards: the board keeps each row's leaderboard); `catalog`
    core.arena_models; `overrides` data/arena/model_overrides.csv (model_key, organization,
    open_weights, evidence).

    publisher = the organisation as published; else the Space catalog's; else the override's
    (curated, with evidence), looked up through the registry's `arena_organization` aliases.
    open_weights = the override where one exists (a correction of a misreported licence), else
    derived from the published licence, else from the catalog's licence.
    model_id = model_key; the same model under two spellings on one date counts once (best score,
    then most votes).
    """
    overrides = overrides.select(
        "model_key",
        pl.col("organization").alias("override_organization"),
        pl.col("open_weights").alias("override_open_weights"),
    )
    board = (
        entries.join(latest_catalog(catalog), on="model_key", how="left")
        .join(overrides, on="model_key", how="left")
        .with_columns(
            pl.col("model_key").alias("model_id"),
            pl.coalesce("organization", "catalog_organization", "override_organization").alias("publisher"),
            pl.lit("arena_organization").alias("publisher_alias_type"),
            pl.coalesce("license", "catalog_license").alias("license"),
            pl.coalesce("override_open_weights", "open_weights", "catalog_open_weights").alias("open_weights"),
            pl.col("preliminary").fill_null(False),
            pl.col("list_truncated").fill_null(False),  # the archive's tables are whole tables
            pl.col("listed").fill_null(pl.len().over("leaderboard", "snapshot_date")),
        )
        .filter(pl.col("score").is_not_null())
    )
    return one_row_per_model(board.select(BOARD_COLUMNS), tie_breaks=["votes"]).sort(["snapshot_date", "model_id"])


def load_model_overrides(path: Path = OVERRIDES_PATH) -> pl.DataFrame:
    """data/arena/model_overrides.csv: curated corrections, each with its evidence (see data/README.md)."""
    return pl.read_csv(path, schema_overrides={"open_weights": pl.Boolean}).with_columns(
        model_key_expr("model"), pl.col(pl.Utf8).str.strip_chars().replace("", None)
    )
