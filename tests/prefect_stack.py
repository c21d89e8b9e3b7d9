"""A throwaway real Prefect stack on loopback: `prefect server start`, `aigap setup`, `prefect deploy
--all` from the repository, a process worker. Used by tests/test_prefect_server.py and by
scripts/screenshot_artifacts.py; every process it starts is stopped on exit (its whole process group).

Commands run exactly as the README gives them, with this interpreter's environment.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrefectStack:
    def __init__(self, home: Path, ui: bool = False):
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = f"{self.url}/api"
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(home / "prefect"),  # its own profile and SQLite database
            "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "true" if ui else "false",
            "GX_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "2",  # pick runs up soon (default: every 10 s)
            # Fewer writers on the server's SQLite file (on a busy machine it can stay locked for a
            # minute): 3 upcoming runs per schedule instead of 100, and no housekeeping services.
            # The scheduler, triggers, actions, event persister and task run recorder stay on.
            "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS": "3",
            **{
                f"PREFECT_SERVER_SERVICES_{service}_ENABLED": "false"
                for service in (
                    "CANCELLATION_CLEANUP",
                    "CLEANUP_RECONCILER",
                    "FOREMAN",
                    "LATE_RUNS",
                    "PAUSE_EXPIRATIONS",
                    "REPOSSESSOR",
                )
            },
        }
        self.env.pop("PREFECT_PROFILE", None)
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.client = httpx.Client(base_url=self.api, timeout=120)

    # --- processes ------------------------------------------------------------------------------

    def _log(self, name: str) -> Path:
        return self.home / f"{name}.log"

    def start(self, name: str, *args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.Popen:
        log = self._log(name).open("ab")
        process = subprocess.Popen(
            [*args], cwd=cwd, env={**self.env, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.processes.append((name, process))
        return process

    def run(self, name: str, *args: str, timeout: float = 180, env: dict | None = None) -> str:
        done = subprocess.run(
            [*args], cwd=ROOT, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout,
            check=False,
        )  # fmt: skip
        self._log(name).write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )
        return done.stdout

    def tail(self, name: str, lines: int = 40) -> str:
        path = self._log(name)
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def prefect(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "prefect", *args]

    def aigap(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "aigap.cli", *args]

    def start_server(self, timeout: float = 180) -> None:
        server = self.start("server", *self.prefect("server", "start", "--host", "127.0.0.1", "--port", str(self.port)))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"prefect server exited {server.returncode}:\n{self.tail('server')}")
            try:
                if self.client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"prefect server not healthy after {timeout} s:\n{self.tail('server')}")

    def start_worker(self) -> subprocess.Popen:
        return self.start("worker", *self.prefect("worker", "start", "--pool", "aigap", "--name", "aigap-test-worker"))

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.client.close()

    def __enter__(self) -> PrefectStack:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the API --------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: dict | None = None, retry_timeouts: bool = True):
        # A busy SQLite database makes the server answer 503, or answer late; Prefect's own client
        # retries those, and so does this one (bounded). Only reads are retried after a timeout.
        for attempt in range(8):
            try:
                response = self.client.request(method, path, json=body)
            except httpx.TimeoutException:
                if not retry_timeouts or attempt == 7:
                    raise
                continue
            if response.status_code not in (429, 502, 503) or attempt == 7:
                break
            time.sleep(0.5 * (attempt + 1))
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict | None = None):
        return self._request("POST", path, body or {})

    def get(self, path: str):
        return self._request("GET", path)

    def create_run(self, flow: str, deployment: str, parameters: dict) -> str:
        found = self.get(f"/deployments/name/{flow}/{deployment}")
        created = self._request(
            "POST", f"/deployments/{found['id']}/create_flow_run", {"parameters": parameters}, retry_timeouts=False
        )
        return created["id"]

    def flow_run(self, run_id: str) -> dict:
        return self.get(f"/flow_runs/{run_id}")

    def wait_until(self, run_ids: list[str], done, timeout: float, what: str) -> dict[str, dict]:
        deadline = time.monotonic() + timeout
        while True:
            runs = {run_id: self.flow_run(run_id) for run_id in run_ids}
            if all(done(run) for run in runs.values()):
                return runs
            if time.monotonic() >= deadline:
                states = {r["name"]: (r["state_type"], r["state_name"]) for r in runs.values()}
                raise TimeoutError(f"runs not {what} after {timeout} s: {states}\nworker:\n{self.tail('worker')}")
            time.sleep(1)

    def wait_finished(self, run_ids: list[str], timeout: float = 300) -> dict[str, dict]:
        return self.wait_until(run_ids, lambda r: r["state_type"] in TERMINAL, timeout, "finished")

    def wait_until_scheduled(self, deployment_id: str, timeout: float = 60) -> list[dict]:
        """The upcoming runs the server's scheduler made for a deployment (waits for its first pass)."""
        deadline = time.monotonic() + timeout
        body = {"flow_runs": {"deployment_id": {"any_": [deployment_id]}, "state": {"type": {"any_": ["SCHEDULED"]}}}}
        while not (runs := self.post("/flow_runs/filter", body)) and time.monotonic() < deadline:
            time.sleep(1)
        return runs

    def artifacts(self, run_id: str) -> dict[str, dict]:
        found = self.post("/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run_id]}}})
        return {a["key"]: a for a in found}

    def logs(self, run_id: str) -> list[dict]:
        return self.post(
            "/logs/filter", {"logs": {"flow_run_id": {"any_": [run_id]}}, "sort": "TIMESTAMP_ASC", "limit": 200}
        )
