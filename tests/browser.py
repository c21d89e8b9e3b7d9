"""Headless Chromium (Debian's `chromium`) driven over the Chrome DevTools protocol: open a run's
pages in the real Prefect UI, read what they show (the DOM, after the UI's JavaScript ran) and take
screenshots. Used by tests/test_prefect_server.py and scripts/screenshot_artifacts.py.

Just enough of the protocol for that, over the `websockets` client Prefect already installs: no
browser driver or second browser build to download (the machine reaches no browser CDN).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from prefect_stack import free_port

INSTALL = "apt-get update && apt-get install -y chromium"
REQUIRE_ENV = "AIGAP_REQUIRE_CHROMIUM"  # set by .ci/run: a missing Chromium fails instead of skipping
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def require_chromium() -> None:
    """Skip (a newcomer's machine) or fail (CI, which installs it) where Chromium is absent."""
    if chromium() is not None:
        return
    reason = f"this test needs Debian's Chromium: {INSTALL} (.ci/run installs it)"
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{reason}; {REQUIRE_ENV} is set")
    pytest.skip(reason)


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    return None


class Tab:
    """One page of a headless Chromium: navigate, evaluate JavaScript, wait, screenshot."""

    def __init__(self, websocket_url: str):
        from websockets.sync.client import connect  # installed with prefect

        self.socket = connect(websocket_url, max_size=None)
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def _holds(self, expression: str) -> bool:
        try:
            return bool(self.evaluate(expression))
        except RuntimeError:  # the page is still loading (no body yet, the old page going away)
            return False

    def wait_for(self, expression: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self._holds(expression):
            if time.monotonic() > deadline:
                text = (self.evaluate("document.body && document.body.innerText") or "")[:1500]
                raise TimeoutError(f"page never satisfied: {expression}\npage text:\n{text}")
            time.sleep(0.3)

    def open(self, url: str, width: int = 1400, height: int = 1000) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", url=url)

    def text(self) -> str:
        return self.evaluate("document.body.innerText")

    def screenshot(self, width: int, height: int) -> bytes:
        """The whole page: the Prefect UI scrolls inside a container, so the window is made as tall as
        the tallest content first."""
        full = max(height, self.evaluate("Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))"))
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=full, deviceScaleFactor=1, mobile=False)
        time.sleep(1)
        return base64.b64decode(self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"])


class Browser:
    """A headless Chromium with a new, empty profile; stopped (its process group) on exit."""

    def __init__(self) -> None:
        binary = chromium()
        if binary is None:
            raise RuntimeError(f"Chromium not found: {INSTALL}")
        self.profile = Path(tempfile.mkdtemp(prefix="aigap-chromium-"))
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", f"--remote-debugging-port={self.port}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def tab(self, timeout: float = 60) -> Tab:
        deadline = time.monotonic() + timeout
        while True:
            try:
                pages = httpx.get(f"http://127.0.0.1:{self.port}/json/list").json()
                return Tab(next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"])
            except (httpx.TransportError, StopIteration):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Chromium did not start (exit code {self.process.poll()})") from None
                time.sleep(0.3)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def leaf(text: str) -> str:
    """JavaScript for the element whose own text is exactly `text` (a tab, a button)."""
    return f"[...document.querySelectorAll('*')].find(e => !e.children.length && e.textContent.trim() === {json.dumps(text)})"


# What each artifact page must show once the UI rendered it (a JavaScript condition on the DOM).
ARTIFACT_READY = {
    "aigap-gap-report": "document.body.innerText.includes('The answer')",
    "aigap-quarantined-loads": "document.querySelectorAll('td').length > 0",
    "aigap-gap-chart": "[...document.images].some(i => i.complete && i.naturalWidth > 0)",
    "aigap-funding-chart": "[...document.images].some(i => i.complete && i.naturalWidth > 0)",
}


def open_artifacts_tab(tab: Tab, base: str, run_id: str, width: int = 1400) -> None:
    """The run page, its Artifacts tab clicked (a deep link falls back to Logs while the run loads)."""
    tab.open(f"{base}/runs/flow-run/{run_id}", width)
    tab.wait_for(f"!!{leaf('Artifacts')}")
    tab.evaluate(f"{leaf('Artifacts')}.click()")
    tab.wait_for("document.body.innerText.includes('aigap-quarantined-loads')")


def open_artifact(tab: Tab, base: str, artifact_id: str, key: str, width: int = 1400) -> None:
    tab.open(f"{base}/artifacts/artifact/{artifact_id}", width, 700)
    tab.wait_for(ARTIFACT_READY[key])
