"""Capability marts from core.capability_entries (the Artificial Analysis editions). Pure: frames in, frames out.

The edition rule: every row of every mart stays inside one edition (the snapshot's date). Artificial
Analysis recomputes every model's index in every snapshot, so a value of one edition and a value of
another are two measurements on two scales, never one series: a frontier, a gap or a lag is computed
within an edition, and what changed between editions is reported as revisions
(marts.capability_revisions), the way funding editions are (marts.funding_revisions).

Within an edition, the frontier is BY RELEASE DATE: every model carries its release date, so one
edition holds the whole race. A country's frontier on a date is the best value among its models
released on or before that date (a step series: marts.capability_frontier holds the steps). The gap
on a date compares two countries' frontiers on that date; the lag answers "the leader first
released a model at the follower's current best level N days before the follower did":
lag_days = (release date of the follower's current best) - (release date of the leader's first model
at or above that value). It is negative where the follower got there first and the leader overtook
since. When the leader's first model at that level is the leader's earliest model in the edition,
the edition does not show when the leader first got there (Artificial Analysis lists few old
models): the lag is censored (lag_days NULL, lag_censored, lag_days_at_least). days_since_leader_reached
is the other reading, "how long ago the leader was where the follower is now" (as_of minus the
leader's date), the one Epoch AI's "months behind" takes.

Models are counted once per reasoning setting group (datasets/artificial_analysis/parse.py: the best
setting counts). Creators are placed through the registry's `aa_creator` aliases, keyed by
Artificial Analysis' creator slug (stable where the display name is not: `xai` was `xAI`, then
`SpaceXAI`); an unplaced creator's models count for no country and rank in marts.unattributed.
"""

from __future__ import annotations

import polars as pl

from common.boards import GAP_DECIMALS
from common.contracts import Table
from datasets.artificial_analysis.contract import CAPABILITY_ENTRIES, CAPABILITY_GAP, CONTRACTS
from datasets.artificial_analysis.parse import INDICES, LEADERBOARD
from marts.contract import UNATTRIBUTED

CAPABILITY_TABLE = CAPABILITY_ENTRIES.name
ALIAS_TYPE = "aa_creator"
ATTRIBUTION = "publisher"  # the creator is the developer: the only mode this source has
INDEX_NAMES = list(INDICES)
HEADLINE_INDEX = "intelligence_index"
TOP_N = 100  # the curation list counts appearances in each edition's top 100
REVISION_TOLERANCE = 1e-9  # relative; equal values re-serialised are not revisions

MODEL_KEYS = ["edition", "index_name", "model_key", "release_date"]


def placed(entries: pl.DataFrame, registry) -> pl.DataFrame:
    """The entries with the creator's organisation and country (NULL when not placed) and why not."""
    aliases = registry.alias_table(ALIAS_TYPE)
    orgs = registry.organisations.select("org_id", "no_country")
    return (
        entries.with_columns(pl.col("creator_slug").str.to_lowercase().alias("alias_key"))
        .join(aliases, on="alias_key", how="left")
        .join(orgs, on="org_id", how="left")
        .with_columns(
            pl.when(pl.col("org_id").is_null())
            .then(pl.lit(f"no {ALIAS_TYPE} alias for this creator slug in data/registry/aliases.csv"))
            .when(pl.col("country").is_null())
            .then(pl.format("in the registry without a country: {}", pl.col("no_country")))
            .alias("unplaced_reason")
        )
        .drop("alias_key", "no_country")
    )


def capability_models(entries: pl.DataFrame, registry) -> pl.DataFrame:
    """marts.capability_models: per edition and index, one row per model (creator, name without the
    reasoning setting, release date) with its best setting's value, the setting and how many were listed."""
    long = (
        placed(entries, registry)
        .rename({"snapshot_date": "edition"})
        .unpivot(index=[c for c in entries.columns if c not in INDEX_NAMES and c != "snapshot_date"]
                 + ["edition", "org_id", "organisation", "country", "unplaced_reason"],
                 on=INDEX_NAMES, variable_name="index_name", value_name="value")
        .filter(pl.col("value").is_not_null())
    )  # fmt: skip
    counted = long.group_by(MODEL_KEYS).agg(pl.len().alias("settings"))
    best = long.sort(["value", "model"], descending=[True, False]).unique(MODEL_KEYS, keep="first")
    return (
        best.join(counted, on=MODEL_KEYS, nulls_equal=True)
        .select(
            "edition", "index_name", "model_key", "release_date", "model", "model_uid", "setting", "settings",
            "value", "creator_slug", "creator_name", "org_id", "organisation", "country", "unplaced_reason", "load_id",
        )
        .sort("edition", "index_name", pl.col("value"), "model", descending=[False, False, True, False])
    )  # fmt: skip


