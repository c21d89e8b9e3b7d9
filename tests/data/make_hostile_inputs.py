"""Make the hostile inputs of tests/test_hostile_input.py and scripts/probe_hostile_input.py, each
derived from a real bundled file by one named change.

Run from the project root: `uv run python tests/data/make_hostile_inputs.py`. The outputs are
committed so a reviewer can open them; re-running rewrites them identically.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAILY = ROOT / "data" / "leaderboards" / "arena_daily" / "2026-03-25" / "text.json"
SCRAPED = ROOT / "data" / "leaderboards" / "arena_archive" / "scraped" / "2024-11-05.csv"
AI_INDEX = ROOT / "data" / "funding" / "ai_index_owid" / "2025-04" / "private-investment-in-artificial-intelligence.csv"
OUT = Path(__file__).resolve().parent / "hostile"

# name -> what it is (the probe reads this to say what each input tried)
INPUTS: dict[str, str] = {}


def write(name: str, data: bytes, what: str) -> None:
    OUT.mkdir(exist_ok=True)
    (OUT / name).write_bytes(data)
    INPUTS[name] = what


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def main() -> None:
    feed = json.loads(DAILY.read_text())
    scraped = SCRAPED.read_bytes()
    rows = list(csv.reader(io.StringIO(scraped.decode(), newline="")))
    header = rows[0]
    model = header.index("model")

    # --- the daily JSON feed (arena-daily) ----------------------------------------------------------
    write("daily_meta_string.json", json.dumps({**feed, "meta": "text leaderboard"}).encode(),
          "daily feed whose `meta` is a string")  # fmt: skip
    write("daily_deep_nesting.json", b'{"meta": {}, "models": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
          "daily feed nested 100,000 levels deep")  # fmt: skip
    write("daily_models_not_objects.json", json.dumps({**feed, "models": [m["model"] for m in feed["models"]]}).encode(),
          "daily feed whose models are strings, not objects")  # fmt: skip
    write("daily_model_count_text.json", json.dumps({**feed, "meta": {**feed["meta"], "model_count": "50"}}).encode(),
          'daily feed declaring model_count "50" as text (50 models listed)')  # fmt: skip
    write("daily_model_count_word.json", json.dumps({**feed, "meta": {**feed["meta"], "model_count": "fifty"}}).encode(),
          'daily feed declaring model_count "fifty"')  # fmt: skip
    write("daily_nested_field.json",
          json.dumps({**feed, "models": [{**m, "score": {"value": m["score"]}} for m in feed["models"]]}).encode(),
          "daily feed whose scores are objects")  # fmt: skip
    write("daily_utf16.json", DAILY.read_text().encode("utf-16"), "daily feed saved as UTF-16")

    # --- an Arena table (arena-archive) --------------------------------------------------------------
    write("table_gzip.csv", gzip.compress(scraped, mtime=0), "Arena table gzip-compressed under a .csv name")
    write("table_utf16.csv", scraped.decode().encode("utf-16"), "Arena table saved as UTF-16")
    write("table_nul.csv", scraped[:500] + b"\x00" + scraped[500:], "Arena table with a NUL byte")
    write("table_latin1.csv", scraped.decode().replace("OpenAI", "Société").encode("latin-1"),
          "Arena table saved as Latin-1")  # fmt: skip
    hostile_header = ["<img src=x onerror=alert(1)>" if c == "arena_score" else c for c in header]
    write("table_html_header.csv", csv_bytes([hostile_header, *rows[1:]]),
          "Arena table whose score column is renamed to an HTML tag")  # fmt: skip
    control = [list(r) for r in rows]
    control[3][model] = control[3][model] + "\x1b[2J"
    control[7][model] = "gpt-4o\nQUARANTINED nothing"
    write("table_control_chars.csv", csv_bytes(control), "Arena table with control characters in model names")
    votes = header.index("votes")
    separated = [list(r) for r in rows]
    separated[1][votes] = f"{int(separated[1][votes]):,}"
    write("table_thousands_separator.csv", csv_bytes(separated), "Arena table with votes written 37,712")

    # --- a funding feed (funding-ai-index) ------------------------------------------------------------
    text = AI_INDEX.read_text()
    write("funding_1e308.csv", replace_once(text, "China,CHN,2023,8419883187", "China,CHN,2023,1e308").encode(),
          "AI Index feed with China 2023 = 1e308")  # fmt: skip
    write("funding_unit_slip.csv",
          replace_once(text, "China,CHN,2023,8419883187", "China,CHN,2023,8419883187000000").encode(),
          "AI Index feed with China 2023 a million times too large")  # fmt: skip
    write("funding_comma.csv", replace_once(text, "China,CHN,2023,8419883187", 'China,CHN,2023,"8,419,883,187"').encode(),
          "AI Index feed with a value written 8,419,883,187")  # fmt: skip
    write("funding_decimal_comma.csv", replace_once(text, "China,CHN,2023,8419883187", 'China,CHN,2023,"8,42"').encode(),
          "AI Index feed with a value written with a decimal comma")  # fmt: skip

    (OUT / "INPUTS.json").write_text(json.dumps(INPUTS, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
