"""Gap metrics per leaderboard, snapshot, attribution mode and scope. Pure polars functions.

The board (transforms/boards.py) is aggregated ONCE into fine groups keyed by everything a mart
may slice on (filter flags, size bucket, the country in each mode); every mart then re-aggregates
those small groups. That keeps a 1.5M-row history to a single pass over the rows.

Scopes (the filters users expect), each a predicate on the board's flags:
- all        every model on the leaderboard
- unflagged  flagged models excluded (flagged by the maintainers: contamination, misreporting)
- official   official providers only (flagged excluded)
- no_merges  merges excluded (flagged excluded)
Leaderboards without such flags (the Arena) have only `all`.
"""

from __future__ import annotations

import polars as pl

from transforms.attribution import MODES, UNATTRIBUTED, model_facts

SCOPES: dict[str, pl.Expr] = {
    "all": pl.lit(True),
    "unflagged": ~pl.col("flagged"),
    "official": pl.col("official_provider") & ~pl.col("flagged"),
    "no_merges": ~pl.col("merged") & ~pl.col("flagged"),
}
SIZE_BUCKETS = [(None, 10.0, "<10B"), (10.0, 40.0, "10-40B"), (40.0, None, ">40B")]
TOP_N = (10, 50, 100)
GAP_DECIMALS = 6
TREND_SNAPSHOTS = 4  # gap_trend compares with the snapshot this many snapshots earlier
FLAT_SHARE = 0.005  # a change in the gap below 0.5% of the leader's score counts as flat

KEYS = ["leaderboard", "snapshot_date"]


def country_col(mode: str) -> str:
    return f"country_{mode}"


def wide_attribution(attribution: pl.DataFrame) -> pl.DataFrame:
    """(leaderboard, model_id) -> country and org per mode, in columns (country_publisher, org_publisher ...)."""
    wide = attribution.pivot(on="mode", index=["leaderboard", "model_id"], values=["country", "org_id"])
    return wide.rename(
        {f"{v}_{m}": f"{'org' if v == 'org_id' else v}_{m}" for v in ("country", "org_id") for m in MODES}
    )


def size_bucket() -> pl.Expr:
    expr = pl.when(pl.col("params_b").is_null()).then(pl.lit(None, dtype=pl.Utf8))
    for low, high, label in SIZE_BUCKETS:
        condition = pl.lit(True)
        if low is not None:
            condition = condition & (pl.col("params_b") >= low)
        if high is not None:
            condition = condition & (pl.col("params_b") < high)
        expr = expr.when(condition).then(pl.lit(label))
    return expr.alias("size_bucket")


def scoped(board: pl.DataFrame) -> list[str]:
    """The scopes that mean something on this board."""
    has_flags = all(c in board.columns for c in ("official_provider", "merged", "flagged"))
    if not has_flags or not (board["official_provider"].any() or board["merged"].any() or board["flagged"].any()):
        return ["all"]
    return list(SCOPES)


def _best_model(score: str, model: str = "model_id") -> pl.Expr:
    """The model holding the best score; ties go to the alphabetically first model."""
    return pl.col(model).filter(pl.col(score) == pl.col(score).max()).min()


def fine_groups(board: pl.DataFrame, attribution: pl.DataFrame, benchmarks: list[str]) -> pl.DataFrame:
    """The single pass over the board: best score, best model and model count per fine group."""
    wide = wide_attribution(attribution)
    flags = [c for c in ("official_provider", "merged", "flagged") if c in board.columns]
    frame = board.join(wide, on=["leaderboard", "model_id"], how="left")
    frame = frame.with_columns(
        size_bucket() if "params_b" in frame.columns else pl.lit(None, pl.Utf8).alias("size_bucket")
    )
    frame = frame.with_columns(pl.col(f"org_{m}").is_not_null().alias(f"org_known_{m}") for m in MODES)
    group_keys = [*KEYS, *flags, "size_bucket", *(country_col(m) for m in MODES), *(f"org_known_{m}" for m in MODES)]
    return frame.group_by(group_keys).agg(
        pl.col("score").max().alias("best_score"),
        _best_model("score").alias("best_model"),
        pl.len().alias("models"),
        *(pl.col(b).max().alias(f"best_{b}") for b in benchmarks),
        *(_best_model(b).alias(f"best_model_{b}") for b in benchmarks),
    )