def capability_frontier(models: pl.DataFrame) -> pl.DataFrame:
    """marts.capability_frontier: the steps of each country's best value by release date, per edition
    and index. A row is a release date on which the country's frontier rose: from then on (until its
    next row) its best model released so far is best_model. Models without a release date are left out."""
    keys = ["edition", "index_name", "country"]
    days = (
        models.filter(pl.col("country").is_not_null() & pl.col("release_date").is_not_null())
        .sort("value", "model", descending=[True, False])
        .group_by([*keys, "release_date"], maintain_order=True)
        .agg(
            pl.col("value").first().alias("day_best"),
            pl.col("model").first().alias("best_model"),
            pl.col("creator_name").first().alias("creator_name"),
            pl.col("load_id").first(),
            pl.len().alias("day_models"),
        )
        .sort([*keys, "release_date"])
        .with_columns(
            pl.col("day_best").cum_max().shift(1).over(keys).alias("before"),
            pl.col("day_models").cum_sum().over(keys).alias("models_released"),
        )
    )
    return (
        days.filter(pl.col("before").is_null() | (pl.col("day_best") > pl.col("before"))).select(
            *keys,
            pl.col("release_date").alias("as_of"),
            pl.col("day_best").alias("best_value"),
            "best_model",
            "creator_name",
            "models_released",
            "load_id",
        )  # fmt: skip
    )


def _side(frontier: pl.DataFrame, country: str, suffix: str) -> pl.DataFrame:
    return frontier.filter(pl.col("country") == country).select(
        "edition", "index_name",
        pl.col("as_of").alias(f"reached_{suffix}"),
        pl.col("as_of").alias("as_of"),
        pl.col("best_value").alias(f"value_{suffix}"),
        pl.col("best_model").alias(f"model_{suffix}"),
    )  # fmt: skip


def _pick(a_leads: pl.Expr, column: str, leader: bool) -> pl.Expr:
    """The leader's (or the follower's) `column`: side a's where a leads, else side b's."""
    first, second = (f"{column}_a", f"{column}_b") if leader else (f"{column}_b", f"{column}_a")
    return pl.when(a_leads).then(pl.col(first)).otherwise(pl.col(second))


def capability_gap(frontier: pl.DataFrame, pairs: list[tuple[str, str]]) -> pl.DataFrame:
    """marts.capability_gap: per edition, index and pair, on every release date where either frontier
    steps (from the first date both have a model): leader, follower, values, gap and the lags (above)."""
    by = ["edition", "index_name"]
    parts = []
    for a, b in pairs:
        side_a, side_b = _side(frontier, a, "a"), _side(frontier, b, "b")
        if side_a.is_empty() or side_b.is_empty():
            continue
        dates = pl.concat([side_a.select(*by, "as_of"), side_b.select(*by, "as_of")]).unique().sort("as_of")
        both = (
            dates.join_asof(side_a.sort("as_of"), on="as_of", by=by, check_sortedness=False)
            .join_asof(side_b.sort("as_of"), on="as_of", by=by, check_sortedness=False)
            .filter(pl.col("value_a").is_not_null() & pl.col("value_b").is_not_null())
        )
        # the leader: the higher frontier; on equal values, the one that got there first (then a)
        a_leads = (pl.col("value_a") > pl.col("value_b")) | (
            (pl.col("value_a") == pl.col("value_b")) & (pl.col("reached_a") <= pl.col("reached_b"))
        )

        rows = both.select(
            *by, "as_of", pl.lit(f"{a}-{b}").alias("pair"),
            pl.when(a_leads).then(pl.lit(a)).otherwise(pl.lit(b)).alias("leader"),
            pl.when(a_leads).then(pl.lit(b)).otherwise(pl.lit(a)).alias("follower"),
            _pick(a_leads, "value", True).alias("leader_value"),
            _pick(a_leads, "value", False).alias("follower_value"),
            _pick(a_leads, "model", True).alias("leader_model"),
            _pick(a_leads, "model", False).alias("follower_model"),
            _pick(a_leads, "reached", False).alias("follower_reached_on"),
        )  # fmt: skip
        parts.append(rows)
    if not parts:
        return pl.DataFrame(schema=GAP_SCHEMA)
    gap = pl.concat(parts)
    # the leader's first step at or above the follower's value (its steps rise, so an as-of join on value)
    steps = frontier.select(
        "edition", "index_name", pl.col("country").alias("leader"), pl.col("best_value").alias("follower_value"),
        pl.col("as_of").alias("leader_reached_on"),
        (pl.col("as_of") == pl.col("as_of").min().over("edition", "index_name", "country")).alias("lag_censored"),
    ).sort("follower_value")  # fmt: skip
    gap = gap.sort("follower_value").join_asof(
        steps, on="follower_value", by=[*by, "leader"], strategy="forward", check_sortedness=False
    )
    lag = (pl.col("follower_reached_on") - pl.col("leader_reached_on")).dt.total_days()
    return (
        gap.with_columns(
            (pl.col("leader_value") - pl.col("follower_value")).round(GAP_DECIMALS).alias("gap"),
            lag.alias("lag_days_at_least"),
            pl.when(pl.col("lag_censored")).then(None).otherwise(lag).alias("lag_days"),
            (pl.col("as_of") - pl.col("leader_reached_on")).dt.total_days().alias("days_since_leader_reached"),
        )
        .with_columns(
            pl.when(pl.col("leader_value") > 0)
            .then((pl.col("gap") / pl.col("leader_value")).round(GAP_DECIMALS))
            .alias("relative_gap"),
            (pl.col("as_of") == pl.col("as_of").max().over(*by, "pair")).alias("latest"),
        )
        .select(list(GAP_SCHEMA))
        .sort([*by, "pair", "as_of"])
    )


