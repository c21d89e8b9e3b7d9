"""Every AIGAP_* setting is read in one place (common/settings.py) and checked when read: a value
aigap cannot use stops the command before anything starts, in one line naming the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from common import settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("AIGAP_WRITER_WAIT_SECONDS", "abc", "give seconds"),
        ("AIGAP_WRITER_WAIT_SECONDS", "nan", "give seconds"),
        ("AIGAP_WRITER_WAIT_SECONDS", "-5", "give seconds"),
        ("AIGAP_GAP_PAIRS", "US-US", "two different ISO-3166"),
        ("AIGAP_GAP_PAIRS", "US-C1", "two different ISO-3166"),
        ("AIGAP_CATALOG", "garbage", "sqlite:PATH or postgres:"),
        ("AIGAP_ARENA_DAILY_LOOKBACK_DAYS", "1e3", "whole number of days"),
    ],
)
def test_a_setting_aigap_cannot_use_is_refused_in_one_line(monkeypatch, variable, value, says):
    monkeypatch.setenv(variable, value)
    with pytest.raises(settings.SettingError, match=says) as refused:
        settings.check_all()
    assert variable in str(refused.value) and "\n" not in str(refused.value)


def test_a_pair_given_twice_is_read_once(monkeypatch):
    monkeypatch.setenv("AIGAP_GAP_PAIRS", "US-CN,us-cn, US-FR")
    assert settings.gap_pairs() == [("US", "CN"), ("US", "FR")]


def test_a_warehouse_that_is_a_folder_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("AIGAP_WAREHOUSE", str(tmp_path))
    with pytest.raises(settings.SettingError, match="is a folder"):
        settings.warehouse_path()


def test_the_command_line_stops_before_starting_anything(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AIGAP_WRITER_WAIT_SECONDS": "nan",
           "AIGAP_WAREHOUSE": str(tmp_path / "w.ducklake")}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "aigap.cli", "run"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 4, done.stderr
    assert done.stderr.strip().splitlines() == [
        "aigap: AIGAP_WRITER_WAIT_SECONDS='nan': give seconds, from 0 to 604800"
    ]
    assert not (tmp_path / "w.ducklake").exists()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--only", "arena-dialy"], "aigap: no source named 'arena-dialy': did you mean arena-daily? the sources are "),
        (["--source", "open-llm-v2-achive=/tmp/x"], "did you mean open-llm-v2-archive?"),
    ],
)
def test_a_mistyped_source_is_one_line_before_anything_starts(tmp_path, argv, says):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AIGAP_WAREHOUSE": str(tmp_path / "w.ducklake")}
    done = subprocess.run(
        [sys.executable, "-m", "aigap.cli", "run", *argv], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 4, done.stderr
    [line] = done.stderr.strip().splitlines()  # no traceback, no Prefect server started
    assert says in line
    assert not (tmp_path / "w.ducklake").exists()
