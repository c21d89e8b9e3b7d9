"""The batch gate (common/gate.py `screen` + `verdict`) on real files: snapshots validated
together in one GX run; a bad one among them is found, and its reasons are exactly those of a
validation on its own; the good ones are cleared by the batch, not validated one by one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from common import gate
from datasets.arena.archive import ArenaArchive
from datasets.base import GateContext, SnapshotRef
from datasets.open_llm.v2_archive import OpenLLMv2Archive

ROOT = Path(__file__).resolve().parents[1]
V2 = ROOT / "data" / "leaderboards" / "open_llm_v2_archive"
ARENA = ROOT / "data" / "leaderboards" / "arena_archive"
TESTS = Path(__file__).resolve().parent / "data"
TODAY = date(2026, 11, 23)
VALIDATE = gate.validate  # the lone validation, spied on below


def plan_of(source, path: Path, day: date, context: GateContext | None = None):
    ref = SnapshotRef(source.name, path.name, str(path), day)
    return source.gate_plan(source.parse(path.read_bytes(), ref).frame, context or GateContext(today=TODAY))


@pytest.fixture(scope="module")
def v2_plans():
    source = OpenLLMv2Archive()
    return {
        "2024-07-13": plan_of(source, V2 / "scraped" / "2024-07-13.csv", date(2024, 7, 13)),
        "times_100": plan_of(source, TESTS / "bad_snapshots" / "scores_times_100.csv", date(2024, 7, 20)),
        "2024-08-30": plan_of(source, V2 / "scraped" / "2024-08-30.csv", date(2024, 8, 30)),
        "duplicated": plan_of(source, TESTS / "bad_snapshots" / "every_row_duplicated.csv", date(2024, 9, 2)),
        "2024-10-22": plan_of(source, V2 / "display" / "2024-10-22.csv", date(2024, 10, 22)),
    }


def test_a_bad_snapshot_in_a_batch_fails_alone_with_the_reasons_it_has_alone(v2_plans, monkeypatch):
    names = list(v2_plans)
    plans = list(v2_plans.values())
    alone = {name: gate.check(plan) for name, plan in v2_plans.items()}
    lone_runs = []
    monkeypatch.setattr(gate, "validate", lambda *a, **k: lone_runs.append(a[1]) or VALIDATE(*a, **k))

    cleared = gate.screen(plans)
    verdicts = dict(zip(names, (gate.verdict(p, c) for p, c in zip(plans, cleared, strict=True)), strict=True))

    # the good snapshots share model ids across snapshots: uniqueness is judged within each one
    assert [name for name, c in zip(names, cleared, strict=True) if c is not None] == [
        "2024-07-13", "2024-08-30", "2024-10-22"
    ]  # fmt: skip
    assert {name for name, report in verdicts.items() if report.success} == {"2024-07-13", "2024-08-30", "2024-10-22"}
    assert len(lone_runs) == 2  # only the two bad snapshots were validated on their own
    for name in ("times_100", "duplicated"):
        assert not verdicts[name].success
        assert verdicts[name].failures == alone[name].failures
    assert {f["check"] for f in verdicts["duplicated"].failures} == {"expect_compound_columns_to_be_unique"}
    assert any("values outside [0" in f["reason"] for f in verdicts["times_100"].failures)


def test_the_row_count_check_is_each_snapshots_own(v2_plans):
    source = OpenLLMv2Archive()
    path = V2 / "scraped" / "2024-08-30.csv"
    shrunk = plan_of(source, path, date(2024, 8, 30), GateContext(today=TODAY, previous_rows=100_000))
    good = v2_plans["2024-07-13"]
    cleared = gate.screen([good, shrunk])
    assert cleared[0] is not None and cleared[1] is not None  # the batch runs no table-level check
    report = gate.verdict(shrunk, cleared[1])
    assert [f["check"] for f in report.failures] == ["expect_table_row_count_to_be_between"]
    assert report.failures == gate.check(shrunk).failures
    assert gate.verdict(good, cleared[0]).success


def test_a_clearance_for_other_checks_clears_nothing(v2_plans):
    good = v2_plans["2024-07-13"]
    [cleared, _] = gate.screen([good, v2_plans["2024-08-30"]])
    path = V2 / "scraped" / "2024-07-13.csv"
    later = plan_of(OpenLLMv2Archive(), path, date(2024, 7, 13), GateContext(today=date(2024, 7, 1)))
    report = gate.verdict(later, cleared)  # "today" moved: a check the batch did not run
    assert not report.success and report.failures[0]["column"] == "snapshot_date"


def test_arena_tables_with_derived_checks_batch_too():
    source = ArenaArchive()
    plans = [
        plan_of(source, ARENA / "scraped" / "2024-06-19.csv", date(2024, 6, 19)),
        plan_of(source, TESTS / "hostile" / "table_control_chars.csv", date(2024, 11, 5)),
        plan_of(source, TESTS / "bad_arena" / "ranks_misaligned.csv", date(2024, 11, 6)),
        plan_of(source, ARENA / "scraped" / "2024-07-07.csv", date(2024, 7, 7)),
    ]
    cleared = gate.screen(plans)
    verdicts = [gate.verdict(p, c) for p, c in zip(plans, cleared, strict=True)]
    assert [v.success for v in verdicts] == [True, False, False, True]
    assert cleared[0] is not None and cleared[3] is not None
    for plan, report in zip(plans[1:3], verdicts[1:3], strict=True):
        assert report.failures == gate.check(plan).failures
    reasons = {f.get("column"): f["reason"] for f in verdicts[1].failures}
    assert reasons["control_characters_in"] == "model: 2 of 157 rows hold control characters (NUL, newline, tab ...)"
