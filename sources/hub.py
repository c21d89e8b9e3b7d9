"""The Hugging Face Hub, through the real `huggingface_hub` client: list a repo's history, list the
files of one revision, download one file of one revision.

- Endpoint: a source's location is the Hub endpoint (default $HF_ENDPOINT or https://huggingface.co);
  tests point it at a local stand-in Hub.
- Token: optional. $HF_TOKEN, or the Prefect Secret block named in $AIGAP_HF_TOKEN_BLOCK (looked up
  only when that variable is set, so a plain run never waits for a Prefect API). It is handed to
  the client and never logged, printed or stored.
- Retries: the client itself retries 429 / 5xx answers of its API calls; `with_retries` adds
  retries with backoff around whole operations for what it does not retry (a 503 on a file
  download, a body cut short that its resume did not repair), and turns what cannot succeed
  into `FetchError` with a readable reason.
- Downloads go to a temporary cache that is deleted afterwards: aigap's own raw landing
  (warehouse/raw/) is the immutable copy, named by the content's sha256.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from sources.http import RETRY_STATUS, FetchError

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
TOKEN_ENV = "HF_TOKEN"
TOKEN_BLOCK_ENV = "AIGAP_HF_TOKEN_BLOCK"
ATTEMPTS = 4
BACKOFF_SECONDS = 0.5

T = TypeVar("T")


def default_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def endpoint_of(location: str) -> str:
    """A source location -> the Hub endpoint URL (an http(s) URL; anything else means the default Hub)."""
    if location.startswith(("http://", "https://")):
        return location.rstrip("/")
    return default_endpoint()


def hf_token() -> str | None:
    """The optional Hub token: $HF_TOKEN, else the Prefect Secret block named by $AIGAP_HF_TOKEN_BLOCK."""
    if token := os.environ.get(TOKEN_ENV):
        return token
    block = os.environ.get(TOKEN_BLOCK_ENV)
    if not block:
        return None
    try:
        from prefect.blocks.system import Secret

        return Secret.load(block).get()
    except Exception as exc:  # a missing block must not stop a public download; say so without the value
        log.warning(
            "Hub token: cannot load Prefect Secret block %r (%s); continuing without a token", block, type(exc).__name__
        )
        return None


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


# The host name does not resolve (no network, or a typo in the endpoint): the client has already
# retried it five times, so retrying again only delays the error (by minutes when offline).
_UNRESOLVED = ("Name or service not known", "Temporary failure in name resolution", "nodename nor servname")


def _transient(exc: BaseException) -> bool:
    """Worth another try: rate limits, server errors, connections dropped, bodies cut short."""
    from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    if isinstance(exc, RepositoryNotFoundError | RevisionNotFoundError):
        return False
    if any(text in str(exc) for text in _UNRESOLVED):
        return False
    if (status := _status(exc)) is not None:
        return status in RETRY_STATUS
    if isinstance(exc, LocalEntryNotFoundError):  # the Hub could not be reached (the cache is always empty)
        return True
    if "Consistency check failed" in str(exc):  # body shorter than announced
        return True
    module = type(exc).__module__
    return module.startswith(("httpx", "httpcore")) or isinstance(exc, ConnectionError | TimeoutError)


def _reason(exc: BaseException) -> str:
    status = _status(exc)
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"HTTP {status}: {first_line}" if status else f"{type(exc).__name__}: {first_line}"


def with_retries(what: str, operation: Callable[[], T], attempts: int | None = None, backoff: float | None = None) -> T:
    """Run a Hub operation, retrying transient failures with exponential backoff (ATTEMPTS, BACKOFF_SECONDS)."""
    attempts = attempts or ATTEMPTS
    backoff = BACKOFF_SECONDS if backoff is None else backoff
    for attempt in range(attempts):
        try:
            return operation()
        except Exception as exc:
            if not _transient(exc):
                raise FetchError(f"{what}: {_reason(exc)}", _status(exc), retryable=False) from exc
            if attempt + 1 == attempts:
                raise FetchError(f"{what} failed after {attempts} attempts: {_reason(exc)}", _status(exc)) from exc
            wait = backoff * 2**attempt
            log.warning("%s failed (%s); retry %d/%d in %.1fs", what, _reason(exc), attempt + 1, attempts - 1, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Revision:
    sha: str
    created: date
    title: str


@dataclass(frozen=True)
class HubFile:
    path: str
    blob_id: str
    size: int


class HubRepo:
    """One repo (dataset or Space) on one Hub endpoint."""

    def __init__(self, endpoint: str, repo_id: str, repo_type: str):
        self.endpoint, self.repo_id, self.repo_type = endpoint.rstrip("/"), repo_id, repo_type

    def __repr__(self) -> str:
        return f"{self.repo_type} {self.repo_id} at {self.endpoint}"

    def _api(self):
        from huggingface_hub import HfApi

        return HfApi(endpoint=self.endpoint, token=hf_token())

    def revisions(self) -> list[Revision]:
        """The repo's commits on its main branch, oldest first, each dated by its commit date (UTC)."""
        commits = with_retries(
            f"list commits of {self}", lambda: self._api().list_repo_commits(self.repo_id, repo_type=self.repo_type)
        )
        # The Hub lists the newest commit first.
        return [Revision(c.commit_id, c.created_at.date(), c.title) for c in reversed(commits)]

    def files(self, revision: str) -> list[HubFile]:
        """Every file of the repo at `revision` (recursive)."""
        from huggingface_hub.hf_api import RepoFile

        entries = with_retries(
            f"list files of {self} at {revision[:12]}",
            lambda: list(
                self._api().list_repo_tree(self.repo_id, repo_type=self.repo_type, revision=revision, recursive=True)
            ),
        )
        return [HubFile(e.path, e.blob_id, e.size) for e in entries if isinstance(e, RepoFile)]

    def download(self, revision: str, path: str) -> bytes:
        """One file's bytes at one revision (hf_hub_download(revision=sha) into a throwaway cache)."""
        from huggingface_hub import hf_hub_download

        def attempt() -> bytes:
            with tempfile.TemporaryDirectory(prefix="aigap-hub-") as cache:
                local = hf_hub_download(
                    self.repo_id,
                    path,
                    repo_type=self.repo_type,
                    revision=revision,
                    cache_dir=cache,
                    endpoint=self.endpoint,
                    token=hf_token(),
                )
                return Path(local).read_bytes()

        return with_retries(f"download {path} of {self} at {revision[:12]}", attempt)

    def url(self, revision: str, path: str = "") -> str:
        """A readable address of a file (or of the tree) at a revision, for the ledger."""
        prefix = {"dataset": "datasets/", "space": "spaces/"}.get(self.repo_type, "")
        kind = "resolve" if path else "tree"
        return f"{self.endpoint}/{prefix}{self.repo_id}/{kind}/{revision}/{path}".rstrip("/")


_LOCATION = re.compile(
    r"^(?P<endpoint>.+?)/(?:(?P<prefix>datasets|spaces)/)?(?P<repo>[^/]+/[^/]+)/(?:resolve|tree)/(?P<revision>[^/]+)(?:/(?P<path>.*))?$"
)


def parse_url(url: str) -> tuple[HubRepo, str, str]:
    """The inverse of HubRepo.url: (repo, revision, path)."""
    match = _LOCATION.match(url)
    if not match:
        raise ValueError(f"not a Hub file or tree address: {url}")
    repo_type = {"datasets": "dataset", "spaces": "space", None: "model"}[match["prefix"]]
    return HubRepo(match["endpoint"], match["repo"], repo_type), match["revision"], match["path"] or ""
