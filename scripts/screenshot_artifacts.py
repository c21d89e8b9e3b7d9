"""Screenshot what a user sees in the Prefect UI after a daily run: the run's Artifacts tab, then
the gap report, the quarantine table and the charts, stacked into one PNG (docs/prefect-run-artifacts.png).

Not run in CI (tests/test_prefect_server.py checks the same pages through the same browser code,
tests/browser.py). Needs Debian's Chromium:

    apt-get update && apt-get install -y chromium
    uv run python scripts/screenshot_artifacts.py [--out docs/prefect-run-artifacts.png]
    uv run python scripts/screenshot_artifacts.py --url http://127.0.0.1:4200/runs/flow-run/<id>

Without --url it starts a throwaway Prefect server with the UI on a free loopback port (own
PREFECT_HOME in a temporary folder), runs `aigap setup`, `prefect deploy --all`, a worker, then
triggers the daily deployment on a temporary warehouse with the bundled leaderboards plus one broken
Open LLM snapshot (scores x 100, tests/data/bad_snapshots), so that the report, the quarantine table
and the charts all have something to show. Everything it started is stopped at the end. With --url
it screenshots that run page of a server you already run (the page's artifacts as they are).
"""

from __future__ import annotations

import argparse
import base64
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import INSTALL, Browser, chromium, open_artifact, open_artifacts_tab  # noqa: E402
from prefect_stack import PrefectStack  # noqa: E402

BUNDLED_LEADERBOARDS = ["open-llm-v2-archive", "open-llm-v1-archive", "arena-archive", "arena-daily"]
PAGES = ["aigap-gap-report", "aigap-quarantined-loads", "aigap-gap-chart"]
GRAPH_SECONDS = 10


def screenshot(run_url: str, out: Path, width: int, height: int) -> None:
    """One PNG: the run page's Artifacts tab, then the report, quarantine table and chart pages."""
    base, run_id = run_url.split("/runs/flow-run/")[0], run_url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    found = httpx.post(f"{base}/api/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}).json()
    artifact_ids = {a["key"]: a["id"] for a in found}
    with Browser() as browser, tempfile.TemporaryDirectory(prefix="aigap-screenshot-") as work:
        tab = browser.tab()
        open_artifacts_tab(tab, base, run_id, width)
        time.sleep(GRAPH_SECONDS)  # the run's task graph is drawn on a canvas, after the page settles
        shots = [tab.screenshot(width, height)]
        for key in PAGES:
            open_artifact(tab, base, artifact_ids[key], key, width)
            shots.append(tab.screenshot(width, 700))
        # stack them into one picture with the browser itself (no imaging library needed)
        page = Path(work) / "artifacts.html"
        images = "".join(
            f'<img src="data:image/png;base64,{base64.b64encode(s).decode()}" style="display:block;width:{width}px">'
            for s in shots
        )
        page.write_text(f'<html><body style="margin:0;background:#1b1b1f">{images}</body></html>')
        tab.open(page.as_uri(), width, height)
        tab.wait_for("document.images.length > 0 && [...document.images].every(i => i.complete)")
        out.write_bytes(tab.screenshot(width, height))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "prefect-run-artifacts.png")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000, help="at least; the whole page is captured")
    parser.add_argument("--url", help="screenshot this run page of a running server instead of making one")
    args = parser.parse_args()
    if chromium() is None:
        raise SystemExit(f"Chromium not found: {INSTALL}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.url:
        screenshot(args.url, args.out, args.width, args.height)
        print(f"wrote {args.out}")
        return 0

    work = Path(tempfile.mkdtemp(prefix="aigap-screenshot-"))
    archive = work / "archive"
    shutil.copytree(ROOT / "data" / "leaderboards" / "open_llm_v2_archive", archive)
    shutil.copy(
        ROOT / "tests" / "data" / "bad_snapshots" / "scores_times_100.csv", archive / "scraped" / "2024-09-15.csv"
    )
    with PrefectStack(work / "stack", ui=True) as stack:
        print(f"Prefect server and UI at {stack.url}", flush=True)
        stack.start_server()
        print(stack.run("setup", *stack.aigap("setup")), flush=True)
        stack.start_worker()
        stack.run("deploy", *stack.prefect("--no-prompt", "deploy", "--all"), timeout=300)
        run_id = stack.create_run(
            "aigap-pipeline",
            "daily-leaderboards",
            {
                "warehouse": str(work / "warehouse" / "aigap.duckdb"),
                "only": BUNDLED_LEADERBOARDS,
                "locations": {"open-llm-v2-archive": str(archive)},
            },
        )
        run = stack.wait_finished([run_id], timeout=900)[run_id]
        # the automation renames the state of a run whose gate quarantined a load
        run = stack.wait_until([run_id], lambda r: r["state_name"] == "Quarantined", 60, "marked Quarantined")[run_id]
        print(f"run {run['name']}: {run['state_name']}", flush=True)
        screenshot(f"{stack.url}/runs/flow-run/{run_id}", args.out, args.width, args.height)
        print(f"wrote {args.out}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
