"""The Arena US and China frontier, month by month from June 2024 to February 2025, as a careful
reader of the bundled files finds it.

Each expected value was read off the raw file named next to it (data/leaderboards/arena_archive/,
the first bundled snapshot of each month; `line` counts the header as line 1): the best
`arena_score` (`arena_elo` in 2024-06-19) among rows whose `organization` is a US company
(OpenAI, Google, Anthropic, Meta, xAI ...) and among rows whose organisation is Chinese (01 AI,
Alibaba, DeepSeek, Zhipu ...). The mart names models by their model_key: the published name,
lower-cased.
"""

from __future__ import annotations

from datetime import date

import pytest
from conftest import query

# snapshot -> {country: (best score, published model name, where it is)}
EXPECTED = {
    date(2024, 6, 19): {"US": (1287, "GPT-4o-2024-05-13", "scraped/2024-06-19.csv line 2"),
                        "CN": (1240, "Yi-Large-preview", "scraped/2024-06-19.csv line 10")},
    date(2024, 7, 7): {"US": (1287, "GPT-4o-2024-05-13", "scraped/2024-07-07.csv line 2"),
                       "CN": (1240, "Yi-Large-preview", "scraped/2024-07-07.csv line 11")},
    date(2024, 8, 1): {"US": (1286, "GPT-4o-2024-05-13", "scraped/2024-08-01.csv line 2"),
                       "CN": (1240, "Yi-Large-preview", "scraped/2024-08-01.csv line 15")},
    date(2024, 9, 6): {"US": (1316, "ChatGPT-4o-latest (2024-08-08)", "scraped/2024-09-06.csv line 2"),
                       "CN": (1240, "Yi-Large-preview", "scraped/2024-09-06.csv line 23")},
    date(2024, 10, 8): {"US": (1338, "ChatGPT-4o-latest (2024-09-03)", "scraped/2024-10-08.csv line 2"),
                        "CN": (1257, "Qwen2.5-72b-Instruct", "scraped/2024-10-08.csv line 19")},
    date(2024, 11, 5): {"US": (1340, "ChatGPT-4o-latest (2024-09-03)", "scraped/2024-11-05.csv line 2"),
                        "CN": (1287, "Yi-Lightning", "scraped/2024-11-05.csv line 8")},
    date(2024, 12, 3): {"US": (1366, "ChatGPT-4o-latest (2024-11-20)", "scraped/2024-12-03.csv line 2"),
                        "CN": (1287, "Yi-Lightning", "scraped/2024-12-03.csv line 10")},
    date(2025, 1, 7): {"US": (1374, "Gemini-Exp-1206", "scraped/2025-01-07.csv line 2"),
                       "CN": (1319, "DeepSeek-V3", "scraped/2025-01-07.csv line 10")},
    date(2025, 2, 4): {"US": (1384, "Gemini-2.0-Flash-Thinking-Exp-01-21", "scraped/2025-02-04.csv line 2"),
                       "CN": (1361, "DeepSeek-R1", "scraped/2025-02-04.csv line 7")},
}  # fmt: skip


@pytest.fixture(scope="module")
def frontier(bundled_run):
    warehouse, _ = bundled_run
    rows = query(
        warehouse,
        "SELECT snapshot_date, country, best_score, best_model FROM marts.country_frontier "
        "WHERE leaderboard = 'arena-text' AND attribution = 'publisher' AND scope = 'all' AND country IN ('US', 'CN')",
    )
    return {(day, country): (score, model) for day, country, score, model in rows}


@pytest.mark.parametrize("snapshot", sorted(EXPECTED), ids=str)
def test_arena_frontier_matches_the_files(frontier, snapshot):
    for country, (score, model, _where) in EXPECTED[snapshot].items():
        assert frontier[(snapshot, country)] == (score, model.lower()), (snapshot, country)


def test_every_month_from_june_2024_to_february_2025_is_covered(frontier):
    months = {(d.year, d.month) for d, c in frontier if c == "US" and date(2024, 6, 1) <= d < date(2025, 3, 1)}
    assert months == {(2024, m) for m in range(6, 13)} | {(2025, 1), (2025, 2)}
