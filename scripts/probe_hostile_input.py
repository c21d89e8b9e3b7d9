"""Probe aigap with hostile and revised input and faults; print the figures of issue 10's closing note.

Every case is one input or fault, tried through the real command line (`aigap run`, in this process
or as a separate process) on its own copy of a small base warehouse, and judged by what must happen:

  quarantine  held back: a ledger row `quarantined` with a reason a person reads, raw bytes kept
  refuse      nothing landed or published for it; the run says why and exits 1 (3: warehouse busy)
  publish     published with the right snapshot date, superseding what it replaces
  skip        recognised as content already there; nothing changes
  recover     a kill -9: nothing half-published, and the next run completes (exit 0)

After every case, on its warehouse:
  published wrongly  a load published that had to be held back or refused, published under a wrong
                     date, or two published loads counting for one snapshot (marts would have to pick);
  rows lost          a row of a load that still counts (published) missing from the core tables, or a
                     load that counted before the case and no longer does without `superseded_by`.

Usage:  uv run python scripts/probe_hostile_input.py [--json FILE] [--only SUBSTRING]
(about 5 minutes on 2 cores; it starts one temporary Prefect API for all cases)
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import duckdb  # noqa: E402
from hostile_server import Answer, HostileServer  # noqa: E402

DATA = ROOT / "data"
TESTDATA = ROOT / "tests" / "data"
HOSTILE = TESTDATA / "hostile"
ARENA = DATA / "leaderboards" / "arena_archive"
DAILY = DATA / "leaderboards" / "arena_daily"
V2 = DATA / "leaderboards" / "open_llm_v2_archive"
AI_INDEX = DATA / "funding" / "ai_index_owid" / "2025-04"
OWID_FILE = "private-investment-in-artificial-intelligence.csv"


# --- the base: a small warehouse every case starts from ----------------------------------------------


def build_sources(root: Path) -> dict[str, Path]:
    """Small copies of four bundled sources, to load and then to tamper with."""
    folders = {
        name: root / name for name in ("arena-archive", "arena-daily", "open-llm-v2-archive", "funding-ai-index")
    }
    for relative in ("scraped/2024-11-05.csv", "scraped/2024-12-03.csv", "hf_space/leaderboard_table_20240109.csv",
                     "hf_space/leaderboard_table_20230717.csv"):  # fmt: skip
        copy(ARENA / relative, folders["arena-archive"] / relative)
    for day in ("2026-03-24", "2026-03-25"):
        copy(DAILY / day / "text.json", folders["arena-daily"] / day / "text.json")
    copy(V2 / "scraped" / "2024-07-13.csv", folders["open-llm-v2-archive"] / "scraped" / "2024-07-13.csv")
    copy(AI_INDEX / OWID_FILE, folders["funding-ai-index"] / "2025-04" / OWID_FILE)
    return folders


def copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dst)


def cli(argv: list[str]) -> tuple[int, str]:
    """`aigap ...` in this process: exit code and everything it printed."""
    from aigap.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
        except Exception as exc:  # a crash is a finding, not the end of the probe
            code, _ = 2, out.write(f"CRASH {type(exc).__name__}: {exc}")
    return code, out.getvalue()


def run_args(warehouse: Path, sources: dict[str, str]) -> list[str]:
    args = ["run", "--warehouse", str(warehouse)]
    for name, location in sources.items():
        args += ["--only", name, "--source", f"{name}={location}"]
    return args


# --- what a warehouse holds ----------------------------------------------------------------------------


def ledger(warehouse: Path) -> dict[str, dict]:
    if not warehouse.exists():
        return {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        has_successor = con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'loads' AND column_name = 'superseded_by'"
        ).fetchone()[0]
        rows = con.execute(
            "SELECT load_id, source, snapshot_key, snapshot_date, status, rows_published, reasons, content_sha256, "
            + ("superseded_by" if has_successor else "NULL")
            + " FROM meta.loads"
        ).fetchall()
    finally:
        con.close()
    keys = [
        "load_id",
        "source",
        "snapshot_key",
        "snapshot_date",
        "status",
        "rows_published",
        "reasons",
        "content_sha256",
        "superseded_by",
    ]
    return {r[0]: dict(zip(keys, r, strict=True)) for r in rows}


# What one snapshot is, per core table (the probe's own statement of it, so that it can judge any
# version of aigap, the code before issue 10 included): a leaderboard date, a funding figure.
SNAPSHOT = {"core.funding_observations": ("source", "series", "edition", "period", "region_code", "metric", "segment")}


def invariants(warehouse: Path, before: dict[str, dict]) -> tuple[list[str], int]:
    """(why published wrongly, rows lost) for a warehouse after a case, against its ledger before."""
    from engine.marts import read_inputs
    from marts.build import build_marts

    wrong, lost = [], 0
    after = ledger(warehouse)
    if not after:
        return wrong, lost
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT table_schema || '.' || table_name FROM information_schema.columns "
                "WHERE table_schema = 'core' AND column_name = 'load_id'"
            ).fetchall()
        ]
        present = {}
        for table in tables:
            for load_id, n in con.execute(f"SELECT load_id, count(*) FROM {table} GROUP BY 1").fetchall():
                present[load_id] = present.get(load_id, 0) + n
            columns = ", ".join(SNAPSHOT.get(table, ("snapshot_date",)))
            doubled = con.execute(
                f"SELECT {columns}, count(DISTINCT load_id) FROM {table} GROUP BY ALL HAVING count(DISTINCT load_id) > 1"
            ).fetchall()
            wrong += [f"{table} {row[:-1]} published by {row[-1]} loads" for row in doubled]
    finally:
        con.close()
    for load_id, load in after.items():
        if load["status"] == "published":
            lost += max(0, (load["rows_published"] or 0) - present.get(load_id, 0))
        elif present.get(load_id):
            wrong.append(f"{load_id} is {load['status']} but {present[load_id]} of its rows are in core tables")
    for load_id, load in before.items():
        now = after.get(load_id)
        if load["status"] == "published" and (now is None or now["status"] not in ("published", "superseded")):
            lost += load["rows_published"] or 0
    try:
        build_marts(read_inputs(warehouse))
    except ValueError as exc:
        wrong.append(f"marts refuse: {exc}")
    return wrong, lost


# --- cases ------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    kind: str
    expect: str
    observed: str = ""
    judged: str = ""  # quarantined clearly | refused cleanly | as intended | recovered | WRONG | UNCLEAR
    wrong: list[str] = field(default_factory=list)
    rows_lost: int = 0
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Case:
    name: str
    kind: str
    expect: str  # quarantine | refuse | publish | skip | recover | busy
    act: Callable[[Path, dict[str, Path], HostileServer, str], tuple[int, str]]
    date: str | None = None  # publish: the snapshot date it must have
    final: bytes | None = None  # publish: the content that must count for that date afterwards


def place(source: str, relative: str, data: bytes) -> Callable:
    """Put `data` at `relative` in the source's folder, then run that source."""

    def act(warehouse, folders, server, url):
        target = folders[source] / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return cli(run_args(warehouse, {source: str(folders[source])}))

    return act


