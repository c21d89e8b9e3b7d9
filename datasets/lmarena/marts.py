"""The LMArena dataset's marts: who leads on each front, by how much, and whether it is a tie.

A front is (subset, category, style_control): `text` / `chinese` / false is "text prompts in Chinese,
ratings without style control". For each front and publish date:
- marts.lmarena_frontier: each country's best model, its rating and 95% bounds (as LMArena
  publishes them), by publisher (the LMArena organisation through the registry's
  `arena_organization` aliases); models of no known country count under `unattributed`;
- marts.lmarena_gap: for each country pair (US-CN by default, common.settings.gap_pairs), the signed
  gap `gap_a_minus_b` (positive: A leads) with bounds from the two frontiers' intervals
  (A's lower minus B's upper, A's upper minus B's lower), and `tied` when the intervals overlap
  (the bounds straddle 0). The overlap rule is conservative: intervals that do not overlap mean a
  difference LMArena's own uncertainty cannot explain; overlapping ones do not prove equality.

Unknown stays unknown: a frontier model listed more than once in its front with different ratings
(a real quirk of some publishes, datasets/lmarena/parse.py) leaves that pair's gap, leader and tie
NULL with status `ambiguous`; a missing bound leaves `tied` NULL (`no bounds`).
`unattributed_above` counts the models of no known country rated above the lower of the two
frontiers: when it is not 0, one of them may not be that country's best.
Pure: frames in, frames out.
"""

from __future__ import annotations

import polars as pl

from attribution.registry import Registry
from datasets.lmarena.contract import LMARENA_FRONTIER, LMARENA_GAP
from datasets.lmarena.parse import TABLE

FRONT = ["subset", "category", "style_control", "snapshot_date"]
UNATTRIBUTED = "unattributed"
ROUND = 6  # like marts/gaps.py: equal inputs give equal marts whatever the order of summation

# each mart's columns, in order, from its contract (datasets/lmarena/contract.py)
FRONTIER_COLUMNS = LMARENA_FRONTIER.column_names
GAP_COLUMNS = LMARENA_GAP.column_names
LMARENA_MART_COLUMNS = {"marts.lmarena_frontier": FRONTIER_COLUMNS, "marts.lmarena_gap": GAP_COLUMNS}
STATUSES = ["lead", "tie", "ambiguous", "no bounds"]


def attributed(entries: pl.DataFrame, registry: Registry) -> pl.DataFrame:
    """Entries with the publisher's organisation and country (`unattributed` when unknown)."""
    aliases = registry.alias_table("arena_organization")
    return (
        entries.with_columns(pl.col("organization").str.to_lowercase().alias("alias_key"))
        .join(aliases, on="alias_key", how="left")
        .with_columns(pl.col("country").fill_null(UNATTRIBUTED))
        .drop("alias_key")
    )


def frontier(scored: pl.DataFrame) -> pl.DataFrame:
    """marts.lmarena_frontier: per front, date and country, the best-rated listing (ties of rating:
    the model name first in order, so the answer does not depend on row order)."""
    keys = [*FRONT, "country"]
    best = scored.sort([*keys, "rating", "model"], descending=[False] * len(keys) + [True, False]).unique(
        keys, keep="first", maintain_order=True
    )
    models = scored.group_by(keys).agg(pl.col("model").n_unique().cast(pl.Int64).alias("models"))
    return (
        best.join(models, on=keys)
        .select(pl.col("model").alias("best_model"), *(c for c in FRONTIER_COLUMNS if c != "best_model"))
        .select(FRONTIER_COLUMNS)
        .sort(keys)
    )


