"""A local HTTP server standing in for the Hugging Face Hub, for the real `huggingface_hub` client.

It serves, for dataset and Space repos built in memory:
- `GET /api/{datasets|spaces}/{repo}/commits/{rev}`: the history, newest first, 2 per page (Link header);
- `GET /api/{datasets|spaces}/{repo}/tree/{rev}[/{path}]`: the files of a revision;
- `HEAD|GET /{datasets|spaces}/{repo}/resolve/{rev}/{path}`: a file, with X-Repo-Commit, ETag and
  Range support, as the Hub answers.
Faults can be queued per path: an HTTP status (429 with Retry-After, 503 ...) or `"truncate"` (the
headers announce the full length, the body stops half-way and the connection closes). Every
request is recorded (method, path, headers) so tests can check what was and was not asked for.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

PAGE_SIZE = 2


def blob_id(content: bytes) -> str:
    """The git blob sha1 of a file, as the Hub reports it (`oid`)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass
class Commit:
    sha: str
    date: datetime
    title: str
    files: dict[str, bytes]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class LocalHub:
    repos: dict[tuple[str, str], list[Commit]] = field(default_factory=dict)  # (type, repo) -> oldest first
    faults: dict[tuple[str | None, str], list[int | str]] = field(default_factory=dict)  # (method, suffix) -> actions
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def commit(self, repo_type: str, repo_id: str, date: datetime, title: str, add=None, remove=()) -> str:
        """A new commit on top of the repo's last one: `add` files (path -> bytes), `remove` paths."""
        history = self.repos.setdefault((repo_type, repo_id), [])
        files = dict(history[-1].files) if history else {}
        files.update(add or {})
        for path in remove:
            files.pop(path, None)
        sha = hashlib.sha1(f"{repo_id}{len(history)}{title}".encode()).hexdigest()
        history.append(Commit(sha, date, title, files))
        return sha

    def fail(self, path_suffix: str, *actions: int | str, method: str | None = None) -> None:
        """Queue faults for the next requests (of `method`, default any) whose path ends with `path_suffix`."""
        self.faults.setdefault((method, path_suffix), []).extend(actions)

    def requested(self, fragment: str, method: str | None = None) -> list[Request]:
        return [r for r in self.requests if fragment in r.path and (method is None or r.method == method)]

    # --- serving ----------------------------------------------------------------------------

    def _next_fault(self, method: str, path: str) -> int | str | None:
        with self.lock:
            for (wanted, suffix), actions in self.faults.items():
                if wanted in (None, method) and path.endswith(suffix) and actions:
                    return actions.pop(0)
        return None

    def _commit(self, repo_type: str, repo_id: str, rev: str) -> Commit | None:
        history = self.repos.get((repo_type, repo_id)) or []
        if rev == "main":
            return history[-1] if history else None
        return next((c for c in history if c.sha == rev), None)

    def start(self) -> tuple[ThreadingHTTPServer, str]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_HEAD(self):
                self._serve(head=True)

            def do_GET(self):
                self._serve(head=False)

            def _send(self, status: int, body: bytes = b"", headers: dict | None = None, head: bool = False):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _json(self, value, headers=None):
                self._send(200, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})})

            def _serve(self, head: bool):
                url = urlparse(self.path)
                path = unquote(url.path)
                hub.requests.append(Request(self.command, path, {k.lower(): v for k, v in self.headers.items()}))
                fault = hub._next_fault(self.command, path)
                if isinstance(fault, int):
                    self._send(fault, b'{"error": "injected"}', {"Retry-After": "0"} if fault == 429 else {}, head)
                    return
                parts = path.strip("/").split("/")
                if parts[0] == "api" and len(parts) >= 6 and parts[4] in ("commits", "tree"):
                    return self._api(parts, parse_qs(url.query), head)
                if len(parts) >= 6 and parts[0] in ("datasets", "spaces") and parts[3] == "resolve":
                    return self._resolve(parts, head, truncate=fault == "truncate")
                self._send(404, b'{"error": "not found"}', head=head)

            def _api(self, parts, query, head):
                repo_type, repo_id, what, rev = parts[1][:-1], f"{parts[2]}/{parts[3]}", parts[4], parts[5]
                history = hub.repos.get((repo_type, repo_id))
                if history is None:
                    return self._send(404, b'{"error": "Repository not found"}', {"X-Error-Code": "RepoNotFound"})
                if what == "commits":
                    page = int(query.get("p", ["0"])[0])
                    newest_first = list(reversed(history))
                    items = [
                        {
                            "id": c.sha,
                            "title": c.title,
                            "message": "",
                            "authors": [{"user": "aigap-test"}],
                            "date": c.date.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                        }
                        for c in newest_first[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
                    ]
                    headers = {}
                    if (page + 1) * PAGE_SIZE < len(newest_first):
                        host = self.headers.get("Host")
                        headers["Link"] = f'<http://{host}/{"/".join(parts)}?p={page + 1}>; rel="next"'
                    return self._json(items, headers)
                commit = hub._commit(repo_type, repo_id, rev)
                if commit is None:
                    return self._send(404, b'{"error": "Revision not found"}', {"X-Error-Code": "RevisionNotFound"})
                prefix = "/".join(parts[6:])
                entries, folders = [], set()
                for file_path, content in sorted(commit.files.items()):
                    if prefix and not file_path.startswith(prefix.rstrip("/") + "/"):
                        continue
                    segments = file_path.split("/")
                    folders.update("/".join(segments[:i]) for i in range(1, len(segments)))
                    entries.append({"type": "file", "oid": blob_id(content), "size": len(content), "path": file_path})
                entries += [
                    {"type": "directory", "oid": blob_id(f.encode()), "size": 0, "path": f} for f in sorted(folders)
                ]
                return self._json(entries)

            def _resolve(self, parts, head, truncate):
                repo_type, repo_id, rev = parts[0][:-1], f"{parts[1]}/{parts[2]}", parts[4]
                file_path = "/".join(parts[5:])
                commit = hub._commit(repo_type, repo_id, rev)
                if commit is None or file_path not in commit.files:
                    return self._send(404, b"Entry not found", {"X-Error-Code": "EntryNotFound"}, head)
                content = commit.files[file_path]
                headers = {"X-Repo-Commit": commit.sha, "ETag": f'"{blob_id(content)}"', "Accept-Ranges": "bytes"}
                start = 0
                if (wanted := self.headers.get("Range")) and wanted.startswith("bytes="):
                    start = int(wanted[6:].split("-")[0] or 0)
                body = content[start:]
                status = 206 if start else 200
                if start:
                    headers["Content-Range"] = f"bytes {start}-{len(content) - 1}/{len(content)}"
                if truncate and not head:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._send(status, body, headers, head)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"