def _in_scope(fine: pl.DataFrame, scope: str) -> pl.DataFrame:
    return fine.filter(SCOPES[scope])


def country_frontier(fine: pl.DataFrame, scopes: list[str]) -> pl.DataFrame:
    """Each country's best score, the model holding it, and its number of models."""
    parts = []
    for scope in scopes:
        rows = _in_scope(fine, scope)
        for mode in MODES:
            parts.append(
                rows.group_by(*KEYS, pl.col(country_col(mode)).fill_null(UNATTRIBUTED).alias("country"))
                .agg(
                    pl.col("best_score").max(),
                    _best_model("best_score", "best_model").alias("best_model"),
                    pl.col("models").sum(),
                )
                .with_columns(pl.lit(mode).alias("attribution"), pl.lit(scope).alias("scope"))
            )
    columns = [*KEYS, "attribution", "scope", "country", "best_score", "best_model", "models"]
    return pl.concat(parts).select(columns).sort(columns[:5])


def _frontier_by(fine: pl.DataFrame, scopes: list[str], extra_keys: list[str], score: str, model: str) -> pl.DataFrame:
    parts = []
    for scope in scopes:
        rows = _in_scope(fine, scope)
        for mode in MODES:
            parts.append(
                rows.filter(pl.col(score).is_not_null())
                .group_by(*KEYS, *extra_keys, pl.col(country_col(mode)).fill_null(UNATTRIBUTED).alias("country"))
                .agg(
                    pl.col(score).max().alias("best_score"),
                    _best_model(score, model).alias("best_model"),
                    pl.col("models").sum(),
                )
                .with_columns(pl.lit(mode).alias("attribution"), pl.lit(scope).alias("scope"))
            )
    return pl.concat(parts)


def pair_gap(frontier: pl.DataFrame, pairs: list[tuple[str, str]], keys: list[str]) -> pl.DataFrame:
    """Gap between two countries wherever both are present, per `keys` (plus the pair).

    leader = the country with the higher best score (the first of the pair on a tie);
    gap = leader_score - follower_score (>= 0); relative_gap = gap / leader_score.
    """
    parts = []
    for a, b in pairs:
        side = frontier.select(*keys, "country", "best_score", "best_model")
        both = side.filter(pl.col("country") == a).join(
            side.filter(pl.col("country") == b), on=keys, how="inner", suffix="_b"
        )
        a_leads = pl.col("best_score") >= pl.col("best_score_b")
        parts.append(
            both.select(
                *keys,
                pl.lit(f"{a}-{b}").alias("pair"),
                pl.when(a_leads).then(pl.lit(a)).otherwise(pl.lit(b)).alias("leader"),
                pl.when(a_leads).then(pl.lit(b)).otherwise(pl.lit(a)).alias("follower"),
                pl.when(a_leads).then("best_score").otherwise("best_score_b").alias("leader_score"),
                pl.when(a_leads).then("best_score_b").otherwise("best_score").alias("follower_score"),
                pl.when(a_leads).then("best_model").otherwise("best_model_b").alias("leader_model"),
                pl.when(a_leads).then("best_model_b").otherwise("best_model").alias("follower_model"),
            )
        )
    gap = pl.concat(parts) if parts else pl.DataFrame()
    return gap.with_columns(
        # Rounded so that 0.12 reads as 0.12, not 0.12000000000000455.
        (pl.col("leader_score") - pl.col("follower_score")).round(GAP_DECIMALS).alias("gap"),
    ).with_columns((pl.col("gap") / pl.col("leader_score")).round(GAP_DECIMALS).alias("relative_gap"))