def gaps(scored: pl.DataFrame, front_frontier: pl.DataFrame, pairs: list[tuple[str, str]]) -> pl.DataFrame:
    """marts.lmarena_gap: every pair of countries both present on a front that day."""
    if front_frontier.is_empty() or not pairs:
        return pl.DataFrame(schema={c: pl.Null for c in GAP_COLUMNS})
    side = ["best_model", "rating", "rating_lower", "rating_upper", "listings", "country"]
    a = front_frontier.select(*FRONT, *side, "load_id").rename({c: f"{c}_a" for c in side})
    b = front_frontier.select(*FRONT, *side).rename({c: f"{c}_b" for c in side})
    wanted = pl.DataFrame(pairs, schema=["country_a", "country_b"], orient="row")
    joined = (
        a.join(wanted, left_on="country_a", right_on="country_a")
        .join(b, left_on=[*FRONT, "country_b"], right_on=[*FRONT, "country_b"])
        .with_columns(pl.concat_str("country_a", pl.lit("-"), "country_b").alias("pair"))
    )
    front_models = scored.group_by(FRONT).agg(pl.col("model").n_unique().cast(pl.Int64).alias("models"))
    unknown = scored.filter(pl.col("country") == UNATTRIBUTED).select(*FRONT, pl.col("rating").alias("u_rating"))
    lower = pl.min_horizontal("rating_a", "rating_b")
    above = (
        joined.select(*FRONT, "pair", lower.alias("lower_frontier"))
        .join(unknown, on=FRONT)
        .filter(pl.col("u_rating") > pl.col("lower_frontier"))
        .group_by(*FRONT, "pair")
        .agg(pl.len().cast(pl.Int64).alias("unattributed_above"))
    )
    ambiguous = (pl.col("listings_a") > 1) | (pl.col("listings_b") > 1)
    signed = pl.col("rating_a") - pl.col("rating_b")
    low = pl.col("rating_lower_a") - pl.col("rating_upper_b")
    high = pl.col("rating_upper_a") - pl.col("rating_lower_b")
    known = pl.when(~ambiguous)
    out = joined.with_columns(
        known.then(signed.round(ROUND)).alias("gap_a_minus_b"),
        known.then(low.round(ROUND)).alias("gap_a_minus_b_lower"),
        known.then(high.round(ROUND)).alias("gap_a_minus_b_upper"),
        known.then(pl.when(signed >= 0).then("country_a").otherwise("country_b")).alias("leader"),
        known.then(pl.when(signed >= 0).then("country_b").otherwise("country_a")).alias("follower"),
        known.then(signed.abs().round(ROUND)).alias("gap"),
        known.then((low <= 0) & (high >= 0)).alias("tied"),
    ).with_columns(
        pl.when(ambiguous)
        .then(pl.lit("ambiguous"))
        .when(pl.col("tied").is_null())
        .then(pl.lit("no bounds"))
        .when(pl.col("tied"))
        .then(pl.lit("tie"))
        .otherwise(pl.lit("lead"))
        .alias("status")
    )
    return (
        out.rename(
            {
                "best_model_a": "model_a",
                "best_model_b": "model_b",
                "rating_lower_a": "rating_a_lower",
                "rating_upper_a": "rating_a_upper",
                "rating_lower_b": "rating_b_lower",
                "rating_upper_b": "rating_b_upper",
            }
        )
        .join(front_models, on=FRONT, how="left")
        .join(above, on=[*FRONT, "pair"], how="left")
        .with_columns(pl.col("unattributed_above").fill_null(0))
        .select(GAP_COLUMNS)
        .sort([*FRONT, "pair"])
    )


def lmarena_frames(entries: pl.DataFrame, registry: Registry, pairs: list[tuple[str, str]]) -> dict[str, pl.DataFrame]:
    """Both marts from the published core rows (every load of core.lmarena_entries)."""
    if entries.is_empty():
        return {t: pl.DataFrame(schema={c: pl.Null for c in cols}) for t, cols in LMARENA_MART_COLUMNS.items()}
    scored = attributed(entries, registry).filter(pl.col("rating").is_not_null())
    front_frontier = frontier(scored)
    return {"marts.lmarena_frontier": front_frontier, "marts.lmarena_gap": gaps(scored, front_frontier, pairs)}


def lmarena_marts(inputs, built: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The mart builder (marts/build.py MART_BUILDERS)."""
    entries = inputs.core.get(TABLE)
    return lmarena_frames(entries if entries is not None else pl.DataFrame(), inputs.registry, inputs.pairs)
