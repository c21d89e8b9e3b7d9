"""Gap metrics per leaderboard, snapshot, attribution mode and scope. Pure polars functions.

The board (common/boards.py) is aggregated ONCE into fine groups keyed by everything a mart
may slice on (filter flags, size bucket, the country in each mode); every mart then re-aggregates
those small groups. That keeps a 1.5M-row history to a single pass over the rows.

Scopes (the filters users expect), each a predicate on the board's flags:
- all        every model on the leaderboard
- unflagged  flagged models excluded (flagged by the maintainers: contamination, misreporting)
- official   official providers only (flagged excluded)
- no_merges  merges excluded (flagged excluded)
- open_weights / proprietary  models whose licence says open weights / proprietary (the Arena;
             models of unknown licence are in neither)
A board has the scopes whose columns it carries (the Arena: all, open_weights, proprietary).

Lists that are not the whole board (the Arena's daily feed until 2026-07-15 lists each board's top
N only): marts.snapshot_lists records per snapshot how many models are listed, the last listed
score and whether the list is truncated. A pair member with no model in a truncated list is not
absent: its frontier that day is censored, below the last listed score S. marts.gap then carries
the row with `follower_censored`, `follower_below` = S and `gap_at_least` = leader - S; its gap,
follower score and lag are NULL (never a gap computed as if the country were absent), and no
trend compares it. A lag whose leader was unseen in a truncated list (below a bound above the
follower's level) before the day it is first seen at that level is censored too (at least N days).
Top-N shares and coverage over a list holding fewer than N ranked models are NULL, with the reason.
Preliminary ratings (datasets/arena/board.py) are in marts.model_scores, marked, and in no other mart.
"""

from __future__ import annotations

import polars as pl

from attribution.attribute import MODES, UNATTRIBUTED
from attribution.lineage import ARCHITECTURE, CURATED, GRAPH_METHODS
from common.boards import GAP_DECIMALS
from marts.contract import GAP_TREND

SCOPES: dict[str, pl.Expr] = {
    "all": pl.lit(True),
    "unflagged": ~pl.col("flagged"),
    "official": pl.col("official_provider") & ~pl.col("flagged"),
    "no_merges": ~pl.col("merged") & ~pl.col("flagged"),
    "open_weights": pl.col("open_weights").fill_null(False),
    "proprietary": ~pl.col("open_weights").fill_null(True),
}
# the board columns a scope needs; a board without them has no such scope
SCOPE_COLUMNS = {
    "all": [],
    "unflagged": ["flagged"],
    "official": ["official_provider", "flagged"],
    "no_merges": ["merged", "flagged"],
    "open_weights": ["open_weights"],
    "proprietary": ["open_weights"],
}
SIZE_BUCKETS = [(None, 10.0, "<10B"), (10.0, 40.0, "10-40B"), (40.0, None, ">40B")]
TOP_N = (10, 50, 100)
# gap_trend compares each snapshot with the one nearest to N days earlier, if one lies within the
# tolerance (window -> tolerance, in days); otherwise the trend is unknown (NULL), never a guess.
TREND_WINDOWS = {30: 7, 90: 21}
FLAT_SHARE = 0.005  # a change in the gap below 0.5% of the leader's score counts as flat
# A series has a hole where no snapshot was published for more than this many days: the bundled
# series are daily to monthly (up to 37 days between the Arena's 2023 tables), so 45 days is a
# break in the record, not its rhythm. Charts break their lines there.
HOLE_DAYS = 45

KEYS = ["leaderboard", "snapshot_date"]
# marts.attribution_coverage: the lineage top-100 share with a known country, by how it was found
LINEAGE_SPLIT = {
    "top100_chain_share": list(GRAPH_METHODS),
    "top100_curated_share": [CURATED],
    "top100_architecture_share": [ARCHITECTURE],
}


def country_col(mode: str) -> str:
    return f"country_{mode}"


SIGNATURE_COLUMNS = [*(f"country_{m}" for m in MODES), *(f"org_known_{m}" for m in MODES)]


