"""How aigap words a number a person may quote: country names, time lags, coverage. One place, used
by the CLI summary, the report's sentences and tables, and the charts, so that "days behind" and
"at least N days" mean the same thing wherever they are printed. Pure, no heavy imports (the CLI
imports it after every run).
"""

from __future__ import annotations

from typing import Literal

COUNTRY_NAMES = {"US": "US", "CN": "China", "FR": "France", "GB": "UK", "KR": "South Korea", "DE": "Germany"}

# What "at least N days" means, said once next to wherever a censored lag is printed.
AT_LEAST = "at least N days"
AT_LEAST_MEANS = (
    "the leader's recorded history, which starts at the board's first snapshot or at the first one after a "
    "hole, does not reach back to when it got there; the true lag is N days or more"
)


def country_name(code: str) -> str:
    """ "China" for CN; a code with no declared name stays the code."""
    return COUNTRY_NAMES.get(code, code)


def in_prose(code: str) -> str:
    """A country inside a sentence: "the US", "China"."""
    name = country_name(code)
    return f"the {name}" if name in ("US", "UK") else name


def lag_amount(lag_days: int | None, censored: bool | None, at_least_days: int | None) -> str | None:
    """ "306 days", "at least 18 days" (censored: a lower bound), or None when nothing is known.

    marts.gap: `lag_days` is NULL when `lag_censored`; `lag_days_at_least` is then the lower bound."""
    if censored:
        return None if at_least_days is None else f"at least {at_least_days} days"
    if lag_days is None:
        return None
    return f"{lag_days} day{'s' if lag_days != 1 else ''}"


def lag_phrase(
    follower: str,
    lag_days: int | None,
    censored: bool | None,
    at_least_days: int | None,
    *,
    form: Literal["line", "cell", "prose"] = "line",
) -> str:
    """How far behind the follower is, in one of three forms of the same words:
    - "line" (CLI, tooltips): "CN 306 days behind", "CN at least 18 days behind", "CN: lag unknown";
    - "cell" (a table column headed "behind"): "CN 306 days", "CN at least 18 days", "CN unknown";
    - "prose" (sentences): "China is 306 days behind", "China is at least 18 days behind", "how many
      days China is behind is unknown".
    Never a 0 meaning unknown."""
    amount = lag_amount(lag_days, censored, at_least_days)
    if form == "prose":
        who = in_prose(follower)
        return f"{who} is {amount} behind" if amount else f"how many days {who} is behind is unknown"
    if form == "cell":
        return f"{follower} {amount or 'unknown'}"
    return f"{follower} {amount} behind" if amount else f"{follower}: lag unknown"


def coverage_phrase(top100_share: float) -> str:
    """ "country known for 16% of the top 100" (marts.attribution_coverage.top100_share)."""
    return f"country known for {top100_share:.0%} of the top 100"
