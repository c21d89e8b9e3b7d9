"""Who publishes each source's data and under which licence: the credit a chart or a quoted number
carries. Declared once here, by source name; the licences are worded as data/README.md records them
(tests/test_charts.py checks that they agree).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Credit:
    data: str  # what the data is and who publishes it
    via: str  # where aigap's copy comes from
    licence: str  # as data/README.md records it

    def line(self) -> str:
        return f"{self.data}, via {self.via} ({self.licence})"


CREDITS = {
    "open-llm-v2-archive": Credit(
        "Hugging Face Open LLM Leaderboard v2",
        "daily scrapes in fboulnois/llm-leaderboard-csv and the leaderboard's API table in pimpale/foo",
        "repo MPL-2.0; the API table copy has no licence file",
    ),
    "open-llm-v1-archive": Credit(
        "Hugging Face Open LLM Leaderboard v1", "scrapes in fboulnois/llm-leaderboard-csv", "repo MPL-2.0"
    ),
    "arena-archive": Credit(
        "LMSYS / LMArena Chatbot Arena text leaderboard",
        "scrapes in fboulnois/llm-leaderboard-csv and the Hugging Face Space lmarena-ai/chatbot-arena-leaderboard",
        "repo MPL-2.0; the Space says apache-2.0",
    ),
    "arena-daily": Credit(
        "Arena AI text leaderboard (arena.ai)", "daily JSON in oolong-tea-2026/arena-ai-leaderboards", "MIT"
    ),
    "open-llm-v2-hub": Credit(
        "Hugging Face Open LLM Leaderboard v2",
        "the Hub dataset open-llm-leaderboard/contents",
        "licence as stated on the dataset's Hub page, not recorded by aigap",
    ),
    "open-llm-v1-hub": Credit(
        "Hugging Face Open LLM Leaderboard v1",
        "the Hub dataset open-llm-leaderboard-old/contents",
        "licence as stated on the dataset's Hub page, not recorded by aigap",
    ),
    "arena-space": Credit(
        "LMSYS / LMArena Chatbot Arena",
        "the Hugging Face Space lmarena-ai/chatbot-arena-leaderboard",
        "the Space says apache-2.0",
    ),
    "funding-ai-index": Credit(
        "Stanford AI Index (Quid) private investment in AI",
        "Our World in Data",
        "OWID CC BY 4.0; upstream AI Index CC BY-ND 4.0",
    ),
    "funding-cset": Credit("CSET estimated private investment in AI", "Our World in Data", "OWID CC BY 4.0"),
    "funding-eto": Credit(
        "ETO Country Activity Tracker (CSET)",
        "an export in kenobijr/global_ai_activity",
        "CC BY 4.0 per OWID, CC BY-NC 4.0 per the host repo",
    ),
    "funding-oecd-vc": Credit(
        "OECD.AI venture capital in AI (Preqin data)",
        "an export in Penglianfeng/AI-Competitiveness-Modeling-ICM2026",
        "OECD.AI; Preqin data, attribute",
    ),
    "funding-published": Credit(
        "figures published in reports (CB Insights, AI Index, OECD, ...)",
        "data/funding/published, one source URL per figure",
        "per source",
    ),
}


def credit_line(source: str) -> str:
    """The credit of a source; a source without one says so instead of passing for uncredited data."""
    credit = CREDITS.get(source)
    return credit.line() if credit else f"{source} (origin and licence not recorded: see data/README.md)"
