"""The Artificial Analysis index as a capability source, on the bundled editions (data/capability/):
the edition rule, revisions between editions, the frontier and the lag by release date (checked by
hand from the JSON), the reasoning-setting rule, creator placement, the edition's date, and bad
files quarantined."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import query

from attribution.registry import load_registry
from common.errors import SnapshotRejected
from datasets.artificial_analysis.contract import CAPABILITY_ENTRIES
from datasets.artificial_analysis.marts import CAPABILITY_MART_COLUMNS, capability_marts
from datasets.artificial_analysis.parse import split_setting
from datasets.artificial_analysis.sources import ArtificialAnalysis
from datasets.base import SnapshotRef
from engine.marts import read_inputs
from flows.pipeline import pipeline, run_summary
from marts.build import build_marts

ROOT = Path(__file__).resolve().parents[3]
FOLDER = ROOT / "data" / "capability" / "artificial_analysis"
EDITIONS = sorted(p.name for p in FOLDER.iterdir() if (p / "llms.json").is_file())
II = "artificial_analysis_intelligence_index"
SOURCE = ArtificialAnalysis()
PAIRS = [("US", "CN"), ("US", "FR"), ("CN", "FR"), ("US", "KR"), ("CN", "KR")]


def raw(edition: str) -> dict:
    return json.loads((FOLDER / edition / "llms.json").read_bytes())


def parsed(edition: str) -> pl.DataFrame:
    ref = SnapshotRef(
        SOURCE.name, f"{edition}/llms.json", str(FOLDER / edition / "llms.json"), date.fromisoformat(edition)
    )
    snapshot = SOURCE.parse((FOLDER / edition / "llms.json").read_bytes(), ref)
    return snapshot.frame.with_columns(pl.lit(f"{SOURCE.name}:{edition}").alias("load_id"))


@pytest.fixture(scope="module")
def entries() -> pl.DataFrame:
    return pl.concat([parsed(e) for e in EDITIONS])


@pytest.fixture(scope="module")
def marts(entries) -> dict[str, pl.DataFrame]:
    return capability_marts(entries, load_registry(), PAIRS)


def countries_by_slug() -> dict[str, str]:
    """Creator slug -> country, read from the registry's CSV files as a curator would."""
    registry = ROOT / "data" / "registry"
    country = {r["org_id"]: r["country"] for r in csv.DictReader((registry / "organisations.csv").open())}
    return {
        r["alias"]: country[r["org_id"]]
        for r in csv.DictReader((registry / "aliases.csv").open())
        if r["alias_type"] == "aa_creator" and country[r["org_id"]]
    }


def test_eight_editions_are_bundled_unchanged_and_the_collector_digest_is_not():
    assert EDITIONS == ["2026-06-30", "2026-07-07", "2026-07-14", "2026-07-21", "2026-07-28", "2026-08-04",
                        "2026-08-11", "2026-08-15"]  # fmt: skip
    assert not list(FOLDER.rglob("_summary.json"))
    assert [r.key for r in SOURCE.discover(str(FOLDER))] == [f"{e}/llms.json" for e in EDITIONS]
    for edition in EDITIONS:
        assert raw(edition)["meta"]["snapshot_date"] == edition


def test_the_parser_gives_the_contract_columns_and_the_folder_dates_the_edition():
    frame = parsed("2026-08-15")  # the parser's columns, the edition and (here) a load id
    contract = CAPABILITY_ENTRIES.polars_schema(without=("source", "snapshot_key"))
    assert dict(frame.schema) == {c: contract[c] for c in frame.columns} and set(frame.columns) == set(contract)
    assert len(frame) == len(raw("2026-08-15")["models"]) == 608
    assert frame["snapshot_date"].unique().to_list() == [date(2026, 8, 15)]


def test_a_file_whose_own_date_contradicts_its_folder_is_rejected():
    content = (FOLDER / "2026-08-15" / "llms.json").read_bytes()
    moved = SnapshotRef(SOURCE.name, "2026-08-22/llms.json", "unused", date(2026, 8, 22))
    with pytest.raises(SnapshotRejected, match=r"the folder says 2026-08-22 but the file says 2026-08-15"):
        SOURCE.parse(content, moved)
    undated = SnapshotRef(SOURCE.name, "llms.json", "unused", None)  # no folder date: the file's own
    assert SOURCE.parse(content, undated).snapshot_date == date(2026, 8, 15)