GAP_SCHEMA = CAPABILITY_GAP.polars_schema()


def capability_revisions(entries: pl.DataFrame) -> pl.DataFrame:
    """marts.capability_revisions: each model value a newer edition changed, against the previous
    edition that listed the model (by Artificial Analysis' model id, which stays while slugs change)."""
    long = entries.unpivot(
        index=["snapshot_date", "model_uid", "model", "creator_name", "load_id"], on=INDEX_NAMES,
        variable_name="index_name", value_name="value",
    ).filter(pl.col("value").is_not_null())  # fmt: skip
    keys = ["index_name", "model_uid"]
    ordered = long.sort([*keys, "snapshot_date"]).with_columns(
        pl.col(c).shift(1).over(keys).alias(f"old_{c}") for c in ("snapshot_date", "value", "load_id")
    )
    changed = ordered.filter(
        pl.col("old_value").is_not_null()
        & ((pl.col("value") - pl.col("old_value")).abs()
           > REVISION_TOLERANCE * pl.max_horizontal(pl.col("value").abs(), pl.col("old_value").abs()))
    )  # fmt: skip
    return changed.select(
        "index_name", "model_uid", "model", "creator_name",
        pl.col("old_snapshot_date").alias("old_edition"), pl.col("snapshot_date").alias("new_edition"),
        "old_value", pl.col("value").alias("new_value"),
        (pl.col("value") - pl.col("old_value")).round(GAP_DECIMALS).alias("change"),
        pl.when(pl.col("old_value") != 0).then((pl.col("value") - pl.col("old_value")) / pl.col("old_value"))
        .alias("change_pct"),
        "old_load_id", pl.col("load_id").alias("new_load_id"),
    ).sort("index_name", "new_edition", "model_uid")  # fmt: skip


def capability_editions(entries: pl.DataFrame, models: pl.DataFrame, revisions: pl.DataFrame) -> pl.DataFrame:
    """marts.capability_editions: one row per edition: what it lists, how much of it is placed, and
    how many of the previous edition's Intelligence Index values it revised."""
    editions = (
        entries.group_by("snapshot_date")
        .agg(
            pl.col("load_id").first(),
            pl.len().alias("entries"),
            pl.col("intelligence_index").is_not_null().sum().alias("with_intelligence_index"),
            pl.col("release_date").min().alias("earliest_release"),
            pl.col("release_date").max().alias("latest_release"),
            pl.col("model_uid").alias("_uids"),
            pl.col("model_uid").filter(pl.col("intelligence_index").is_not_null()).alias("_indexed"),
        )
        .sort("snapshot_date")
        .rename({"snapshot_date": "edition"})
    )
    editions = editions.with_columns(
        pl.col("edition").shift(1).alias("previous_edition"),
        pl.col("_uids").shift(1).alias("_previous_uids"),
        pl.col("_indexed").shift(1).alias("_previous_indexed"),
    )
    headline = models.filter(pl.col("index_name") == HEADLINE_INDEX)
    placed_share = headline.group_by("edition").agg(
        pl.len().alias("models"), pl.col("country").is_not_null().mean().alias("placed_share"),
        pl.col("country").filter(pl.col("value").rank("ordinal", descending=True) <= TOP_N).is_not_null().mean()
        .alias("top100_placed_share"),
    )  # fmt: skip
    revised = (
        revisions.filter(pl.col("index_name") == HEADLINE_INDEX)
        .group_by(pl.col("new_edition").alias("edition"))
        .agg(pl.len().alias("intelligence_revised"))
    )
    return (
        editions.join(placed_share, on="edition", how="left")
        .join(revised, on="edition", how="left")
        .with_columns(
            pl.when(pl.col("previous_edition").is_not_null()).then(
                pl.col("_indexed").list.set_intersection(pl.col("_previous_indexed")).list.len()
            ).alias("intelligence_compared"),
            pl.when(pl.col("previous_edition").is_not_null()).then(pl.col("intelligence_revised").fill_null(0))
            .alias("intelligence_revised"),
            pl.when(pl.col("previous_edition").is_not_null()).then(
                pl.col("_uids").list.set_difference(pl.col("_previous_uids")).list.len()
            ).alias("new_entries"),
            pl.when(pl.col("previous_edition").is_not_null()).then(
                pl.col("_previous_uids").list.set_difference(pl.col("_uids")).list.len()
            ).alias("dropped_entries"),
        )
        .select(
            "edition", "load_id", "entries", "models", "with_intelligence_index", "earliest_release",
            "latest_release", "placed_share", "top100_placed_share", "previous_edition", "intelligence_compared",
            "intelligence_revised", "new_entries", "dropped_entries",
        )
    )  # fmt: skip


