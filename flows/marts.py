"""Recompute every mart from what is published, gate each one, and replace them together.

A failing mart gate leaves every mart at its last good state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from expectations.marts import validate_mart
from transforms.marts import CORE_TABLES, MartInputs, build_marts
from transforms.registry import load_registry
from warehouse import store


@dataclass(frozen=True)
class MartsOutcome:
    published: bool
    rows: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


def read_inputs(warehouse: Path) -> MartInputs:
    with store.connect(warehouse, read_only=True) as con:
        # ordered, so that every tie-break downstream sees the same input on every run
        core = {table: store.read_table(con, f"SELECT * FROM {table} ORDER BY ALL") for table in CORE_TABLES}
    return MartInputs(core=core, registry=load_registry())


def refresh_marts(warehouse: Path) -> MartsOutcome:
    marts = build_marts(read_inputs(warehouse))
    reports = {table: validate_mart(table, frame) for table, frame in marts.items()}
    failed = [r for r in reports.values() if not r.success]
    if failed:
        return MartsOutcome(False, reasons=[r.summary() for r in failed])
    with store.connect(warehouse) as con:
        rows = store.replace_tables(con, marts)
    return MartsOutcome(True, rows)