# --- the reasoning-setting rule ----------------------------------------------------------------------


def test_a_model_counts_once_with_its_best_setting(marts):
    assert split_setting("GPT-5.6 Sol (max)") == ("GPT-5.6 Sol", "max")
    assert split_setting("Claude Opus 5 (Adaptive Reasoning, Max Effort)") == (
        "Claude Opus 5",
        "Adaptive Reasoning, Max Effort",
    )
    assert split_setting("Gemini 2.5 Flash Preview (Sep '25) (Reasoning)") == (
        "Gemini 2.5 Flash Preview (Sep '25)",
        "Reasoning",
    )
    assert split_setting("Motif 3 (Beta)") == ("Motif 3 (Beta)", None)  # not a setting: another model
    listed = [m for m in raw("2026-08-15")["models"] if m["name"].startswith("GPT-5.6 Sol")]
    best = max(listed, key=lambda m: m["evaluations"][II])
    models = marts["marts.capability_models"].filter(
        (pl.col("edition") == date(2026, 8, 15)) & (pl.col("index_name") == "intelligence_index")
        & pl.col("model").str.starts_with("GPT-5.6 Sol")
    )  # fmt: skip
    assert len(listed) == 6 and len(models) == 1  # max, xhigh, high, medium, low, non-reasoning
    row = models.row(0, named=True)
    assert (row["model"], row["value"], row["settings"]) == (best["name"], best["evaluations"][II], 6)
    # settings released on different dates are two releases
    lite = marts["marts.capability_models"].filter(
        (pl.col("edition") == date(2026, 8, 15)) & (pl.col("index_name") == "intelligence_index")
        & (pl.col("model_key") == "google/gemini 2.5 flash-lite preview (sep '25)")
    )  # fmt: skip
    assert sorted(lite["release_date"].to_list()) == [date(2025, 9, 8), date(2025, 9, 25)]


def test_the_rule_changes_counts_not_the_frontier(marts):
    """With every setting an entry of its own, each country's best value on each release date is the
    same; only the number of models differs."""
    slugs = countries_by_slug()
    models = raw("2026-08-15")["models"]
    us = [m for m in models if slugs.get(m["creator_slug"]) == "US" and m["evaluations"][II] is not None]
    frontier = marts["marts.capability_frontier"].filter(
        (pl.col("edition") == date(2026, 8, 15)) & (pl.col("index_name") == "intelligence_index")
        & (pl.col("country") == "US")
    )  # fmt: skip
    for step in frontier.iter_rows(named=True):
        on = step["as_of"].isoformat()
        assert step["best_value"] == max(m["evaluations"][II] for m in us if m["release_date"] <= on)
    assert frontier["models_released"].max() < len(us)  # 217 models, more settings listed


# --- the frontier and the lag by release date, by hand -------------------------------------------------


def test_the_latest_us_china_gap_and_lag_checked_by_hand(marts):
    slugs = countries_by_slug()
    models = [m for m in raw("2026-08-15")["models"] if m["evaluations"][II] is not None and m["release_date"]]
    cn_best = max((m for m in models if slugs.get(m["creator_slug"]) == "CN"), key=lambda m: m["evaluations"][II])
    us_best = max((m for m in models if slugs.get(m["creator_slug"]) == "US"), key=lambda m: m["evaluations"][II])
    level = cn_best["evaluations"][II]
    # the first US model released at or above China's current best level
    us_first = min(
        (m for m in models if slugs.get(m["creator_slug"]) == "US" and m["evaluations"][II] >= level),
        key=lambda m: m["release_date"],
    )
    lag = (date.fromisoformat(cn_best["release_date"]) - date.fromisoformat(us_first["release_date"])).days
    assert (cn_best["name"], level, us_first["name"], lag) == (
        "Kimi K3 (max)", 59.7, "Claude Fable 5 (Adaptive Reasoning, Max Effort, Opus 4.8 Fallback)", 37
    )  # fmt: skip

    latest = marts["marts.capability_gap"].filter(
        (pl.col("edition") == date(2026, 8, 15)) & (pl.col("index_name") == "intelligence_index")
        & (pl.col("pair") == "US-CN") & pl.col("latest")
    ).row(0, named=True)  # fmt: skip
    assert latest["leader"] == "US" and latest["follower"] == "CN"
    assert latest["leader_value"] == us_best["evaluations"][II] and latest["follower_value"] == level
    assert latest["gap"] == pytest.approx(us_best["evaluations"][II] - level)
    assert latest["leader_reached_on"].isoformat() == us_first["release_date"]
    assert latest["follower_reached_on"].isoformat() == cn_best["release_date"]
    assert (latest["lag_days"], latest["lag_censored"]) == (lag, False)


