"""Screenshot what a user sees in the Prefect UI after a daily run: the run's Artifacts tab.

Not run in CI. Needs Debian's Chromium (`apt-get update && apt-get install -y chromium`).

    uv run python scripts/screenshot_artifacts.py [--out docs/prefect-run-artifacts.png]

It starts a throwaway Prefect server with the UI on a free loopback port (own PREFECT_HOME in a
temporary folder), runs `aigap setup`, `prefect deploy --all`, a worker, then triggers the daily
deployment on a temporary warehouse with the bundled snapshots plus one broken copy (scores x 100,
tests/data/bad_snapshots), so the report, the quarantine table and the chart all have something to
show. Everything it started is stopped at the end.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from prefect_stack import PrefectStack, free_port  # noqa: E402

SOURCE = "open-llm-v2-archive"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    raise SystemExit("Chromium not found: apt-get update && apt-get install -y chromium")


class DevTools:
    """Just enough of the Chrome DevTools protocol to open a page, click, wait and screenshot."""

    def __init__(self, websocket_url: str):
        from websockets.sync.client import connect  # installed with prefect

        self.socket = connect(websocket_url, max_size=None)
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"page never satisfied: {expression}")
            time.sleep(0.5)


def _capture(tab: DevTools, url: str, width: int, height: int, ready: str, click: str | None = None) -> bytes:
    tab.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
    tab.call("Page.navigate", url=url)
    if click:
        tab.wait_for(f"!!{click}")
        tab.evaluate(f"{click}.click()")
    tab.wait_for(ready)
    time.sleep(2)  # images and fonts settle
    # the UI scrolls inside a container, not the document: size the window to the tallest content
    full = max(height, tab.evaluate("Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))"))
    tab.call("Emulation.setDeviceMetricsOverride", width=width, height=full, deviceScaleFactor=1, mobile=False)
    time.sleep(1)
    return base64.b64decode(tab.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"])


def _leaf(text: str) -> str:
    return f"[...document.querySelectorAll('*')].find(e => !e.children.length && e.textContent.trim() === '{text}')"


def screenshot(run_url: str, out: Path, width: int, height: int, work: Path) -> None:
    """One PNG of what a user sees: the run page's Artifacts tab (clicked: a deep link falls back to
    Logs while the run loads), then the gap report, the quarantine table and the chart pages."""
    base, run_id = run_url.split("/runs/flow-run/")[0], run_url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    found = httpx.post(f"{base}/api/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}).json()
    artifact_ids = {a["key"]: a["id"] for a in found}
    profile = work / "chromium-profile"  # a new, empty profile every time
    profile.mkdir()
    port = free_port()
    browser = subprocess.Popen(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--remote-debugging-port={port}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                pages = [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list").json() if t["type"] == "page"]
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        tab = DevTools(pages[0]["webSocketDebuggerUrl"])
        shots = [
            _capture(
                tab,
                f"{base}/runs/flow-run/{run_id}",
                width,
                height,
                ready="document.body.innerText.includes('aigap-gap-chart')",
                click=_leaf("Artifacts"),
            )
        ]
        for key, ready in (
            ("aigap-gap-report", "document.body.innerText.includes('Latest gap per leaderboard')"),
            ("aigap-quarantined-loads", "document.querySelectorAll('td').length > 0"),
            ("aigap-gap-chart", "[...document.images].some(i => i.complete && i.naturalWidth > 0)"),
        ):
            shots.append(_capture(tab, f"{base}/artifacts/artifact/{artifact_ids[key]}", width, 700, ready))
        # stack them into one picture with the browser itself (no imaging library needed)
        page = work / "artifacts.html"
        images = "".join(
            f'<img src="data:image/png;base64,{base64.b64encode(s).decode()}" style="display:block;width:{width}px">'
            for s in shots
        )
        page.write_text(f'<html><body style="margin:0;background:#1b1b1f">{images}</body></html>')
        out.write_bytes(
            _capture(tab, page.as_uri(), width, height, ready="[...document.images].every(i => i.complete)")
        )
    finally:
        os.killpg(browser.pid, signal.SIGTERM)
        browser.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "prefect-run-artifacts.png")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000, help="at least; the whole page is captured")
    parser.add_argument("--url", help="screenshot this run page of a running server instead of making one")
    args = parser.parse_args()
    if args.url:
        with tempfile.TemporaryDirectory(prefix="aigap-screenshot-") as work:
            screenshot(args.url, args.out, args.width, args.height, Path(work))
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
                "only": [SOURCE],
                "locations": {SOURCE: str(archive)},
            },
        )
        run = stack.wait_finished([run_id], timeout=600)[run_id]
        # the automation renames the state of a run whose gate quarantined a load
        run = stack.wait_until([run_id], lambda r: r["state_name"] == "Quarantined", 60, "marked Quarantined")[run_id]
        print(f"run {run['name']}: {run['state_name']}", flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        screenshot(f"{stack.url}/runs/flow-run/{run_id}?tab=Artifacts", args.out, args.width, args.height, work)
        print(f"wrote {args.out}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