def lag_days(gap: pl.DataFrame, frontier: pl.DataFrame) -> pl.DataFrame:
    """Days before each snapshot that the leader first reached the follower's current frontier.

    Null when the leader's frontier never reached it within the data (it always has, at the latest
    on the snapshot itself, unless the history starts there: then the lag is 0 or more, never known
    to be longer).
    """
    series_keys = ["leaderboard", "attribution", "scope"]
    history = (
        frontier.select(*series_keys, "country", "snapshot_date", "best_score")
        .sort("snapshot_date")
        .with_columns(pl.col("best_score").cum_max().over([*series_keys, "country"]).alias("reached"))
        .group_by(*series_keys, "country", "reached")
        .agg(pl.col("snapshot_date").min().alias("first_reached"))
        .sort("reached")
    )
    targets = gap.with_row_index("_row").select(
        "_row",
        *series_keys,
        pl.col("leader").alias("country"),
        pl.col("follower_score").alias("target"),
        "snapshot_date",
    )
    found = targets.sort("target").join_asof(
        history,
        left_on="target",
        right_on="reached",
        by=[*series_keys, "country"],
        strategy="forward",
        check_sortedness=False,  # `history` is sorted by `reached` as a whole, hence within every group
    )
    found = found.select(
        "_row",
        pl.when(pl.col("first_reached") <= pl.col("snapshot_date"))
        .then((pl.col("snapshot_date") - pl.col("first_reached")).dt.total_days())
        .otherwise(None)
        .alias("lag_days"),
    )
    return gap.with_row_index("_row").join(found, on="_row", how="left").drop("_row")


def gaps_with_lag(frontier: pl.DataFrame, pairs: list[tuple[str, str]]) -> pl.DataFrame:
    keys = [*KEYS, "attribution", "scope"]
    return lag_days(pair_gap(frontier, pairs, keys), frontier).sort([*keys, "pair"])


def ranked(board: pl.DataFrame, scopes: list[str], depth: int = max(TOP_N)) -> pl.DataFrame:
    """The top `depth` models of each snapshot and scope, with their rank (ties: alphabetical)."""
    ordered = board.sort(["score", "model_id"], descending=[True, False])
    parts = [
        ordered.filter(SCOPES[scope])
        .group_by(KEYS, maintain_order=True)
        .head(depth)
        .with_columns(pl.int_range(1, pl.len() + 1).over(KEYS).alias("rank"), pl.lit(scope).alias("scope"))
        for scope in scopes
    ]
    return pl.concat(parts).select(*KEYS, "scope", "rank", "model_id", "score", "publisher")


def topn_share(top: pl.DataFrame, attribution: pl.DataFrame) -> pl.DataFrame:
    """How many of the top 10 / 50 / 100 each country holds, and their share of n."""
    joined = top.join(attribution.select("leaderboard", "model_id", "mode", "country"), on=["leaderboard", "model_id"])
    parts = []
    for n in TOP_N:
        within = joined.filter(pl.col("rank") <= n)
        parts.append(
            within.group_by(*KEYS, "scope", "mode", pl.col("country").fill_null(UNATTRIBUTED))
            .agg(pl.len().alias("models"))
            .join(
                within.group_by(*KEYS, "scope", "mode").agg(pl.len().alias("models_in_top")),
                on=[*KEYS, "scope", "mode"],
            )
            .with_columns(pl.lit(n).alias("top_n"), (pl.col("models") / n).alias("share"))
        )
    return (
        pl.concat(parts)
        .rename({"mode": "attribution"})
        .select(*KEYS, "attribution", "scope", "top_n", "country", "models", "share", "models_in_top")
        .sort(*KEYS, "attribution", "scope", "top_n", "country")
    )