def test_the_gap_follows_release_dates_within_the_edition(marts):
    """On a date before Kimi K3's release, China's frontier is what it had released by then."""
    gap = marts["marts.capability_gap"].filter(
        (pl.col("edition") == date(2026, 8, 15)) & (pl.col("index_name") == "intelligence_index")
        & (pl.col("pair") == "US-CN")
    )  # fmt: skip
    before = gap.filter(pl.col("as_of") < date(2026, 7, 16)).sort("as_of").tail(1).row(0, named=True)
    slugs = countries_by_slug()
    cn = [m for m in raw("2026-08-15")["models"] if slugs.get(m["creator_slug"]) == "CN" and m["evaluations"][II]]
    on = before["as_of"].isoformat()
    assert before["follower_value"] == max(m["evaluations"][II] for m in cn if m["release_date"] <= on)
    assert gap["as_of"].is_sorted() and gap["as_of"].n_unique() == len(gap)


def test_a_lag_whose_leader_record_starts_above_the_level_is_censored(marts):
    gap = marts["marts.capability_gap"]
    frontier = marts["marts.capability_frontier"]
    censored = gap.filter(pl.col("lag_censored"))
    assert len(censored) and censored["lag_days"].null_count() == len(censored)
    first = frontier.group_by("edition", "index_name", "country").agg(pl.col("as_of").min().alias("first"))
    joined = censored.join(
        first, left_on=["edition", "index_name", "leader"], right_on=["edition", "index_name", "country"]
    )
    assert (joined["leader_reached_on"] == joined["first"]).all()
    # a lower bound on the true lag, from the leader's first listed model (negative where even that came
    # after the follower's: the edition cannot say whether the leader was there first)
    difference = (censored["follower_reached_on"] - censored["leader_reached_on"]).dt.total_days()
    assert (censored["lag_days_at_least"] == difference).all()
    uncensored = gap.filter(~pl.col("lag_censored"))
    assert (uncensored["lag_days"] == uncensored["lag_days_at_least"]).all()


# --- editions and revisions ----------------------------------------------------------------------------


def test_two_editions_are_never_one_series(entries, marts):
    """Each edition's marts are its own: publishing the newest edition leaves every row of the older
    ones unchanged, and each row carries its own edition's values (which differ between editions)."""
    older = capability_marts(entries.filter(pl.col("snapshot_date") < date(2026, 8, 15)), load_registry(), PAIRS)
    for table in ("marts.capability_frontier", "marts.capability_gap", "marts.capability_models"):
        now = marts[table].filter(pl.col("edition") < date(2026, 8, 15))
        assert now.sort(now.columns).equals(older[table].sort(now.columns)), table
    # one model, two editions, two values: each edition's rows hold its own
    uid = next(m["id"] for m in raw("2026-06-30")["models"] if m["name"] == "gpt-oss-120b (high)")
    values = {
        e: next(m["evaluations"][II] for m in raw(e)["models"] if m["id"] == uid) for e in ("2026-06-30", "2026-08-15")
    }
    assert values["2026-06-30"] != values["2026-08-15"]
    models = marts["marts.capability_models"].filter(
        (pl.col("model_uid") == uid) & (pl.col("index_name") == "intelligence_index")
    )
    for edition, value in values.items():
        row = models.filter(pl.col("edition") == date.fromisoformat(edition)).row(0, named=True)
        assert (row["value"], row["load_id"]) == (value, f"artificial-analysis:{edition}")
    # no frontier or gap row mixes editions: every value is one its own edition gives its model
    listed = entries.select(pl.col("snapshot_date").alias("edition"), pl.col("model").alias("best_model"),
                            pl.col("intelligence_index").alias("best_value"))  # fmt: skip
    frontier = marts["marts.capability_frontier"].filter(pl.col("index_name") == "intelligence_index")
    assert len(frontier.join(listed, on=["edition", "best_model", "best_value"], how="anti")) == 0


