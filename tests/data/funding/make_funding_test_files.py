"""Make the funding test files, each derived from a real bundled file by one named change.

Run from the project root: `uv run python tests/data/funding/make_funding_test_files.py`. The
outputs are committed so a reviewer can open them; re-running rewrites them identically.
(cb_insights_2023_split_inconsistent.csv is not derived: it holds the four figures of a widely
quoted 2023 split, in the published-figures format; see data/README.md.)
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
AI_INDEX = ROOT / "data" / "funding" / "ai_index_owid" / "2025-04" / "private-investment-in-artificial-intelligence.csv"
OECD = ROOT / "data" / "funding" / "oecd_ai_vc_preqin" / "2026-01" / "vc_in_ai_all_industries_usd_m.csv"
OUT = Path(__file__).resolve().parent
NAME = AI_INDEX.name


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def write(relative: str, text: str) -> None:
    path = OUT / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())


def main() -> None:
    text = AI_INDEX.read_bytes().decode()

    # A newer edition next to the old one: 2023 revised up for the US (+10 %) and China (+12 %),
    # the way a new AI Index edition revises the previous year; every other figure unchanged.
    revised = replace_once(text, "United States,USA,2023,64353633104", "United States,USA,2023,70788996414")
    revised = replace_once(revised, "China,CHN,2023,8419883187", "China,CHN,2023,9430269169")
    write(f"newer_edition/2026-04/{NAME}", revised)

    # A region name the crosswalk does not know.
    write(f"unknown_region/2025-04/{NAME}", text.replace("China,CHN,", "Greater China,CHN,"))

    # A region name that disagrees with its code (rows shifted against their codes).
    write(f"code_mismatch/2025-04/{NAME}", text.replace("Europe,,2013,", "Europe,CHN,2013,"))

    # A negative amount (a sign lost in an upstream edit).
    write(
        f"negative_value/2025-04/{NAME}",
        replace_once(text, "China,CHN,2022,13951917633", "China,CHN,2022,-13951917633"),
    )

    # A year in the future (and after the edition reporting it).
    write(f"future_year/2025-04/{NAME}", replace_once(text, "World,OWID_WRL,2024,", "World,OWID_WRL,2031,"))

    # The same figure twice.
    line = "United States,USA,2019,33994612650\n"
    write(f"duplicate_row/2025-04/{NAME}", replace_once(text, line, line + line))

    # The indicator column renamed upstream.
    write(
        f"renamed_column/2025-04/{NAME}",
        replace_once(text, "Global total private investment in AI", "Total private investment in AI"),
    )

    # An HTML error page saved in place of the feed (the leaderboard tests' real one).
    html = (ROOT / "tests" / "data" / "bad_snapshots" / "html_error_page.csv").read_bytes().decode()
    write(f"html_page/2025-04/{NAME}", html)

    # An OECD.AI export saved under a name that does not say which series it is.
    oecd = OECD.read_bytes().decode()
    write("oecd_unnamed/2026-01/export.csv", oecd)


if __name__ == "__main__":
    main()