def steps(*acts: Callable) -> Callable:
    def act(warehouse, folders, server, url):
        result = (0, "")
        for step in acts:
            result = step(warehouse, folders, server, url)
        return result

    return act


def served(source: str, path: str, *answers: Answer, location: str | None = None) -> Callable:
    """Serve `answers` at `path` on the local server and point `source` at it."""

    def act(warehouse, folders, server, url):
        if answers:
            server.answer(path, *answers)
        return cli(run_args(warehouse, {source: location or f"{url}{path}"}))

    return act


def bad_files() -> list[Case]:
    cases = []
    meaning = json.loads((HOSTILE / "INPUTS.json").read_text())
    for name, what in sorted(meaning.items()):
        data = (HOSTILE / name).read_bytes()
        if name.startswith("daily_"):
            legit = name == "daily_model_count_text.json"
            cases.append(Case(what, "bad file", "publish" if legit else "quarantine",
                              place("arena-daily", "2026-03-25/text.json", data), "2026-03-25" if legit else None,
                              data if legit else None))  # fmt: skip
        elif name.startswith("table_"):
            cases.append(Case(what, "bad file", "quarantine", place("arena-archive", "scraped/2024-11-05.csv", data)))
        else:
            cases.append(Case(what, "bad file", "quarantine", place("funding-ai-index", f"2025-04/{OWID_FILE}", data)))
    for path in sorted((TESTDATA / "bad_arena").iterdir()):
        target = "2026-03-25/text.json" if path.suffix == ".json" else "scraped/2024-11-05.csv"
        source = "arena-daily" if path.suffix == ".json" else "arena-archive"
        cases.append(Case(f"Arena: {path.stem}", "bad file", "quarantine", place(source, target, path.read_bytes())))
    for path in sorted((TESTDATA / "bad_snapshots").iterdir()):
        cases.append(Case(f"Open LLM v2: {path.stem}", "bad file", "quarantine",
                          place("open-llm-v2-archive", "scraped/2024-08-15.csv", path.read_bytes())))  # fmt: skip
    for folder in sorted(
        p for p in (TESTDATA / "funding").iterdir() if p.is_dir() and p.name not in ("newer_edition", "oecd_unnamed")
    ):
        [path] = list(folder.rglob("*.csv"))
        cases.append(Case(f"AI Index feed: {folder.name}", "bad file", "quarantine",
                          place("funding-ai-index", f"2025-04/{OWID_FILE}", path.read_bytes())))  # fmt: skip
    return cases