def test_revisions_between_editions_are_reported(marts):
    old, new = raw("2026-08-04")["models"], raw("2026-08-11")["models"]
    before = {m["id"]: m["evaluations"][II] for m in old if m["evaluations"][II] is not None}
    after = {m["id"]: m["evaluations"][II] for m in new if m["evaluations"][II] is not None}
    changed = {uid for uid in before.keys() & after.keys() if before[uid] != after[uid]}
    revisions = marts["marts.capability_revisions"].filter(
        (pl.col("index_name") == "intelligence_index") & (pl.col("new_edition") == date(2026, 8, 11))
    )
    assert set(revisions["model_uid"]) == changed and len(changed) > len(before) // 2  # a recomputed index
    kimi = next(m for m in new if m["name"] == "Kimi K2.6")
    row = revisions.filter(pl.col("model_uid") == kimi["id"]).row(0, named=True)
    assert (row["old_edition"], row["old_value"], row["new_value"]) == (
        date(2026, 8, 4),
        before[kimi["id"]],
        after[kimi["id"]],
    )
    assert (row["old_load_id"], row["new_load_id"]) == (
        "artificial-analysis:2026-08-04",
        "artificial-analysis:2026-08-11",
    )
    editions = marts["marts.capability_editions"].filter(pl.col("edition") == date(2026, 8, 11)).row(0, named=True)
    assert editions["intelligence_revised"] == len(changed)
    assert editions["intelligence_compared"] == len(before.keys() & after.keys())
    # the figure, first edition against the last: 492 of 544 models changed value
    first = {m["id"]: m["evaluations"][II] for m in raw("2026-06-30")["models"]}
    last = {m["id"]: m["evaluations"][II] for m in raw("2026-08-15")["models"]}
    assert (sum(first[u] != last[u] for u in first if u in last), len(first)) == (492, 544)


# --- creators in the registry --------------------------------------------------------------------------


def test_every_creator_is_placed_or_ranked_unattributed_with_a_reason(entries, marts):
    registry = load_registry()
    aliases = registry.alias_table("aa_creator")
    slugs = set(entries["creator_slug"].str.to_lowercase())
    assert slugs <= set(aliases["alias_key"]), sorted(slugs - set(aliases["alias_key"]))
    country = dict(aliases.select("alias_key", "country").iter_rows())
    expected = {"kimi": "CN", "zai": "CN", "xai": "US", "longcat": "CN", "inclusionai": "CN", "bytedance_seed": "CN",
                "minimax": "CN", "xiaomi": "CN", "stepfun": "CN", "alibaba": "CN", "lg": "KR", "korea-telecom": "KR",
                "motif-technologies": "KR", "trillionlabs": "KR", "upstage": "KR", "sarvam": "IN",
                "swiss-ai-initiative": "CH", "mbzuai": "AE", "thinking-machines": "US", "mistral": "FR"}  # fmt: skip
    assert {slug: country[slug] for slug in expected} == expected
    # xAI renamed SpaceXAI between editions: one slug, one organisation
    xai = entries.filter(pl.col("creator_slug") == "xai")["creator_name"].unique().sort().to_list()
    assert xai == ["SpaceXAI", "xAI"]
    unplaced = {slug for slug in slugs if country[slug] is None}
    curation = marts["marts.unattributed"]
    assert set(curation["name"]) == set(entries.filter(pl.col("creator_slug").is_in(list(unplaced)))["creator_name"])
    assert curation["reason"].str.contains("not established").all()
    assert curation["priority"].to_list() == list(range(1, len(curation) + 1))
    assert curation["top100_appearances"].is_sorted(descending=True)


# --- the source in the pipeline ------------------------------------------------------------------------


def stored_marts_are_a_full_build(warehouse: Path) -> None:
    built = build_marts(read_inputs(warehouse))
    for table in [*CAPABILITY_MART_COLUMNS, "marts.unattributed"]:
        columns = list(built[table].columns)
        stored = pl.DataFrame(
            query(warehouse, f"SELECT {', '.join(columns)} FROM {table}"),
            schema=dict(built[table].schema),
            orient="row",
        )
        assert len(built[table]) > 0, table
        assert stored.sort(columns, nulls_last=True).equals(built[table].sort(columns, nulls_last=True)), table