def wide_attribution(attribution: pl.DataFrame) -> pl.DataFrame:
    """(leaderboard, model_id) -> country per mode and whether its organisation is known, in columns,
    plus `signature`: an integer naming that combination (few distinct ones), cheap to group by."""
    wide = attribution.pivot(on="mode", index=["leaderboard", "model_id"], values=["country", "org_id"])
    wide = wide.select(
        "leaderboard",
        "model_id",
        *(pl.col(f"country_{m}") for m in MODES),
        *(pl.col(f"org_id_{m}").is_not_null().alias(f"org_known_{m}") for m in MODES),
    )
    signatures = wide.select(SIGNATURE_COLUMNS).unique(maintain_order=True).with_row_index("signature")
    # model_rank orders models alphabetically, so "ties go to the alphabetically first model" is a min over ints
    wide = wide.with_columns(pl.col("model_id").rank("dense").over("leaderboard").cast(pl.Int64).alias("model_rank"))
    return wide.join(signatures, on=SIGNATURE_COLUMNS, how="left", nulls_equal=True)


def signatures(wide: pl.DataFrame) -> pl.DataFrame:
    return wide.select("signature", *SIGNATURE_COLUMNS).unique("signature")


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
    return [scope for scope, columns in SCOPE_COLUMNS.items() if all(c in board.columns for c in columns)]


def _best_model(score: str, model: str = "model_id") -> pl.Expr:
    """The model holding the best score; ties go to the alphabetically first model."""
    return pl.col(model).filter(pl.col(score) == pl.col(score).max()).min()


def attributed_board(board: pl.DataFrame, wide: pl.DataFrame) -> pl.DataFrame:
    """The board with each row's attribution signature and model rank (the one join of the big frame)."""
    return board.join(
        wide.select("leaderboard", "model_id", "signature", "model_rank"), on=["leaderboard", "model_id"], how="left"
    )


def model_scores(scored: pl.DataFrame, wide: pl.DataFrame) -> pl.DataFrame:
    """The board with each model's country per mode (marts.model_scores)."""
    optional = {
        "params_b": pl.Float64, "official_provider": pl.Boolean, "merged": pl.Boolean, "flagged": pl.Boolean,
        "open_weights": pl.Boolean, "preliminary": pl.Boolean,
    }  # fmt: skip
    frame = scored.with_columns(pl.lit(None, dtype=t).alias(c) for c, t in optional.items() if c not in scored.columns)
    return frame.join(signatures(wide), on="signature", how="left").drop("signature", "model_rank")


def _first_best(value: str, rank: str) -> pl.Expr:
    """The rank of the first row holding the group's best `value`. Frames are kept in rank order,
    so the first best row is the alphabetically first model: ties go to it."""
    return pl.col(rank).get(pl.col(value).arg_max())


def fine_groups(scored: pl.DataFrame, wide: pl.DataFrame, metrics: list[str]) -> pl.DataFrame:
    """The single pass over the board. Long format, one row per fine group and metric (score,
    benchmarks): its best value, the rank of the model holding it, and the group's model count."""
    flags = [c for c in ("official_provider", "merged", "flagged", "open_weights") if c in scored.columns]
    keys = ["snapshot_date", *flags, "size_bucket", "signature"]
    frame = scored.select(
        "snapshot_date", *flags, "signature", "model_rank", *metrics,
        size_bucket() if "params_b" in scored.columns else pl.lit(None, pl.Utf8).alias("size_bucket"),
    ).sort("snapshot_date", "model_rank")  # fmt: skip
    fine = frame.group_by(keys).agg(
        pl.len().alias("models"),
        *(pl.col(m).max().alias(f"best_{m}") for m in metrics),
        *(_first_best(m, "model_rank").alias(f"rank_{m}") for m in metrics),
    )
    long = pl.concat(
        fine.select(
            *keys,
            "models",
            pl.lit(m).alias("metric"),
            pl.col(f"best_{m}").alias("best"),
            pl.col(f"rank_{m}").alias("rank"),
        )
        for m in metrics
    ).filter(pl.col("best").is_not_null())
    return (
        long.join(signatures(wide), on="signature", how="left")
        .with_columns(pl.lit(scored["leaderboard"][0]).alias("leaderboard"))
        .sort("rank")
    )