def benchmark_gap(fine: pl.DataFrame, scopes: list[str], benchmarks: list[str], pairs) -> pl.DataFrame:
    """The pair gap on each benchmark separately (each country's best on that benchmark)."""
    parts = []
    for benchmark in benchmarks:
        frontier = _frontier_by(fine, scopes, [], f"best_{benchmark}", f"best_model_{benchmark}")
        gap = pair_gap(frontier, pairs, [*KEYS, "attribution", "scope"])
        parts.append(gap.with_columns(pl.lit(benchmark).alias("benchmark")))
    columns = [*KEYS, "attribution", "scope", "benchmark", "pair", "leader", "follower", "leader_score",
               "follower_score", "gap", "relative_gap", "leader_model", "follower_model"]  # fmt: skip
    return pl.concat(parts).select(columns).sort(columns[:6]) if parts else pl.DataFrame()


def size_gap(fine: pl.DataFrame, scopes: list[str], pairs) -> pl.DataFrame:
    """The pair gap within parameter-size buckets: do constrained labs win at small sizes?"""
    sized = fine.filter(pl.col("size_bucket").is_not_null())
    frontier = _frontier_by(sized, scopes, ["size_bucket"], "best_score", "best_model")
    gap = pair_gap(frontier, pairs, [*KEYS, "attribution", "scope", "size_bucket"])
    counts = frontier.select(*KEYS, "attribution", "scope", "size_bucket", "country", "models")
    gap = gap.join(
        counts.rename({"country": "leader", "models": "leader_models"}),
        on=[*KEYS, "attribution", "scope", "size_bucket", "leader"],
    ).join(
        counts.rename({"country": "follower", "models": "follower_models"}),
        on=[*KEYS, "attribution", "scope", "size_bucket", "follower"],
    )
    columns = [*KEYS, "attribution", "scope", "size_bucket", "pair", "leader", "follower", "leader_score",
               "follower_score", "gap", "relative_gap", "leader_model", "follower_model", "leader_models",
               "follower_models"]  # fmt: skip
    return gap.select(columns).sort(columns[:6])


def gap_trend(gap: pl.DataFrame, k: int = TREND_SNAPSHOTS) -> pl.DataFrame:
    """The pair gap now against k snapshots earlier, seen from the first country of the pair.

    gap_a_minus_b > 0 means the first country of the pair leads. trend compares the size of the
    gap: closing / widening / flat (change within 0.5% of the leader's score), and says when the
    leader changed.
    """
    series = ["leaderboard", "attribution", "scope", "pair"]
    signed = gap.with_columns(
        pl.col("pair").str.split("-").list.first().alias("country_a"),
        pl.col("pair").str.split("-").list.last().alias("country_b"),
    ).with_columns(
        pl.when(pl.col("leader") == pl.col("country_a"))
        .then(pl.col("gap"))
        .otherwise(-pl.col("gap"))
        .alias("gap_a_minus_b")
    )
    earlier = signed.sort("snapshot_date").with_columns(
        pl.col("snapshot_date").shift(k).over(series).alias("compared_with"),
        pl.col("gap_a_minus_b").shift(k).over(series).alias("gap_then"),
    )
    change = (pl.col("gap_a_minus_b").abs() - pl.col("gap_then").abs()).round(GAP_DECIMALS)
    tolerance = FLAT_SHARE * pl.col("leader_score")
    trend = (
        pl.when(pl.col("gap_then").is_null())
        .then(pl.lit(None, dtype=pl.Utf8))
        .when((pl.col("gap_a_minus_b") * pl.col("gap_then")) < 0)
        .then(pl.lit("leader changed"))
        .when(pl.col("abs_gap_change") < -tolerance)
        .then(pl.lit("closing"))
        .when(pl.col("abs_gap_change") > tolerance)
        .then(pl.lit("widening"))
        .otherwise(pl.lit("flat"))
    )
    result = earlier.with_columns(change.alias("abs_gap_change"), pl.lit(k).alias("k")).with_columns(
        trend.alias("trend")
    )
    columns = ["leaderboard", "snapshot_date", "attribution", "scope", "pair", "country_a", "country_b", "leader",
               "gap_a_minus_b", "k", "compared_with", "gap_then", "abs_gap_change", "trend"]  # fmt: skip
    return result.select(columns).sort(["leaderboard", "attribution", "scope", "pair", "snapshot_date"])


