"""The Arena US and China frontier at each month's end, June 2024 to February 2025, from the whole
bundled archive, as a careful reader of the files finds it, as the warehouse publishes it, and as the
docs/sources.md states it.

Each expected value was read off the raw file named next to it (data/leaderboards/arena_archive/
scraped/, the last bundled scrape of each month; `line` counts the header as line 1): the best
`arena_score` (`arena_elo` in 2024-06-19) among rows whose `organization` is a US organisation and
among rows whose organisation is Chinese (the lists below). The mart names models by their
model_key: the published name, lower-cased.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import query

ROOT = Path(__file__).resolve().parents[3]
SCRAPED = ROOT / "data" / "leaderboards" / "arena_archive" / "scraped"
README = ROOT / "docs" / "sources.md"  # the month-end table moved here from the README

# month -> (month-end snapshot, {country: (best score, published model name, line)}, China behind)
EXPECTED = {
    "2024-06": (date(2024, 6, 19), {"US": (1287, "GPT-4o-2024-05-13", 2), "CN": (1240, "Yi-Large-preview", 10)}, "182 days"),
    "2024-07": (date(2024, 7, 31), {"US": (1286, "GPT-4o-2024-05-13", 2), "CN": (1240, "Yi-Large-preview", 15)}, "224 days"),
    "2024-08": (date(2024, 8, 30), {"US": (1316, "ChatGPT-4o-latest (2024-08-08)", 2),
                                    "CN": (1240, "Yi-Large-preview", 23)}, "254 days"),
    "2024-09": (date(2024, 9, 28), {"US": (1339, "o1-preview", 2), "CN": (1257, "Qwen2.5-72b-Instruct", 16)},
                "at least 101 days"),
    "2024-10": (date(2024, 10, 29), {"US": (1340, "ChatGPT-4o-latest (2024-09-03)", 2), "CN": (1285, "Yi-Lightning", 9)},
                "at least 132 days"),
    "2024-11": (date(2024, 11, 23), {"US": (1365, "Gemini-Exp-1121", 2), "CN": (1287, "Yi-Lightning", 10)},
                "at least 157 days"),
    "2024-12": (date(2024, 12, 31), {"US": (1373, "Gemini-Exp-1206", 2), "CN": (1315, "DeepSeek-V3", 10)}, "130 days"),
    "2025-01": (date(2025, 1, 29), {"US": (1382, "Gemini-2.0-Flash-Thinking-Exp-01-21", 2),
                                    "CN": (1358, "DeepSeek-R1", 7)}, "69 days"),
    "2025-02": (date(2025, 2, 22), {"US": (1403, "chocolate (Early Grok-3)", 2), "CN": (1362, "DeepSeek-R1", 6)},
                "92 days"),
}  # fmt: skip

# the organisations of the bundled scrapes by country (data/registry: organisations.csv, aliases.csv)
ORGANISATIONS = {
    "US": {"Ai2", "Allen AI", "AllenAI/UW", "Amazon", "Anthropic", "Databricks", "Google", "HuggingFace", "IBM",
           "LMSYS", "Meta", "Microsoft", "MosaicML", "NexusFlow", "Nexusflow", "Nomic AI", "NousResearch", "Nvidia",
           "OpenAI", "Perplexity AI", "Princeton", "Reka AI", "Snowflake", "Stanford", "Together AI", "UC Berkeley",
           "UW", "xAI"},
    "CN": {"01 AI", "Alibaba", "DeepSeek", "DeepSeek AI", "InternLM", "StepFun", "Tencent", "Tsinghua", "Zhipu",
           "Zhipu AI"},
}  # fmt: skip


def best_in_file(path: Path, country: str) -> tuple[int, str, int]:
    """The best score of a country's organisations in one raw scrape: (score, model, line)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    score = "arena_score" if "arena_score" in rows[0] else "arena_elo"
    candidates = [
        (float(r[score]), -line, r["model"])
        for line, r in enumerate(rows, start=2)
        if r["organization"] in ORGANISATIONS[country]
    ]
    best, line, model = max(candidates)
    return int(best), model, -line


@pytest.mark.parametrize("month", sorted(EXPECTED))
def test_the_month_end_snapshot_is_the_last_scrape_of_the_month_and_matches_the_file(month):
    snapshot, expected, _ = EXPECTED[month]
    scrapes = sorted(p for p in SCRAPED.glob(f"{month}-*.csv"))
    assert scrapes[-1].name == f"{snapshot}.csv"
    for country, value in expected.items():
        assert best_in_file(scrapes[-1], country) == value, (month, country)


@pytest.fixture(scope="module")
def published(bundled_run):
    warehouse, _ = bundled_run
    frontier = query(
        warehouse,
        "SELECT snapshot_date, country, best_score, best_model FROM marts.country_frontier "
        "WHERE leaderboard = 'arena-text' AND attribution = 'publisher' AND scope = 'all' AND country IN ('US', 'CN')",
    )
    lags = query(
        warehouse,
        "SELECT snapshot_date, lag_days, lag_censored, lag_days_at_least FROM marts.gap WHERE leaderboard = 'arena-text' "
        "AND attribution = 'publisher' AND scope = 'all' AND pair = 'US-CN'",
    )
    return {(day, country): (score, model) for day, country, score, model in frontier}, {r[0]: r[1:] for r in lags}


@pytest.mark.parametrize("month", sorted(EXPECTED))
def test_the_warehouse_publishes_the_month_end_frontier_of_the_whole_archive(published, month):
    frontier, lags = published
    snapshot, expected, behind = EXPECTED[month]
    month_days = sorted(day for day, country in frontier if day.strftime("%Y-%m") == month)
    assert month_days[-1] == snapshot  # the whole archive is loaded: the month's last scrape is there
    for country, (score, model, _line) in expected.items():
        assert frontier[(snapshot, country)] == (score, model.lower()), (month, country)
    lag, censored, at_least = lags[snapshot]
    assert behind == (f"at least {at_least} days" if censored else f"{lag} days")


def test_the_readme_states_the_month_end_frontier():
    rows = re.findall(
        r"^\| (\d{4}-\d{2}) \| (\d{4}-\d{2}-\d{2}) \| (\d+) \((.+?)\) \| (\d+) \((.+?)\) \| (\d+) \| (.+?) \|$",
        README.read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    stated = {month: (date.fromisoformat(day), int(us), us_model, int(cn), cn_model, int(gap), behind)
              for month, day, us, us_model, cn, cn_model, gap, behind in rows}  # fmt: skip
    assert sorted(stated) == sorted(EXPECTED)
    for month, (snapshot, expected, behind) in EXPECTED.items():
        (us, us_model, _), (cn, cn_model, _) = expected["US"], expected["CN"]
        assert stated[month] == (snapshot, us, us_model, cn, cn_model, us - cn, behind), month
