"""Errors a transform raises when its input cannot be turned into a normalised frame.

They carry reasons a person can act on; the pipeline quarantines the snapshot with them.
"""

from __future__ import annotations


class SnapshotRejected(Exception):
    """The snapshot's bytes cannot be parsed or normalised; `reasons` say why."""

    def __init__(self, reasons: list[dict] | str):
        if isinstance(reasons, str):
            reasons = [{"check": "parse", "reason": reasons}]
        self.reasons = reasons
        super().__init__("; ".join(r["reason"] for r in reasons))