def _roll_up(frame: pl.DataFrame, keys: list) -> pl.DataFrame:
    return frame.group_by(keys).agg(pl.col("models").sum(), pl.col("best").max(), _first_best("best", "rank"))


def country_metrics(
    fine: pl.DataFrame, scopes: list[str], by: tuple[str, ...] = (), countries: set[str] | None = None
) -> pl.DataFrame:
    """Per scope, mode, country, metric (and `by`): the best value, the rank of the model holding it,
    and the model count. `countries` limits the work to the countries a mart needs (pair members)."""
    parts = []
    for scope in scopes:
        rows = fine.filter(SCOPES[scope])
        for mode in MODES:
            country = pl.col(country_col(mode)).fill_null(UNATTRIBUTED).alias("country")
            selected = rows if countries is None else rows.filter(pl.col(country_col(mode)).is_in(list(countries)))
            parts.append(
                _roll_up(selected, [*KEYS, *by, country, "metric"]).with_columns(
                    pl.lit(mode).alias("attribution"), pl.lit(scope).alias("scope")
                )
            )
    return pl.concat(parts)


def with_model_names(frame: pl.DataFrame, wide: pl.DataFrame) -> pl.DataFrame:
    """Model ranks back to model ids (`best_model`), on a small aggregated frame."""
    names = dict(wide.select("model_rank", "model_id").iter_rows())
    return frame.with_columns(
        pl.col("rank").replace_strict(names, default=None, return_dtype=pl.Utf8).alias("best_model"),
        pl.col("best").alias("best_score"),
    ).drop("rank", "best")


