"""Source adapters, by the name users pass to `aigap run --source NAME=LOCATION` / `--only NAME`."""

from __future__ import annotations

from sources.base import Source


def registry() -> dict[str, Source]:
    """Every source, in the order a full run processes them."""
    from sources.arena_archive import ArenaArchive
    from sources.arena_daily import ArenaDaily
    from sources.funding import funding_sources
    from sources.hub_sources import ArenaSpace, OpenLLMv1Hub, OpenLLMv2Hub
    from sources.open_llm_v1_archive import OpenLLMv1Archive
    from sources.open_llm_v2_archive import OpenLLMv2Archive

    adapters: list[Source] = [
        OpenLLMv2Archive(),
        OpenLLMv1Archive(),
        ArenaArchive(),
        ArenaDaily(),
        # Hub sources: online only, not in a plain run (see sources/hub_sources.py).
        OpenLLMv2Hub(),
        OpenLLMv1Hub(),
        ArenaSpace(),
        *funding_sources(),
    ]
    return {adapter.name: adapter for adapter in adapters}
