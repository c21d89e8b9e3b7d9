"""Source adapters, by the name users pass to `aigap run --source NAME=LOCATION` / `--only NAME`."""

from __future__ import annotations

from sources.base import Source


def registry() -> dict[str, Source]:
    """Every source, in the order a full run processes them."""
    from sources.open_llm_v2_archive import OpenLLMv2Archive

    adapters: list[Source] = [OpenLLMv2Archive()]
    return {adapter.name: adapter for adapter in adapters}