def votes_revised() -> bytes:
    return (ARENA / "scraped" / "2024-11-05.csv").read_text().replace(",37712,", ",37800,").encode()


def revisions() -> list[Case]:
    original = (ARENA / "scraped" / "2024-11-05.csv").read_bytes()
    funding_fixed = (AI_INDEX / OWID_FILE).read_text().replace("China,CHN,2023,8419883187", "China,CHN,2023,8519883187")
    return [
        Case("same-name revision of an Arena table", "revision", "publish",
             place("arena-archive", "scraped/2024-11-05.csv", votes_revised()), "2024-11-05", votes_revised()),
        Case("revert: the original bytes put back after a revision", "revert", "publish",
             steps(place("arena-archive", "scraped/2024-11-05.csv", votes_revised()),
                   place("arena-archive", "scraped/2024-11-05.csv", original)), "2024-11-05", original),
        Case("revert twice (original, revision, original, revision)", "revert", "publish",
             steps(place("arena-archive", "scraped/2024-11-05.csv", votes_revised()),
                   place("arena-archive", "scraped/2024-11-05.csv", original),
                   place("arena-archive", "scraped/2024-11-05.csv", votes_revised())), "2024-11-05", votes_revised()),
        Case("corrected copy under another name, in a later run", "revision", "publish",
             place("arena-archive", "corrected/2024-11-05.csv", votes_revised()), "2024-11-05", votes_revised()),
        Case("the same bytes again under another name", "revision", "skip",
             place("arena-archive", "mirror/2024-11-05.csv", original)),
        Case("two contents for one new date in one run", "revision", "quarantine",
             steps(lambda w, f, s, u: (copy(ARENA / "scraped" / "2025-01-07.csv", f["arena-archive"] / "scraped" / "2025-01-07.csv"), (0, ""))[1],
                   place("arena-archive", "corrected/2025-01-07.csv",
                         (ARENA / "scraped" / "2025-01-07.csv").read_text().replace("OpenAI", "Open AI").encode()))),
        Case("a Space table that turns from catalog into scores", "revision", "publish",
             place("arena-archive", "hf_space/leaderboard_table_20240109.csv",
                   (ARENA / "hf_space" / "leaderboard_table_20230802.csv").read_bytes()), "2024-01-09",
             (ARENA / "hf_space" / "leaderboard_table_20230802.csv").read_bytes()),
        Case("a feed day rewritten upstream", "revision", "publish",
             place("arena-daily", "2026-03-25/text.json", (DAILY / "2026-03-26" / "text.json").read_bytes()), "2026-03-25",
             (DAILY / "2026-03-26" / "text.json").read_bytes()),
        Case("a corrected funding file next to the original", "revision", "publish",
             place("funding-ai-index", "2025-04/corrected.csv", funding_fixed.encode()), "2025-04-01", funding_fixed.encode()),
        Case("a newer funding edition", "revision", "publish",
             place("funding-ai-index", f"2026-04/{OWID_FILE}",
                   (TESTDATA / "funding" / "newer_edition" / "2026-04" / OWID_FILE).read_bytes()), "2026-04-01",
             (TESTDATA / "funding" / "newer_edition" / "2026-04" / OWID_FILE).read_bytes()),
    ]  # fmt: skip


