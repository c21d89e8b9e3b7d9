"""A local HTTP server that misbehaves on request: statuses, redirects (loops, other schemes, other
hosts), bodies that drip, bodies larger than announced or without a length. Used by
tests/test_hostile_input.py and scripts/probe_hostile_input.py; every request is recorded."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip_seconds: float = 0.0  # pause between body chunks of CHUNK bytes
    length: bool = True  # send Content-Length (False: the body ends when the connection closes)


CHUNK = 64


@dataclass
class HostileServer:
    routes: dict[str, list[Answer]] = field(default_factory=dict)  # path -> answers in turn (the last repeats)
    requests: list[str] = field(default_factory=list)

    def answer(self, path: str, *answers: Answer) -> None:
        self.routes[path] = list(answers)

    def asked(self, path: str) -> int:
        return sum(1 for p in self.requests if p == path)

    def start(self) -> tuple[ThreadingHTTPServer, str]:
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                path = self.path.split("?")[0]
                state.requests.append(path)
                answers = state.routes.get(path) or [Answer(404, b"not found")]
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                if answer.length:
                    self.send_header("Content-Length", str(len(answer.body)))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for start in range(0, len(answer.body), CHUNK):
                        self.wfile.write(answer.body[start : start + CHUNK])
                        self.wfile.flush()
                        if answer.drip_seconds:
                            time.sleep(answer.drip_seconds)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if not answer.length:
                    self.close_connection = True

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"
