"""prefect.yaml on its own: every entrypoint imports, every schedule is valid, every parameter
matches its flow's signature, and nothing in it depends on where the repository lives."""

from __future__ import annotations

import inspect
import re
import zoneinfo
from pathlib import Path

import pytest
import yaml
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import load_flow_from_entrypoint

from datasets import registry
from flows.orchestration import WORK_POOL

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "prefect.yaml").read_text())
DEPLOYMENTS = {d["name"]: d for d in CONFIG["deployments"]}
KINDS = {"leaderboard", "funding"}


def _strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def _flow(deployment):
    path, _, function = deployment["entrypoint"].partition(":")
    assert not Path(path).is_absolute() and (ROOT / path).is_file(), deployment["entrypoint"]
    return load_flow_from_entrypoint(f"{ROOT / path}:{function}")


def test_the_four_deployments_exist_on_the_aigap_process_pool():
    assert set(DEPLOYMENTS) == {"daily-leaderboards", "monthly-funding", "backfill", "rebuild-marts"}
    for deployment in DEPLOYMENTS.values():
        assert deployment["work_pool"]["name"] == WORK_POOL
        assert "aigap" in deployment["tags"]
        assert deployment.get("description")


def test_no_absolute_or_home_relative_path_anywhere():
    offending = [s for s in _strings(CONFIG) if s.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", s)]
    assert offending == []
    assert "pull" not in CONFIG  # `prefect deploy` records the folder it runs in (see the file's header)


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_entrypoint_imports_and_parameters_match_the_flow(name):
    deployment = DEPLOYMENTS[name]
    flow = _flow(deployment)
    parameters = deployment["parameters"]
    assert parameters, "every deployment states its parameters with their defaults"
    signature = inspect.signature(flow.fn).parameters
    assert set(parameters) <= set(signature), set(parameters) - set(signature)
    flow.validate_parameters(parameters)  # types too (raises ParameterTypeError)


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_schedules_are_valid_crons_with_an_explicit_timezone(name):
    for schedule in DEPLOYMENTS[name]["schedules"]:
        assert schedule["timezone"] in zoneinfo.available_timezones()
        CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # raises on a bad cron or zone
        assert schedule.get("active", True)


def test_scheduled_deployments_select_sources_by_kind_never_by_name():
    expected = {"daily-leaderboards": (["leaderboard"], "30 5 * * *"), "monthly-funding": (["funding"], "0 6 3 * *")}
    for name, (kinds, cron) in expected.items():
        deployment = DEPLOYMENTS[name]
        assert deployment["parameters"]["kinds"] == kinds and "only" not in deployment["parameters"]
        assert [s["cron"] for s in deployment["schedules"]] == [cron]
    for deployment in DEPLOYMENTS.values():
        assert set(deployment["parameters"].get("kinds") or []) <= KINDS


def test_backfill_names_a_registered_source_and_bounds_the_run():
    parameters = DEPLOYMENTS["backfill"]["parameters"]
    assert set(parameters["only"]) <= set(registry())
    assert {"since", "until", "max_snapshots"} <= set(parameters)
    assert DEPLOYMENTS["backfill"]["schedules"] == [] and DEPLOYMENTS["rebuild-marts"]["schedules"] == []