def hostile_urls() -> list[Case]:
    day = (DAILY / "2026-04-08" / "text.json").read_bytes()
    undated = json.dumps({**json.loads(day), "meta": {"leaderboard": "text"}}).encode()
    big = day + b" " * (6 * 2**20)
    return [
        Case("edition URL with a Last-Modified months later", "hostile url", "publish",
             served("arena-daily", "/2026-04-08/text.json",
                    Answer(200, day, {"Last-Modified": "Thu, 19 Nov 2026 10:00:00 GMT"})), "2026-04-08", day),
        Case("URL without a date in its path: dated by the feed", "hostile url", "publish",
             served("arena-daily", "/latest.json", Answer(200, day)), "2026-04-08", day),
        Case("URL without a date, feed without fetched_at", "hostile url", "quarantine",
             served("arena-daily", "/undated.json", Answer(200, undated))),
        Case("URL whose path date contradicts the feed", "hostile url", "quarantine",
             served("arena-daily", "/2026-01-01/text.json", Answer(200, day))),
        Case("base URL with a typo: every day 404", "hostile url", "refuse",
             served("arena-daily", "/typo", location=None)),
        Case("edition URL answering 404", "hostile url", "refuse", served("arena-daily", "/2026-04-07/text.json")),
        Case("503 on every try", "hostile url", "refuse", served("arena-daily", "/2026-04-06/text.json", Answer(503))),
        Case("HTML error page with status 200", "hostile url", "quarantine",
             served("arena-daily", "/2026-04-05/text.json", Answer(200, b"<!doctype html><h1>Oops</h1>"))),
        Case("body cut short on every try", "hostile url", "refuse",
             served("arena-daily", "/2026-04-04/text.json", Answer(200, day[:100], {"Content-Length": str(len(day))}, length=False))),
        Case("body dripping past the deadline", "hostile url", "refuse",
             served("arena-daily", "/2026-04-03/text.json", Answer(200, day, drip_seconds=0.05))),
        Case("body over the size cap", "hostile url", "refuse", served("arena-daily", "/2026-04-02/text.json", Answer(200, big))),
        Case("body over the size cap, no length announced", "hostile url", "refuse",
             served("arena-daily", "/2026-04-01/text.json", Answer(200, big, length=False))),
        Case("redirect to file:///etc/passwd", "hostile url", "refuse",
             served("arena-daily", "/2026-03-31/text.json", Answer(302, headers={"Location": "file:///etc/passwd"}))),
        Case("redirect loop", "hostile url", "refuse",
             served("arena-daily", "/2026-03-30/text.json", Answer(302, headers={"Location": "/2026-03-30/text.json"}))),
        Case("redirect to another host", "hostile url", "refuse",
             served("arena-daily", "/2026-03-29/text.json", Answer(302, headers={"Location": "http://localhost:9/x.json"}))),
        Case("file:// location", "hostile url", "refuse",
             lambda w, f, s, u: cli(run_args(w, {"open-llm-v2-archive": "file:///etc/passwd"}))),
        Case("folder whose only file links outside it", "hostile url", "refuse", linked_outside),
        Case("Hub listing failing 503 on every try", "hostile url", "refuse", failing_hub),
    ]  # fmt: skip