@pytest.fixture(scope="module")
def loaded(prefect_harness, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("aa") / "aigap.duckdb"
    state = pipeline(warehouse=str(warehouse), only=["artificial-analysis"], return_state=True)
    return warehouse, state


def test_the_default_source_publishes_every_edition_and_the_marts(loaded):
    warehouse, state = loaded
    assert state.result().counts()["artificial-analysis"] == {"published": 8, "skipped": 0, "quarantined": 0}
    rows = query(warehouse, "SELECT snapshot_date, count(*) FROM core.capability_entries GROUP BY 1 ORDER BY 1")
    assert [(d.isoformat(), n) for d, n in rows] == [(e, len(raw(e)["models"])) for e in EDITIONS]
    # the stored marts (and this source's curation rows) are what a full build from the published rows gives
    stored_marts_are_a_full_build(warehouse)
    curated = query(warehouse, "SELECT count(*) FROM marts.unattributed WHERE leaderboard = 'artificial-analysis'")
    assert curated[0][0] > 0


def test_a_new_edition_refreshes_the_marts_to_what_a_full_build_gives(prefect_harness, tmp_path):
    """Seven editions, then the eighth: the incremental refresh recomputes the capability marts
    (and this source's curation rows) and leaves them as a full build from the published rows."""
    earlier = tmp_path / "earlier"
    for edition in EDITIONS[:-1]:
        shutil.copytree(FOLDER / edition, earlier / edition)
    warehouse = tmp_path / "aigap.duckdb"
    run = {"warehouse": str(warehouse), "only": ["artificial-analysis"], "return_state": True}
    first = pipeline(locations={"artificial-analysis": str(earlier)}, **run)
    assert first.result().counts()["artificial-analysis"] == {"published": 7, "skipped": 0, "quarantined": 0}
    second = pipeline(**run)
    assert second.result().counts()["artificial-analysis"] == {"published": 1, "skipped": 7, "quarantined": 0}
    assert second.result().marts.mode == "incremental"
    assert query(warehouse, "SELECT max(edition) FROM marts.capability_gap")[0][0] == date(2026, 8, 15)
    stored_marts_are_a_full_build(warehouse)


def bad_copies(folder: Path) -> dict[str, str]:
    """Real bytes of the 2026-08-15 edition made bad, each under a later date's folder."""
    good = (FOLDER / "2026-08-15" / "llms.json").read_bytes()
    document = json.loads(good)

    def edited(day: str, change) -> str:
        copy = json.loads(good)
        copy["meta"]["snapshot_date"] = day  # dated consistently, so that only the change is wrong
        copy["meta"]["fetched_at"] = f"{day}T02:13:16+00:00"
        change(copy)
        return json.dumps(copy)

    def rename(doc):
        for m in doc["models"]:
            m["released"] = m.pop("release_date")

    def out_of_range(doc):
        doc["models"][0]["evaluations"][II] = 630.0  # a value scaled by ten

    files = {
        "2026-08-16": good[: len(good) // 2].decode("utf-8", "ignore"),  # cut short
        "2026-08-17": edited("2026-08-17", rename),
        "2026-08-18": edited("2026-08-18", out_of_range),
    }
    for day, text in files.items():
        (folder / day).mkdir(parents=True)
        (folder / day / "llms.json").write_text(text)
    assert document["models"][0]["evaluations"][II] != 630.0
    return files


def test_bad_files_are_quarantined_with_reasons_and_publish_nothing(loaded, tmp_path):
    warehouse = tmp_path / "aigap.duckdb"
    shutil.copytree(loaded[0].parent, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.lock", "staging"))
    folder = tmp_path / "bad"
    bad_copies(folder)
    state = pipeline(warehouse=str(warehouse), locations={"artificial-analysis": str(folder)}, only=["artificial-analysis"],
                     return_state=True)  # fmt: skip
    summary = run_summary(state)
    assert summary.counts()["artificial-analysis"] == {"published": 0, "skipped": 0, "quarantined": 3}
    reasons = {o.snapshot_key: " | ".join(o.reasons) for o in summary.quarantined}
    assert "not valid JSON (cut short" in reasons["2026-08-16/llms.json"]
    assert "models lack field(s) ['release_date'] (renamed?)" in reasons["2026-08-17/llms.json"]
    assert "intelligence_index: 1 of 608 values outside [0.0, 100.0]" in reasons["2026-08-18/llms.json"]
    assert query(warehouse, "SELECT max(snapshot_date) FROM core.capability_entries")[0][0] == date(2026, 8, 15)
    assert query(warehouse, "SELECT max(edition) FROM marts.capability_gap")[0][0] == date(2026, 8, 15)