def capability_unattributed(models: pl.DataFrame) -> pl.DataFrame:
    """The creators no country is known for, in marts.unattributed's shape (leaderboard
    `artificial-analysis`, publisher mode), ranked by appearances in the editions' top 100 of the
    Intelligence Index, then by best value."""
    headline = models.filter(pl.col("index_name") == HEADLINE_INDEX).with_columns(
        (pl.col("value").rank("ordinal", descending=True).over("edition") <= TOP_N).alias("in_top")
    )
    unknown = headline.filter(pl.col("country").is_null())
    if unknown.is_empty():
        return pl.DataFrame(schema=UNATTRIBUTED_SCHEMA)
    ranked = (
        unknown.sort("value", "model", descending=[True, False])
        .group_by("creator_slug", maintain_order=True)
        .agg(
            pl.col("creator_name").sort_by("edition").last().alias("name"),
            pl.col("org_id").drop_nulls().first(),
            pl.col("unplaced_reason").first().alias("reason"),
            pl.col("in_top").sum().cast(pl.Int64).alias("top100_appearances"),
            pl.col("value").first().alias("best_score"),
            pl.col("model").first().alias("best_model"),
            pl.col("model_key").n_unique().alias("models"),
            pl.col("edition").n_unique().alias("snapshots"),
            pl.col("edition").max().alias("last_seen"),
        )
        .sort(["top100_appearances", "best_score", "name"], descending=[True, True, False])
    )
    return ranked.with_columns(
        pl.lit(LEADERBOARD).alias("leaderboard"), pl.lit(ATTRIBUTION).alias("attribution"),
        pl.int_range(1, pl.len() + 1).alias("priority"),
    ).select(list(UNATTRIBUTED_SCHEMA))  # fmt: skip


UNATTRIBUTED_SCHEMA = UNATTRIBUTED.polars_schema()


# Each capability mart's columns, in order, from its contract (datasets/artificial_analysis/contract.py).
CAPABILITY_MART_COLUMNS = {
    c.name: c.column_names for c in CONTRACTS if isinstance(c, Table) and c.name.startswith("marts.")
}


def capability_marts(entries: pl.DataFrame, registry, pairs: list[tuple[str, str]]) -> dict[str, pl.DataFrame]:
    """Every capability mart, and this source's rows of marts.unattributed, from the published editions."""
    models = capability_models(entries, registry)
    frontier = capability_frontier(models)
    revisions = capability_revisions(entries)
    return {
        "marts.capability_models": models,
        "marts.capability_frontier": frontier,
        "marts.capability_gap": capability_gap(frontier, pairs),
        "marts.capability_revisions": revisions,
        "marts.capability_editions": capability_editions(entries, models, revisions),
        "marts.unattributed": capability_unattributed(models),
    }


def capability_builder(inputs, built: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The mart builder (marts/build.py MART_BUILDERS): the editions' marts, after the leaderboard
    marts, so that this source's unplaced creators join the marts.unattributed `built` holds."""
    entries = inputs.core.get(CAPABILITY_TABLE)
    if entries is None or entries.is_empty():
        return {table: pl.DataFrame(schema=dict.fromkeys(columns, pl.Null))
                for table, columns in CAPABILITY_MART_COLUMNS.items()}  # fmt: skip
    frames = capability_marts(entries, inputs.registry, inputs.pairs)
    columns = UNATTRIBUTED.column_names
    curation = [
        f.select(columns) for f in (built.get("marts.unattributed"), frames.pop("marts.unattributed"))
        if f is not None and len(f)
    ]  # fmt: skip
    if curation:
        frames["marts.unattributed"] = pl.concat(curation, how="vertical_relaxed")
    return frames