def country_frontier(fine: pl.DataFrame, wide: pl.DataFrame, scopes: list[str]) -> pl.DataFrame:
    """Each country's best score, the model holding it (ties: alphabetical), and its number of models."""
    columns = [*KEYS, "attribution", "scope", "country", "best_score", "best_model", "models"]
    metrics = country_metrics(fine.filter(pl.col("metric") == "score"), scopes)
    return with_model_names(metrics, wide).select(columns).sort(columns[:5])


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

    The leader's history is its best score to date in the same leaderboard, attribution mode and
    scope. `lag_days_at_least` counts the days since the first recorded snapshot at which it had
    reached that level. When that snapshot opens the record (the series' first snapshot, or the
    first after a hole of more than HOLE_DAYS), the history does not show when the leader got
    there: the lag is censored, `lag_days` is NULL, `lag_censored` true, and `lag_days_at_least` is
    only a lower bound (never a 0 that means "unknown"). Otherwise `lag_days` = `lag_days_at_least`.
    """
    series_keys = ["leaderboard", "attribution", "scope"]
    record_starts = (
        frontier.select(*series_keys, "snapshot_date")
        .unique()
        .sort("snapshot_date")
        .with_columns(
            (pl.col("snapshot_date") - pl.col("snapshot_date").shift(1).over(series_keys))
            .dt.total_days()
            .alias("_days")
        )
        .filter(pl.col("_days").is_null() | (pl.col("_days") > HOLE_DAYS))
        .select(*series_keys, pl.col("snapshot_date").alias("first_reached"), pl.lit(True).alias("_opens_record"))
    )
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
    found = (
        targets.sort("target")
        .join_asof(
            history,
            left_on="target",
            right_on="reached",
            by=[*series_keys, "country"],
            strategy="forward",
            check_sortedness=False,  # `history` is sorted by `reached` as a whole, hence within every group
        )
        .join(record_starts, on=[*series_keys, "first_reached"], how="left")
    )
    censored = pl.col("_opens_record").fill_null(False)
    days_since = (pl.col("snapshot_date") - pl.col("first_reached")).dt.total_days()
    found = found.select(
        "_row",
        pl.when(~censored).then(days_since).alias("lag_days"),
        censored.alias("lag_censored"),
        days_since.alias("lag_days_at_least"),
    )
    return gap.with_row_index("_row").join(found, on="_row", how="left").drop("_row")


def with_holes(gap: pl.DataFrame) -> pl.DataFrame:
    """Mark holes in each gap series (leaderboard, mode, scope, pair): `days_since_previous` (NULL on
    its first row) and `after_hole`, true when the previous row is more than HOLE_DAYS earlier."""
    series = ["leaderboard", "attribution", "scope", "pair"]
    return (
        gap.sort("snapshot_date")
        .with_columns(
            (pl.col("snapshot_date") - pl.col("snapshot_date").shift(1).over(series))
            .dt.total_days()
            .alias("days_since_previous")
        )
        .with_columns((pl.col("days_since_previous") > HOLE_DAYS).fill_null(False).alias("after_hole"))
    )


def snapshot_lists(board: pl.DataFrame) -> pl.DataFrame:
    """marts.snapshot_lists: per snapshot, what its list holds (a board without `listed` /
    `list_truncated` columns lists every model it has)."""
    preliminary = pl.col("preliminary") if "preliminary" in board.columns else pl.lit(False)
    return (
        board.group_by(KEYS)
        .agg(
            (pl.col("listed").max() if "listed" in board.columns else pl.len()).cast(pl.Int64).alias("listed"),
            (~preliminary).sum().cast(pl.Int64).alias("ranked"),
            pl.col("score").min().alias("last_listed_score"),
            (pl.col("list_truncated").any() if "list_truncated" in board.columns else pl.lit(False)).alias(
                "list_truncated"
            ),
        )
        .select(*KEYS, "listed", "ranked", "last_listed_score", "list_truncated")
        .sort(KEYS)
    )


def unseen_in_truncated_lists(frontier: pl.DataFrame, lists: pl.DataFrame, countries: list[str]) -> pl.DataFrame:
    """(leaderboard, attribution, scope, snapshot_date, country, below): a country with no model in a
    truncated list; its frontier that day is below `below`, the last listed score."""
    truncated = lists.filter(pl.col("list_truncated")).select(*KEYS, pl.col("last_listed_score").alias("below"))
    series = frontier.select("leaderboard", "attribution", "scope").unique()
    candidates = truncated.join(series, on="leaderboard").join(
        pl.DataFrame({"country": countries}, schema={"country": pl.Utf8}), how="cross"
    )
    seen = frontier.select(*KEYS, "attribution", "scope", "country").unique()
    return candidates.join(seen, on=[*KEYS, "attribution", "scope", "country"], how="anti")


def censored_gaps(frontier: pl.DataFrame, unseen: pl.DataFrame, pairs: list[tuple[str, str]]) -> pl.DataFrame:
    """Pair rows where one country is on a truncated list and the other is not: the listed one leads,
    the other's frontier is below the last listed score (follower_below); the gap is at least the
    difference (gap_at_least), and unknown."""
    keys = [*KEYS, "attribution", "scope"]
    parts = []
    for a, b in pairs:
        for listed, absent in ((a, b), (b, a)):
            rows = frontier.filter(pl.col("country") == listed).join(
                unseen.filter(pl.col("country") == absent).drop("country"), on=keys
            )
            parts.append(
                rows.select(
                    *keys,
                    pl.lit(f"{a}-{b}").alias("pair"),
                    pl.lit(listed).alias("leader"),
                    pl.lit(absent).alias("follower"),
                    pl.col("best_score").alias("leader_score"),
                    pl.lit(None, pl.Float64).alias("follower_score"),
                    pl.col("best_model").alias("leader_model"),
                    pl.lit(None, pl.Utf8).alias("follower_model"),
                    pl.lit(None, pl.Float64).alias("gap"),
                    pl.lit(None, pl.Float64).alias("relative_gap"),
                    pl.lit(True).alias("follower_censored"),
                    pl.col("below").alias("follower_below"),
                    (pl.col("best_score") - pl.col("below")).round(GAP_DECIMALS).alias("gap_at_least"),
                    pl.lit(None, pl.Int64).alias("lag_days"),
                    pl.lit(True).alias("lag_censored"),
                    pl.lit(None, pl.Int64).alias("lag_days_at_least"),
                )
            )
    return pl.concat(parts) if parts else pl.DataFrame()


def censor_unseen_leaders(gap: pl.DataFrame, unseen: pl.DataFrame) -> pl.DataFrame:
    """A lag is censored when, before the day the leader is first seen at the follower's level, it
    was unseen in a truncated list whose bound lies above that level (it may have been there already)."""
    if unseen.is_empty() or gap.is_empty():
        return gap
    series_keys = ["leaderboard", "attribution", "scope"]
    rows = gap.with_row_index("_row")
    first_seen = pl.col("snapshot_date") - pl.duration(days=pl.col("lag_days_at_least"))
    hit = (
        rows.filter(pl.col("lag_days_at_least").is_not_null())
        .select("_row", *series_keys, pl.col("leader").alias("country"), first_seen.alias("_first"), "follower_score")
        .join(unseen.rename({"snapshot_date": "_unseen"}), on=[*series_keys, "country"])
        .filter((pl.col("_unseen") < pl.col("_first")) & (pl.col("below") > pl.col("follower_score")))
        .select("_row")
        .unique()
        .with_columns(pl.lit(True).alias("_unseen_leader"))
    )
    unseen_leader = pl.col("_unseen_leader").fill_null(False)
    return (
        rows.join(hit, on="_row", how="left")
        .with_columns(
            pl.when(unseen_leader).then(None).otherwise(pl.col("lag_days")).alias("lag_days"),
            (pl.col("lag_censored") | unseen_leader).alias("lag_censored"),
        )
        .drop("_row", "_unseen_leader")
    )


def gaps_with_lag(
    frontier: pl.DataFrame, pairs: list[tuple[str, str]], lists: pl.DataFrame | None = None
) -> pl.DataFrame:
    keys = [*KEYS, "attribution", "scope"]
    measured = lag_days(pair_gap(frontier, pairs, keys), frontier).with_columns(
        pl.lit(False).alias("follower_censored"),
        pl.lit(None, pl.Float64).alias("follower_below"),
        pl.col("gap").alias("gap_at_least"),
    )
    if lists is not None and lists["list_truncated"].any():
        unseen = unseen_in_truncated_lists(frontier, lists, sorted({c for pair in pairs for c in pair}))
        measured = censor_unseen_leaders(measured, unseen)
        censored = censored_gaps(frontier, unseen, pairs)
        if not censored.is_empty():
            measured = pl.concat([measured, censored.select(measured.columns)], how="vertical_relaxed")
    return with_holes(measured).sort([*keys, "pair"])


def snapshot_holes(board: pl.DataFrame) -> pl.DataFrame:
    """marts.snapshot_holes: each stretch of more than HOLE_DAYS without a snapshot on a board."""
    dates = board.select("leaderboard", "snapshot_date").unique().sort("snapshot_date")
    return (
        dates.select(
            "leaderboard",
            pl.col("snapshot_date").shift(1).alias("last_snapshot_before"),
            pl.col("snapshot_date").alias("first_snapshot_after"),
        )
        .with_columns(
            (pl.col("first_snapshot_after") - pl.col("last_snapshot_before")).dt.total_days().alias("days_between")
        )
        .filter(pl.col("days_between") > HOLE_DAYS)
        .with_columns(pl.lit(HOLE_DAYS).alias("hole_days_threshold"))
    )


def ranked(board: pl.DataFrame, scopes: list[str], depth: int = max(TOP_N)) -> pl.DataFrame:
    """The top `depth` models of each snapshot and scope, with their rank (ties: alphabetical).

    One numeric pass finds each snapshot's depth-th best score per scope, so only the few rows at or
    above it are sorted.
    """
    lists = [
        pl.col("listed") if "listed" in board.columns else pl.len().over(KEYS).cast(pl.Int64).alias("listed"),
        pl.col("list_truncated") if "list_truncated" in board.columns else pl.lit(False).alias("list_truncated"),
    ]
    rows = board.select(*KEYS, "model_id", "score", *lists, *(SCOPES[s].alias(f"in_{s}") for s in scopes))
    thresholds = rows.group_by(KEYS).agg(
        pl.col("score").filter(pl.col(f"in_{s}")).top_k(depth).min().alias(f"threshold_{s}") for s in scopes
    )
    candidates = rows.join(thresholds, on=KEYS).filter(
        pl.any_horizontal(pl.col(f"in_{s}") & (pl.col("score") >= pl.col(f"threshold_{s}")) for s in scopes)
    )
    parts = [
        candidates.filter(pl.col(f"in_{s}") & (pl.col("score") >= pl.col(f"threshold_{s}")))
        .sort([*KEYS, "score", "model_id"], descending=[False, False, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1).over(KEYS).alias("rank"), pl.lit(s).alias("scope"))
        .filter(pl.col("rank") <= depth)
        for s in scopes
    ]
    return pl.concat(parts).select(*KEYS, "scope", "rank", "model_id", "score", "listed", "list_truncated")


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
            .with_columns(pl.lit(n).alias("top_n"))
        )
    short = pl.col("models_in_top") < pl.col("top_n")
    reason = (
        pl.when(short & pl.col("list_truncated"))
        .then(pl.format("the list shows only the top {} models: its top {} is not known", "listed", "top_n"))
        .when(short)
        .then(pl.format("only {} ranked models in scope: fewer than {}", "models_in_top", "top_n"))
    )
    lists = top.select(*KEYS, "listed", "list_truncated").unique(KEYS)
    return (
        pl.concat(parts)
        .join(lists, on=KEYS, how="left")
        .with_columns(
            pl.when(~short).then(pl.col("models") / pl.col("top_n")).alias("share"), reason.alias("share_null_reason")
        )
        .rename({"mode": "attribution"})
        .select(
            *KEYS, "attribution", "scope", "top_n", "country", "models", "share", "models_in_top", "share_null_reason"
        )  # fmt: skip
        .sort(*KEYS, "attribution", "scope", "top_n", "country")
    )


def benchmark_gap(fine: pl.DataFrame, wide: pl.DataFrame, scopes: list[str], benchmarks: list[str], pairs):
    """The pair gap on each benchmark separately (each country's best on that benchmark)."""
    members = list({country for pair in pairs for country in pair})
    in_a_pair = pl.any_horizontal(pl.col(country_col(m)).is_in(members) for m in MODES)
    rows = fine.filter((pl.col("metric") != "score") & in_a_pair)
    metrics = with_model_names(country_metrics(rows, scopes, (), set(members)), wide)
    parts = []
    for benchmark in benchmarks:
        frontier = metrics.filter(pl.col("metric") == benchmark)
        gap = pair_gap(frontier, pairs, [*KEYS, "attribution", "scope"])
        parts.append(gap.with_columns(pl.lit(benchmark).alias("benchmark")))
    columns = [*KEYS, "attribution", "scope", "benchmark", "pair", "leader", "follower", "leader_score",
               "follower_score", "gap", "relative_gap", "leader_model", "follower_model"]  # fmt: skip
    return pl.concat(parts).select(columns).sort(columns[:6]) if parts else pl.DataFrame()


def size_gap(fine: pl.DataFrame, wide: pl.DataFrame, scopes: list[str], pairs) -> pl.DataFrame:
    """The pair gap within parameter-size buckets: do constrained labs win at small sizes?"""
    sized = fine.filter(pl.col("size_bucket").is_not_null() & (pl.col("metric") == "score"))
    members = {country for pair in pairs for country in pair}
    frontier = with_model_names(country_metrics(sized, scopes, ("size_bucket",), members), wide)
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


def gap_trend(gap: pl.DataFrame, windows: dict[int, int] = TREND_WINDOWS) -> pl.DataFrame:
    """The pair gap now against the snapshot nearest to `window` days earlier, per window (30, 90),
    seen from the first country of the pair; by calendar time, not by snapshot count.

    The compared snapshot is the one nearest to snapshot_date - window_days within
    ±tolerance_days (a tie goes to the earlier one); when none is, compared_with, gap_then and trend
    are NULL. gap_a_minus_b > 0 means the first country of the pair leads. trend compares the size
    of the gap: closing / widening / flat (change within 0.5% of the leader's score), and says when
    the leader changed.
    """
    series = ["leaderboard", "attribution", "scope", "pair"]
    if "follower_censored" in gap.columns:  # a censored gap is unknown: no trend is read from it
        gap = gap.filter(~pl.col("follower_censored"))
    signed = (
        gap.with_columns(
            pl.col("pair").str.split("-").list.first().alias("country_a"),
            pl.col("pair").str.split("-").list.last().alias("country_b"),
        )
        .with_columns(
            pl.when(pl.col("leader") == pl.col("country_a"))
            .then(pl.col("gap"))
            .otherwise(-pl.col("gap"))
            .alias("gap_a_minus_b")
        )
        .sort("snapshot_date")
    )
    then = signed.select(*series, "snapshot_date", "gap_a_minus_b")
    parts = []
    for window, tolerance in windows.items():
        now = signed.with_columns(
            (pl.col("snapshot_date") - pl.duration(days=window)).alias("target_date"),
            pl.lit(window).alias("window_days"),
            pl.lit(tolerance).alias("tolerance_days"),
        ).sort("target_date")
        for side, strategy in (("before", "backward"), ("after", "forward")):
            now = now.join_asof(
                then.rename({"snapshot_date": f"{side}_date", "gap_a_minus_b": f"{side}_gap"}),
                left_on="target_date", right_on=f"{side}_date", by=series, strategy=strategy,
                tolerance=f"{tolerance}d", check_sortedness=False,
            )  # fmt: skip
        # the nearer of the two; a tie goes to the earlier snapshot
        take_after = pl.col("before_date").is_null() | (
            pl.col("after_date").is_not_null()
            & ((pl.col("after_date") - pl.col("target_date")) < (pl.col("target_date") - pl.col("before_date")))
        )
        parts.append(
            now.with_columns(
                pl.when(take_after).then("after_date").otherwise("before_date").alias("compared_with"),
                pl.when(take_after).then("after_gap").otherwise("before_gap").alias("gap_then"),
            )
        )
    compared = pl.concat(parts).with_columns(
        (pl.col("snapshot_date") - pl.col("compared_with")).dt.total_days().alias("days_apart")
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
    result = compared.with_columns(change.alias("abs_gap_change")).with_columns(trend.alias("trend"))
    return result.select(TREND_COLUMNS).sort(
        ["leaderboard", "attribution", "scope", "pair", "window_days", "snapshot_date"]
    )


TREND_COLUMNS = GAP_TREND.column_names


def attribution_coverage(fine: pl.DataFrame, top: pl.DataFrame, attribution: pl.DataFrame) -> pl.DataFrame:
    """Share of models (and of the top 100) with a known country, and with a known organisation.

    For the lineage mode, the top-100 share with a known country is split by how it was found:
    through the model graph (a root, a chain of reported or curated base-model edges; of which
    `top100_curated_share` needed a curated edge) or by an exclusive architecture. NULL in the
    other modes."""
    long = attribution.select("leaderboard", "model_id", "mode", "country", "org_id", "method")
    fine = fine.filter(pl.col("metric") == "score")  # one row per fine group
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
            pl.len().alias("_ranked"),
            pl.col("listed").first(),
            pl.col("list_truncated").first(),
            pl.col("country").is_not_null().mean().alias("top100_share"),
            pl.col("org_id").is_not_null().mean().alias("org_top100_share"),
            *(
                pl.when(pl.col("mode").first() == "lineage")
                .then((pl.col("country").is_not_null() & pl.col("method").is_in(methods)).mean())
                .alias(name)
                for name, methods in LINEAGE_SPLIT.items()
            ),
        )
    )
    # a top 100 of fewer than 100 ranked models is not a top 100: its shares are NULL, with the reason
    short = pl.col("_ranked") < 100
    top100 = top100.with_columns(
        *(pl.when(~short).then(pl.col(c)).alias(c) for c in ("top100_share", "org_top100_share", *LINEAGE_SPLIT)),
        pl.when(short & pl.col("list_truncated"))
        .then(pl.format("the list shows only the top {} models: its top 100 is not known", "listed"))
        .when(short)
        .then(pl.format("only {} ranked models: fewer than 100", "_ranked"))
        .alias("top100_null_reason"),
    )
    columns = [*KEYS, "mode", "models", "rows_share", "top100_share", "org_rows_share", "org_top100_share",
               *LINEAGE_SPLIT, "top100_null_reason"]  # fmt: skip
    return every.join(top100, on=[*KEYS, "mode"], how="left").select(columns).sort(columns[:3])