def attribution_coverage(fine: pl.DataFrame, top: pl.DataFrame, attribution: pl.DataFrame) -> pl.DataFrame:
    """Share of models (and of the top 100) with a known country, and with a known organisation."""
    long = attribution.select("leaderboard", "model_id", "mode", "country", "org_id")
    every = pl.concat(
        fine.group_by(KEYS)
        .agg(
            pl.col("models").sum(),
            (pl.col("models").filter(pl.col(country_col(mode)).is_not_null()).sum() / pl.col("models").sum()).alias(
                "rows_share"
            ),
            (pl.col("models").filter(pl.col(f"org_known_{mode}")).sum() / pl.col("models").sum()).alias(
                "org_rows_share"
            ),
        )
        .with_columns(pl.lit(mode).alias("mode"))
        for mode in MODES
    )
    top100 = (
        top.filter((pl.col("scope") == "all") & (pl.col("rank") <= 100))
        .join(long, on=["leaderboard", "model_id"])
        .group_by(*KEYS, "mode")
        .agg(
            pl.col("country").is_not_null().mean().alias("top100_share"),
            pl.col("org_id").is_not_null().mean().alias("org_top100_share"),
        )
    )
    columns = [*KEYS, "mode", "models", "rows_share", "top100_share", "org_rows_share", "org_top100_share"]
    return every.join(top100, on=[*KEYS, "mode"], how="left").select(columns).sort(columns[:3])


def unattributed(board: pl.DataFrame, top: pl.DataFrame, attribution: pl.DataFrame) -> pl.DataFrame:
    """Who a curator should add first: publishers (publisher mode) and architectures (family mode)
    whose country is unknown, ranked by top-100 appearances, then best score."""
    top100 = top.filter((pl.col("scope") == "all") & (pl.col("rank") <= 100)).select(
        "leaderboard", "model_id", "snapshot_date"
    )
    facts = model_facts(board).select("leaderboard", "model_id", "publisher", "architecture")
    rows_with_facts = board.drop("publisher", "architecture", strict=False).join(facts, on=["leaderboard", "model_id"])
    parts = []
    for mode, key in (("publisher", "publisher"), ("family", "architecture")):
        if "architecture" not in board.columns and key == "architecture":
            continue
        unknown = attribution.filter((pl.col("mode") == mode) & pl.col("country").is_null()).select(
            "leaderboard", "model_id", "org_id", "method"
        )
        rows = rows_with_facts.join(unknown, on=["leaderboard", "model_id"])
        appearances = (
            rows.join(top100, on=["leaderboard", "model_id", "snapshot_date"]).group_by("leaderboard", key).len()
        )
        parts.append(
            rows.group_by("leaderboard", key)
            .agg(
                pl.col("org_id").drop_nulls().first(),
                pl.col("method").first().alias("reason"),
                pl.col("score").max().alias("best_score"),
                _best_model("score").alias("best_model"),
                pl.col("model_id").n_unique().alias("models"),
                pl.col("snapshot_date").n_unique().alias("snapshots"),
                pl.col("snapshot_date").max().alias("last_seen"),
            )
            .join(appearances.rename({"len": "top100_appearances"}), on=["leaderboard", key], how="left")
            .with_columns(pl.col("top100_appearances").fill_null(0), pl.lit(mode).alias("attribution"))
            .rename({key: "name"})
            .with_columns(pl.col("name").fill_null("(none)"))
        )
    if not parts:
        return pl.DataFrame()
    result = pl.concat(parts).sort(
        ["leaderboard", "attribution", "top100_appearances", "best_score", "name"],
        descending=[False, False, True, True, False],
    )
    result = result.with_columns(pl.int_range(1, pl.len() + 1).over("leaderboard", "attribution").alias("priority"))
    return result.select(
        "leaderboard", "attribution", "priority", "name", "org_id", "reason", "top100_appearances", "best_score",
        "best_model", "models", "snapshots", "last_seen",
    )  # fmt: skip
