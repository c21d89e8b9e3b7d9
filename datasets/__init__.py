"""Source adapters, by the name users pass to `aigap run --source NAME=LOCATION` / `--only NAME`."""

from __future__ import annotations

from datasets.base import Source


def registry() -> dict[str, Source]:
    """Every source, in the order a full run processes them."""
    from datasets.arena.archive import ArenaArchive
    from datasets.arena.daily import ArenaDaily
    from datasets.arena.space import ArenaSpace
    from datasets.funding.sources import funding_sources
    from datasets.open_llm.hub import OpenLLMv1Hub, OpenLLMv2Hub
    from datasets.open_llm.v1_archive import OpenLLMv1Archive
    from datasets.open_llm.v2_archive import OpenLLMv2Archive

    adapters: list[Source] = [
        OpenLLMv2Archive(),
        OpenLLMv1Archive(),
        ArenaArchive(),
        ArenaDaily(),
        # Hub sources: online only, not in a plain run (see datasets/open_llm/hub.py).
        OpenLLMv2Hub(),
        OpenLLMv1Hub(),
        ArenaSpace(),
        *funding_sources(),
    ]
    return {adapter.name: adapter for adapter in adapters}