def unattributed(
    scored: pl.DataFrame, top: pl.DataFrame, attribution: pl.DataFrame, facts: pl.DataFrame
) -> pl.DataFrame:
    """Who a curator should add first: publishers (publisher mode) and architectures (family mode)
    whose country is unknown, ranked by top-100 appearances, then best score."""
    top100 = top.filter((pl.col("scope") == "all") & (pl.col("rank") <= 100)).select(*KEYS, "model_id")
    rows = scored.select(*KEYS, "model_id", "score")
    parts = []
    for mode, key in (("publisher", "publisher"), ("family", "architecture")):
        if facts[key].null_count() == len(facts) and key == "architecture":
            continue
        unknown = (
            attribution.filter((pl.col("mode") == mode) & pl.col("country").is_null())
            .join(facts.select("leaderboard", "model_id", key), on=["leaderboard", "model_id"])
            .select("leaderboard", "model_id", pl.col(key).fill_null("(none)").alias("name"), "org_id", "method")
        )
        model_rows = rows.join(unknown.select("leaderboard", "model_id", "name"), on=["leaderboard", "model_id"])
        appearances = model_rows.join(top100, on=[*KEYS, "model_id"]).group_by("leaderboard", "name").len()
        parts.append(
            model_rows.group_by("leaderboard", "name")
            .agg(
                pl.col("score").max().alias("best_score"),
                _best_model("score").alias("best_model"),
                pl.col("model_id").n_unique().alias("models"),
                pl.col("snapshot_date").n_unique().alias("snapshots"),
                pl.col("snapshot_date").max().alias("last_seen"),
            )
            .join(
                unknown.group_by("leaderboard", "name").agg(
                    pl.col("org_id").drop_nulls().first(), pl.col("method").first().alias("reason")
                ),
                on=["leaderboard", "name"],
            )
            .join(appearances.rename({"len": "top100_appearances"}), on=["leaderboard", "name"], how="left")
            .with_columns(pl.col("top100_appearances").fill_null(0), pl.lit(mode).alias("attribution"))
        )
    result = pl.concat(parts).sort(
        ["leaderboard", "attribution", "top100_appearances", "best_score", "name"],
        descending=[False, False, True, True, False],
    )
    result = result.with_columns(pl.int_range(1, pl.len() + 1).over("leaderboard", "attribution").alias("priority"))
    return result.select(
        "leaderboard", "attribution", "priority", "name", "org_id", "reason", "top100_appearances", "best_score",
        "best_model", "models", "snapshots", "last_seen",
    )  # fmt: skip