def linked_outside(warehouse, folders, server, url):
    folder = warehouse.parent / "linked"
    folder.mkdir()
    (folder / "2024-07-13.csv").symlink_to("/etc/hostname")
    return cli(run_args(warehouse, {"open-llm-v2-archive": str(folder)}))


def failing_hub(warehouse, folders, server, url):
    server.answer("/api/datasets/open-llm-leaderboard/contents/commits/main", Answer(503))
    code, out = cli(run_args(warehouse, {"open-llm-v2-hub": url}))
    asked = server.asked("/api/datasets/open-llm-leaderboard/contents/commits/main")
    return code, out + f"\n[probe] the failing listing was asked {asked} times"


# --- separate processes: concurrent runs and kill -9 ----------------------------------------------------------


def spawn(warehouse: Path, sources: dict[str, str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "aigap.cli", *run_args(warehouse, sources)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def concurrent(wait: str) -> Callable:
    def act(warehouse, folders, server, url):
        copy(ARENA / "scraped" / "2025-01-07.csv", folders["arena-archive"] / "scraped" / "2025-01-07.csv")
        env = {**os.environ, "AIGAP_WRITER_WAIT_SECONDS": wait}
        first = spawn(warehouse, {"arena-archive": str(folders["arena-archive"])}, env)
        second = spawn(warehouse, {"arena-archive": str(folders["arena-archive"])}, env)
        outs = [p.communicate(timeout=600)[0] for p in (first, second)]
        codes = sorted([first.returncode, second.returncode])
        return codes[-1], f"[probe] exit codes {codes}\n" + "\n".join(outs)  # 0 (waited) or 3 (gave up)

    return act


def killed(after: str) -> Callable:
    """Run a load of new files in another process, kill -9 it when it logs `after`, then run again."""

    def act(warehouse, folders, server, url):
        for name in ("2025-01-07", "2025-02-04", "2025-02-16", "2025-03-01"):
            copy(ARENA / "scraped" / f"{name}.csv", folders["arena-archive"] / "scraped" / f"{name}.csv")
        env = {**os.environ, "PREFECT_LOGGING_LEVEL": "INFO"}
        victim = spawn(warehouse, {"arena-archive": str(folders["arena-archive"])}, env)
        seen = ""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = victim.stdout.readline()
            if not line:
                break
            if after.replace("'", "") in line.replace("'", ""):  # names quoted or not
                seen = line.strip()[:120]
                os.kill(victim.pid, signal.SIGKILL)
                break
        victim.wait()
        partial = invariants(warehouse, ledger_before_kill.get(str(warehouse), {}))
        code, out = cli(run_args(warehouse, {"arena-archive": str(folders["arena-archive"])}))
        staging = list((warehouse.parent / "staging").glob("*"))
        return code, (f"[probe] killed at: {seen or 'never reached ' + after!r}; right after the kill: wrong "
                      f"{partial[0]}, rows lost {partial[1]}; staging left after the next run: {len(staging)}\n{out}")  # fmt: skip

    return act


ledger_before_kill: dict[str, dict] = {}


def process_cases() -> list[Case]:
    return [
        Case(
            "two runs at once (the second waits)",
            "concurrent runs",
            "publish",
            concurrent("600"),
            "2025-01-07",
            (ARENA / "scraped" / "2025-01-07.csv").read_bytes(),
        ),
        Case(
            "two runs at once (the second gives up: exit 3)", "concurrent runs", "busy", concurrent("0"), "2025-01-07"
        ),
        Case("kill -9 while gating (after a fetch)", "kill -9", "recover", killed("fetched 'arena-archive'")),
        Case("kill -9 while publishing", "kill -9", "recover", killed("published 'arena-archive'")),
        Case("kill -9 while refreshing the marts", "kill -9", "recover", killed("marts refreshed")),
        Case("kill -9 while writing the report", "kill -9", "recover", killed("report: artifacts published")),
    ]


# --- judging ------------------------------------------------------------------------------------------------


def judge(case: Case, code: int, out: str, before: dict, warehouse: Path) -> Outcome:
    outcome = Outcome(case.name, case.kind, case.expect)
    after = ledger(warehouse)
    new = [load for load_id, load in after.items() if load_id not in before]
    changed = [
        load for load_id, load in after.items() if load_id in before and before[load_id]["status"] != load["status"]
    ]
    published = [load for load in new if load["status"] == "published"]
    quarantined = [load for load in new if load["status"] == "quarantined"]
    outcome.wrong, outcome.rows_lost = invariants(warehouse, before)
    outcome.observed = f"exit {code}; new loads: " + (", ".join(f"{load['status']}" for load in new) or "none")
    if case.expect == "busy":  # one run published, the other gave up cleanly and touched nothing
        one = [load for load in published if str(load["snapshot_date"]) == case.date]
        if len(published) != 1 or len(one) != 1:
            outcome.wrong.append(
                f"published {[load['load_id'] for load in published]}, expected one load of {case.date}"
            )
    if case.expect in ("quarantine", "refuse", "skip") and published:
        outcome.wrong.append(f"published {[load['load_id'] for load in published]}")
    if case.expect == "publish" and case.final is not None:
        want = hashlib.sha256(case.final).hexdigest()
        counting = [x for x in after.values() if x["status"] == "published" and str(x["snapshot_date"]) == case.date]
        if want not in {load["content_sha256"] for load in counting}:
            outcome.wrong.append(f"for {case.date} the content that counts is not the latest accepted one")
    if case.expect == "publish":
        dated = [load for load in published if str(load["snapshot_date"]) == case.date]
        if not dated:
            if published:
                outcome.wrong.append(
                    f"published under {[str(load['snapshot_date']) for load in published]}, not {case.date}"
                )
            else:
                outcome.detail = "not published"
    crashed = code == 2 or "Traceback" in out or "CRASH" in out
    if outcome.wrong:
        outcome.judged = "WRONG"
    elif case.expect == "quarantine":
        reasons = [r["reason"] for load in quarantined for r in json.loads(load["reasons"] or "[]")]
        clear = quarantined and all(reasons) and not any(r.startswith("could not be parsed:") for r in reasons)
        outcome.judged = "quarantined clearly" if clear and code == 1 else "UNCLEAR"
        outcome.detail = "; ".join(reasons)[:240] or outcome.detail
    elif case.expect == "refuse":
        landed = [load for load in new if load["status"] != "skipped"]
        clean = code in (1, 3) and not landed and ("SOURCE ERROR" in out or "aigap: the warehouse" in out)
        outcome.judged = "refused cleanly" if clean else "UNCLEAR"
        lines = [ln.strip() for ln in out.splitlines() if "SOURCE ERROR" in ln or ln.startswith(("aigap:", "[probe]"))]
        outcome.detail = " | ".join(lines)[:300]
    elif case.expect == "busy":
        clean = "[probe] exit codes [0, 3]" in out and "is being written by the aigap run" in out and code == 3
        outcome.judged = "refused cleanly" if clean and not outcome.detail else "UNCLEAR"
        outcome.detail = (
            outcome.detail + " " + next((ln.strip() for ln in out.splitlines() if ln.startswith("aigap:")), "")
        ).strip()[:300]
    elif case.expect == "recover":
        ok = code == 0 and "wrong []" in out and "rows lost 0" in out and "staging left after the next run: 0" in out
        outcome.judged = "recovered" if ok else "UNCLEAR"
        outcome.detail = out.splitlines()[0][:300]
    elif case.expect == "skip":
        outcome.judged = "as intended" if code == 0 and not published and not changed else "UNCLEAR"
    else:  # publish
        outcome.judged = "as intended" if code == 0 and not outcome.detail else "UNCLEAR"
        replaced = [load["load_id"] for load in changed if load["status"] == "superseded"]
        outcome.detail = (outcome.detail + f" supersedes {replaced}" if replaced else outcome.detail).strip()
    if crashed and outcome.judged != "WRONG":  # whatever the ledger says, a traceback is not a clear answer
        outcome.judged, outcome.detail = "UNCLEAR", f"crashed (exit {code}): {outcome.detail}"
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write every outcome to this file")
    parser.add_argument("--only", help="run only cases whose name contains this")
    args = parser.parse_args()

    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    import datasets.arena.daily
    from common import http

    # Lower arena-daily's limits so that the deadline and the size cap show in seconds, not minutes.
    if hasattr(http, "Limits"):  # (the code before issue 10 had none)
        datasets.arena.daily.ArenaDaily.limits = http.Limits(
            deadline_seconds=3.0, max_bytes=5 * 2**20, backoff_seconds=0.1
        )
    import types

    import huggingface_hub.utils._http as hf_http

    hf_http.time = types.SimpleNamespace(sleep=lambda seconds: None)  # the Hub client's backoff (1-8 s), not waited out

    outcomes: list[Outcome] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="aigap-probe-") as tmp, prefect_test_harness(server_startup_timeout=300):
        os.environ["PREFECT_API_URL"] = PREFECT_API_URL.value()  # for the runs in separate processes
        base = Path(tmp) / "base"
        folders = build_sources(base / "sources")
        warehouse = base / "warehouse" / "aigap.duckdb"
        code, out = cli(run_args(warehouse, {name: str(path) for name, path in folders.items()}))
        if code != 0:
            print(out)
            raise SystemExit(f"the base run failed (exit {code})")
        cases = [*bad_files(), *revisions(), *hostile_urls(), *process_cases()]
        if args.only:
            cases = [c for c in cases if args.only in c.name]
        state = HostileServer()
        server, url = state.start()
        for n, case in enumerate(cases, 1):
            home = Path(tmp) / f"case-{n:03d}"
            shutil.copytree(base, home, symlinks=True)
            case_folders = {name: home / "sources" / name for name in folders}
            case_warehouse = home / "warehouse" / "aigap.duckdb"
            before = ledger(case_warehouse)
            ledger_before_kill[str(case_warehouse)] = before
            clock = time.monotonic()
            code, out = case.act(case_warehouse, case_folders, state, url)
            outcome = judge(case, code, out, before, case_warehouse)
            outcome.seconds = round(time.monotonic() - clock, 1)
            outcomes.append(outcome)
            print(
                f"[{n:3d}/{len(cases)}] {outcome.judged:20s} {case.kind:16s} {case.name}: {outcome.detail[:110]}",
                flush=True,
            )
            shutil.rmtree(home, ignore_errors=True)
        server.shutdown()

    figures = {
        "inputs tried": len(outcomes),
        "quarantined with a clear reason": sum(o.judged == "quarantined clearly" for o in outcomes),
        "refused cleanly": sum(o.judged == "refused cleanly" for o in outcomes),
        "published or skipped as intended (revisions, reverts, dated URLs)": sum(
            o.judged == "as intended" for o in outcomes
        ),
        "kill -9 recovered": sum(o.judged == "recovered" for o in outcomes),
        "unclear (held back or refused without a clear reason)": sum(o.judged == "UNCLEAR" for o in outcomes),
        "published wrongly": sum(o.judged == "WRONG" for o in outcomes),
        "rows lost": sum(o.rows_lost for o in outcomes),
    }
    print(f"\naigap hostile-input probe, {date.today()}, {time.monotonic() - started:.0f} s")
    for label, value in figures.items():
        print(f"  {label}: {value}")
    for o in outcomes:
        if o.judged in ("WRONG", "UNCLEAR"):
            print(f"  ! {o.judged} {o.name}: {o.wrong or o.detail} ({o.observed})")
    if args.json:
        args.json.write_text(
            json.dumps({"figures": figures, "cases": [asdict(o) for o in outcomes]}, indent=2, default=str)
        )
    return 0 if figures["published wrongly"] == 0 and figures["rows lost"] == 0 and not figures[
        "unclear (held back or refused without a clear reason)"] else 1  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
