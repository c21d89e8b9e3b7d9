"""Source adapters, by the name users pass to `aigap run --source NAME=LOCATION` / `--only NAME`."""

from __future__ import annotations

from sources.base import Source


def registry() -> dict[str, Source]:
    """Every source, in the order a full run processes them."""
    from sources.funding import funding_sources
    from sources.open_llm_v2_archive import OpenLLMv2Archive

    adapters: list[Source] = [OpenLLMv2Archive(), *funding_sources()]
    return {adapter.name: adapter for adapter in adapters}
