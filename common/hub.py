"""The Hugging Face Hub, through the real `huggingface_hub` client: list a repo's history, list the
files of one revision, download one file of one revision.

- Endpoint: a source's location is the Hub endpoint (default $HF_ENDPOINT or https://huggingface.co);
  tests point it at a local stand-in Hub.
- Token: optional. $HF_TOKEN, or the Prefect Secret block named in $AIGAP_HF_TOKEN_BLOCK (looked up
  only when that variable is set, so a plain run never waits for a Prefect API). It is handed to
  the client and never logged, printed or stored.
- Limits (common/http.py), one retry budget per call, never multiplied: the client retries its
  API listings itself (408 / 429 / 5xx, timeouts, dropped connections: up to 5 retries with
  backoff), so aigap adds none there; it does not retry a file download answered 5xx, so aigap
  does, within the source's `attempts` (the client itself resumes a body cut short). Prefect tasks
  retry nothing on top: a failing listing costs 6 requests, not 6 x 4 x 3. Each call runs within the
  source's deadline, a file over its size cap (as the Hub announces it) is refused before
  downloading, and what cannot succeed becomes a `FetchError` with a readable reason.
- Offline: the client would also retry a host name that does not resolve (5 times, ~23 s, 18 log
  lines), so every call first asks the resolver (`http.check_resolves`, once per run and host):
  an endpoint that does not resolve is `http.Unresolved` at once, one line, no request made.
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

from common import settings
from common.http import (
    DEFAULT_LIMITS,
    RESOLVE_SECONDS,
    RETRY_STATUS,
    FetchError,
    Limits,
    Refused,
    check_resolves,
    unresolved,
    within_deadline,
)

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
TOKEN_ENV = "HF_TOKEN"

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
    block = settings.hf_token_block()
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


def _transient(exc: BaseException) -> bool:
    """An error another try might not meet (the client has already retried it by then)."""
    from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    # LocalEntryNotFoundError: the client's metadata request failed after its own retries
    if isinstance(exc, RepositoryNotFoundError | RevisionNotFoundError | LocalEntryNotFoundError):
        return False
    if (status := _status(exc)) is not None:
        return status in RETRY_STATUS
    return True


def _reason(exc: BaseException) -> str:
    status = _status(exc)
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"HTTP {status}: {first_line}" if status else f"{type(exc).__name__}: {first_line}"


def hub_call(
    what: str, operation: Callable[[], T], limits: Limits = DEFAULT_LIMITS, attempts: int = 1, endpoint: str = ""
) -> T:
    """A Hub operation within the source's deadline (all tries together), tried `attempts` times when
    it fails transiently: 1 where the client retries by itself (listings), the source's budget where
    it does not (downloads). Failures become FetchError (never retried by a Prefect task either).

    `endpoint`: asked of the resolver first, so an unresolvable host fails at once (`Unresolved`)
    rather than after the client's own retries."""
    deadline = time.monotonic() + limits.deadline_seconds
    if endpoint:
        check_resolves(endpoint, min(limits.deadline_seconds, RESOLVE_SECONDS))
    for attempt in range(attempts):
        try:
            return within_deadline(what, operation, max(deadline - time.monotonic(), 0.0))
        except FetchError:
            raise
        except Exception as exc:
            if (error := unresolved(exc, endpoint)) is not None:  # resolved a moment ago, not now
                raise error from None
            wait = limits.backoff_seconds * 2**attempt
            if not _transient(exc) or attempt + 1 == attempts or time.monotonic() + wait >= deadline:
                tries = f" (after {attempt + 1} tries)" if attempt else ""
                raise FetchError(f"{what}: {_reason(exc)}{tries}", _status(exc), retryable=False) from exc
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

    def __init__(self, endpoint: str, repo_id: str, repo_type: str, limits: Limits = DEFAULT_LIMITS):
        self.endpoint, self.repo_id, self.repo_type = endpoint.rstrip("/"), repo_id, repo_type
        self.limits = limits

    def __repr__(self) -> str:
        return f"{self.repo_type} {self.repo_id} at {self.endpoint}"

    def _api(self):
        from huggingface_hub import HfApi

        return HfApi(endpoint=self.endpoint, token=hf_token())

    def revisions(self) -> list[Revision]:
        """The repo's commits on its main branch, oldest first, each dated by its commit date (UTC)."""
        commits = hub_call(
            f"list commits of {self}",
            lambda: self._api().list_repo_commits(self.repo_id, repo_type=self.repo_type),
            self.limits,
            endpoint=self.endpoint,
        )
        # The Hub lists the newest commit first.
        return [Revision(c.commit_id, c.created_at.date(), c.title) for c in reversed(commits)]

    def files(self, revision: str) -> list[HubFile]:
        """Every file of the repo at `revision` (recursive)."""
        from huggingface_hub.hf_api import RepoFile

        entries = hub_call(
            f"list files of {self} at {revision[:12]}",
            lambda: list(
                self._api().list_repo_tree(self.repo_id, repo_type=self.repo_type, revision=revision, recursive=True)
            ),
            self.limits,
            endpoint=self.endpoint,
        )
        return [HubFile(e.path, e.blob_id, e.size) for e in entries if isinstance(e, RepoFile)]

    def download(self, revision: str, path: str, size: int | None = None) -> bytes:
        """One file's bytes at one revision (hf_hub_download(revision=sha) into a throwaway cache).

        `size`: the file's size as the Hub listed it (else asked with a HEAD request); over the size
        cap, nothing is downloaded."""
        from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url

        if size is None:
            url = hf_hub_url(self.repo_id, path, repo_type=self.repo_type, revision=revision, endpoint=self.endpoint)
            size = hub_call(f"size of {path} of {self}", lambda: get_hf_file_metadata(url, token=hf_token()).size,
                            self.limits, endpoint=self.endpoint)  # fmt: skip
        if size is not None and size > self.limits.max_bytes:
            raise Refused(f"{path} of {self} at {revision[:12]} is {size} bytes, over this source's cap of "
                          f"{self.limits.max_bytes}")  # fmt: skip

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
                if Path(local).stat().st_size > self.limits.max_bytes:
                    raise Refused(f"{path} of {self}: over this source's cap of {self.limits.max_bytes} bytes")
                return Path(local).read_bytes()

        return hub_call(f"download {path} of {self} at {revision[:12]}", attempt, self.limits, self.limits.attempts,
                        self.endpoint)  # fmt: skip

    def url(self, revision: str, path: str = "") -> str:
        """A readable address of a file (or of the tree) at a revision, for the ledger."""
        prefix = {"dataset": "datasets/", "space": "spaces/"}.get(self.repo_type, "")
        kind = "resolve" if path else "tree"
        return f"{self.endpoint}/{prefix}{self.repo_id}/{kind}/{revision}/{path}".rstrip("/")


_LOCATION = re.compile(
    r"^(?P<endpoint>.+?)/(?:(?P<prefix>datasets|spaces)/)?(?P<repo>[^/]+/[^/]+)/(?:resolve|tree)/(?P<revision>[^/]+)(?:/(?P<path>.*))?$"
)


def parse_url(url: str, limits: Limits = DEFAULT_LIMITS) -> tuple[HubRepo, str, str]:
    """The inverse of HubRepo.url: (repo, revision, path)."""
    match = _LOCATION.match(url)
    if not match:
        raise ValueError(f"not a Hub file or tree address: {url}")
    repo_type = {"datasets": "dataset", "spaces": "space", None: "model"}[match["prefix"]]
    return HubRepo(match["endpoint"], match["repo"], repo_type, limits), match["revision"], match["path"] or ""
